//! Chart text, read back from the SVG copies: no chart cuts text short
//! with "…" at any size the command line accepts (it wraps or shrinks
//! instead) and every text fits inside the picture; swept keys are named in
//! plain words; the target histogram's axis starts near the data; a tornado
//! bar too narrow to see gets no label; probability axes end at 100%; and
//! the fan's legend keeps off the target line.

use affsim::app::options::parse_size;
use affsim::format;
use affsim::model::{Metric, Model};
use affsim::plot::{self, ChartOptions, strategy as charts};
use affsim::report::Summary;
use affsim::sim::Simulation;
use affsim::strategy::compare;
use affsim::strategy::sensitivity::{self, Sensitivity};
use affsim::strategy::sweep::{self, Sweep};
use plotters::style::{FontDesc, FontFamily, FontStyle};

mod common;

/// Few paths: these tests read text and layout, not statistics.
const PATHS: usize = 200;
const SEED: u64 = 11;

/// The smallest size `--size` accepts, a small one and the default.
fn sizes() -> [ChartOptions; 3] {
    let smallest = parse_size("200x150").expect("the smallest size is accepted");
    assert!(parse_size("199x150").is_err() && parse_size("200x149").is_err());
    [
        ChartOptions {
            width: smallest.0,
            height: smallest.1,
            svg: true,
        },
        ChartOptions {
            width: 640,
            height: 360,
            svg: true,
        },
        ChartOptions {
            svg: true,
            ..ChartOptions::default()
        },
    ]
}

/// q4 with a long name, a long description and a long content name: the
/// texts that used to be cut.
fn long_text() -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/q4.toml"))
        .expect("q4 scenario");
    text.replacen(
        "name = \"q4\"",
        "name = \"q4 for the newsletter-and-video affiliate plan with a rather long scenario name\"",
        1,
    )
    .replacen(
        "name = \"Blog: choosing an AI API provider\"",
        "name = \"Blog: choosing an AI API provider for a small team that ships to production weekly\"",
        1,
    )
}

fn build(text: &str, sets: &[String]) -> Result<Model, String> {
    common::parse_model("long.toml", text, sets)
}

fn long_model(sets: &[&str]) -> Model {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    build(&long_text(), &sets).expect("the long-named scenario builds")
}

fn simulate(model: &Model) -> Simulation {
    simulate_paths(model, PATHS)
}

fn simulate_paths(model: &Model, paths: usize) -> Simulation {
    common::run(model, paths, model.seed)
}

fn sweep_of(axes: &[&str], goal: Option<f64>) -> Sweep {
    let text = long_text();
    let builder = |more: &[String]| build(&text, more);
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

/// The SVG copy among a chart's files.
fn svg_of(files: &[(String, Vec<u8>)], name: &str) -> String {
    let file = format!("{name}.svg");
    let (_, bytes) = files
        .iter()
        .find(|(n, _)| *n == file)
        .unwrap_or_else(|| panic!("{file} is missing"));
    String::from_utf8(bytes.clone()).expect("SVG is text")
}

/// One `<text>` element of an SVG.
#[derive(Debug)]
struct Text {
    x: f64,
    y: f64,
    anchor: String,
    /// Font size in pixels (plotters writes pixels / 1.24 into the SVG).
    px: f64,
    bold: bool,
    upright: bool,
    text: String,
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(&tag[start..end])
}

fn texts(svg: &str) -> Vec<Text> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text ") {
        let element = &rest[start..];
        let open = element.find('>').expect("a closed tag");
        let close = element.find("</text>").expect("a closing tag");
        let tag = &element[..open];
        let number = |name: &str| -> f64 {
            attribute(tag, name)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("<text> without {name}: {tag}"))
        };
        out.push(Text {
            x: number("x"),
            y: number("y"),
            anchor: attribute(tag, "text-anchor").unwrap_or("start").to_string(),
            px: number("font-size") * 1.24,
            bold: attribute(tag, "font-weight") == Some("bold"),
            upright: attribute(tag, "transform").is_some_and(|t| t.contains("rotate")),
            text: element[open + 1..close]
                .trim()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        });
        rest = &element[close..];
    }
    out
}

/// The text's width in pixels, measured with the charts' own font.
fn width(text: &Text) -> f64 {
    let style = if text.bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name("sans-serif"), text.px, style)
        .box_size(&text.text)
        .map_or(0.0, |(w, _)| f64::from(w))
}

