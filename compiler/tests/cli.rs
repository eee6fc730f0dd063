//! The `prebake` command line as a user runs it: exit codes, formats, and
//! several apps at once.

use std::process::Command;

fn prebake(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_prebake"))
        .args(args)
        .output()
        .expect("prebake runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn clean_apps_exit_zero() {
    let (code, _, err) = prebake(&[
        "check",
        "../examples/hello/app.py",
        "../examples/todo/app.py",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("hello/app.py: ok (4 routes)"), "{err}");
}

#[test]
fn a_faulty_app_exits_one_with_its_code_on_the_right_line() {
    let dir = std::env::temp_dir().join(format!("prebake-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let app = dir.join("app.py");
    std::fs::write(
        &app,
        "from prebake import App\napp = App()\n\n@app.get(\"/users/{user_id}\")\ndef get_user() -> str:\n    return \"x\"\n",
    )
    .expect("write");
    let app = app.to_string_lossy().into_owned();

    let (code, _, err) = prebake(&["check", &app, "--color", "never"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[PB011]"), "{err}");
    assert!(err.contains(":4:"), "the caret is on line 4: {err}");

    let (code, out, _) = prebake(&["check", &app, "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    let first = &json[0];
    assert_eq!(first["code"], "PB011");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["line"], 4);
    assert_eq!(first["column"], 19);
    assert!(first["end_column"].as_u64() > first["column"].as_u64());
    assert!(first["notes"].is_array());

    // Several apps: one faulty one makes the run fail.
    let (code, _, _) = prebake(&["check", "../examples/hello/app.py", &app]);
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_usage_exits_two() {
    assert_eq!(prebake(&["check"]).0, 2);
    assert_eq!(prebake(&["check", "x.py", "--format", "yaml"]).0, 2);
    assert_eq!(prebake(&["frobnicate"]).0, 2);
    assert_eq!(prebake(&["check", "does/not/exist.py"]).0, 1);
}

#[test]
fn information_does_not_fail_check_and_routes_lists_the_pool() {
    let app = "tests/fixtures/check/runs_on_thread_pool/app.py";
    let (code, _, err) = prebake(&["check", app, "--color", "never"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("info[PB080]"), "{err}");
    assert!(err.contains("ok (9 routes, 6 on the thread pool)"), "{err}");

    let (code, out, _) = prebake(&["check", app, "--format", "json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(json[0]["severity"], "info");

    let (code, out, _) = prebake(&["check", app, "--format", "sarif"]);
    assert_eq!(code, 0);
    let sarif: serde_json::Value = serde_json::from_str(&out).expect("SARIF output");
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "note");

    let (code, out, err) = prebake(&["routes", app]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("GET  /sleep "), "{out}");
    assert!(out.ends_with("9 routes, 6 on the thread pool\n"), "{out}");
}
