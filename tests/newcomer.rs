//! What a new user meets first: `affsim init`, shell completions, the manual
//! page and `--help`.

use assert_cmd::Command;
use predicates::prelude::*;

fn affsim() -> Command {
    Command::cargo_bin("affsim").unwrap()
}

#[test]
fn init_writes_a_starter_that_runs_as_written_and_compares_its_variant() {
    let dir = tempfile::tempdir().unwrap();
    affsim()
        .current_dir(dir.path())
        .args(["init", "mine.toml", "--start", "2026-03"])
        .assert()
        .success()
        .stdout(predicate::str::contains("affsim run mine.toml"));
    let text = std::fs::read_to_string(dir.path().join("mine.toml")).unwrap();
    // Every section of a scenario is there (tiers and [observed] as commented examples).
    let table: toml::Table = text.parse().unwrap();
    for section in [
        "name",
        "description",
        "simulation",
        "funnel",
        "programs",
        "content",
        "targets",
        "variants",
    ] {
        assert!(table.contains_key(section), "the starter lacks {section}");
    }
    assert!(text.contains("# [[programs.tiers]]") && text.contains("# [observed]"));
    assert!(text.contains("90% interval"), "the starter explains ranges");
    assert_eq!(table["name"].as_str(), Some("mine"));

    affsim()
        .current_dir(dir.path())
        .args(["run", "mine.toml", "--paths", "2000", "--no-charts"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "chance that recurring commission MRR is at least $300 in Nov 2026",
        ));
    assert!(dir.path().join("output/mine/summary.json").exists());
    affsim()
        .current_dir(dir.path())
        .args([
            "compare",
            "mine.toml",
            "--paths",
            "500",
            "--no-charts",
            "--quiet",
        ])
        .assert()
        .success();
}

#[test]
fn init_never_overwrites_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, "mine, not affsim's").unwrap();
    affsim()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("scenario.toml already exists"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "mine, not affsim's"
    );
}

#[test]
fn completions_generate_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef affsim"),
        ("fish", "complete -c affsim"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = affsim().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains(marker), "{shell} script lacks {marker}");
        for word in ["sensitivity", "memory-limit", "init"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
    affsim().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn the_manual_page_documents_every_command_and_option() {
    let output = affsim().arg("man").output().unwrap();
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH affsim"),
        "{page:.200}"
    );
    for word in [
        "AFFSIM RUN",
        "AFFSIM SWEEP",
        "AFFSIM INIT",
        "memory\\-limit",
        "precision",
        "vary",
    ] {
        assert!(page.contains(word), "the manual lacks {word}");
    }
}

#[test]
fn help_examples_need_no_repository_and_render_cleanly() {
    let output = affsim().arg("--help").output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("affsim init my.toml"));
    assert!(!help.contains("scenarios/"), "{help}");
    let output = affsim().args(["sweep", "-h"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("--goal <GOAL>"), "{help}");
    assert!(!help.contains("<P>"), "{help}");
    for command in ["run", "check", "compare", "sweep", "sensitivity", "init"] {
        let output = affsim().args([command, "--help"]).output().unwrap();
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(!help.contains("scenarios/"), "{command} --help: {help}");
    }
}

#[test]
fn percentages_are_read_as_fractions_wherever_a_rate_is_written() {
    let run = |set: &str| {
        let output = affsim()
            .args(["check", "scenarios/q4.toml", "--set", set])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{set}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(run("programs[0].recurring_rate=\"30%\"").contains("recurring (every renewal): 30%"));
    assert!(run("funnel.paid_rate=\"30%..50%\"").contains("90% between 30% and 50%"));
}

#[test]
fn a_newsletter_may_shrink_within_its_growth_interval() {
    // subscriber_growth takes -0.9..1: an interval reaching below zero is a
    // normal with the interval's 5th and 95th percentiles (docs/SCENARIO.md).
    let output = affsim()
        .args([
            "check",
            "scenarios/q4.toml",
            "--set",
            "content[2].subscriber_growth=\"-2%..3%\"",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("normal, median 0.50%, 90% between -2.00% and 3.0%"),
        "{stdout}"
    );
    affsim()
        .args([
            "check",
            "scenarios/q4.toml",
            "--set",
            "content[2].subscriber_growth=-0.95",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("from -0.9 to 1"));
}

/// `check` says what a run will simulate: a scenario that asks for a
/// precision (q4) is not described by the path count it never uses.
#[test]
fn check_describes_a_precision_as_a_precision() {
    affsim()
        .args(["check", "scenarios/q4.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "as many paths as it takes for the first target's chance to be within ±0.5%",
        ))
        .stdout(predicate::str::contains("100,000 paths").not());
    affsim()
        .args(["check", "scenarios/course-creator.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("20,000 paths"));
}