/// No text is cut with "…", and each lies inside the picture: across it,
/// or for an upright axis title, along its height.
fn assert_text_fits(svg: &str, chart: &str, options: ChartOptions) {
    let texts = texts(svg);
    assert!(!texts.is_empty(), "{chart}: no text at all");
    let size = format!("{}x{}", options.width, options.height);
    for text in &texts {
        assert!(
            !text.text.contains('…'),
            "{chart} at {size} cuts “{}”",
            text.text
        );
        let w = width(text);
        let (at, room) = if text.upright {
            (text.y, f64::from(options.height))
        } else {
            (text.x, f64::from(options.width))
        };
        let (from, to) = match text.anchor.as_str() {
            "middle" => (at - w / 2.0, at + w / 2.0),
            "end" => (at - w, at),
            _ => (at, at + w),
        };
        assert!(
            from >= -1.0 && to <= room + 1.0,
            "{chart} at {size}: “{}” spans {from:.0}..{to:.0} px, outside 0..{room}",
            text.text
        );
    }
}

#[test]
fn run_charts_never_cut_text_and_fit_the_picture() {
    let model = long_model(&[]);
    let sim = simulate(&model);
    let summary = Summary::build(&model, &sim);
    for options in sizes() {
        let files = plot::render_all(&model, &sim, &summary, &options).expect("charts render");
        for chart in ["fan", "target", "cumulative", "breakdown"] {
            assert_text_fits(&svg_of(&files, chart), chart, options);
        }
        if options.width == 1600 {
            // The long name and source are there in full, not cut.
            let all: Vec<String> = texts(&svg_of(&files, "breakdown"))
                .into_iter()
                .map(|t| t.text)
                .collect();
            let all = all.join(" ");
            assert!(all.contains("ships to production weekly"), "{all}");
            assert!(all.contains("rather long scenario name"), "{all}");
        }
    }
}

#[test]
fn strategy_charts_never_cut_text_and_fit_the_picture() {
    let model = long_model(&[]);
    let strategies = vec![
        (
            "the scenario as written, with its long name".to_string(),
            model.clone(),
        ),
        (
            "blog only, with the video and the newsletter set to nothing at all".to_string(),
            long_model(&["content[1].visits=0", "content[2].subscribers=0"]),
        ),
    ];
    let comparison = compare::compare(&strategies, PATHS, SEED).expect("compare runs");
    let line = sweep_of(&["funnel.paid_rate=0.2:0.8:3"], Some(0.8));
    let grid = sweep_of(
        &[
            "funnel.paid_rate=0.2:0.8:2",
            "content[2].click_rate=0.01:0.03:2",
        ],
        None,
    );
    let tornado = sensitivity_of(&model);
    for options in sizes() {
        let drawn = [
            ("compare", charts::compare(&model, &comparison, &options)),
            ("sweep", charts::sweep(&model, &line, &options)),
            ("sweep", charts::sweep(&model, &grid, &options)),
            (
                "sensitivity",
                charts::sensitivity(&model, &tornado, &options),
            ),
        ];
        for (name, files) in drawn {
            let files = files.expect("the chart draws");
            assert_text_fits(&svg_of(&files, name), name, options);
        }
    }
}

#[test]
fn sweep_axes_are_named_in_plain_words() {
    let model = long_model(&[]);
    let options = ChartOptions {
        svg: true,
        ..ChartOptions::default()
    };
    let label = model
        .label_of("funnel.paid_rate")
        .expect("the scenario names the key")
        .to_string();
    assert_eq!(label, "Funnel: paid conversion of sign-ups");
    for swept in [
        sweep_of(&["funnel.paid_rate=0.2:0.8:3"], None),
        sweep_of(
            &[
                "funnel.paid_rate=0.2:0.8:2",
                "content[2].click_rate=0.01:0.03:2",
            ],
            None,
        ),
    ] {
        let files = charts::sweep(&model, &swept, &options).expect("sweep draws");
        let texts = texts(&svg_of(&files, "sweep"));
        let axis = format!("{label} (funnel.paid_rate)");
        assert!(
            texts.iter().any(|t| t.text == axis),
            "no axis title “{axis}”: {texts:?}"
        );
        assert!(
            texts
                .iter()
                .all(|t| t.text != "funnel.paid_rate" && !t.text.contains("across funnel")),
            "a raw key as a title: {texts:?}"
        );
    }
}

