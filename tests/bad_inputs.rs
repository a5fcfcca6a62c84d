//! The bad-input catalogue (tests/bad_inputs/): every broken scenario must be
//! refused with exit code 2, a located, one-screen error saying what would fix
//! it, no panic, and no file written.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Entry {
    stem: String,
    args: Vec<String>,
    expected: Vec<String>,
}

fn catalogue_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs")
}

fn entries() -> Vec<Entry> {
    let dir = catalogue_dir();
    let mut stems: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/bad_inputs exists")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".toml")?;
            stem.starts_with(|c: char| c.is_ascii_digit())
                .then(|| stem.to_string())
        })
        .collect();
    stems.sort();
    stems
        .into_iter()
        .map(|stem| {
            let read_lines = |ext: &str| -> Option<Vec<String>> {
                let text = std::fs::read_to_string(dir.join(format!("{stem}.{ext}"))).ok()?;
                Some(
                    text.lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_string)
                        .collect(),
                )
            };
            let expected = read_lines("expected")
                .unwrap_or_else(|| panic!("{stem}.toml has no {stem}.expected beside it"));
            assert!(!expected.is_empty(), "{stem}.expected is empty");
            Entry {
                args: read_lines("args").unwrap_or_default(),
                stem,
                expected,
            }
        })
        .collect()
}

fn affsim() -> Command {
    let mut command = Command::cargo_bin("affsim").expect("the affsim binary is built");
    command.current_dir(catalogue_dir()).env("NO_COLOR", "1");
    command
}

/// Checks one refusal; returns a description of what is wrong, if anything.
fn check_refusal(entry: &Entry, subcommand: &str, output: &std::process::Output) -> Vec<String> {
    let mut problems = Vec::new();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let what = format!("{} ({subcommand})", entry.stem);
    if output.status.code() != Some(2) {
        problems.push(format!(
            "{what}: exit code {:?}, expected 2\n{stderr}",
            output.status.code()
        ));
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        problems.push(format!("{what}: panicked\n{stderr}"));
    }
    for line in &entry.expected {
        if !stderr.contains(line.as_str()) {
            problems.push(format!(
                "{what}: stderr lacks `{line}`\n--- stderr ---\n{stderr}"
            ));
        }
    }
    // A location: file:line:col, or the --set argument at fault. Only an
    // out-of-range command-line flag has no place in any file.
    let flag_only = entry.args.iter().any(|a| a == "--paths");
    let file_location = format!("--> {}.toml:", entry.stem);
    if !flag_only && !stderr.contains(&file_location) && !stderr.contains("--> --set:") {
        problems.push(format!("{what}: no location in\n{stderr}"));
    }
    if !stderr.starts_with("error") {
        problems.push(format!(
            "{what}: stderr does not start with `error`\n{stderr}"
        ));
    }
    if !stderr.contains("help:") {
        problems.push(format!(
            "{what}: no help saying what would fix it\n{stderr}"
        ));
    }
    let lines = stderr.lines().count();
    if lines > 24 {
        problems.push(format!(
            "{what}: {lines} lines of error, more than a screen"
        ));
    }
    if stderr.lines().any(|l| l.chars().count() > 400) {
        problems.push(format!("{what}: a line of the error is absurdly long"));
    }
    if !stdout.trim().is_empty() {
        problems.push(format!("{what}: printed to stdout: {stdout}"));
    }
    problems
}

#[test]
fn catalogue_is_big_enough() {
    assert!(
        entries().len() >= 40,
        "the catalogue needs at least 40 entries"
    );
}

#[test]
fn the_base_of_the_catalogue_is_valid() {
    affsim()
        .args(["check", "valid-base.toml"])
        .assert()
        .success();
}

#[test]
fn every_bad_input_is_refused_clearly_and_writes_nothing() {
    let mut problems = Vec::new();
    for entry in entries() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        let output = affsim()
            .arg("run")
            .arg(format!("{}.toml", entry.stem))
            .args(&entry.args)
            .arg("--no-charts")
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        problems.extend(check_refusal(&entry, "run", &output));
        let left: Vec<_> = std::fs::read_dir(temp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        if !left.is_empty() {
            problems.push(format!("{}: wrote {left:?}", entry.stem));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_bad_input_fails_check_too() {
    let mut problems = Vec::new();
    for entry in entries() {
        // `check` takes --set but not run's flags.
        if entry.args.iter().any(|a| a == "--paths") {
            continue;
        }
        let output = affsim()
            .arg("check")
            .arg(format!("{}.toml", entry.stem))
            .args(&entry.args)
            .output()
            .unwrap();
        problems.extend(check_refusal(&entry, "check", &output));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn a_missing_file_is_an_input_error() {
    let temp = tempfile::tempdir().unwrap();
    let output = affsim()
        .args(["run", "no-such-scenario.toml", "--no-charts", "--out"])
        .arg(temp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read the scenario"), "{stderr}");
    assert!(stderr.contains("no-such-scenario.toml"), "{stderr}");
    assert!(std::fs::read_dir(temp.path()).unwrap().next().is_none());
}
