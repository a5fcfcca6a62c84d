//! Strategy tools: compare, sweep and goal seek, sensitivity.

mod common;
use common::cli_json;

use affsim::model::Model;
use affsim::scenario;
use affsim::strategy::{compare, sensitivity, sweep};

fn build(text: &str, sets: &[String]) -> Result<Model, String> {
    scenario::parse("test.toml", text.as_bytes().to_vec(), sets)
        .map(|s| s.model)
        .map_err(|e| e.render(false))
}

fn q4() -> String {
    std::fs::read_to_string("scenarios/q4.toml").unwrap()
}

#[test]
fn comparing_a_scenario_with_itself_gives_exactly_zero_difference() {
    let model = build(&q4(), &[]).unwrap();
    let result =
        compare::compare(&[("a".into(), model.clone()), ("b".into(), model)], 2000, 5).unwrap();
    let b = &result.strategies[1];
    for target in &b.targets {
        assert_eq!(target.difference.value, 0.0);
        assert_eq!(target.difference.standard_error, 0.0);
        assert!(target.within_noise);
    }
    assert_eq!(b.cumulative_difference.value, 0.0);
}

/// The observed history happened under the first strategy, so compare runs
/// every other strategy on the futures that match it, weighted as the first's
/// are (a counterfactual), not on futures re-selected to match the history
/// under the other strategy. Doubling the recurring rate doubles every path's
/// MRR and changes no count, so the doubled strategy's chance of MRR >= $500
/// must be, to the last bit, the first's weighted chance of MRR >= $250.
/// Re-selecting futures would instead favour paths with half the renewals,
/// whose history under double the rate matches yours.
#[test]
fn compare_runs_other_strategies_as_counterfactuals_of_the_observed_history() {
    let text = q4();
    let q4 = build(&text, &[]).unwrap();
    assert!(q4.observed.is_some());
    let doubled = build(&text, &["programs[0].recurring_rate=0.16".into()]).unwrap();
    let result =
        compare::compare(&[("q4".into(), q4), ("doubled".into(), doubled)], 4000, 11).unwrap();
    assert!(result.calibrated);
    // Doubling the recurring rate also doubles the recurring part of the
    // observed months: the report says to read it as a change from the start.
    assert_eq!(result.notes.len(), 1, "{:?}", result.notes);
    assert!(result.notes[0].starts_with("`doubled` also changes the months you observed"));
    let half = build(&text, &["targets[0].at_least=250".into()]).unwrap();
    let at_half = compare::compare(&[("half".into(), half)], 4000, 11).unwrap();
    let doubled = &result.strategies[1].targets[0];
    assert_eq!(
        doubled.probability, at_half.strategies[0].targets[0].probability,
        "the same futures, the same weights"
    );
    // Same weights: the difference is paired, path by path.
    let reference = result.strategies[0].targets[0].probability;
    assert!(
        (doubled.difference.value - (doubled.probability.value - reference.value)).abs() < 1e-12
    );
    assert!(
        doubled.difference.standard_error
            < (doubled.probability.standard_error.powi(2) + reference.standard_error.powi(2))
                .sqrt(),
        "paired errors are smaller than independent ones"
    );

    // One history selects the futures: another strategy's own is set aside,
    // and the report says so.
    let mut without = build(&text, &[]).unwrap();
    without.observed = None;
    let other = build(&text, &[]).unwrap();
    let mixed =
        compare::compare(&[("none".into(), without), ("q4".into(), other)], 500, 11).unwrap();
    assert!(!mixed.calibrated);
    assert_eq!(mixed.notes.len(), 1);
    assert!(
        mixed.notes[0].contains("`q4` is not used"),
        "{}",
        mixed.notes[0]
    );

    // Content published after the observed months leaves them as they
    // were, path by path: a change from now on, and no such note.
    let tutorials = build(
        &std::fs::read_to_string("scenarios/monthly-tutorials.toml").unwrap(),
        &[],
    )
    .unwrap();
    let later = compare::compare(
        &[
            ("q4".into(), build(&text, &[]).unwrap()),
            ("tutorials".into(), tutorials),
        ],
        2000,
        11,
    )
    .unwrap();
    assert!(later.calibrated);
    assert!(later.notes.is_empty(), "{:?}", later.notes);

    // Too few paths to match the history: the comparison says it rests on
    // the assumptions alone.
    let q4 = build(&text, &[]).unwrap();
    let few = compare::compare(&[("a".into(), q4.clone()), ("b".into(), q4)], 100, 11).unwrap();
    assert!(!few.calibrated);
    assert!(
        few.notes
            .iter()
            .any(|note| note.contains("could not be used")),
        "{:?}",
        few.notes
    );

    // Sensitivity asks what the history says about an input, and starts from
    // the same conditioned chance as compare's first strategy.
    let q4 = build(&text, &[]).unwrap();
    let ranked =
        sensitivity::sensitivity(&q4, sensitivity::RunPaths::same(4000), 11, false).unwrap();
    assert!(ranked.conditioned);
    assert_eq!(ranked.probability, reference);
    assert!(ranked.notes.is_empty(), "{:?}", ranked.notes);
    // At a paid conversion of about 1%, nothing like your history can
    // happen: that run cannot be conditioned, and the report says so.
    let wide = build(&text, &["funnel.paid_rate=\"0.005..0.9\"".into()]).unwrap();
    let ranked =
        sensitivity::sensitivity(&wide, sensitivity::RunPaths::same(2000), 11, false).unwrap();
    assert!(ranked.conditioned);
    // Its P10 is beyond what the history leaves plausible, so it is held
    // there in runs of its own; the others are read off fitted curves.
    for input in &ranked.inputs {
        let held = input.key == "funnel.paid_rate";
        assert_eq!(
            input.estimated_by,
            if held {
                sensitivity::Estimated::PinnedRuns
            } else {
                sensitivity::Estimated::FittedCurve
            },
            "{}",
            input.key
        );
    }
    assert!(
        ranked
            .notes
            .iter()
            .any(|note| note.contains("paid conversion of sign-ups at its P10")),
        "{:?}",
        ranked.notes
    );
}