#[test]
fn a_key_without_a_label_is_named_by_its_entry() {
    // `hold_days` is no input with a label of its own: the program's name
    // and the field in words stand in for the raw key.
    let swept = sweep_of(&["programs[0].hold_days=0:30:2"], None);
    assert_eq!(
        swept.axes[0].label.as_deref(),
        Some("Global API: hold days")
    );
}

#[test]
fn the_target_histogram_starts_near_the_data() {
    // The funnel's rates known: the futures spread less, far from $0.
    let model = long_model(&["funnel.paid_rate=0.45", "funnel.signup_rate=0.22"]);
    // Enough paths that the axis's top (the P99.5) is not one stray future.
    let sim = simulate_paths(&model, 2000);
    let summary = Summary::build(&model, &sim);
    let month = model.targets[0].month_index;
    assert_eq!(model.targets[0].metric, Metric::Mrr);
    // The futures the chart counts (those that match the observed history).
    let smallest = affsim::stats::kept(&sim)
        .map(|(path, _)| f64::from(sim.value(path, Metric::Mrr, month)))
        .fold(f64::INFINITY, f64::min);
    assert!(
        smallest > 50.0,
        "q4's October MRR starts well above zero: {smallest}"
    );
    let options = ChartOptions {
        svg: true,
        ..ChartOptions::default()
    };
    let files = plot::render_all(&model, &sim, &summary, &options).expect("charts render");
    let ticks: Vec<f64> = texts(&svg_of(&files, "target"))
        .iter()
        .filter_map(|t| t.text.strip_prefix('$'))
        .filter_map(|v| v.replace(',', "").parse().ok())
        .collect();
    let lowest = ticks.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(
        lowest.is_finite() && lowest > smallest / 2.0,
        "the axis's first label is {lowest}, the data start at {smallest:.0}: {ticks:?}"
    );
}

#[test]
fn a_tornado_bar_too_narrow_to_see_gets_no_label() {
    let model = long_model(&[]);
    let mut tornado = sensitivity_of(&model);
    let base = 0.1234;
    tornado.probability.value = base;
    tornado.inputs.truncate(2);
    // The first input's P10 changes nothing: that part of its bar has no width.
    tornado.inputs[0].probability_at_p10.value = base;
    tornado.inputs[0].probability_at_p90.value = base + 0.10;
    tornado.inputs[1].probability_at_p10.value = base - 0.05;
    tornado.inputs[1].probability_at_p90.value = base + 0.05;
    let options = ChartOptions {
        svg: true,
        ..ChartOptions::default()
    };
    let files = charts::sensitivity(&model, &tornado, &options).expect("tornado draws");
    let texts: Vec<String> = texts(&svg_of(&files, "sensitivity"))
        .into_iter()
        .map(|t| t.text)
        .collect();
    for shown in [base + 0.10, base - 0.05, base + 0.05] {
        assert!(
            texts.contains(&format::percent(shown)),
            "{} is missing: {texts:?}",
            format::percent(shown)
        );
    }
    assert!(
        !texts.contains(&format::percent(base)),
        "a zero-width bar is labelled {}: {texts:?}",
        format::percent(base)
    );
}

#[test]
fn probability_axes_end_at_100_percent() {
    let model = long_model(&[]);
    let options = ChartOptions {
        svg: true,
        ..ChartOptions::default()
    };
    let swept = sweep_of(&["funnel.paid_rate=0.2:0.8:3"], Some(0.8));
    let files = charts::sweep(&model, &swept, &options).expect("sweep draws");
    let svg = svg_of(&files, "sweep");
    let all = texts(&svg);
    // The chance axis's tick labels: whole percents at the axis's left.
    let ticks: Vec<(f64, f64)> = all
        .iter()
        .filter(|t| t.anchor == "end" && !t.upright)
        .filter_map(|t| Some((t.text.strip_suffix('%')?.parse().ok()?, t.y)))
        .collect();
    let top = ticks.iter().map(|t| t.0).fold(f64::MIN, f64::max);
    assert_eq!(top, 100.0, "the axis's top label: {ticks:?}");
    // No tick mark above the 100% label: the axis ends there.
    let label_100 = ticks.iter().find(|t| t.0 == 100.0).expect("100%").1;
    let tick_x = all
        .iter()
        .find(|t| t.text == "100%")
        .map(|t| t.x)
        .expect("100%");
    let marks_above = svg
        .lines()
        .filter(|l| l.starts_with("<polyline") && l.contains("stroke=\"#888888\""))
        .filter_map(|l| attribute(l, "points"))
        .filter(|points| {
            let xy: Vec<(f64, f64)> = points
                .split_whitespace()
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect();
            // A short horizontal mark just right of the labels, above 100%.
            xy.len() == 2
                && xy[0].1 == xy[1].1
                && (xy[1].0 - xy[0].0).abs() < 12.0
                && xy[0].0 > tick_x
                && xy[0].0 < tick_x + 20.0
                && xy[0].1 < label_100 - 5.0
        })
        .count();
    assert_eq!(marks_above, 0, "a blank tick above 100%");
}

