//! Test helpers: a seeded random source and the msgspec oracle process.

use std::io::Write;
use std::process::{Command, Stdio};

/// xorshift64*: enough randomness for generated cases; print the seed.
pub(crate) struct Rng {
    seed: u64,
    state: u64,
}

impl Rng {
    /// Seeded from `PREBAKE_SEED`, else the clock.
    pub(crate) fn from_time() -> Rng {
        let seed = std::env::var("PREBAKE_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| {
                        u64::try_from(d.as_nanos() % u128::from(u64::MAX)).unwrap_or(1)
                    })
            });
        Rng {
            seed,
            state: seed | 1,
        }
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("fits")
    }
}

/// Runs `script` under the build's Python with `input` on stdin; its lines.
pub(crate) fn python_lines(script: &str, input: &str) -> Vec<String> {
    let mut child = Command::new(env!("PREBAKE_PYTHON"))
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the build's python");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python output");
    writer.join().expect("writer").expect("write stdin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}
