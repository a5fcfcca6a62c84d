//! What streaming mode must work out in advance is declared by whoever reads
//! it: each chart in `plot::RUN_CHARTS` declares its queries next to its code.
//! A chart that read a column it did not declare fails here, in memory and
//! streaming alike (charts read a run only through `plot::ChartData`, which checks
//! the declarations in both modes), not in a user's streamed run.

use std::path::Path;

use affsim::engine::RunOptions;
use affsim::plot::{self, ChartOptions};
use affsim::report::Summary;
use affsim::sim::Queries;

fn model() -> affsim::model::Model {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bounty-program.toml");
    affsim::scenario::load(&file, &[])
        .unwrap_or_else(|error| panic!("{}", error.render(false)))
        .model
}

/// Draws every run chart of a 600-path run, in memory or streamed, with the
/// charts' reads limited to `declared`.
fn draw(streamed: bool, declared: &Queries) -> std::thread::Result<usize> {
    let model = model();
    let options = RunOptions {
        paths: Some(600),
        ..RunOptions::default()
    };
    let sim = if streamed {
        affsim::streaming::run(&model, &options, declared).expect("not cancelled")
    } else {
        affsim::engine::run(&model, &options).expect("not cancelled")
    };
    let summary = Summary::build(&model, &sim);
    let chart = ChartOptions {
        width: 400,
        height: 300,
        svg: false,
    };
    std::panic::catch_unwind(|| {
        plot::render_declared(&model, &sim, &summary, &chart, declared.clone(), &[])
            .expect("drawn")
            .len()
    })
}

#[test]
fn the_charts_draw_from_a_run_with_what_they_declare() {
    let model = model();
    for streamed in [false, true] {
        assert_eq!(
            draw(streamed, &plot::queries(&model)).ok(),
            // fan, cumulative, breakdown and a target chart per target (two).
            Some(5),
            "streamed: {streamed}"
        );
    }
}

/// A wrong declaration (here: none) fails in memory as well as streaming,
/// and so does one that leaves out a single percentile.
#[test]
fn a_chart_reading_what_nobody_declared_fails_in_both_storage_modes() {
    let model = model();
    let mut short = plot::queries(&model);
    short.percentiles.pop();
    for streamed in [false, true] {
        assert!(
            draw(streamed, &Queries::default()).is_err(),
            "streamed: {streamed}"
        );
        assert!(draw(streamed, &short).is_err(), "streamed: {streamed}");
    }
}
