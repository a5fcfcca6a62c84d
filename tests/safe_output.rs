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
        let name = name.to_string_lossy();
        assert!(
            !name.contains("affsim-tmp") && !name.contains("affsim-new"),
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
fn a_folder_where_a_result_goes_is_found_before_simulating() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let out = temp.path().join("out");
    quick_run(&scenario, &out).assert().success();
    // A folder now sits where bands.csv goes: even --force does not remove
    // a folder, and nothing is simulated or written.
    std::fs::remove_file(out.join("bands.csv")).unwrap();
    std::fs::create_dir(out.join("bands.csv")).unwrap();
    let before = snapshot(&out);
    for force in [false, true] {
        let mut command = affsim();
        command
            .arg("run")
            .arg(&scenario)
            .args(["--paths", "1000000", "--no-charts", "--quiet", "--out"])
            .arg(&out);
        if force {
            command.arg("--force");
        }
        let started = std::time::Instant::now();
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("bands.csv is a folder"), "{stderr}");
        // A million paths take many seconds: refused before simulating.
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(snapshot(&out), before);
    }
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

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The folder holds exactly the set its marker lists, each file with its
/// hash: one run's complete results, no more, no less.
fn assert_one_complete_set(dir: &Path) {
    let files = snapshot(dir);
    let marker = String::from_utf8(files[Path::new(".affsim")].clone()).unwrap();
    let mut listed = vec![PathBuf::from(".affsim")];
    for line in marker.lines().filter(|l| l.starts_with("file ")) {
        let mut parts = line.splitn(4, ' ').skip(2);
        let (hash, name) = (parts.next().unwrap(), parts.next().unwrap());
        let bytes = files
            .get(Path::new(name))
            .unwrap_or_else(|| panic!("{name} listed but missing"));
        assert_eq!(sha256(bytes), hash, "{name} does not match the marker");
        listed.push(PathBuf::from(name));
    }
    let mut present: Vec<PathBuf> = files.into_keys().collect();
    present.sort();
    listed.sort();
    assert_eq!(present, listed, "files besides the set");
}

fn seed_of(dir: &Path) -> u64 {
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    summary["seed"].as_u64().unwrap()
}

#[test]
fn twenty_runs_at_once_leave_one_complete_set() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let out = temp.path().join("out");
    let binary = assert_cmd::cargo::cargo_bin("affsim");
    let children: Vec<_> = (1..=20)
        .map(|seed| {
            std::process::Command::new(&binary)
                .arg("run")
                .arg(&scenario)
                .args(["--paths", "50", "--no-charts", "--quiet", "--seed"])
                .arg(seed.to_string())
                .arg("--out")
                .arg(&out)
                .env("NO_COLOR", "1")
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_one_complete_set(&out);
    // Byte for byte the set a run of that seed writes alone.
    let seed = seed_of(&out);
    let solo = temp.path().join("solo");
    quick_run(&scenario, &solo)
        .arg("--seed")
        .arg(seed.to_string())
        .assert()
        .success();
    assert_eq!(snapshot(&out), snapshot(&solo), "seed {seed}");
    let mut left: Vec<String> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["base.toml", "out", "solo"], "temporary folders left");
}

/// Starts a run paused inside its commit (see `AFFSIM_TEST_PAUSE`) and
/// kills it there with SIGKILL.
#[cfg(unix)]
fn kill_during_commit(scenario: &Path, out: &Path, seed: u64, point: &str) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("affsim"))
        .arg("run")
        .arg(scenario)
        .args(["--paths", "50", "--no-charts", "--quiet", "--seed"])
        .arg(seed.to_string())
        .arg("--out")
        .arg(out)
        .env("AFFSIM_TEST_PAUSE", point)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), format!("paused {point}"));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[cfg(unix)]
