//! Charts: every picture decodes at the requested size, the fan draws its
//! bands where the data puts them, SVG copies carry their text, and awkward
//! runs (no income, one month, one path, huge values, unreachable targets)
//! still draw.

use std::collections::HashMap;

use affsim::model::Model;
use affsim::plot::style::palette;
use affsim::plot::{self, ChartData, ChartOptions, fan::Fan, style::Theme};
use affsim::report::Summary;
use affsim::sim::Simulation;

/// q4's charts: one target chart per target (it has two).
const CHARTS: [&str; 5] = ["fan", "target", "target-2", "cumulative", "breakdown"];

fn model(overrides: &[&str]) -> Model {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/q4.toml");
    let bytes = std::fs::read(path).expect("q4 scenario");
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match affsim::scenario::parse("q4.toml", bytes, &overrides) {
        Ok(scenario) => scenario.model,
        Err(error) => panic!("{}", error.render(false)),
    }
}

fn simulate(model: &Model, paths: usize) -> Simulation {
    common::run(model, paths, model.seed)
}

fn render(model: &Model, sim: &Simulation, options: ChartOptions) -> HashMap<String, Vec<u8>> {
    let summary = Summary::build(model, sim);
    plot::render_all(model, sim, &summary, &options)
        .expect("charts render")
        .into_iter()
        .collect()
}

fn small(svg: bool) -> ChartOptions {
    ChartOptions {
        width: 640,
        height: 360,
        svg,
    }
}

mod common;
use common::Image;

/// Every PNG is present, decodes, has the requested size and shows something.
fn assert_pictures(charts: &HashMap<String, Vec<u8>>, options: ChartOptions) {
    // Without a second target there is no target-2.
    let names = CHARTS
        .iter()
        .filter(|name| **name != "target-2" || charts.contains_key("target-2.png"));
    for name in names {
        let bytes = charts
            .get(&format!("{name}.png"))
            .unwrap_or_else(|| panic!("{name}.png is missing"));
        let image = Image::decode(bytes);
        assert_eq!(
            (image.width, image.height),
            (options.width as usize, options.height as usize),
            "{name}.png size"
        );
        assert!(
            image.inked() > image.width * image.height / 100,
            "{name}.png is nearly blank"
        );
    }
}

#[test]
fn every_chart_is_a_png_of_the_requested_size() {
    let model = model(&[]);
    let sim = simulate(&model, 2000);
    for options in [small(false), ChartOptions::default()] {
        let charts = render(&model, &sim, options);
        assert_eq!(charts.len(), 5, "PNG only without --svg");
        assert_pictures(&charts, options);
    }
}

#[test]
fn svg_copies_carry_the_title_and_answer() {
    let model = model(&[]);
    let sim = simulate(&model, 2000);
    let charts = render(&model, &sim, small(true));
    assert_eq!(charts.len(), 10);
    let fan = String::from_utf8(charts["fan.svg"].clone()).expect("UTF-8 SVG");
    assert!(fan.starts_with("<svg"));
    assert!(fan.contains("q4: recurring commission MRR, month by month"));
    assert!(fan.contains("chance of ≥ $500 recurring commission MRR in Oct 2026"));
    for name in CHARTS {
        let svg = String::from_utf8(charts[&format!("{name}.svg")].clone()).unwrap();
        assert!(svg.contains("q4: "), "{name}.svg has its title");
        assert!(
            svg.contains("2,000 paths, seed 2026"),
            "{name}.svg has its subtitle"
        );
    }
}

#[test]
fn fan_bands_nest_and_follow_the_data() {
    let model = model(&[]);
    let sim = simulate(&model, 2000);
    let summary = Summary::build(&model, &sim);
    let options = ChartOptions {
        width: 1200,
        height: 675,
        svg: false,
    };
    let ctx = ChartData::new(
        &model,
        &sim,
        &summary,
        Theme::new(options.width, options.height),
        plot::queries(&model),
        &[],
    );
    let mut out = Vec::new();
    plot::render::<Fan>(&ctx, &options, &mut out).expect("fan renders");
    let image = Image::decode(&out[0].1);
    for colour in [palette::BAND_OUTER, palette::BAND_INNER, palette::MEDIAN] {
        assert!(image.count(colour) > 1000, "{colour:?} is drawn");
    }

    // Right of the legend (upper left), between target markers: columns at
    // about Jul and Nov 2026 of a run whose income grows and spreads out.
    let column = |fraction: f64| {
        let x = (image.width as f64 * fraction) as usize;
        let outer = image.rows(x, palette::BAND_OUTER);
        let inner = image.rows(x, palette::BAND_INNER);
        let median = image.rows(x, palette::MEDIAN);
        assert!(
            !outer.is_empty() && !inner.is_empty() && !median.is_empty(),
            "column {x} shows all three layers"
        );
        // Nesting: P5–P95 around P25–P75 around the median.
        let (o0, o1) = (outer[0], *outer.last().unwrap());
        let (i0, i1) = (inner[0], *inner.last().unwrap());
        let (m0, m1) = (median[0], *median.last().unwrap());
        assert!(
            o0 < i0 && i0 < m0 && m1 < i1 && i1 < o1,
            "bands nest at column {x}"
        );
        // Inside the plot: below the header, above the month labels.
        assert!(o0 > image.height / 5 && o1 < image.height * 19 / 20);
        (i0, i1)
    };
    let (early_top, early_bottom) = column(0.55);
    let (late_top, late_bottom) = column(0.85);
    assert!(late_top < early_top, "later months are higher");
    assert!(
        late_bottom - late_top > early_bottom - early_top,
        "later months are more uncertain"
    );
}

