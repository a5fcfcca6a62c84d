//! `affsim run` and `affsim check` as a user runs them.

use assert_cmd::Command;
use predicates::prelude::*;

fn affsim() -> Command {
    Command::cargo_bin("affsim").unwrap()
}

#[test]
fn run_prints_the_odds_in_words_and_writes_summary_and_bands() {
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("q4");
    affsim()
        .args([
            "run",
            "scenarios/q4.toml",
            "--paths",
            "3000",
            "--no-charts",
            "--out",
        ])
        .arg(&folder)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "chance that recurring commission MRR is at least $500 in Oct 2026",
        ))
        .stdout(predicate::str::contains("First payout"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["paths"], 3000);
    let probability = summary["targets"][0]["in_month"]["value"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&probability));
    let bands = std::fs::read_to_string(folder.join("bands.csv")).unwrap();
    assert!(bands.starts_with("month,metric,p5,p10,p25,p50,p75,p90,p95,mean"));
    // 11 months × 15 metrics, plus the header.
    assert_eq!(bands.lines().count(), 1 + 11 * 15);
}

#[test]
fn json_goes_to_stdout_and_matches_the_file() {
    let out = tempfile::tempdir().unwrap();
    let output = affsim()
        .args([
            "run",
            "scenarios/q4.toml",
            "--paths",
            "500",
            "--seed",
            "3",
            "--no-charts",
            "--json",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        printed,
        std::fs::read_to_string(out.path().join("summary.json")).unwrap()
    );
    let value: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(value["seed"], 3);
}

#[test]
fn set_overrides_any_field_and_the_same_seed_repeats_exactly() {
    let run = |extra: &[&str]| {
        let out = tempfile::tempdir().unwrap();
        affsim()
            .args([
                "run",
                "scenarios/q4.toml",
                "--paths",
                "800",
                "--no-charts",
                "--quiet",
                "--out",
            ])
            .arg(out.path())
            .args(extra)
            .assert()
            .success()
            .stdout("");
        std::fs::read_to_string(out.path().join("bands.csv")).unwrap()
    };
    let base = run(&[]);
    assert_eq!(base, run(&[]), "same seed, same numbers");
    assert_eq!(
        base,
        run(&["--threads", "1"]),
        "thread count does not matter"
    );
    let richer = run(&["--set", "programs[0].recurring_rate=0.16"]);
    assert_ne!(base, richer);
}

#[test]
fn check_prints_the_resolved_scenario() {
    affsim()
        .args(["check", "scenarios/q4.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Scenario `q4` is valid"))
        .stdout(predicate::str::contains("plan `Pro`: price $19.99/month"))
        .stdout(predicate::str::contains("ramp-up: 1 month;"))
        .stdout(predicate::str::contains("ramp-up: 3 months;"));
}

#[test]
fn a_misspelt_field_points_at_file_line_and_column_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("typo.toml");
    let text = std::fs::read_to_string("scenarios/q4.toml")
        .unwrap()
        .replace(
            "churn_sbg = { alpha = 1.0, beta = \"8..16\" }",
            "chrun = 0.05",
        );
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    affsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `chrun`"))
        .stderr(predicate::str::contains("did you mean `churn`?"))
        .stderr(predicate::str::contains("typo.toml:"));
    assert!(!out.exists(), "no output on bad input");
}

#[test]
fn invalid_values_are_explained_with_their_location() {
    let out = tempfile::tempdir().unwrap();
    affsim()
        .args([
            "run",
            "scenarios/q4.toml",
            "--set",
            "programs[0].plans[0].share=0.9",
            "--out",
        ])
        .arg(out.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sum to 1.05"));
    affsim()
        .args([
            "run",
            "scenarios/q4.toml",
            "--set",
            "content[0].ctr=1.5",
            "--out",
        ])
        .arg(out.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("out of range"))
        .stderr(predicate::str::contains("--set"));
    assert!(!out.path().join("x").exists());
}

#[test]
fn compare_sweep_and_sensitivity_run_from_the_command_line() {
    let out = tempfile::tempdir().unwrap();
    affsim()
        .args([
            "compare",
            "scenarios/q4.toml",
            "--paths",
            "1000",
            "--no-charts",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("blog only"))
        .stdout(predicate::str::contains("Scale-plan focus"));
    assert!(out.path().join("compare.json").exists());
    affsim()
        .args([
            "sweep",
            "scenarios/q4.toml",
            "--vary",
            "funnel.paid_rate=0.2:0.6:3",
            "--goal",
            "P>=0.5",
            "--paths",
            "1000",
            "--no-charts",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("Goal:"));
    assert!(
        std::fs::read_to_string(out.path().join("sweep.csv"))
            .unwrap()
            .starts_with("funnel.paid_rate,probability")
    );
    affsim()
        .args([
            "sensitivity",
            "scenarios/q4.toml",
            "--paths",
            "500",
            "--no-charts",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("largest swing first"));
    // The strategy commands take a history file as `run` does; a bad one is
    // an input error.
    let scenario_without_history = out.path().join("no-history.toml");
    let text = std::fs::read_to_string("scenarios/q4.toml").unwrap();
    let cut = text.find("\n[observed]").unwrap();
    let rest = &text[cut..];
    let after = rest.find("\n[[").unwrap();
    std::fs::write(
        &scenario_without_history,
        format!("{}{}", &text[..cut], &rest[after..]),
    )
    .unwrap();
    let sensitivity = |history: &str| {
        affsim()
            .args(["sensitivity", "--paths", "2000", "--json", "--no-charts"])
            .arg(&scenario_without_history)
            .args(["--observed", history, "--out"])
            .arg(out.path().join("with-history"))
            .assert()
    };
    let json = sensitivity("scenarios/q4-history.csv")
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["conditioned"], true);
    assert_eq!(json["inputs"][0]["estimated_by"], "fitted_curve");
    // `--exact` holds each input in conditioned runs of its own.
    let exact = affsim()
        .args([
            "sensitivity",
            "--exact",
            "--paths",
            "500",
            "--json",
            "--no-charts",
        ])
        .args(["scenarios/q4.toml", "--out"])
        .arg(out.path().join("exact"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let exact: serde_json::Value = serde_json::from_slice(&exact).unwrap();
    assert_eq!(exact["inputs"][0]["estimated_by"], "pinned_runs");
    sensitivity("scenarios/no-such-history.csv")
        .code(2)
        .stderr(predicate::str::contains("no-such-history.csv"));
    affsim()
        .args([
            "sweep",
            "scenarios/q4.toml",
            "--vary",
            "funnel.paid_rate=0.6:0.2:3",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "LOW (0.6) must be below HIGH (0.2)",
        ));
}
