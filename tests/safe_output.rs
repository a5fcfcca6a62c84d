//! Results reach the disk whole or not at all: temp file + rename, Ctrl-C
//! leaves no partial file, names cannot escape the output folder, and files
//! affsim did not write are only overwritten with --force.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use affsim::report::output::{Outputs, folder, folder_name};
use assert_cmd::Command;
use proptest::prelude::*;

const BASE: &str = include_str!("bad_inputs/valid-base.toml");

fn affsim() -> Command {
    let mut command = Command::cargo_bin("affsim").unwrap();
    command.env("NO_COLOR", "1");
    command
}

fn q4() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/q4.toml")
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.insert(
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    b"<dir>".to_vec(),
                );
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

fn no_temporaries(dir: &Path) {
    for name in snapshot(dir).keys() {
        assert!(
            !name.to_string_lossy().contains("affsim-tmp"),
            "temporary file left behind: {name:?}"
        );
    }
}

/// A quick run of the catalogue's base scenario into `out`.
fn quick_run(scenario: &Path, out: &Path) -> Command {
    let mut command = affsim();
    command
        .arg("run")
        .arg(scenario)
        .args(["--paths", "50", "--no-charts", "--quiet", "--out"])
        .arg(out);
    command
}

fn base_scenario(dir: &Path) -> PathBuf {
    let path = dir.join("base.toml");
    std::fs::write(&path, BASE).unwrap();
    path
}

#[test]
fn a_run_writes_its_files_and_no_temporaries() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    quick_run(&base_scenario(temp.path()), &out)
        .assert()
        .success();
    let files = snapshot(&out);
    for name in ["summary.json", "bands.csv", ".affsim"] {
        assert!(
            files.contains_key(Path::new(name)),
            "{name} missing: {files:?}"
        );
    }
    no_temporaries(&out);
    let summary: serde_json::Value =
        serde_json::from_slice(&files[Path::new("summary.json")]).expect("valid JSON");
    assert!(summary.is_object());
}

#[cfg(unix)]
#[test]
fn results_replace_old_files_by_rename_not_in_place() {
    // A hard link to the old summary keeps the old bytes only if the new
    // summary was written to a new file and renamed over the old name.
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let out = temp.path().join("out");
    quick_run(&scenario, &out)
        .arg("--seed")
        .arg("1")
        .assert()
        .success();
    let old = std::fs::read(out.join("summary.json")).unwrap();
    let link = temp.path().join("old-summary.json");
    std::fs::hard_link(out.join("summary.json"), &link).unwrap();
    quick_run(&scenario, &out)
        .arg("--seed")
        .arg("2")
        .assert()
        .success();
    let new = std::fs::read(out.join("summary.json")).unwrap();
    assert_ne!(old, new, "a different seed gives a different summary");
    assert_eq!(
        std::fs::read(&link).unwrap(),
        old,
        "the old file was written over in place"
    );
    no_temporaries(&out);
}

#[test]
fn outputs_write_all_or_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("results");
    let mut first = Outputs::default();
    first.add("a.txt", b"old a".to_vec());
    first.add("b.txt", b"old b".to_vec());
    first.write(&dir).unwrap();

    // b.txt cannot be replaced (a folder sits at its name): a.txt must keep
    // its old bytes too, and no temporary file may be left.
    std::fs::remove_file(dir.join("b.txt")).unwrap();
    std::fs::create_dir(dir.join("b.txt")).unwrap();
    let mut second = Outputs::default();
    second.add("a.txt", b"new a".to_vec());
    second.add("b.txt", b"new b".to_vec());
    assert!(second.write(&dir).is_err());
    assert_eq!(std::fs::read(dir.join("a.txt")).unwrap(), b"old a");
    no_temporaries(&dir);

    // A name that would leave the folder is refused before anything is written.
    let mut escaping = Outputs::default();
    escaping.add("c.txt", b"c".to_vec());
    escaping.add("../escaped.txt", b"x".to_vec());
    assert!(escaping.write(&dir).is_err());
    assert!(!dir.join("c.txt").exists());
    assert!(!temp.path().join("escaped.txt").exists());
}