#[test]
fn awkward_runs_still_draw() {
    let cases: Vec<(&str, Model, usize)> = vec![
        (
            "no income",
            model(&[
                "content[0].ctr=0",
                "content[1].ctr=0",
                "content[2].click_rate=0",
            ]),
            500,
        ),
        (
            "one month",
            model(&[
                "simulation.end=\"2026-02\"",
                "content[1].publish=\"2026-02\"",
                "targets[0].month=\"2026-02\"",
                "targets[1].month=\"2026-02\"",
                "observed.earned=[47]",
            ]),
            300,
        ),
        ("one path", model(&[]), 1),
        (
            "unreachable target",
            model(&["targets[0].at_least=1e9"]),
            500,
        ),
        ("no targets", model(&["targets=[]"]), 300),
    ];
    for (name, model, paths) in cases {
        let sim = simulate(&model, paths);
        let charts = render(&model, &sim, small(true));
        // Two files (PNG, SVG) per chart, one target chart per target.
        let target_charts = model.targets.len().max(1);
        assert_eq!(charts.len(), 2 * (3 + target_charts), "{name}");
        assert_pictures(&charts, small(true));
    }
}

/// Observed commission earned is another metric than q4's MRR headline: drawn
/// on the MRR axis, April's $186 earned would read as MRR far above the band.
#[test]
fn observed_history_of_another_metric_gets_its_own_panel_below_the_fan() {
    let model = model(&[]);
    let sim = simulate(&model, 2000);
    let options = small(true);
    let charts = render(&model, &sim, options);
    let fan = String::from_utf8(charts["fan.svg"].clone()).unwrap();
    assert!(fan.contains("Commission earned, per month: your observed months (dots)"));
    assert!(
        !fan.contains("observed: commission earned"),
        "not in the MRR legend"
    );
    let observed_dots: Vec<(f64, f64)> = fan
        .split("<circle ")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap())
        .filter(|circle| circle.contains(r##"fill="#1A1A1A""##))
        .map(|circle| {
            let number = |name: &str| -> f64 {
                let from = circle.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                circle[from..].split('"').next().unwrap().parse().unwrap()
            };
            (number("cx"), number("cy"))
        })
        .collect();
    assert_eq!(observed_dots.len(), 3, "Feb, Mar and Apr 2026");
    for (x, y) in &observed_dots {
        assert!(
            *y > options.height as f64 * 0.7,
            "the dot at ({x}, {y}) is in the lower panel"
        );
    }
    // Earned grows month by month, so the dots climb (SVG y grows downwards).
    assert!(
        observed_dots
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 > w[1].1)
    );

    // A history of clicks alone gets the same panel, for clicks.
    let mut clicks = model;
    if let Some(observed) = clicks.observed.as_mut() {
        observed.series = vec![(affsim::model::Metric::Clicks, vec![150.0, 300.0, 420.0])];
    }
    let charts = render(&clicks, &simulate(&clicks, 500), options);
    let fan = String::from_utf8(charts["fan.svg"].clone()).unwrap();
    assert!(fan.contains("Affiliate-link clicks, per month: your observed months (dots)"));
}

#[test]
fn observed_history_of_the_headline_is_labelled_as_such() {
    let model = model(&[
        "simulation.headline=\"active_referrals\"",
        "observed.active_referrals=[5, 12, 20]",
    ]);
    let sim = simulate(&model, 300);
    let charts = render(&model, &sim, small(true));
    let fan = String::from_utf8(charts["fan.svg"].clone()).unwrap();
    assert!(fan.contains("observed: active paying referrals"));
    assert!(!fan.contains("observed: commission earned"));
    // No target is on this headline, so the answer is the median instead.
    assert!(fan.contains("Median active paying referrals in Dec 2026"));
}

