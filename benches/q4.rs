//! Benchmarks of issue 6, documented in docs/PERFORMANCE.md:
//! end to end at 10^4..10^6 paths, the engine alone (path-months per second),
//! flat cost in traffic volume, and thread scaling.

use std::path::Path;

use affsim::engine::{self, RunOptions};
use affsim::model::{Metric, Model};
use affsim::report::{self, Summary};
use affsim::sim::Breakdown;
use affsim::{calibrate, plot, scenario, stats};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn q4(overrides: &[String]) -> Model {
    scenario::load(Path::new("scenarios/q4.toml"), overrides)
        .expect("q4 is valid")
        .model
}

/// What `affsim run scenarios/q4.toml --paths N --no-charts` does after
/// parsing: simulate (leaving the breakdown by source to calibration, as the
/// CLI does for a scenario with observed history), condition on the history
/// as the scenario says (sequentially), summarise, render JSON and CSV.
fn end_to_end(model: &Model, paths: usize) -> usize {
    let mut sim = engine::run(
        model,
        &RunOptions {
            paths: Some(paths),
            breakdown: Breakdown::Deferred,
            ..RunOptions::default()
        },
    )
    .expect("runs");
    let calibration = calibrate::condition(
        model,
        &mut sim,
        "bench",
        model.conditioning,
        &RunOptions::default(),
    )
    .expect("runs");
    let bands = stats::bands(model, &sim, &Metric::ALL);
    let mut summary = Summary::build_with_bands(model, &sim, &bands);
    summary.calibration = calibration;
    let json = report::json::render(&summary);
    let csv = report::csv::render(&bands);
    json.len() + csv.len()
}

/// Multiplies every content entry's traffic in q4 by `factor`.
fn traffic_times(factor: f64) -> Vec<String> {
    vec![
        format!(
            "content[0].visits=\"{}..{}\"",
            2500.0 * factor,
            6000.0 * factor
        ),
        format!(
            "content[1].visits=\"{}..{}\"",
            1500.0 * factor,
            5000.0 * factor
        ),
        format!("content[2].subscribers={}", 1400.0 * factor),
    ]
}

fn end_to_end_paths(c: &mut Criterion) {
    let mut group = c.benchmark_group("q4 end to end (no charts)");
    group.sample_size(10);
    let model = q4(&[]);
    for paths in [10_000usize, 100_000, 1_000_000] {
        group.throughput(Throughput::Elements(paths as u64));
        group.bench_with_input(BenchmarkId::from_parameter(paths), &paths, |b, &paths| {
            b.iter(|| end_to_end(&model, paths))
        });
    }
    group.finish();
}

fn engine_alone(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine: path-months");
    group.sample_size(10);
    let model = q4(&[]);
    let paths = 100_000;
    // Throughput in path-months, the unit that compares scenarios of any size.
    group.throughput(Throughput::Elements((paths * model.months) as u64));
    // With the breakdown by source and plan, and without it (what a
    // calibrated run and the strategy tools ask of the engine).
    for (name, breakdown) in [
        ("q4, 100k paths", Breakdown::Averaged),
        ("q4, 100k paths, totals only", Breakdown::Skipped),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                engine::run(
                    &model,
                    &RunOptions {
                        paths: Some(paths),
                        breakdown,
                        ..RunOptions::default()
                    },
                )
                .expect("runs")
                .paths
            })
        });
    }
    group.finish();
}

fn volume_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine: traffic volume");
    group.sample_size(10);
    for factor in [1.0, 100.0, 10_000.0] {
        let model = q4(&traffic_times(factor));
        group.bench_with_input(BenchmarkId::from_parameter(factor), &model, |b, model| {
            b.iter(|| {
                engine::run(
                    model,
                    &RunOptions {
                        paths: Some(20_000),
                        ..RunOptions::default()
                    },
                )
                .expect("runs")
                .paths
            })
        });
    }
    group.finish();
}

fn thread_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine: threads");
    group.sample_size(10);
    let model = q4(&[]);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    for threads in [1, cores] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        group.bench_with_input(BenchmarkId::from_parameter(threads), &threads, |b, _| {
            b.iter(|| {
                pool.install(|| {
                    engine::run(
                        &model,
                        &RunOptions {
                            paths: Some(50_000),
                            ..RunOptions::default()
                        },
                    )
                    .expect("runs")
                    .paths
                })
            })
        });
    }
    group.finish();
}

