//! Strategies from a month: `[[variants]]` with `from`, and the content a
//! variant adds (docs/SCENARIO.md, docs/MODEL.md §10).

mod common;

use affsim::engine::{self, RunOptions, SourceSeries};
use affsim::model::{Metric, Model};
use affsim::scenario;
use affsim::sim::Breakdown;
use affsim::sim::Simulation;
use affsim::strategy;
use predicates::prelude::*;

const PATHS: usize = 600;

fn q4() -> String {
    std::fs::read_to_string("scenarios/q4.toml").unwrap()
}

/// q4 without its own variants (the tests add theirs).
fn q4_base() -> String {
    let text = q4();
    text[..text.find("[[variants]]").unwrap()].to_string()
}

fn base(text: &str) -> Model {
    common::model(text)
}

/// The strategy of the text's variant `index` against its scenario as written.
fn strategy(text: &str, index: usize) -> Result<Model, String> {
    let file =
        scenario::parse("test.toml", text.as_bytes().to_vec(), &[]).map_err(|e| e.render(false))?;
    let sets = file.file.variants[index].set.clone();
    scenario::parse_variant(
        "test.toml",
        text.as_bytes().to_vec(),
        &sets,
        index,
        &file.model,
    )
    .map(|s| s.model)
    .map_err(|e| e.render(false))
}

fn with_variant(text: &str, variant: &str) -> String {
    format!("{text}\n[[variants]]\n{variant}\n")
}

fn run(model: &Model, breakdown: Breakdown) -> Simulation {
    engine::run(
        model,
        &RunOptions {
            paths: Some(PATHS),
            seed: Some(7),
            breakdown,
            ..RunOptions::default()
        },
    )
    .unwrap()
}

/// The first month index (from the start) at which any path's metrics differ.
fn first_difference(a: &Simulation, b: &Simulation) -> Option<usize> {
    (0..a.months).find(|&t| {
        (0..a.paths).any(|path| {
            Metric::ALL
                .iter()
                .any(|&m| a.value(path, m, t).to_bits() != b.value(path, m, t).to_bits())
        })
    })
}

