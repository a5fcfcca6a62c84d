//! End-to-end cost of `affsim run scenarios/q4.toml` without charts: parse,
//! simulate, statistics, JSON and CSV. Goal (issue 2): under 1 s for 100 000
//! paths on a 2-core machine, release build.

use affsim::engine::{self, RunOptions};
use affsim::model::Metric;
use affsim::report::{self, Summary};
use affsim::{scenario, stats};
use criterion::{Criterion, criterion_group, criterion_main};

fn q4_end_to_end(paths: usize) -> usize {
    let scenario = scenario::load(
        std::path::Path::new("scenarios/q4.toml"),
        &[format!("simulation.paths={paths}")],
    )
    .expect("q4 is valid");
    let model = &scenario.model;
    let sim = engine::run(model, &RunOptions::default()).expect("not cancelled");
    let summary = Summary::build(model, &sim);
    let json = report::json::render(&summary);
    let csv = report::csv::render(&stats::bands(model, &sim, &Metric::ALL));
    json.len() + csv.len()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("q4 end to end");
    group.sample_size(10);
    group.bench_function("100k paths", |b| b.iter(|| q4_end_to_end(100_000)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
