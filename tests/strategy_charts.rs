//! Charts of the strategy commands: compare.png, sweep.png (line and heat
//! map) and sensitivity.png decode at the requested size, awkward results
//! (zero or equal chances, all-or-nothing sweeps, one input, huge or zero
//! values) still draw, and the tornado paints its bars where they belong.

use affsim::model::Model;
use affsim::plot::ChartOptions;
use affsim::plot::strategy as charts;
use affsim::plot::style::palette;
use affsim::strategy::compare::{self, Comparison};
use affsim::strategy::sensitivity::{self, Sensitivity};
use affsim::strategy::sweep::{self, Sweep};
use plotters::style::RGBColor;

const PATHS: usize = 300;
const SEED: u64 = 7;

fn q4_text() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/q4.toml"))
        .expect("q4 scenario")
}

fn build(text: &str, sets: &[String]) -> Result<Model, String> {
    common::parse_model("q4.toml", text, sets)
}

fn q4(sets: &[&str]) -> Model {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    build(&q4_text(), &sets).expect("q4 builds")
}

fn small() -> ChartOptions {
    ChartOptions {
        width: 640,
        height: 360,
        svg: false,
    }
}

mod common;
use common::Image;

/// The one file is `name`, a PNG of the requested size with something on it.
fn assert_picture(files: &[(String, Vec<u8>)], name: &str, options: ChartOptions) -> Image {
    assert_eq!(files.len(), 1, "one chart, PNG only");
    assert_eq!(files[0].0, name);
    let image = Image::decode(&files[0].1);
    assert_eq!(
        (image.width, image.height),
        (options.width as usize, options.height as usize),
        "{name} size"
    );
    assert!(
        image.inked() > image.width * image.height / 100,
        "{name} is nearly blank"
    );
    image
}

fn comparison(strategies: &[(&str, Model)]) -> Comparison {
    let strategies: Vec<(String, Model)> = strategies
        .iter()
        .map(|(name, model)| (name.to_string(), model.clone()))
        .collect();
    compare::compare(&strategies, PATHS, SEED).expect("compare runs")
}

fn sweep_of(sets: &[&str], axes: &[&str], goal: Option<f64>) -> Sweep {
    let text = q4_text();
    let base: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let builder = |more: &[String]| {
        let mut all = base.clone();
        all.extend(more.iter().cloned());
        build(&text, &all)
    };
    let axes = axes
        .iter()
        .map(|a| sweep::Axis::parse(a).expect("axis"))
        .collect();
    sweep::sweep(&builder, axes, goal, PATHS, SEED).expect("sweep runs")
}

fn sensitivity_of(model: &Model) -> Sensitivity {
    sensitivity::sensitivity(model, sensitivity::RunPaths::same(PATHS), SEED, false)
        .expect("sensitivity runs")
}

#[test]
fn compare_draws_a_png_of_the_requested_size() {
    let model = q4(&[]);
    let result = comparison(&[
        ("q4", model.clone()),
        (
            "blog only",
            q4(&["content[1].visits=0", "content[2].subscribers=0"]),
        ),
    ]);
    for options in [small(), ChartOptions::default()] {
        let files = charts::compare(&model, &result, &options).expect("draws");
        assert_picture(&files, "compare.png", options);
    }
}

#[test]
fn compare_survives_zero_equal_and_huge_chances() {
    let model = q4(&[]);
    // A strategy with no paid referrals never reaches the target.
    let nothing = q4(&["funnel.paid_rate=0"]);
    let result = comparison(&[("q4", model.clone()), ("nothing", nothing.clone())]);
    assert_eq!(result.strategies[1].targets[0].probability.value, 0.0);
    assert_picture(
        &charts::compare(&model, &result, &small()).expect("draws"),
        "compare.png",
        small(),
    );
    // Equal chances everywhere (both zero), and a flat all-zero picture.
    let result = comparison(&[("a", nothing.clone()), ("b", nothing.clone())]);
    assert_picture(
        &charts::compare(&nothing, &result, &small()).expect("draws"),
        "compare.png",
        small(),
    );
    // Huge values and a stray NaN.
    let mut huge = comparison(&[("q4", model.clone()), ("same", model.clone())]);
    for strategy in &mut huge.strategies {
        for band in &mut strategy.bands {
            for p in &mut band.percentiles {
                *p *= 1e12;
            }
        }
        strategy.median_headline = f64::NAN;
    }
    huge.targets[0].threshold = 5e14;
    assert_picture(
        &charts::compare(&model, &huge, &small()).expect("draws"),
        "compare.png",
        small(),
    );
    // Without targets the answer falls back to the medians.
    let mut untargeted = comparison(&[("q4", model.clone()), ("same", model.clone())]);
    untargeted.targets.clear();
    for strategy in &mut untargeted.strategies {
        strategy.targets.clear();
    }
    assert_picture(
        &charts::compare(&model, &untargeted, &small()).expect("draws"),
        "compare.png",
        small(),
    );
}

#[test]
fn sweep_draws_a_line_with_a_goal_and_a_heat_map() {
    let model = q4(&[]);
    let line = sweep_of(&[], &["programs[0].recurring_rate=0.04:0.16:4"], Some(0.3));
    for options in [small(), ChartOptions::default()] {
        let files = charts::sweep(&model, &line, &options).expect("draws");
        assert_picture(&files, "sweep.png", options);
    }
    let grid = sweep_of(
        &[],
        &[
            "funnel.paid_rate=0.2:0.6:3",
            "programs[0].recurring_rate=0.04:0.16:3",
        ],
        None,
    );
    for options in [small(), ChartOptions::default()] {
        let files = charts::sweep(&model, &grid, &options).expect("draws");
        assert_picture(&files, "sweep.png", options);
    }
}

