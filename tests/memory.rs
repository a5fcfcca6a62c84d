//! Streaming mode (issue 6, item 3): runs over the memory limit re-simulate
//! their paths instead of storing them, and must report exactly what an
//! in-memory run reports.

use std::path::{Path, PathBuf};

use affsim::app::memory::{Storage, choose_storage};
use assert_cmd::Command;

mod common;

/// The calibration method streaming mode uses, asked of an in-memory run.
const WHOLE_PATH: &str = "simulation.calibration=\"whole-path\"";

fn affsim() -> Command {
    Command::cargo_bin("affsim").unwrap()
}

/// Runs `affsim run` and returns the output folder.
fn run(dir: &Path, name: &str, scenario: &Path, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let output = affsim()
        .arg("run")
        .arg(scenario)
        .args(args)
        .args(["--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// The same run forced to stream by a memory limit far below its needs.
fn run_streamed(dir: &Path, scenario: &Path, args: &[&str]) -> PathBuf {
    run(
        dir,
        "streamed",
        scenario,
        &[args, &["--memory-limit", "1MiB"]].concat(),
    )
}

/// Every line of summary.json but the one saying how the paths were held.
fn summary_without_storage(folder: &Path) -> String {
    let text = std::fs::read_to_string(folder.join("summary.json")).unwrap();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("\"storage\""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_same_results(memory: &Path, streamed: &Path, files: &[&str]) {
    let storage = |folder: &Path| -> String {
        let text = std::fs::read_to_string(folder.join("summary.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["storage"].as_str().unwrap().to_string()
    };
    assert!(
        storage(memory).starts_with("All paths"),
        "{}",
        storage(memory)
    );
    assert!(
        storage(streamed).starts_with("Streaming mode"),
        "{}",
        storage(streamed)
    );
    assert_eq!(
        summary_without_storage(memory),
        summary_without_storage(streamed)
    );
    for file in files {
        let (a, b) = (
            std::fs::read(memory.join(file)).unwrap(),
            std::fs::read(streamed.join(file)).unwrap(),
        );
        assert!(
            a == b,
            "{file} differs between in-memory and streaming runs"
        );
    }
}

#[test]
fn a_calibrated_streaming_run_reports_exactly_what_an_in_memory_run_does() {
    let dir = tempfile::tempdir().unwrap();
    let q4 = Path::new("scenarios/q4.toml");
    // Streaming mode conditions by whole-path weighting (the sequential
    // method needs the paths in memory): the in-memory run is asked for the
    // same method.
    let args = ["--paths", "30000", "--set", WHOLE_PATH];
    let memory = run(dir.path(), "memory", q4, &args);
    let streamed = run_streamed(dir.path(), q4, &args);
    let calibration = std::fs::read_to_string(streamed.join("summary.json")).unwrap();
    assert!(calibration.contains("\"applied\": true"));
    assert_same_results(
        &memory,
        &streamed,
        &[
            "bands.csv",
            "fan.png",
            "target.png",
            "target-2.png",
            "cumulative.png",
            "breakdown.png",
        ],
    );
}

#[test]
fn an_uncalibrated_streaming_run_reports_exactly_what_an_in_memory_run_does() {
    let dir = tempfile::tempdir().unwrap();
    // q4 without its [observed] section (`--set` cannot remove a section).
    let text = std::fs::read_to_string("scenarios/q4.toml").unwrap();
    let cut = text.find("\n[observed]").expect("q4 has observed history");
    let scenario = dir.path().join("q4-no-history.toml");
    std::fs::write(&scenario, &text[..cut]).unwrap();
    let args = ["--paths", "40000", "--no-charts", "--threads", "1"];
    let memory = run(dir.path(), "memory", &scenario, &args);
    let streamed = run_streamed(dir.path(), &scenario, &["--paths", "40000", "--no-charts"]);
    assert_same_results(&memory, &streamed, &["bands.csv"]);
}

#[test]
fn history_too_implausible_to_use_streams_like_it_runs_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("impossible.csv");
    std::fs::write(&history, "month,metric,value\n2026-02,earned,1000000000\n").unwrap();
    let q4 = Path::new("scenarios/q4.toml");
    let history = history.to_str().unwrap();
    let args = ["--paths", "20000", "--no-charts", "--observed", history];
    let memory = run(dir.path(), "memory", q4, &args);
    let streamed = run_streamed(dir.path(), q4, &args);
    let summary = std::fs::read_to_string(streamed.join("summary.json")).unwrap();
    assert!(summary.contains("\"applied\": false"));
    assert_same_results(&memory, &streamed, &["bands.csv"]);
}

#[test]
fn the_terminal_report_says_when_it_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let output = affsim()
        .args([
            "run",
            "scenarios/q4.toml",
            "--paths",
            "5000",
            "--no-charts",
            "--memory-limit",
            "1MiB",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("Streaming mode"))
            .count(),
        1,
        "{text}"
    );
}

#[test]
fn memory_limits_are_read_with_units_and_bad_ones_refused() {
    use affsim::app::options::parse_bytes;
    assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
    assert_eq!(parse_bytes("4GiB"), Ok(4 << 30));
    assert_eq!(parse_bytes("1.5G"), Ok(3 << 29));
    assert_eq!(parse_bytes("2GB"), Ok(2_000_000_000));
    assert_eq!(parse_bytes("1000"), Ok(1000));
    assert!(parse_bytes("12XB").is_err());
    assert!(parse_bytes("GiB").is_err());
    assert!(parse_bytes("0").is_err());
    let dir = tempfile::tempdir().unwrap();
    affsim()
        .args([
            "run",
            "scenarios/q4.toml",
            "--memory-limit",
            "lots",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("512MiB"));
}

#[test]
fn runs_over_the_limit_stream_and_runs_over_the_machine_are_refused() {
    let scenario = affsim::scenario::load(Path::new("scenarios/q4.toml"), &[]).unwrap();
    let model = &scenario.model;
    let gib = 1u64 << 30;
    let storage = |paths, limit, available| choose_storage(model, paths, limit, available, true);
    assert_eq!(
        storage(100_000, gib, Some(24 * gib)).unwrap(),
        Storage::InMemory
    );
    assert_eq!(
        storage(10_000_000, gib, Some(24 * gib)).unwrap(),
        Storage::Streaming
    );
    // A limit above what the machine has does not force an in-memory run
    // that cannot fit.
    assert_eq!(
        storage(10_000_000, 64 * gib, Some(4 * gib)).unwrap(),
        Storage::Streaming
    );
    assert_eq!(
        storage(10_000_000, 64 * gib, None).unwrap(),
        Storage::InMemory
    );
    let refused = storage(10_000_000, gib, Some(100 << 20)).unwrap_err();
    let affsim::app::Failure::Input(message) = refused else {
        panic!("an input error")
    };
    assert!(message.contains("even in streaming mode"), "{message}");
    assert!(message.contains("or fewer"), "{message}");
}

/// Issue 6: 10^7 paths of q4 with peak memory under 1 GiB. Takes several
/// minutes on two cores; run with `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn ten_million_paths_of_q4_stay_under_one_gib() {
    let dir = tempfile::tempdir().unwrap();
    let output = affsim()
        .args([
            "run",
            "scenarios/q4.toml",
            "--paths",
            "10000000",
            "--memory-report",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let (estimated, peak) = common::memory_report(&output.stderr);
    assert!(peak < (1u64 << 30) as f64, "peak {peak} bytes");
    assert!(
        estimated < 2.0 * peak && peak < 2.0 * estimated,
        "estimated {estimated}, peak {peak}"
    );
    let summary = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    assert!(summary.contains("Streaming mode"));
    assert!(dir.path().join("target.png").exists());
}

#[test]
fn a_long_history_is_selected_rather_than_stored_and_still_matches() {
    // Six observed values (earned and clicks over three months): more
    // observed columns than streaming mode keeps whole, so their prior
    // percentiles come from the radix selection over every path.
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.csv");
    std::fs::write(
        &history,
        "month,metric,value\n2026-02,earned,47\n2026-03,earned,112\n2026-04,earned,186\n\
         2026-02,clicks,400\n2026-03,clicks,800\n2026-04,clicks,1300\n",
    )
    .unwrap();
    let q4 = Path::new("scenarios/q4.toml");
    let history = history.to_str().unwrap();
    let args = [
        "--paths",
        "20000",
        "--no-charts",
        "--observed",
        history,
        "--set",
        WHOLE_PATH,
    ];
    let memory = run(dir.path(), "memory", q4, &args);
    // One thread here, two in memory: the passes merge chunks in order.
    let streamed = run_streamed(dir.path(), q4, &[&args[..], &["--threads", "1"]].concat());
    assert_same_results(&memory, &streamed, &["bands.csv"]);
}
