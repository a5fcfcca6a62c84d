//! Golden outputs: every file that `run`, `compare`, `sweep` and `sensitivity`
//! write for the shipped scenarios, and what they print, hashed (SHA-256) and
//! compared with `tests/golden/hashes.txt`. Runs cover both storage modes (in
//! memory, and streaming under a tiny `--memory-limit`), `--precision` and
//! `--observed`. A refactor must leave every hash as it is.
//!
//! When a change is meant to alter outputs (a number, a chart, a line of the
//! report), re-bless and commit the new hashes with the change, saying why:
//!
//!     AFFSIM_BLESS=1 cargo test --release --test golden
//!
//! then look at `git diff tests/golden/hashes.txt`: only the files you meant to
//! change should move. Hashes are of the bytes written; the output folder's
//! hidden marker (`.affsim`) is left out, and the temporary output folder's
//! path is replaced by `<OUT>` in the printed text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;
use sha2::{Digest, Sha256};

/// Paths per run: enough that every chart has bands to draw, few enough that
/// the whole test takes seconds.
const PATHS: &str = "2000";
/// Strategy tools run each strategy or step; fewer paths keep them cheap.
const STRATEGY_PATHS: &str = "1000";
/// Far below what any run needs, so the run streams.
const STREAM: [&str; 2] = ["--memory-limit", "1MiB"];

const SCENARIOS: [&str; 4] = ["q4", "bounty-program", "monthly-tutorials", "scale-focus"];

fn hashes_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/hashes.txt")
}

fn scenario(name: &str) -> String {
    format!("scenarios/{name}.toml")
}

/// One invocation of affsim: a name for its lines in the hashes file, and its
/// arguments (the output folder is added).
struct Case {
    name: String,
    args: Vec<String>,
}