#[test]
fn many_sources_pool_into_other() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/q4.toml");
    let mut text = std::fs::read_to_string(path).unwrap();
    for i in 0..9 {
        text += &format!(
            "\n[[content]]\nname = \"Extra post {i}\"\nkind = \"blog\"\npublish = \"2026-03\"\n\
             visits = \"500..1000\"\nramp_months = 2\nhalf_life_months = 12\nctr = \"0.01..0.02\"\n"
        );
    }
    let model = affsim::scenario::parse("many.toml", text.into_bytes(), &[])
        .unwrap_or_else(|e| panic!("{}", e.render(false)))
        .model;
    assert_eq!(model.sources.len(), 12);
    let sim = simulate(&model, 200);
    let charts = render(&model, &sim, small(true));
    let breakdown = String::from_utf8(charts["breakdown.svg"].clone()).unwrap();
    assert!(breakdown.contains("6 other sources"));
    assert_pictures(&charts, small(true));
}

#[test]
fn huge_and_broken_values_still_draw() {
    let model = model(&[]);
    let mut sim = simulate(&model, 300);
    for value in &mut sim.series {
        *value *= 1e7;
    }
    for value in sim
        .mean
        .iter_mut()
        .chain(&mut sim.mean_by_source)
        .chain(&mut sim.mean_by_program)
    {
        *value *= 1e7;
    }
    assert_pictures(&render(&model, &sim, small(false)), small(false));

    let mut model = model;
    model.observed = None;
    sim.series[5] = f32::NAN;
    sim.mean[3] = f64::INFINITY;
    assert_pictures(&render(&model, &sim, small(false)), small(false));
}

#[test]
fn extreme_sizes_still_draw() {
    let model = model(&[]);
    let sim = simulate(&model, 200);
    for (width, height) in [(200, 150), (8000, 150), (200, 2000)] {
        let options = ChartOptions {
            width,
            height,
            svg: false,
        };
        assert_pictures(&render(&model, &sim, options), options);
    }
}

#[test]
fn the_command_line_writes_charts_unless_told_not_to() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/q4.toml");
    let run = |out: &str, extra: &[&str]| {
        assert_cmd::Command::cargo_bin("affsim")
            .expect("binary")
            .args(["run", scenario, "--paths", "500", "-q", "--out"])
            .arg(dir.path().join(out))
            .args(extra)
            .assert()
            .success();
    };
    run("with", &["--svg", "--size", "400x300"]);
    for name in CHARTS {
        let png = std::fs::read(dir.path().join("with").join(format!("{name}.png"))).unwrap();
        let image = Image::decode(&png);
        assert_eq!((image.width, image.height), (400, 300));
        assert!(dir.path().join("with").join(format!("{name}.svg")).exists());
    }
    run("without", &["--no-charts"]);
    assert!(dir.path().join("without").join("summary.json").exists());
    assert!(!dir.path().join("without").join("fan.png").exists());
}

/// A target far above every strategy's bands runs its dashed line along the
/// top of the compare chart, where the legend usually sits: the legend moves
/// out of its way. The strategy tools write SVG copies too.
#[test]
fn the_compare_legend_keeps_clear_of_a_far_target() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/q4.toml");
    let compare = |at_least: &str, out: &str| {
        assert_cmd::Command::cargo_bin("affsim")
            .expect("binary")
            .args(["compare", scenario, "--paths", "500", "-q", "--svg"])
            .args(["--set", &format!("targets[0].at_least={at_least}")])
            .arg("--out")
            .arg(dir.path().join(out))
            .assert()
            .success();
        std::fs::read_to_string(dir.path().join(out).join("compare.svg")).expect("compare.svg")
    };
    // The legend's frame, and the target's horizontal dashes (in ink).
    let legend = |svg: &str| -> (f64, f64) {
        let rect = svg
            .split("<rect ")
            .map(|rest| rest.split('>').next().unwrap())
            .find(|rect| rect.contains(r##"stroke="#888888""##))
            .expect("a framed legend");
        let number = |name: &str| -> f64 {
            let from = rect.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            rect[from..].split('"').next().unwrap().parse().unwrap()
        };
        (number("y"), number("y") + number("height"))
    };
    let target_line = |svg: &str| -> f64 {
        let mut heights: HashMap<String, usize> = HashMap::new();
        for line in svg
            .split("<polyline ")
            .map(|rest| rest.split('>').next().unwrap())
            .filter(|line| line.contains(r##"stroke="#1A1A1A""##))
        {
            let ys: Vec<&str> = line
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .filter_map(|point| point.split(',').nth(1))
                .collect();
            if ys.len() == 2 && ys[0] == ys[1] {
                *heights.entry(ys[0].to_string()).or_default() += 1;
            }
        }
        // The dashes of the horizontal line share one height.
        let (y, _) = heights.into_iter().max_by_key(|(_, n)| *n).expect("dashes");
        y.parse().unwrap()
    };

    let far = compare("5000", "far");
    let (top, bottom) = legend(&far);
    let line = target_line(&far);
    assert!(
        !(top..=bottom).contains(&line),
        "the legend ({top}..{bottom}) covers the target line at {line}"
    );
    // Usually the upper left corner is free, and the legend stays there.
    let (top, _) = legend(&compare("500", "near"));
    assert!(top < 20.0 + 900.0 * 0.25, "the legend is at the top: {top}");
}