#[test]
fn raising_the_recurring_rate_never_lowers_the_odds() {
    let text = q4();
    let builder = |sets: &[String]| build(&text, sets);
    let axis = sweep::Axis::parse("programs[0].recurring_rate=0.02:0.2:10").unwrap();
    let result = sweep::sweep(&builder, vec![axis], None, 3000, 9).unwrap();
    for pair in result.points.windows(2) {
        // Common random numbers, and every value weighted as the scenario's
        // own futures are by the observed history: each path's MRR grows
        // with the rate, so the share above the threshold can only grow; not
        // a statistical claim.
        assert!(
            pair[1].probability.value >= pair[0].probability.value,
            "{:?}",
            result.points
        );
        assert!(pair[1].median >= pair[0].median);
    }
}

/// Ten referrals a month on average (Poisson), no churn, no uncertainty: the
/// active referrals in month 10 are Poisson(100) and MRR = N · $10 · rate, so
/// P(MRR >= $90) = P(N >= 9 / rate). P(N >= 90) = 0.854 and P(N >= 91) = 0.829,
/// so the smallest rate with an 85% chance is 9 / 90 = 0.1.
const NO_CHURN: &str = r#"
name = "closed-form"
[simulation]
start = "2026-01"
months = 10
paths = 20000
seed = 3
[funnel]
signup_rate = 1.0
paid_rate = 1.0
[[programs]]
name = "P"
recurring_rate = 0.05
[[programs.plans]]
name = "Plan"
price = 10
churn = 0
[[content]]
name = "steady"
publish = "2026-01"
visits = 10
ctr = 1.0
noise = 0
[[targets]]
metric = "mrr"
at_least = 90
month = "2026-10"
"#;