fn case(name: impl Into<String>, args: &[&str]) -> Case {
    Case {
        name: name.into(),
        args: args.iter().map(|arg| arg.to_string()).collect(),
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for name in SCENARIOS {
        let file = scenario(name);
        let run = ["run", &file, "--paths", PATHS, "--svg"];
        cases.push(case(format!("run-{name}-memory"), &run));
        cases.push(case(
            format!("run-{name}-streaming"),
            &[&run[..], &STREAM].concat(),
        ));
    }
    let q4 = scenario("q4");
    let precise = ["run", &q4, "--precision", "0.03", "--svg"];
    cases.push(case("run-q4-precision-memory", &precise));
    cases.push(case(
        "run-q4-precision-streaming",
        &[&precise[..], &STREAM].concat(),
    ));
    // q4's own [observed] is q4-history.csv: the commissions export replaces
    // it; bounty-program has no history of its own.
    for (name, history) in [
        ("q4", "scenarios/q4-commissions.csv"),
        ("bounty-program", "scenarios/q4-history.csv"),
    ] {
        let file = scenario(name);
        let run = ["run", &file, "--paths", PATHS, "--observed", history];
        cases.push(case(format!("run-{name}-observed-memory"), &run));
        cases.push(case(
            format!("run-{name}-observed-streaming"),
            &[&run[..], &STREAM].concat(),
        ));
    }
    cases.push(case(
        "run-q4-json",
        &["run", &q4, "--paths", PATHS, "--json", "--no-charts"],
    ));

    let all: Vec<String> = SCENARIOS.iter().map(|name| scenario(name)).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let compare = [
        &["compare"][..],
        &all,
        &["--paths", STRATEGY_PATHS, "--svg"],
    ]
    .concat();
    cases.push(case("compare", &compare));
    cases.push(case(
        "compare-observed",
        &[
            &compare[..],
            &["--observed", "scenarios/q4-commissions.csv"],
        ]
        .concat(),
    ));
    // One file: the scenario and its own [[variants]], from May.
    cases.push(case(
        "compare-variants",
        &["compare", &q4, "--paths", STRATEGY_PATHS, "--svg"],
    ));
    let bounty = scenario("bounty-program");
    cases.push(case(
        "compare-json",
        &["compare", &q4, &bounty, "--paths", STRATEGY_PATHS, "--json"],
    ));

    let sweep = [
        "sweep",
        &q4,
        "--vary",
        "funnel.paid_rate=0.2:0.6:5",
        "--goal",
        "P>=0.3",
        "--paths",
        STRATEGY_PATHS,
        "--svg",
    ];
    cases.push(case("sweep", &sweep));
    cases.push(case(
        "sweep-observed",
        &[&sweep[..], &["--observed", "scenarios/q4-commissions.csv"]].concat(),
    ));
    cases.push(case(
        "sweep-grid",
        &[
            "sweep",
            &q4,
            "--vary",
            "funnel.paid_rate=0.2:0.6:3",
            "--vary",
            "funnel.signup_rate=0.1:0.3:3",
            "--paths",
            STRATEGY_PATHS,
            "--svg",
        ],
    ));

    for name in ["q4", "bounty-program"] {
        cases.push(case(
            format!("sensitivity-{name}"),
            &[
                "sensitivity",
                &scenario(name),
                "--paths",
                STRATEGY_PATHS,
                "--svg",
            ],
        ));
    }
    cases
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `case/file -> hash` for every file the case wrote and for its stdout.
fn run_case(case: &Case, root: &Path) -> BTreeMap<String, String> {
    let out = root.join(&case.name);
    let output = Command::cargo_bin("affsim")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(&case.args)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}: affsim {} failed:\n{}",
        case.name,
        case.args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut hashes = BTreeMap::new();
    let stdout = String::from_utf8(output.stdout)
        .unwrap()
        .replace(out.to_str().unwrap(), "<OUT>");
    hashes.insert(format!("{}/<stdout>", case.name), sha256(stdout.as_bytes()));
    if out.exists() {
        for entry in std::fs::read_dir(&out).unwrap() {
            let entry = entry.unwrap();
            let file = entry.file_name().into_string().unwrap();
            if file.starts_with('.') {
                continue;
            }
            let bytes = std::fs::read(entry.path()).unwrap();
            hashes.insert(format!("{}/{file}", case.name), sha256(&bytes));
        }
    }
    hashes
}

const HEADER: &str = "\
# Golden output hashes (SHA-256), checked by tests/golden.rs.
# Re-bless after an intended output change: AFFSIM_BLESS=1 cargo test --release --test golden
";

fn read_expected() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(hashes_file()).unwrap_or_default();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (file, hash) = line.rsplit_once(' ').expect("`case/file hash` lines");
            (file.trim().to_string(), hash.to_string())
        })
        .collect()
}

#[test]
fn every_output_of_the_shipped_scenarios_is_unchanged() {
    let root = tempfile::tempdir().unwrap();
    let cases = cases();
    // Two at a time: each run is mostly single-threaded chart drawing.
    let next = AtomicUsize::new(0);
    let actual: BTreeMap<String, String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut hashes = BTreeMap::new();
                    while let Some(case) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                        hashes.extend(run_case(case, root.path()));
                    }
                    hashes
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect()
    });

    if std::env::var_os("AFFSIM_BLESS").is_some_and(|value| value != "0") {
        let width = actual.keys().map(String::len).max().unwrap_or(0);
        let lines: String = actual
            .iter()
            .map(|(file, hash)| format!("{file:width$} {hash}\n"))
            .collect();
        std::fs::write(hashes_file(), format!("{HEADER}{lines}")).unwrap();
        return;
    }

    let expected = read_expected();
    let mut problems = Vec::new();
    for (file, hash) in &actual {
        match expected.get(file) {
            None => problems.push(format!("new output, not in the hashes file: {file}")),
            Some(old) if old != hash => problems.push(format!("changed: {file}")),
            Some(_) => {}
        }
    }
    for file in expected.keys().filter(|file| !actual.contains_key(*file)) {
        problems.push(format!("no longer written: {file}"));
    }
    assert!(
        problems.is_empty(),
        "{} golden output(s) differ:\n  {}\n\
         If the change is intended, re-bless with \
         `AFFSIM_BLESS=1 cargo test --release --test golden` and say why in the commit.",
        problems.len(),
        problems.join("\n  ")
    );
}
