//! What streaming mode must work out in advance is declared by whoever reads
//! it: each chart in `plot::RUN_CHARTS` declares its queries next to its code.
//! A chart that read a column it did not declare would fail here, not in a
//! user's streamed run.

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

fn draw_streamed(queries: &Queries) -> std::thread::Result<usize> {
    let model = model();
    let options = RunOptions {
        paths: Some(600),
        ..RunOptions::default()
    };
    let sim = affsim::stream::run(&model, &options, queries).expect("not cancelled");
    let summary = Summary::build(&model, &sim);
    let chart = ChartOptions {
        width: 400,
        height: 300,
        svg: false,
    };
    std::panic::catch_unwind(|| {
        plot::render_all(&model, &sim, &summary, &chart)
            .expect("drawn")
            .len()
    })
}

#[test]
fn the_charts_draw_from_a_streamed_run_with_what_they_declare() {
    let model = model();
    assert_eq!(draw_streamed(&plot::queries(&model)).ok(), Some(4));
}

#[test]
fn a_chart_reading_what_nobody_declared_fails_in_streaming_mode() {
    // Without the target chart's declaration its column is not kept.
    assert!(draw_streamed(&Queries::default()).is_err());
}
