//! Every run is bounded: a `--precision` that memory cannot promise is
//! refused before simulating, a long run says how long, and contradictory
//! options are usage errors.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn affsim() -> Command {
    let mut command = Command::cargo_bin("affsim").unwrap();
    command.env("NO_COLOR", "1");
    command
}

fn q4() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/q4.toml")
}

#[test]
fn a_precision_memory_cannot_promise_is_refused_up_front() {
    let temp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = affsim()
        .arg("run")
        .arg(q4())
        .args(["--precision", "1e-9", "--no-charts", "--out"])
        .arg(temp.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("may need up to"), "{stderr}");
    assert!(stderr.contains("help: use --precision 0.0"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "simulated first"
    );
    assert!(!temp.path().join("out").exists());
}

/// `--precision` plans against `--memory-limit`: when the paths it may need
/// do not fit under it, they stream, and the answer still meets the
/// precision. Without a history one streamed run of 0.25/precision² paths
/// is enough (any chance's standard error is then at most the precision);
/// q4's history needs more, which a second, larger run supplies.
#[test]
fn precision_under_a_small_memory_limit_streams() {
    let temp = tempfile::tempdir().unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for (file, precision, paths) in [
        ("bounty-program.toml", 0.02, Some(625)),
        ("q4.toml", 0.02, None),
    ] {
        let out = temp.path().join(file);
        let output = affsim()
            .arg("run")
            .arg(scenarios.join(file))
            .args(["--precision", &precision.to_string()])
            .args(["--memory-limit", "1MiB", "--no-charts", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{file}: {stderr}");
        assert!(stderr.contains("streamed paths"), "{file}: {stderr}");
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert!(
            summary["storage"]
                .as_str()
                .unwrap()
                .starts_with("Streaming"),
            "{file}"
        );
        let error = summary["targets"][0]["in_month"]["standard_error"]
            .as_f64()
            .unwrap();
        assert!(error <= precision, "{file}: standard error {error}");
        if let Some(paths) = paths {
            assert_eq!(summary["paths"], paths, "{file}");
        }
    }
}

#[test]
fn precision_and_paths_together_are_a_usage_error() {
    let output = affsim()
        .arg("run")
        .arg(q4())
        .args(["--precision", "0.01", "--paths", "1000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn a_key_varied_twice_is_refused() {
    let output = affsim()
        .arg("sweep")
        .arg(q4())
        .args([
            "--vary",
            "funnel.paid_rate=0.2:0.6:3",
            "--vary",
            "funnel.paid_rate=0.1:0.3:3",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is given twice"), "{stderr}");
}

/// 50 years of months on 100,000 paths take many minutes on any machine:
/// every command says so before it starts (the note names the paths and
/// months it projected from; the progress bar's own projection, two
/// seconds in, does not), and Ctrl-C still stops it.
#[cfg(unix)]
#[test]
fn a_long_run_says_how_long_it_will_take() {
    let temp = tempfile::tempdir().unwrap();
    let commands: [&[&str]; 4] = [
        &["run"],
        &["compare"],
        &["sensitivity"],
        &[
            "sweep",
            "--vary",
            "funnel.paid_rate=0.2:0.6:3",
            "--goal",
            "P>=0.8",
        ],
    ];
    for command in commands {
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("affsim"))
            .arg(command[0])
            .arg(q4())
            .args(&command[1..])
            .args([
                "--set",
                "simulation.end=\"2075-12\"",
                "--paths",
                "100000",
                "--no-charts",
                "--out",
            ])
            .arg(temp.path().join(command[0]))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Stop the command once it has said how long it will take (a loaded
        // machine may take seconds to get there), or after a minute.
        let mut child = child;
        let stderr = child.stderr.take().unwrap();
        let id = child.id().to_string();
        let interrupt = move || {
            let _ = std::process::Command::new("kill")
                .args(["-INT", &id])
                .status();
        };
        let stop = interrupt.clone();
        let reader = std::thread::spawn(move || {
            let mut seen = String::new();
            for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)) {
                let line = line.unwrap_or_default();
                if line.contains("note: this will take about") {
                    stop();
                }
                seen.push_str(&line);
                seen.push('\n');
            }
            seen
        });
        let (exited, exit) = std::sync::mpsc::channel::<()>();
        let watchdog = std::thread::spawn(move || {
            if exit.recv_timeout(Duration::from_secs(60)).is_err() {
                interrupt();
            }
        });
        let status = child.wait().unwrap();
        let _ = exited.send(());
        watchdog.join().unwrap();
        let stderr = reader.join().unwrap();
        assert_eq!(status.code(), Some(130), "{command:?}: {stderr}");
        assert!(
            stderr.contains("note: this will take about"),
            "{command:?}: {stderr}"
        );
        assert!(
            stderr.contains("100,000 paths × 599 months"),
            "{command:?}: {stderr}"
        );
        assert!(stderr.contains("Ctrl-C stops it"), "{command:?}: {stderr}");
    }
}
