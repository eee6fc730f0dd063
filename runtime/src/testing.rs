//! Test helpers (compiled only for the unit tests): the shared seeded random
//! source, and the msgspec oracle process.

use std::io::Write;
use std::process::{Command, Stdio};

/// The seeded random source of every randomised test (`PREBAKE_SEED`
/// replays a run; `from_env` prints the seed).
pub(crate) use prebake_testkit::Rng;

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
