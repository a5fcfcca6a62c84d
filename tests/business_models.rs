//! Business models beyond a subscription: one-time plans, bounty-only
//! programs, and one content entry promoting several programs, against
//! their closed forms (docs/MODEL.md §5.3 and §4).
//!
//! Statistical checks use fixed seeds and a tolerance of four standard
//! errors, so they fail if the model is wrong, not by bad luck.

use affsim::engine::{self, RunOptions, Simulation};
use affsim::model::{Metric, Model};
use affsim::scenario;

fn model(text: &str) -> Model {
    match scenario::parse("test.toml", text.as_bytes().to_vec(), &[]) {
        Ok(scenario) => scenario.model,
        Err(error) => panic!("{}", error.render(false)),
    }
}

fn simulate(model: &Model) -> Simulation {
    engine::run(model, &RunOptions::default()).expect("not cancelled")
}

/// Sample mean and its standard error of `value(path)` over the paths.
fn mean_and_se(sim: &Simulation, value: impl Fn(usize) -> f64) -> (f64, f64) {
    let values: Vec<f64> = (0..sim.paths).map(value).collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

fn assert_within_4_se(what: &str, (mean, se): (f64, f64), expected: f64) {
    assert!(
        (mean - expected).abs() <= 4.0 * se,
        "{what}: mean {mean} ± {se}, expected {expected}"
    );
}

/// Fixed traffic and rates, no traffic noise: new paying referrals are
/// Poisson with mean visits × ctr × sign-up × paid = 3000 × 0.02 × 0.25 ×
/// 0.4 = 6 a month.
const MONTHLY_REFERRALS: f64 = 6.0;
const MONTHS: usize = 6;

fn scenario(programs: &str, content_program: &str) -> String {
    format!(
        r#"
name = "business-models"
[simulation]
start = "2026-01"
months = {MONTHS}
paths = 3000
seed = 11
[funnel]
signup_rate = 0.25
paid_rate = 0.4
{programs}
[[content]]
name = "Course review"
{content_program}
publish = "2026-01"
visits = 3000
ctr = 0.02
noise = 0
"#
    )
}

#[test]
fn a_one_time_plan_earns_its_first_order_only() {
    // A recurring rate is set, and must never be paid on a one-time plan.
    let sim = simulate(&model(&scenario(
        r#"
[[programs]]
name = "Academy"
first_order_rate = 0.3
recurring_rate = 0.1
[[programs.plans]]
name = "Course"
price = 199
billing = "one-time"
"#,
        "",
    )));
    let first_each = 0.3 * 199.0;
    for path in 0..sim.paths {
        for t in 0..MONTHS {
            let value = |metric| sim.value(path, metric, t) as f64;
            // Every buyer pays once: earned is the first-order commission of
            // this month's buyers, to the cent, and nothing recurs.
            let earned = value(Metric::Earned);
            let expected = value(Metric::NewReferrals) * first_each;
            assert!(
                (earned - expected).abs() < 1e-6 * (1.0 + expected),
                "path {path} month {t}"
            );
            assert_eq!(value(Metric::FirstOrder), earned);
            for zero in [
                Metric::Mrr,
                Metric::Recurring,
                Metric::Upgrade,
                Metric::ActiveReferrals,
            ] {
                assert_eq!(value(zero), 0.0, "{zero:?} on path {path} month {t}");
            }
        }
    }
    // Closed form: E[cumulative earned] = months × λ × price × rate.
    let last = MONTHS - 1;
    assert_within_4_se(
        "cumulative first-order commission",
        mean_and_se(&sim, |path| {
            sim.value(path, Metric::CumulativeEarned, last) as f64
        }),
        MONTHS as f64 * MONTHLY_REFERRALS * first_each,
    );
}

#[test]
fn a_one_time_plan_beside_a_monthly_one_leaves_the_monthly_books_as_they_are() {
    // 60% buy the course once, 40% subscribe: MRR is the subscribers' only.
    let model = model(&scenario(
        r#"
[[programs]]
name = "Academy"
first_order_rate = 0.3
recurring_rate = 0.1
[[programs.plans]]
name = "Course"
price = 199
billing = "one-time"
share = 0.6
[[programs.plans]]
name = "Membership"
price = 30
share = 0.4
churn = 0
"#,
        "",
    ));
    assert!(model.never_earns(Metric::Mrr).is_none());
    let sim = simulate(&model);
    let last = MONTHS - 1;
    // No churn: every subscriber so far is active, and MRR is 10% of $30
    // each; course buyers add nothing to either.
    let (subscribers, subscribers_se) = mean_and_se(&sim, |path| {
        sim.value(path, Metric::ActiveReferrals, last) as f64
    });
    let expected_subscribers = MONTHS as f64 * MONTHLY_REFERRALS * 0.4;
    assert_within_4_se(
        "active subscribers",
        (subscribers, subscribers_se),
        expected_subscribers,
    );
    for path in 0..sim.paths {
        let active = sim.value(path, Metric::ActiveReferrals, last) as f64;
        let mrr = sim.value(path, Metric::Mrr, last) as f64;
        assert!((mrr - active * 3.0).abs() < 1e-3, "path {path}");
    }
}

#[test]
fn a_bounty_only_program_earns_its_bounty_less_refunds_and_nothing_recurring() {
    let model = model(&scenario(
        r#"
[[programs]]
name = "Partner"
bounty = 50
refund_rate = 0.2
"#,
        "",
    ));
    // check warns: an MRR target on it can never be reached.
    assert!(model.never_earns(Metric::Mrr).is_some());
    let sim = simulate(&model);
    for path in 0..sim.paths {
        for t in 0..MONTHS {
            let value = |metric| sim.value(path, metric, t) as f64;
            assert_eq!(value(Metric::Bounty), value(Metric::NewReferrals) * 50.0);
            for zero in [
                Metric::Mrr,
                Metric::Recurring,
                Metric::FirstOrder,
                Metric::ActiveReferrals,
            ] {
                assert_eq!(value(zero), 0.0, "{zero:?} on path {path} month {t}");
            }
        }
    }
    // Closed form: each month's λ referrals earn $50; a fifth refund and
    // are clawed back the next month (the last month's, after the horizon).
    let last = MONTHS - 1;
    assert_within_4_se(
        "cumulative bounty less clawbacks",
        mean_and_se(&sim, |path| {
            sim.value(path, Metric::CumulativeEarned, last) as f64
        }),
        50.0 * MONTHLY_REFERRALS * (MONTHS as f64 - 0.2 * (MONTHS - 1) as f64),
    );
}