#[test]
fn goal_seek_lands_within_one_step_of_the_analytic_answer() {
    let builder = |sets: &[String]| build(NO_CHURN, sets);
    let axis = sweep::Axis::parse("programs[0].recurring_rate=0.05:0.2:16").unwrap();
    let step = axis.values[1] - axis.values[0];
    let result = sweep::sweep(&builder, vec![axis], Some(0.85), 20_000, 3).unwrap();
    let goal = result.goal.unwrap();
    let found = goal.value.expect("the range contains the answer");
    assert!(
        (found - 0.1).abs() <= step,
        "found {found}, expected 0.1 within {step}"
    );
}

/// How fast each strategy gets there, against the closed form: with no
/// churn, active referrals only grow, so a path first reaches MRR >= $40 in
/// the first month with N >= 40 / (10 · rate), N ~ Poisson(10 · months so
/// far). At 5%, N >= 80: P = 0.530 after 8 months (mean 80) but 0.133 after
/// 7; at 10%, N >= 40: P = 0.542 after 4 months but 0.043 after 3. The
/// medians are therefore August and April, each several standard errors
/// (0.0035 at 20,000 paths) from flipping.
#[test]
fn compare_says_by_when_half_of_the_futures_get_there() {
    let sets = |rate: &str| {
        vec![
            format!("programs[0].recurring_rate={rate}"),
            "targets[0].at_least=40".to_string(),
        ]
    };
    let slow = build(NO_CHURN, &sets("0.05")).unwrap();
    let fast = build(NO_CHURN, &sets("0.10")).unwrap();
    let result = compare::compare(&[("5%".into(), slow), ("10%".into(), fast)], 20_000, 3).unwrap();
    let month = |s: usize| result.strategies[s].targets[0].median_first_month;
    assert_eq!(month(0), affsim::calendar::Month::new(2026, 8));
    assert_eq!(month(1), affsim::calendar::Month::new(2026, 4));
    let text = affsim::report::strategy::compare(&result);
    assert!(text.contains("half reach it by"), "{text}");
    assert!(
        text.contains("It is also the fastest: half of its futures reach $40.00 by Apr 2026."),
        "{text}"
    );

    // Out of reach for all: said so, rather than naming a "best" at 0%.
    let sets = |rate: &str| vec![format!("programs[0].recurring_rate={rate}")];
    let out_of_reach = [
        ("5%".into(), build(NO_CHURN, &sets("0.05")).unwrap()),
        ("6%".into(), build(NO_CHURN, &sets("0.06")).unwrap()),
    ];
    let result = compare::compare(&out_of_reach, 2_000, 3).unwrap();
    let text = affsim::report::strategy::compare(&result);
    assert!(text.contains("In words: no strategy reaches"), "{text}");
}

#[test]
fn goal_seek_says_so_when_no_value_reaches_the_goal() {
    let builder = |sets: &[String]| build(NO_CHURN, sets);
    let axis = sweep::Axis::parse("programs[0].recurring_rate=0.01:0.05:5").unwrap();
    let result = sweep::sweep(&builder, vec![axis], Some(0.85), 2000, 3).unwrap();
    assert_eq!(result.goal.unwrap().value, None);
}

#[test]
fn the_decisive_input_ranks_first_in_sensitivity() {
    let text = NO_CHURN
        .replace("ctr = 1.0", "ctr = \"0.3..0.99\"")
        .replace("churn = 0\n", "churn = \"0.001..0.002\"\n")
        .replace("recurring_rate = 0.05", "recurring_rate = 0.1");
    let model = build(&text, &[]).unwrap();
    let result =
        sensitivity::sensitivity(&model, sensitivity::RunPaths::same(4000), 11, false).unwrap();
    assert_eq!(result.inputs.len(), 2);
    assert_eq!(result.inputs[0].key, "content[0].ctr");
    assert!(result.inputs[0].swing > 0.3, "{:?}", result.inputs[0]);
    assert!(result.inputs[0].rank_correlation > 0.5);
}