#[test]
fn sweep_survives_all_or_nothing_and_unreachable_goals() {
    let model = q4(&[]);
    // No paid referrals: every point is 0%, and the goal is out of reach.
    let zero = sweep_of(
        &["funnel.paid_rate=0"],
        &["programs[0].recurring_rate=0.04:0.16:3"],
        Some(0.5),
    );
    assert!(zero.points.iter().all(|p| p.probability.value == 0.0));
    assert!(zero.goal.as_ref().is_some_and(|g| g.value.is_none()));
    assert_picture(
        &charts::sweep(&model, &zero, &small()).expect("draws"),
        "sweep.png",
        small(),
    );
    // A target of $0 is always met: every point is 100%.
    let all = sweep_of(
        &["targets[0].at_least=0"],
        &["programs[0].recurring_rate=0.04:0.16:3"],
        Some(0.5),
    );
    assert!(all.points.iter().all(|p| p.probability.value == 1.0));
    assert_picture(
        &charts::sweep(&model, &all, &small()).expect("draws"),
        "sweep.png",
        small(),
    );
    let grid = sweep_of(
        &["funnel.paid_rate=0"],
        &[
            "programs[0].recurring_rate=0.04:0.16:2",
            "funnel.signup_rate=0.1:0.2:2",
        ],
        None,
    );
    assert_picture(
        &charts::sweep(&model, &grid, &small()).expect("draws"),
        "sweep.png",
        small(),
    );
    // Huge swept values and medians; a big grid gets no cell numbers.
    let mut huge = zero.clone();
    for point in &mut huge.points {
        point.values[0] *= 1e12;
        point.median = 1e15;
    }
    huge.axes[0].values.iter_mut().for_each(|v| *v *= 1e12);
    assert_picture(
        &charts::sweep(&model, &huge, &small()).expect("draws"),
        "sweep.png",
        small(),
    );
}

#[test]
fn sensitivity_draws_a_tornado_even_with_one_input() {
    let model = q4(&[]);
    let result = sensitivity_of(&model);
    for options in [small(), ChartOptions::default()] {
        let files = charts::sensitivity(&model, &result, &options).expect("draws");
        assert_picture(&files, "sensitivity.png", options);
    }
    let mut one = result.clone();
    one.inputs.truncate(1);
    assert_picture(
        &charts::sensitivity(&model, &one, &small()).expect("draws"),
        "sensitivity.png",
        small(),
    );
    // No swing at all (every chance zero), and huge input values.
    let mut flat = result.clone();
    flat.probability.value = 0.0;
    for input in &mut flat.inputs {
        input.probability_at_p10.value = 0.0;
        input.probability_at_p90.value = 0.0;
        input.swing = 0.0;
        input.p10 = 0.0;
        input.p90 = 1e15;
    }
    assert_picture(
        &charts::sensitivity(&model, &flat, &small()).expect("draws"),
        "sensitivity.png",
        small(),
    );
    let mut none = result;
    none.inputs.clear();
    assert_picture(
        &charts::sensitivity(&model, &none, &small()).expect("draws"),
        "sensitivity.png",
        small(),
    );
}

#[test]
fn the_tornado_paints_its_bars_inside_the_plot() {
    let model = q4(&[]);
    let mut result = sensitivity_of(&model);
    // One input whose P90 lifts the chance from 30% to 70%, P10 drops it to 10%.
    result.inputs.truncate(1);
    result.probability.value = 0.3;
    result.inputs[0].probability_at_p10.value = 0.1;
    result.inputs[0].probability_at_p90.value = 0.7;
    result.inputs[0].swing = 0.6;
    let options = ChartOptions::default();
    let files = charts::sensitivity(&model, &result, &options).expect("draws");
    let image = assert_picture(&files, "sensitivity.png", options);

    let high = image.pixels(palette::BLUE);
    let low = image.pixels(palette::ORANGE);
    assert!(high.len() > 5_000, "the P90 bar is drawn: {}", high.len());
    assert!(low.len() > 2_000, "the P10 bar is drawn: {}", low.len());
    let header = image.height / 5;
    assert!(high.iter().chain(&low).all(|p| p.1 > header));
    // The row through the bar is the one with most bar colour (the legend
    // swatches are short).
    let row = (0..image.height)
        .max_by_key(|y| {
            (0..image.width)
                .filter(|x| image.is(*x, *y, palette::BLUE))
                .count()
        })
        .unwrap();
    let span = |colour: RGBColor| {
        let xs: Vec<usize> = (0..image.width)
            .filter(|x| image.is(*x, row, colour))
            .collect();
        (xs[0], *xs.last().unwrap(), xs.len())
    };
    let (hx_min, hx_max, h_count) = span(palette::BLUE);
    let (lx_min, lx_max, l_count) = span(palette::ORANGE);
    // Solid blocks along the row, the P10 part (10%..30%) left of the P90
    // part (30%..70%), which is about twice as long, and both right of the
    // row labels.
    assert!(h_count + 2 >= hx_max - hx_min, "the P90 bar is solid");
    assert!(l_count + 2 >= lx_max - lx_min, "the P10 bar is solid");
    assert!(lx_max <= hx_min + 4, "P10 bar left of the P90 bar");
    let ratio = (hx_max - hx_min) as f64 / (lx_max - lx_min) as f64;
    assert!((1.7..2.3).contains(&ratio), "40 points against 20: {ratio}");
    assert!(lx_min > image.width / 5, "the bars sit right of the labels");
}
