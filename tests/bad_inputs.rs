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
    // No code frame without code: no bare gutter lines.
    assert!(
        !stderr.lines().any(|line| line.trim() == "|"),
        "an empty frame:\n{stderr}"
    );
    assert!(
        stderr.contains("affsim init no-such-scenario.toml"),
        "{stderr}"
    );
    assert!(std::fs::read_dir(temp.path()).unwrap().next().is_none());
}

/// Runs `affsim` with `args` in `dir`, killing it if it has not finished
/// within `limit` (a hang is a failure, not a stuck test run).
fn run_with_timeout(dir: &Path, args: &[&str], limit: std::time::Duration) -> std::process::Output {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("affsim"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("affsim {args:?} still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_fifo_or_folder_is_refused_at_once_not_read() {
    let temp = tempfile::tempdir().unwrap();
    let fifo = temp.path().join("pipe.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::copy(
        catalogue_dir().join("valid-base.toml"),
        temp.path().join("base.toml"),
    )
    .unwrap();
    let limit = std::time::Duration::from_secs(10);
    for (args, expected) in [
        (
            vec!["check", "pipe.toml"],
            "it is a FIFO (named pipe), not a regular file",
        ),
        (vec!["check", "."], "it is a folder, not a regular file"),
        (
            vec!["check", "/dev/zero"],
            "it is a device, not a regular file",
        ),
        (
            vec![
                "run",
                "base.toml",
                "--observed",
                "pipe.toml",
                "--no-charts",
                "--out",
                "out",
            ],
            "it is a FIFO (named pipe), not a regular file",
        ),
    ] {
        let output = run_with_timeout(temp.path(), &args, limit);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(!temp.path().join("out").exists());
}

#[test]
fn an_input_larger_than_the_cap_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let huge = temp.path().join("huge.toml");
    // Sparse: costs no disk, but reads as 64 MiB and one byte of zeros.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(affsim::input_file::MAX_BYTES + 1)
        .unwrap();
    let output = affsim().arg("check").arg(&huge).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("larger than 64 MiB"), "{stderr}");
}

#[test]
fn an_error_in_a_variant_points_at_its_line_in_the_file() {
    let temp = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(catalogue_dir().join("valid-base.toml")).unwrap();
    let lines = base.lines().count();
    let text = format!(
        "{base}\n[[variants]]\nname = \"typo\"\nset = [\"funnel.paid_rate=0.5\", \"funnel.paid_rat=0.5\"]\n"
    );
    std::fs::write(temp.path().join("v.toml"), text).unwrap();
    let output = affsim()
        .current_dir(temp.path())
        .args(["check", "v.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown field `paid_rat`"), "{stderr}");
    // The second string of `set` on the variant's last line; the column is
    // that of the value inside the quotes, not of a `--set` argument.
    let line = lines + 4;
    assert!(stderr.contains(&format!("--> v.toml:{line}:")), "{stderr}");
    assert!(!stderr.contains("--> --set"), "{stderr}");
}

#[test]
fn observed_csvs_are_read_exactly_or_refused_at_their_line() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::copy(
        catalogue_dir().join("valid-base.toml"),
        temp.path().join("base.toml"),
    )
    .unwrap();
    for (csv, expected) in [
        (
            "month,metric,value\n2026-02,earned,1,234\n",
            "h.csv:2: this row has 4 fields but the header has 3",
        ),
        (
            "date,amount,status\n2026-02-03,3,00,voided\n",
            "h.csv:2: this row has 4 fields",
        ),
        (
            "date,amount\n2026-02-03,\"12,50\"\n",
            "a decimal comma; write it 12.50",
        ),
        (
            "month,metric,value\n2026-02,earned,-3\n",
            "h.csv:2: commission earned cannot be negative",
        ),
        (
            "month,metric,value\n2026-02,earned,1e308\n",
            "h.csv:2: `1e308` is out of range",
        ),
        (
            "date,amount\n2026-02-03,9e11\n2026-02-05,9e11\n",
            "the commissions of Feb 2026 add up to",
        ),
        (
            "month,metric,value\n2026-02,earned,47\n2026-02,earned,48\n",
            "h.csv:3: earned for Feb 2026 is given twice",
        ),
        (
            "date,amount,note\n2026-02-03,5,caf\u{e9}\n",
            "h.csv:2: byte 0xE9 (column 17) is not UTF-8",
        ),
    ] {
        // The last case is Latin-1: `é` as the single byte 0xE9.
        let bytes: Vec<u8> = if csv.contains('\u{e9}') {
            csv.chars().map(|c| c as u32 as u8).collect()
        } else {
            csv.as_bytes().to_vec()
        };
        std::fs::write(temp.path().join("h.csv"), bytes).unwrap();
        let output = affsim()
            .current_dir(temp.path())
            .args([
                "run",
                "base.toml",
                "--observed",
                "h.csv",
                "--no-charts",
                "--out",
                "out",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{csv}: {stderr}");
        assert!(stderr.contains(expected), "{csv}: {stderr}");
        assert!(!temp.path().join("out").exists(), "{csv}: wrote results");
    }
    // Quoted, a dashboard's "$1,234.56" is read as exactly that.
    std::fs::write(
        temp.path().join("h.csv"),
        "date,amount\n2026-02-03,\"$1,234.56\"\n",
    )
    .unwrap();
    let output = affsim()
        .current_dir(temp.path())
        .args([
            "run",
            "base.toml",
            "--observed",
            "h.csv",
            "--no-charts",
            "--json",
            "--out",
            "out",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = summary.to_string();
    assert!(
        text.contains("1234.56"),
        "the observed amount is not in the summary: {text}"
    );
}