/// Rectangles drawn as legend boxes: grey-bordered and unfilled.
fn legend_boxes(svg: &str) -> Vec<(f64, f64, f64, f64)> {
    svg.lines()
        .filter(|l| l.starts_with("<rect") && l.contains("fill=\"none\"") && l.contains("#888888"))
        .map(|l| {
            let n = |name| {
                attribute(l, name)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0.0)
            };
            (n("x"), n("y"), n("width"), n("height"))
        })
        .collect()
}

#[test]
fn the_fan_legend_keeps_off_the_target_line() {
    let model = long_model(&[]);
    let sim = simulate(&model);
    let summary = Summary::build(&model, &sim);
    for options in sizes().into_iter().skip(1) {
        let files = plot::render_all(&model, &sim, &summary, &options).expect("charts render");
        let svg = svg_of(&files, "fan");
        let boxes = legend_boxes(&svg);
        assert!(!boxes.is_empty(), "the fan has a legend");
        // The target's dashes: short vermilion segments.
        let dashes: Vec<(f64, f64)> = svg
            .lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke=\"#D55E00\""))
            .filter_map(|l| attribute(l, "points"))
            .flat_map(|points| {
                points
                    .split_whitespace()
                    .filter_map(|p| {
                        let (x, y) = p.split_once(',')?;
                        Some((x.parse().ok()?, y.parse().ok()?))
                    })
                    .collect::<Vec<(f64, f64)>>()
            })
            .collect();
        assert!(!dashes.is_empty(), "the fan draws its target");
        for (x, y, w, h) in boxes {
            let covered: Vec<&(f64, f64)> = dashes
                .iter()
                .filter(|(px, py)| *px >= x && *px <= x + w && *py >= y && *py <= y + h)
                .collect();
            assert!(
                covered.is_empty(),
                "at {}x{} the legend at ({x}, {y}) {w}x{h} covers the target line at {covered:?}",
                options.width,
                options.height
            );
        }
    }
}

/// The target charts' share label ("40.9% of futures ≥ $500") never runs
/// into their legend: q4's December target sits just past the middle of its
/// axis (q4 as shipped, conditioned on its history), where the label went left
/// of the threshold, over the legend.
#[test]
fn the_target_share_keeps_off_the_legend() {
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("affsim"))
        .args(["run", "scenarios/q4.toml", "--svg", "--quiet", "--out"])
        .arg(out.path())
        .arg("--force")
        .status()
        .unwrap();
    assert!(status.success());
    // The charts' own font, to measure the label with.
    plot::prepare(&ChartOptions::default()).expect("fonts load");
    for chart in ["target", "target-2"] {
        let svg = std::fs::read_to_string(out.path().join(format!("{chart}.svg"))).unwrap();
        let share = texts(&svg)
            .into_iter()
            .find(|t| t.text.contains("of futures ≥"))
            .unwrap_or_else(|| panic!("{chart} labels the share at or above the target"));
        let w = width(&share);
        assert!(w > 0.0, "the label is measured");
        let left = match share.anchor.as_str() {
            "end" => share.x - w,
            "middle" => share.x - w / 2.0,
            _ => share.x,
        };
        let (top, bottom) = (share.y - share.px, share.y + share.px);
        let boxes = legend_boxes(&svg);
        assert!(!boxes.is_empty(), "{chart} has a legend");
        for (x, y, bw, bh) in boxes {
            let apart = left + w <= x || left >= x + bw || bottom <= y || top >= y + bh;
            assert!(
                apart,
                "{chart}'s {:?} ({left:.0}..{:.0}) overlaps the legend at ({x}, {y}) {bw}x{bh}",
                share.text,
                left + w
            );
        }
    }
}