#[test]
fn a_failure_after_simulation_leaves_earlier_results_whole() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let out = temp.path().join("out");
    quick_run(&scenario, &out).assert().success();
    // Writing bands.csv will fail: a folder now sits at its name.
    std::fs::remove_file(out.join("bands.csv")).unwrap();
    std::fs::create_dir(out.join("bands.csv")).unwrap();
    let before = snapshot(&out);
    let output = quick_run(&scenario, &out)
        .arg("--seed")
        .arg("99")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a write failure is a runtime error"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot write results"), "{stderr}");
    assert_eq!(
        snapshot(&out),
        before,
        "summary.json was replaced although bands.csv failed"
    );
}

#[test]
fn out_pointing_at_a_file_is_refused_and_the_file_kept() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let file = temp.path().join("notes.txt");
    std::fs::write(&file, "my notes").unwrap();
    let output = quick_run(&scenario, &file).output().unwrap();
    assert!(!output.status.success());
    assert_ne!(output.status.code(), Some(101), "panicked");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("notes.txt"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "my notes");
}

#[test]
fn foreign_files_are_not_overwritten_without_force() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let out = temp.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("summary.json"), "my own summary").unwrap();
    std::fs::write(out.join("notes.txt"), "my notes").unwrap();

    let output = quick_run(&scenario, &out).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("summary.json") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("summary.json")).unwrap(),
        "my own summary"
    );
    assert!(!out.join("bands.csv").exists(), "wrote part of the results");
    assert!(!out.join(".affsim").exists());
    no_temporaries(&out);

    quick_run(&scenario, &out).arg("--force").assert().success();
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(
        summary.trim_start().starts_with('{'),
        "--force overwrote it"
    );
    assert!(out.join("bands.csv").exists() && out.join(".affsim").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "my notes"
    );

    // Now the folder is affsim's: later runs replace results without --force.
    quick_run(&scenario, &out)
        .arg("--seed")
        .arg("5")
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "my notes"
    );
}

#[test]
fn scenario_names_cannot_lead_outside_the_output_folder() {
    let temp = tempfile::tempdir().unwrap();
    let work = temp.path().join("a/b");
    std::fs::create_dir_all(&work).unwrap();
    for name in [
        "../../x",
        "/tmp/evil",
        "..",
        "./.",
        "a/../../b",
        "C:\\\\Windows",
        "~root",
    ] {
        let text = BASE.replacen("name = \"base\"", &format!("name = {name:?}"), 1);
        assert_ne!(text, BASE);
        std::fs::write(work.join("s.toml"), &text).unwrap();
        affsim()
            .current_dir(&work)
            .args(["run", "s.toml", "--paths", "20", "--no-charts", "--quiet"])
            .assert()
            .success();
    }
    // Everything landed in a/b/output/<safe name>/, nothing anywhere else.
    let outside: Vec<_> = snapshot(temp.path())
        .into_keys()
        .filter(|p| {
            !p.starts_with("a/b/output")
                && p != Path::new("a")
                && p != Path::new("a/b")
                && p != Path::new("a/b/s.toml")
        })
        .collect();
    assert!(
        outside.is_empty(),
        "written outside a/b/output: {outside:?}"
    );
    let folders: Vec<_> = std::fs::read_dir(work.join("output"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(folders.iter().all(|f| !f.starts_with('.')), "{folders:?}");
    assert!(folders.contains(&"x".to_string()), "{folders:?}");
}

proptest! {
    #[test]
    fn folder_names_are_always_one_safe_component(name in "\\PC{0,40}") {
        let cleaned = folder_name(&name);
        prop_assert!(!cleaned.is_empty());
        prop_assert!(cleaned != "." && cleaned != "..");
        prop_assert!(cleaned.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{cleaned}");
        let path = folder(None, &name);
        prop_assert_eq!(path.components().count(), 2);
        prop_assert!(path.starts_with("output"));
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_promptly_and_leaves_earlier_results_untouched() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("q4");
    // An earlier, finished run.
    affsim()
        .arg("run")
        .arg(q4())
        .args(["--paths", "300", "--no-charts", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let before = snapshot(&out);
    assert!(before.contains_key(Path::new("summary.json")));

    // A run long enough to be interrupted, even in a fast release build.
    let binary = assert_cmd::cargo::cargo_bin("affsim");
    let mut child = std::process::Command::new(binary)
        .arg("run")
        .arg(q4())
        .args(["--paths", "5000000", "--no-charts", "--out"])
        .arg(&out)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the long run finished before it could be interrupted"
    );
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).trim().is_empty());
    assert_eq!(
        snapshot(&out),
        before,
        "the interrupted run changed the output folder"
    );
}