#[test]
fn every_settable_field_changes_from_its_month_and_leaves_earlier_months_bit_identical() {
    let text = q4_base();
    let reference = run(&base(&text), Breakdown::Skipped);
    // June 2026 is month index 4.
    let sets: &[&[&str]] = &[
        &[r#"funnel.signup_rate="0.25..0.40""#],
        &["funnel.paid_rate=0.6"],
        &["content[0].signup_rate=0.4"],
        &[r#"content[0].paid_rate="0.5..0.7""#],
        &["programs[0].first_order_rate=0.3"],
        &["programs[0].recurring_rate=0.2"],
        &["programs[0].upgrade_rate=0.5"],
        &["programs[0].bounty=10"],
        &["programs[0].refund_rate=0.3"],
        &["programs[0].payout_minimum=400"],
        &["programs[0].mix_concentration=2"],
        &["programs[0].tiers=[{ after = 1, first_order_rate = 0.5 }]"],
        &[
            "programs[0].plans[0].share=0.3",
            "programs[0].plans[1].share=0.7",
        ],
        &["programs[0].plans[0].price=59"],
        &["programs[0].plans[0].churn_sbg={ alpha = 1.0, beta = 2.0 }"],
        &["programs[0].plans[1].churn_sbg={ alpha = 2.0, beta = \"1..3\" }"],
        &["programs[0].plans[0].upgrade_probability=0.5"],
        &["content[0].visits=20000"],
        &["content[0].ctr=0.2"],
        &["content[0].noise=2"],
        &["content[0].half_life_months=1"],
        &["content[0].ramp_months=12"],
        &["content[1].visits=0"],
        &[r#"content[1].repeat={ every_weeks = 1, until = "end" }"#],
        &["content[2].subscribers=0"],
        &["content[2].subscriber_growth=0.5"],
        &["content[2].open_rate=0.9"],
        &["content[2].click_rate=0.2"],
        &["content[2].sends_per_month=30"],
    ];
    for set in sets {
        let listed: Vec<String> = set.iter().map(|s| format!("'{s}'")).collect();
        let variant = with_variant(
            &text,
            &format!(
                "name = \"v\"\nfrom = \"2026-06\"\nset = [{}]",
                listed.join(", ")
            ),
        );
        let model = strategy(&variant, 0).unwrap_or_else(|e| panic!("{set:?}: {e}"));
        assert_eq!(model.takes_over(), 4, "{set:?}");
        let sim = run(&model, Breakdown::Skipped);
        assert_eq!(
            first_difference(&reference, &sim),
            Some(4),
            "{set:?} from June: every earlier month as written, June changed"
        );
    }
}

#[test]
fn a_variant_that_changes_nothing_or_starts_after_the_end_is_the_scenario_bit_for_bit() {
    let text = q4_base();
    let reference = run(&base(&text), Breakdown::Averaged);
    for variant in [
        "name = \"v\"\nfrom = \"2027-01\"\nset = [\"programs[0].recurring_rate=0.5\", \"content[0].visits=0\"]",
        "name = \"v\"\nfrom = \"2027-01\"\nset = [\"funnel.paid_rate=0.9\"]\n[[variants.content]]\nname = \"later\"\npublish = \"2026-12\"\nvisits = 100\nctr = 0.1",
        "name = \"v\"\nfrom = \"2026-05\"\nset = [\"programs[0].recurring_rate=0.08\", 'funnel.paid_rate=\"0.30..0.50\"', \"content[1].visits='1500..5000'\"]",
        "name = \"v\"\nfrom = \"start\"\nset = [\"programs[0].plans[0].price=19.99\"]",
        "name = \"v\"\nset = [\"content[2].subscribers=1400\"]",
    ] {
        let model = strategy(&with_variant(&text, variant), 0).unwrap();
        let sim = run(&model, Breakdown::Averaged);
        assert_eq!(first_difference(&reference, &sim), None, "{variant}");
        assert_eq!(sim.mean, reference.mean, "{variant}");
        let base_sources = reference.mean_by_source.len();
        assert_eq!(
            sim.mean_by_source[..base_sources],
            reference.mean_by_source[..],
            "{variant}"
        );
        assert_eq!(sim.mean_by_program, reference.mean_by_program, "{variant}");
    }
}

/// An added page with fixed traffic, no noise and fixed rates publishes a
/// copy each month from August: each live copy brings Poisson(V·c·s·p) new
/// paying referrals a month, drawn from its own streams, on top of exactly
/// the referrals the scenario as written brings.
#[test]
fn added_content_adds_its_closed_form_referrals_from_its_month_and_changes_no_other_entry() {
    let text = q4_base();
    let (visits, ctr, signup, paid) = (4000.0, 0.05, 0.25, 0.4);
    let variant = with_variant(
        &text,
        &format!(
            "name = \"tutorials\"\nfrom = \"2026-08\"\n[[variants.content]]\nname = \"Tutorial\"\npublish = \"2026-08\"\nrepeat = {{ every_months = 1, count = 5 }}\nvisits = {visits}\nramp_months = 1\nctr = {ctr}\nsignup_rate = {signup}\npaid_rate = {paid}\nnoise = 0"
        ),
    );
    let model = strategy(&variant, 0).unwrap();
    assert_eq!(model.sources.len(), 4);
    assert!(model.sources[3].own_streams);
    let reference = run(&base(&text), Breakdown::Averaged);
    let sim = run(&model, Breakdown::Averaged);
    assert_eq!(first_difference(&reference, &sim), Some(6));
    let per_copy = visits * ctr * signup * paid;
    for t in 0..model.months {
        let live = t.saturating_sub(5).min(5) as f64;
        let added: Vec<f64> = (0..PATHS)
            .map(|p| {
                (sim.value(p, Metric::NewReferrals, t)
                    - reference.value(p, Metric::NewReferrals, t)) as f64
            })
            .collect();
        let mean = added.iter().sum::<f64>() / PATHS as f64;
        let expected = live * per_copy;
        if live == 0.0 {
            assert!(added.iter().all(|d| *d == 0.0), "month {t}");
            continue;
        }
        // Poisson: variance = mean.
        let sigma = (expected / PATHS as f64).sqrt();
        assert!(
            (mean - expected).abs() < 4.0 * sigma,
            "month {t}: {mean} new referrals a month from the tutorials, expected {expected} ± {sigma}"
        );
    }
    // The other entries' visits, clicks and referrals: the same draws.
    let months = model.months;
    for s in 0..3 {
        for series in [
            SourceSeries::Visits,
            SourceSeries::Clicks,
            SourceSeries::NewReferrals,
        ] {
            let at = (s * engine::SOURCE_SERIES + series as usize) * months;
            assert_eq!(
                sim.mean_by_source[at..at + months],
                reference.mean_by_source[at..at + months],
                "entry {s}, {series:?}"
            );
        }
    }
}

/// Under q4's history (sequential calibration: a resampled population), a
/// variant from May continues from the base's conditioned paths: the same
/// particles (ancestors, inputs, noise keys) to the end of the history, bit
/// for bit, then both go on with common random numbers; so the variant's
/// weights are the base's and its differences are paired.
#[test]
fn under_q4s_history_a_variant_from_may_continues_from_the_conditioned_paths() {
    let text = q4();
    let q4 = base(&text);
    // q4's own "two videos a month", from May by default.
    let video = strategy(&text, 1).unwrap();
    assert_eq!(
        video.takes_over(),
        3,
        "the month after the observed Feb-Apr"
    );
    let options = RunOptions {
        paths: Some(4000),
        seed: Some(3),
        breakdown: Breakdown::Skipped,
        ..RunOptions::default()
    };
    let (reference, states) = strategy::simulate_reference(&q4, &options, true).unwrap();
    let lineage = reference.lineage.as_ref().expect("resampled");
    assert!(lineage.generations > 0, "q4's history resamples");
    let own = strategy::simulate_counterfactual(&video, &options, &q4, &reference, None).unwrap();
    // Resumed from the reference's states at the end of the history rather
    // than replayed from the start (the strategy adds content, whose streams
    // start afresh): the same paths to the bit.
    let states = states.expect("4,000 of q4's paths keep their states");
    assert_eq!(states.month, 3);
    let resumed =
        strategy::simulate_counterfactual(&video, &options, &q4, &reference, Some(&states))
            .unwrap();
    assert_eq!(resumed.series, own.series);
    assert_eq!(resumed.parameters, own.parameters);
    assert_eq!(resumed.first_payout, own.first_payout);
    assert_eq!(resumed.mean, own.mean);
    assert!(reference.weights.is_some());
    assert_eq!(own.weights, reference.weights);
    assert_eq!(own.lineage, reference.lineage, "the same particles");
    let months = q4.months;
    // Paths the history gives no weight count for nothing, so a
    // counterfactual stores their inputs but does not simulate them.
    let weights = reference.weights.as_ref().unwrap();
    assert!(weights.contains(&0.0));
    for (path, &weight) in weights.iter().enumerate() {
        if weight == 0.0 {
            assert!(
                own.path_series(path, Metric::Earned)
                    .iter()
                    .all(|v| *v == 0.0)
            );
            continue;
        }
        for metric in Metric::ALL {
            let (a, b) = (
                reference.path_series(path, metric),
                own.path_series(path, metric),
            );
            assert_eq!(a[..3], b[..3], "path {path}: {metric:?} before May");
        }
    }
    assert!(
        (0..reference.paths).any(|path| {
            reference.path_series(path, Metric::Mrr)[months - 1]
                != own.path_series(path, Metric::Mrr)[months - 1]
        }),
        "the videos change the future"
    );
    let target = &q4.targets[0];
    let difference = strategy::chance_difference(&q4, &reference, &own, target);
    let (a, b) = (
        strategy::chance(&q4, &reference, target),
        strategy::chance(&video, &own, target),
    );
    assert!((difference.value - (b.value - a.value)).abs() < 1e-12);
    let unpaired = (a.standard_error.powi(2) + b.standard_error.powi(2)).sqrt();
    assert!(
        difference.standard_error < unpaired,
        "paired {} against unpaired {unpaired}",
        difference.standard_error
    );
}

#[test]
fn variant_errors_point_at_the_variant() {
    let text = q4_base();
    // A mistake in an added entry names it where it was written.
    let bad = with_variant(
        &text,
        "name = \"v\"\n[[variants.content]]\nname = \"Tutorial\"\npublish = \"2026-06\"\nvisits = 100",
    );
    let error = strategy(&bad, 0).unwrap_err();
    assert!(error.contains("variants[0].content[0]"), "{error}");
    assert!(error.contains("needs `ctr`"), "{error}");
    let line = bad
        .lines()
        .position(|l| l == "[[variants.content]]")
        .unwrap()
        + 1;
    assert!(error.contains(&format!("test.toml:{line}:")), "{error}");

    // What a path cannot change mid-way, with the way out.
    let bad = with_variant(
        &text,
        "name = \"v\"\nfrom = \"2026-06\"\nset = [\"programs[0].hold_days=60\"]",
    );
    let error = strategy(&bad, 0).unwrap_err();
    assert!(error.contains("from = \"start\""), "{error}");
    assert!(strategy(&bad.replace("2026-06", "start"), 0).is_ok());

    // Names and months are checked with the scenario itself.
    for (variant, wanted) in [
        ("name = \"q4\"", "two strategies are named `q4`"),
        ("name = \"v\"\nfrom = \"May\"", "variants[0].from"),
        (
            "name = \"v\"\nfrom = \"2025-01\"",
            "before the simulation does",
        ),
    ] {
        let error = scenario::parse("test.toml", with_variant(&text, variant).into_bytes(), &[])
            .map(|_| ())
            .unwrap_err()
            .render(false);
        assert!(error.contains(wanted), "{variant}: {error}");
    }
}

fn compare_json(args: &[&str]) -> serde_json::Value {
    common::cli_json(&[&["compare"], args, &["--paths", "300"]].concat())
}

fn names(result: &serde_json::Value) -> Vec<String> {
    result["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn compare_compares_exactly_the_files_named_and_their_variants_only_when_asked() {
    let two = compare_json(&["scenarios/q4.toml", "scenarios/scale-focus.toml"]);
    assert_eq!(names(&two), ["q4", "scale-focus"]);
    let one = compare_json(&["scenarios/q4.toml"]);
    assert_eq!(
        names(&one),
        [
            "q4",
            "a tutorial a month",
            "two videos a month",
            "Scale-plan focus",
            "blog only"
        ]
    );
    assert_eq!(one["strategies"][1]["changes_from"], "2026-05");
    assert!(one["strategies"][0]["changes_from"].is_null());
    let asked = compare_json(&[
        "scenarios/q4.toml",
        "scenarios/scale-focus.toml",
        "--variants",
    ]);
    assert_eq!(names(&asked).len(), 6);
    assert_eq!(names(&asked)[5], "scale-focus");

    // The same name twice is refused: it would label two rows alike.
    assert_cmd::Command::cargo_bin("affsim")
        .unwrap()
        .args(["compare", "scenarios/q4.toml", "scenarios/q4.toml"])
        .args(["--paths", "300", "--no-charts"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("two strategies are named `q4`"));
}

#[test]
fn strategy_charts_plot_the_metric_of_the_target_asked_about() {
    let out = tempfile::tempdir().unwrap();
    // q4 against the bounty program on q4's second target turned into an
    // earnings target: the chart plots earnings, not the $0 MRR of a bounty.
    assert_cmd::Command::cargo_bin("affsim")
        .unwrap()
        .args([
            "compare",
            "scenarios/q4.toml",
            "scenarios/bounty-program.toml",
            "--set",
            "targets[1].metric=\"earned\"",
            "--target",
            "2",
            "--paths",
            "300",
            "--svg",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "$500/month recurring by the end of the year",
        ))
        .stdout(predicates::str::contains("by October").not());
    let svg = std::fs::read_to_string(out.path().join("compare.svg")).unwrap();
    assert!(
        svg.contains("q4: commission earned, 2 strategies compared"),
        "{svg}"
    );
    assert!(svg.contains(">\nCommission earned\n<") || svg.contains(">Commission earned<"));
    assert!(!svg.contains("MRR"), "nothing on the chart is about MRR");

    assert_cmd::Command::cargo_bin("affsim")
        .unwrap()
        .args(["sensitivity", "scenarios/q4.toml", "--target", "Nope"])
        .args(["--paths", "300", "--no-charts"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("has no such target"));
}