#[test]
fn sigkill_during_the_commit_leaves_one_complete_set() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let out = temp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    quick_run(&scenario, &out)
        .args(["--seed", "1"])
        .assert()
        .success();
    let before = snapshot(&out);

    // Killed with the new set written but not swapped in: the old set stays.
    kill_during_commit(&scenario, &out, 2, "before-swap");
    assert_eq!(snapshot(&out), before);

    // Killed right after the swap: the new set is there, whole.
    kill_during_commit(&scenario, &out, 3, "after-swap");
    assert_eq!(seed_of(&out), 3);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );

    // The next run clears what the killed ones left beside the folder.
    quick_run(&scenario, &out)
        .args(["--seed", "4"])
        .assert()
        .success();
    assert_eq!(seed_of(&out), 4);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    no_temporaries(temp.path());
    let mut left: Vec<String> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["base.toml", "out"]);
}

#[cfg(unix)]
#[test]
fn nothing_is_written_through_a_link() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let outside = temp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("precious.txt"), "keep me").unwrap();
    let before = snapshot(&outside);
    let link = |target: &Path, at: &Path| std::os::unix::fs::symlink(target, at).unwrap();

    // A link at the marker's name, at a result's name, at the old temporary
    // name and at a name like the new set's folder beside the output.
    let out = temp.path().join("out");
    quick_run(&scenario, &out).assert().success();
    std::fs::remove_file(out.join(".affsim")).unwrap();
    link(&outside.join("precious.txt"), &out.join(".affsim"));
    let output = quick_run(&scenario, &out).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(".affsim is a link"), "{stderr}");

    let other = temp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    link(&outside.join("precious.txt"), &other.join("summary.json"));
    link(
        &outside.join("precious.txt"),
        &other.join(".summary.json.affsim-tmp"),
    );
    link(&outside, &temp.path().join(".other.affsim-new-1-0-0"));
    let output = quick_run(&scenario, &other).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("summary.json"));
    // With --force the links themselves are replaced or kept, never their
    // targets.
    quick_run(&scenario, &out).arg("--force").assert().success();
    quick_run(&scenario, &other)
        .arg("--force")
        .assert()
        .success();
    assert!(
        std::fs::symlink_metadata(other.join("summary.json"))
            .unwrap()
            .is_file()
    );
    assert_eq!(
        snapshot(&outside),
        before,
        "a file outside the folder changed"
    );

    // A marker that is a folder is not a marker.
    let third = temp.path().join("third");
    std::fs::create_dir_all(third.join(".affsim")).unwrap();
    std::fs::write(third.join("summary.json"), "mine").unwrap();
    let output = quick_run(&scenario, &third).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(third.join("summary.json")).unwrap(),
        "mine"
    );

    // The default output/<name> may not be a link; an explicit --out may.
    let work = temp.path().join("work");
    std::fs::create_dir_all(work.join("output")).unwrap();
    link(&outside, &work.join("output/base"));
    let output = affsim()
        .current_dir(&work)
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "50", "--no-charts", "--quiet"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("output/base is a link"), "{stderr}");
    assert_eq!(snapshot(&outside), before);
    let target = temp.path().join("target");
    std::fs::create_dir(&target).unwrap();
    link(&target, &temp.path().join("via-link"));
    quick_run(&scenario, &temp.path().join("via-link"))
        .assert()
        .success();
    assert!(target.join("summary.json").is_file());
    assert!(
        std::fs::symlink_metadata(temp.path().join("via-link"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn an_edited_result_is_the_users_and_needs_force() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let out = temp.path().join("out");
    quick_run(&scenario, &out).assert().success();
    std::fs::write(out.join("bands.csv"), "my edits").unwrap();
    let output = quick_run(&scenario, &out).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bands.csv") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("bands.csv")).unwrap(),
        "my edits"
    );
    quick_run(&scenario, &out).arg("--force").assert().success();
    assert_one_complete_set(&out);
}

#[test]
fn a_second_scenario_with_the_same_name_does_not_overwrite() {
    let temp = tempfile::tempdir().unwrap();
    let first = base_scenario(temp.path());
    let second = temp.path().join("my.toml");
    std::fs::copy(&first, &second).unwrap();
    let run = |scenario: &Path| {
        let mut command = affsim();
        command
            .current_dir(temp.path())
            .arg("run")
            .arg(scenario)
            .args(["--paths", "50", "--no-charts", "--quiet"]);
        command
    };
    run(&first).assert().success();
    let before = snapshot(&temp.path().join("output/base"));
    let output = run(&second).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("holds the results of")
            && stderr.contains("base.toml")
            && stderr.contains("my.toml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rename `name`") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(snapshot(&temp.path().join("output/base")), before);
    // Other commands of the same file add their files beside run's.
    run(&first).arg("--seed").arg("2").assert().success();
    run(&second).arg("--force").assert().success();
    let marker = std::fs::read_to_string(temp.path().join("output/base/.affsim")).unwrap();
    assert!(marker.contains("my.toml"), "{marker}");
}

#[cfg(unix)]
#[test]
fn a_full_stdout_is_a_clean_error() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = base_scenario(temp.path());
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for args in [
        vec!["check".to_string(), scenario.display().to_string()],
        vec![
            "run".into(),
            scenario.display().to_string(),
            "--paths".into(),
            "50".into(),
            "--no-charts".into(),
            "--json".into(),
            "--out".into(),
            temp.path().join("out").display().to_string(),
        ],
    ] {
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("affsim"))
            .args(&args)
            .stdout(full())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Ctrl-C (and SIGTERM, SIGHUP) stop every long command promptly: each is
/// started on enough paths to run for many seconds, signalled after one,
/// and must be gone well within three (a behavioural bound, not a
/// benchmark), with exit code 130 and nothing written.
#[cfg(unix)]
#[test]
fn every_long_command_stops_promptly_when_interrupted() {
    let temp = tempfile::tempdir().unwrap();
    let history = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/q4-history.csv");
    let q4 = q4().display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["compare".into(), q4.clone()], "INT"),
        (vec!["sensitivity".into(), q4.clone()], "INT"),
        (
            vec![
                "sweep".into(),
                q4.clone(),
                "--vary".into(),
                "funnel.paid_rate=0.2:0.6:5".into(),
            ],
            "INT",
        ),
        (
            vec![
                "sweep".into(),
                q4.clone(),
                "--vary".into(),
                "funnel.paid_rate=0.2:0.6:5".into(),
                "--goal".into(),
                "P>=0.8".into(),
            ],
            "TERM",
        ),
        (
            vec![
                "run".into(),
                q4.clone(),
                "--observed".into(),
                history.display().to_string(),
                "--memory-limit".into(),
                "64MiB".into(),
            ],
            "HUP",
        ),
    ];
    let binary = assert_cmd::cargo::cargo_bin("affsim");
    for (args, signal) in cases {
        let out = temp.path().join("out");
        let mut child = std::process::Command::new(&binary)
            .args(&args)
            .args(["--paths", "1000000", "--no-charts", "--quiet", "--out"])
            .arg(&out)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            child.try_wait().unwrap().is_none(),
            "{args:?} finished too soon"
        );
        let signalled = std::time::Instant::now();
        std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if signalled.elapsed() > Duration::from_secs(3) {
                child.kill().unwrap();
                panic!("{args:?} still running 3 s after SIG{signal}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(130), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote results");
        no_temporaries(temp.path());
    }
}

/// A full or closed stderr loses the notes, never the run: notes and errors
/// go through writes whose failure is ignored (the print macros would
/// panic), and the exit code still says what happened.
#[cfg(unix)]
#[test]
fn a_full_stderr_loses_the_notes_not_the_run() {
    let temp = tempfile::tempdir().unwrap();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let out = temp.path().join("out");
    let q4 = "scenarios/q4.toml";
    let cases: [(&[&str], i32); 3] = [
        // A precise run notes its standard error; --memory-report notes memory.
        (
            &[
                "run",
                q4,
                "--precision",
                "0.05",
                "--memory-report",
                "--no-charts",
            ],
            0,
        ),
        // --observed notes what it read from the export.
        (
            &[
                "compare",
                q4,
                "--paths",
                "200",
                "--no-charts",
                "--observed",
                "scenarios/q4-commissions.csv",
            ],
            0,
        ),
        (&["run", "no-such-file.toml"], 2),
    ];
    for (args, code) in cases {
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("affsim"))
            .args(args)
            .arg("--out")
            .arg(&out)
            .arg("--force")
            .stdout(std::process::Stdio::null())
            .stderr(full())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(code), "{args:?}");
    }
    assert!(out.join("summary.json").is_file());
}