/// compare conditions its reference as `run` does (the scenario's
/// `[simulation] calibration`, sequential for q4): for the same seed and
/// paths its reference row is `run`'s answer, value and standard error, to
/// the bit; sweep's reference and sensitivity's base chance too.
#[test]
fn the_strategy_tools_reference_is_runs_answer() {
    let common = ["--paths", "3000", "--seed", "11"];
    let run = cli_json(&[&["run", "scenarios/q4.toml"][..], &common].concat());
    assert!(run["calibration"]["sequential"].is_object());
    let compared = cli_json(&[&["compare", "scenarios/q4.toml"][..], &common].concat());
    for (k, target) in run["targets"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            compared["strategies"][0]["targets"][k]["probability"], target["in_month"],
            "target {k}"
        );
    }
    let swept = cli_json(
        &[
            &[
                "sweep",
                "scenarios/q4.toml",
                "--vary",
                "funnel.paid_rate=0.3:0.5:2",
            ][..],
            &common,
        ]
        .concat(),
    );
    assert_eq!(swept["reference"], run["targets"][0]["in_month"]);
    let ranked = cli_json(&[&["sensitivity", "scenarios/q4.toml"][..], &common].concat());
    assert_eq!(ranked["probability"], run["targets"][0]["in_month"]);
}

/// Sequentially conditioned strategies, their counterfactuals and paired
/// errors are the same for 1 and 2 threads, to the bit.
#[test]
fn strategy_tools_are_bit_identical_for_one_and_two_threads() {
    for command in [
        &["compare", "scenarios/q4.toml"][..],
        &[
            "sweep",
            "scenarios/q4.toml",
            "--variant",
            "blog only",
            "--vary",
            "funnel.paid_rate=0.3:0.5:2",
        ],
    ] {
        let with = |threads: &str| {
            cli_json(
                &[
                    command,
                    &["--paths", "1500", "--seed", "4", "--threads", threads],
                ]
                .concat(),
            )
        };
        assert_eq!(with("1"), with("2"), "{}", command[0]);
    }
}

/// With a history, sensitivity reads each input's chances at its P10 and
/// P90 off a curve fitted to one conditioned run; `--exact` holds the input
/// there in conditioned runs of its own. Both estimate the same conditional
/// chance: on q4 all 22 agree within four standard errors of their
/// difference (the errors added as if independent; the runs share a seed),
/// the swings too, and both put the same two inputs on top.
#[test]
fn fitted_curves_agree_with_held_inputs() {
    let q4 = build(&q4(), &[]).unwrap();
    let fitted =
        sensitivity::sensitivity(&q4, sensitivity::RunPaths::same(20_000), 7, false).unwrap();
    let exact =
        sensitivity::sensitivity(&q4, sensitivity::RunPaths::same(10_000), 7, true).unwrap();
    assert!(fitted.conditioned && exact.conditioned);
    assert!(
        fitted
            .inputs
            .iter()
            .all(|input| input.estimated_by == sensitivity::Estimated::FittedCurve)
    );
    assert!(
        exact
            .inputs
            .iter()
            .all(|input| input.estimated_by == sensitivity::Estimated::PinnedRuns)
    );
    for input in &fitted.inputs {
        let held = exact.inputs.iter().find(|i| i.key == input.key).unwrap();
        let close = |a: &affsim::sim::Estimate, b: &affsim::sim::Estimate| {
            let sigma = (a.standard_error.powi(2) + b.standard_error.powi(2)).sqrt();
            assert!(
                sigma > 0.0 && (a.value - b.value).abs() < 4.0 * sigma,
                "{}: {a:?} against {b:?}",
                input.key
            );
        };
        close(&input.probability_at_p10, &held.probability_at_p10);
        close(&input.probability_at_p90, &held.probability_at_p90);
        let sigma = input.swing_standard_error.hypot(held.swing_standard_error);
        assert!(
            (input.swing - held.swing).abs() < 4.0 * sigma,
            "{}",
            input.key
        );
    }
    let top = |s: &sensitivity::Sensitivity| {
        let mut keys: Vec<String> = s.inputs[..2].iter().map(|i| i.key.clone()).collect();
        keys.sort();
        keys
    };
    assert_eq!(top(&fitted), top(&exact));
}