/// Each chart of a calibrated q4 run alone (drawing and PNG encoding),
/// then all four as `affsim run` renders them, side by side.
fn charts(c: &mut Criterion) {
    let mut group = c.benchmark_group("charts");
    group.sample_size(10);
    let model = q4(&[]);
    let mut sim = engine::run(
        &model,
        &RunOptions {
            paths: Some(20_000),
            ..RunOptions::default()
        },
    )
    .expect("runs");
    let calibration = calibrate::calibrate(&model, &mut sim, "bench");
    let mut summary = Summary::build(&model, &sim);
    summary.calibration = calibration;
    let options = plot::ChartOptions::default();
    let ctx = plot::ChartData::new(
        &model,
        &sim,
        &summary,
        plot::style::Theme::new(1600, 900),
        plot::queries(&model),
        &[],
    );
    plot::render_all(&model, &sim, &summary, &options).expect("draws");
    for chart in &plot::RUN_CHARTS {
        group.bench_function(chart.name, |b| {
            b.iter(|| {
                let mut out = Vec::new();
                (chart.render)(&ctx, &options, &mut out).expect("draws");
                out[0].1.len()
            })
        });
    }
    group.bench_function("all four, in parallel", |b| {
        b.iter(|| {
            plot::render_all(&model, &sim, &summary, &options)
                .expect("draws")
                .len()
        })
    });
    group.finish();
}

/// What a user waits for, through the command line (process start and
/// file writes included): `affsim run scenarios/q4.toml --precision 0.005`
/// with charts, with its history (sequential calibration) and without it;
/// `compare` of q4 at its default 20 000 paths per strategy, and
/// `sensitivity` at its default: one conditioned run of 50 000 paths, every
/// input read off a fitted curve (`--exact`, 23 conditioned runs, takes
/// about 3 s: see docs/PERFORMANCE.md).
fn answers(c: &mut Criterion) {
    let mut group = c.benchmark_group("answer");
    group.sample_size(10);
    let dir = tempfile::tempdir().expect("temporary folder");
    let no_history = dir.path().join("q4-no-history.toml");
    let text = std::fs::read_to_string("scenarios/q4.toml").expect("q4");
    // The section, not its mention in the opening comment.
    let cut = text.find("\n[observed]").expect("q4 has a history") + 1;
    let rest = &text[cut..];
    let next = rest[1..].find("\n[").map_or(rest.len(), |i| i + 1);
    std::fs::write(&no_history, format!("{}{}", &text[..cut], &rest[next..])).expect("written");
    let no_history = no_history.to_str().expect("utf-8").to_string();
    let out = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();
    let cases: [(&str, Vec<String>); 4] = [
        (
            "run q4 --precision 0.005, calibrated, charts",
            ["run", "scenarios/q4.toml", "--precision", "0.005"]
                .map(String::from)
                .into(),
        ),
        (
            "run q4 --precision 0.005, no history, charts",
            vec![
                "run".into(),
                no_history,
                "--precision".into(),
                "0.005".into(),
            ],
        ),
        (
            "compare q4",
            ["compare", "scenarios/q4.toml"].map(String::from).into(),
        ),
        (
            "sensitivity q4",
            ["sensitivity", "scenarios/q4.toml"]
                .map(String::from)
                .into(),
        ),
    ];
    for (k, (name, args)) in cases.iter().enumerate() {
        let folder = out(&format!("out{k}"));
        group.bench_function(*name, |b| {
            b.iter(|| {
                let status = std::process::Command::new(env!("CARGO_BIN_EXE_affsim"))
                    .args(args)
                    .args(["--quiet", "--out", &folder])
                    .stdout(std::process::Stdio::null())
                    .status()
                    .expect("affsim runs");
                assert!(status.success(), "{name}");
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion's own plots need system fonts; the numbers are what matter.
    config = Criterion::default().without_plots();
    targets = end_to_end_paths, engine_alone, volume_scaling, thread_scaling, charts, answers
}
criterion_main!(benches);
