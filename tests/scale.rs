//! Run-until-precise and the memory estimate (issue 6). No timing here: speed
//! goals live in benches/.

use assert_cmd::Command;

mod common;

fn affsim() -> Command {
    Command::cargo_bin("affsim").unwrap()
}

#[test]
fn precision_runs_are_deterministic_and_meet_their_precision() {
    let run = || {
        let out = tempfile::tempdir().unwrap();
        let output = affsim()
            .args([
                "run",
                "scenarios/q4.toml",
                "--precision",
                "0.004",
                "--no-charts",
                "--json",
                "--out",
            ])
            .arg(out.path())
            .output()
            .unwrap();
        assert!(output.status.success());
        let bands = std::fs::read_to_string(out.path().join("bands.csv")).unwrap();
        (String::from_utf8(output.stdout).unwrap(), bands)
    };
    let (first, first_bands) = run();
    let (second, second_bands) = run();
    assert_eq!(first, second);
    assert_eq!(first_bands, second_bands);
    let summary: serde_json::Value = serde_json::from_str(&first).unwrap();
    let paths = summary["paths"].as_u64().unwrap();
    assert!(
        paths > 20_000 && paths.is_multiple_of(1000),
        "a first batch of 20,000 (q4 has a history), then what its error says: {paths}"
    );
    for target in summary["targets"].as_array().unwrap() {
        assert!(target["in_month"]["standard_error"].as_f64().unwrap() < 0.008);
        assert!(target["by_month"]["standard_error"].as_f64().unwrap() < 0.008);
    }
}

#[test]
fn the_memory_estimate_is_within_a_factor_of_two_of_the_peak() {
    // In memory, then streaming (forced by a tiny limit).
    for (paths, limit) in [("100000", "1GiB"), ("400000", "1GiB"), ("200000", "1MiB")] {
        let out = tempfile::tempdir().unwrap();
        let output = affsim()
            .args([
                "run",
                "scenarios/q4.toml",
                "--paths",
                paths,
                "--memory-limit",
                limit,
                "--no-charts",
                "--quiet",
                "--memory-report",
                "--out",
            ])
            .arg(out.path())
            .output()
            .unwrap();
        assert!(output.status.success());
        let (estimated, peak) = common::memory_report(&output.stderr);
        assert!(
            estimated < 2.0 * peak && peak < 2.0 * estimated,
            "{paths} paths: estimated {estimated}, peak {peak}"
        );
    }
}

/// A `--precision` no run could promise (not even streaming, within the
/// most paths a run takes) is refused before simulating, with the precision
/// that fits (tests/bounded_runs.rs streams one that memory cannot hold).
#[test]
fn a_run_too_big_for_memory_is_refused_with_what_fits() {
    let out = tempfile::tempdir().unwrap();
    affsim()
        .args([
            "run",
            "scenarios/q4.toml",
            "--precision",
            "0.000001",
            "--out",
        ])
        .arg(out.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("or larger"));
    assert!(!out.path().join("x").exists());
}
