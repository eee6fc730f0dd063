//! Where a server's resident memory is, by kind of mapping, read from
//! `/proc/PID/smaps` after its runs.
//!
//! The io suite's memory target is one number (peak RSS), but what it is
//! made of decides what can be cut: the interpreter's own pages and the
//! app's extension modules are there in any Python server, the server
//! binary's pages and the Rust heap are prebake's, and the two malloc
//! heaps (glibc's `[heap]` for CPython's larger blocks, anonymous mappings
//! for pymalloc's arenas, jemalloc and thread stacks) grow with the app's
//! objects and the load. The results file prints this split.

use std::collections::BTreeMap;

/// Resident kB per kind of mapping, summed over a process tree.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Memory {
    /// kB per kind, in [`KINDS`] order when printed.
    pub(crate) kb: BTreeMap<&'static str, u64>,
}

/// The kinds, in the order the results file lists them.
pub(crate) const KINDS: [&str; 7] = [
    "server binary (code, read-only data)",
    "libpython",
    "Python extension modules",
    "other shared libraries",
    "glibc heap (CPython's blocks over 512 bytes)",
    "anonymous (pymalloc arenas, jemalloc, thread stacks)",
    "other",
];

impl Memory {
    /// The sum over every kind.
    pub(crate) fn total(&self) -> u64 {
        self.kb.values().sum()
    }

    /// Adds the mappings of one `smaps` text; `exe` is the path of the
    /// process's executable.
    pub(crate) fn add_smaps(&mut self, smaps: &str, exe: &str) {
        let mut kind = KINDS[6];
        for line in smaps.lines() {
            if let Some(kb) = line.strip_prefix("Rss:") {
                let kb = kb
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap_or(0);
                *self.kb.entry(kind).or_default() += kb;
            } else if is_mapping_header(line) {
                kind = classify(line.split_whitespace().nth(5).unwrap_or(""), exe);
            }
        }
    }

    /// The memory of the processes `pids`.
    pub(crate) fn of(pids: &[i32]) -> Memory {
        let mut m = Memory::default();
        for pid in pids {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) {
                m.add_smaps(&text, &exe);
            }
        }
        m
    }
}

/// A mapping's first line: `start-end perms offset dev inode [path]`.
fn is_mapping_header(line: &str) -> bool {
    line.split_whitespace().next().is_some_and(|range| {
        range
            .split_once('-')
            .is_some_and(|(a, b)| is_hex(a) && is_hex(b))
    })
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn classify(path: &str, exe: &str) -> &'static str {
    let file = path.rsplit('/').next().unwrap_or(path);
    if path.is_empty() || path == "[stack]" || path.starts_with("[anon") {
        KINDS[5]
    } else if path == "[heap]" {
        KINDS[4]
    } else if !exe.is_empty() && path == exe {
        KINDS[0]
    } else if file.starts_with("libpython") {
        KINDS[1]
    } else if file.contains(".cpython-") || file.ends_with(".abi3.so") {
        KINDS[2]
    } else if file.contains(".so") {
        KINDS[3]
    } else {
        KINDS[6]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0bc3000-55d1083000 r--p 00000000 fe:00 87 /srv/bin/prebake-tfb
Size:               4864 kB
Rss:                1076 kB
55d1083000-55d137b000 r-xp 004bf000 fe:00 87 /srv/bin/prebake-tfb
Rss:                2464 kB
563707333000-563707d73000 rw-p 00000000 00:00 0                          [heap]
Rss:               10644 kB
7fc702af4000-7fc702cf4000 rw-p 00000000 00:00 0 
Rss:                1024 kB
7fc703000000-7fc703100000 r-xp 00000000 fe:00 12 /usr/lib/libpython3.11.so.1.0
Rss:                5232 kB
7fc704000000-7fc704100000 r-xp 00000000 fe:00 13 /v/site-packages/asyncpg/protocol/protocol.cpython-311-x86_64-linux-gnu.so
Rss:                 816 kB
7fc705000000-7fc705100000 r-xp 00000000 fe:00 14 /usr/lib/x86_64-linux-gnu/libcrypto.so.3
Rss:                3920 kB
7ffe19e15000-7ffe19e36000 rw-p 00000000 00:00 0                          [stack]
Rss:                 132 kB
7ffe19f00000-7ffe19f02000 r-xp 00000000 00:00 0                          [vdso]
Rss:                   8 kB
";

    #[test]
    fn mappings_are_summed_by_kind() {
        let mut m = Memory::default();
        m.add_smaps(SMAPS, "/srv/bin/prebake-tfb");
        assert_eq!(m.kb[KINDS[0]], 1076 + 2464);
        assert_eq!(m.kb[KINDS[1]], 5232);
        assert_eq!(m.kb[KINDS[2]], 816);
        assert_eq!(m.kb[KINDS[3]], 3920);
        assert_eq!(m.kb[KINDS[4]], 10644);
        assert_eq!(m.kb[KINDS[5]], 1024 + 132);
        assert_eq!(m.kb[KINDS[6]], 8);
        assert_eq!(m.total(), 25316);
    }

    #[test]
    fn a_python_server_has_no_binary_share() {
        // A peer's executable is the interpreter; its pages count as the
        // binary's, and there are few.
        let mut m = Memory::default();
        m.add_smaps(SMAPS, "/usr/bin/python3.11");
        assert_eq!(m.kb.get(KINDS[0]), None);
        assert_eq!(m.kb[KINDS[6]], 1076 + 2464 + 8);
    }

    #[test]
    fn this_process_is_read() {
        let m = Memory::of(&[i32::try_from(std::process::id()).unwrap()]);
        assert!(m.total() > 0);
        assert!(m.kb.get(KINDS[0]).copied().unwrap_or(0) > 0, "{m:?}");
    }
}
