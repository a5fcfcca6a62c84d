//! Business models beyond a subscription: one-time plans, bounty-only
//! programs, and one content entry promoting several programs, against
//! their closed forms (docs/MODEL.md §5.3 and §4).
//!
//! Statistical checks use fixed seeds and a tolerance of four standard
//! errors, so they fail if the model is wrong, not by bad luck.

use affsim::engine::{self, RunOptions};
use affsim::model::{Metric, Model};
use affsim::scenario;
use affsim::sim::Simulation;

mod common;
use common::{model, simulate};

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

/// No recurring commission, run-rate or active referral on `path` in month
/// `t`, nor any of `also`.
fn assert_nothing_recurs(sim: &Simulation, path: usize, t: usize, also: Metric) {
    for zero in [
        Metric::Mrr,
        Metric::Recurring,
        Metric::ActiveReferrals,
        also,
    ] {
        assert_eq!(
            sim.value(path, zero, t),
            0.0,
            "{zero:?} on path {path} month {t}"
        );
    }
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
            assert_nothing_recurs(&sim, path, t, Metric::Upgrade);
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
            assert_nothing_recurs(&sim, path, t, Metric::FirstOrder);
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

/// One newsletter-like entry sending 70% of its clicks to one bounty-only
/// program ($10) and 30% to another ($100), and optionally a second entry
/// promoting the first program only. Fixed traffic, no noise: 5,000 visits
/// × 2% × 50% × 50% = 25 new paying referrals a month from each entry.
fn shared(with_solo: bool) -> Model {
    model(&shared_text(with_solo))
}

fn shared_text(with_solo: bool) -> String {
    let solo = if with_solo {
        r#"
[[content]]
name = "Solo"
program = "Ten"
publish = "2026-01"
visits = 5000
ctr = 0.02
noise = 0
"#
    } else {
        ""
    };
    format!(
        r#"
name = "shared"
[simulation]
start = "2026-01"
months = {MONTHS}
paths = 2000
seed = 5
[funnel]
signup_rate = 0.5
paid_rate = 0.5
[[programs]]
name = "Ten"
bounty = 10
[[programs]]
name = "Hundred"
bounty = 100
[[content]]
name = "Shared"
programs = [{{ name = "Ten", share = 0.7 }}, {{ name = "Hundred", share = 0.3 }}]
publish = "2026-01"
visits = 5000
ctr = 0.02
noise = 0
{solo}"#
    )
}

/// Each path's records with the breakdown by entry and program.
fn records(model: &Model) -> Vec<engine::PathRecord> {
    let layout = engine::Layout::new(model);
    let mut ws = engine::Workspace::new(model, &layout);
    (0..model.paths as u64)
        .map(|path| {
            let mut record = engine::PathRecord::new(model);
            engine::path::draw_parameters(model, &layout, model.seed, path, &mut ws.drawn);
            engine::path::simulate(model, &layout, model.seed, path, &mut ws, &mut record, true);
            record
        })
        .collect()
}

/// A program's (or an entry's) earnings over the simulation, on one path.
fn program_total(record: &engine::PathRecord, p: usize) -> f64 {
    let at = p * engine::PROGRAM_SERIES * MONTHS + engine::ProgramSeries::Earned as usize * MONTHS;
    record.by_program[at..at + MONTHS].iter().sum()
}

fn source_total(record: &engine::PathRecord, s: usize, series: engine::SourceSeries) -> f64 {
    let at = s * engine::SOURCE_SERIES * MONTHS + series as usize * MONTHS;
    record.by_source[at..at + MONTHS].iter().sum()
}

#[test]
fn shared_content_splits_its_referrals_by_share() {
    let model = shared(false);
    let records = records(&model);
    let (mut ten, mut hundred) = (0.0, 0.0);
    for record in &records {
        // Bounties only, no refunds: each program's earnings count its
        // referrals exactly.
        let (to_ten, to_hundred) = (
            program_total(record, 0) / 10.0,
            program_total(record, 1) / 100.0,
        );
        assert_eq!(to_ten, to_ten.round());
        assert_eq!(to_hundred, to_hundred.round());
        let all: f64 = (0..MONTHS)
            .map(|t| record.get(Metric::NewReferrals, t))
            .sum();
        assert_eq!(to_ten + to_hundred, all);
        ten += to_ten;
        hundred += to_hundred;
    }
    // Given the total, each referral went to the first program with
    // probability 0.7: a binomial share, whose standard error follows.
    let total = ten + hundred;
    let share = ten / total;
    let se = (0.7 * 0.3 / total).sqrt();
    assert!((share - 0.7).abs() <= 4.0 * se, "share {share} ± {se}");
    // And the expected count per path: 6 months × 25 × 0.7 (Poisson).
    let paths = records.len() as f64;
    let expected = MONTHS as f64 * 25.0 * 0.7;
    let se = (expected / paths).sqrt();
    assert!(
        (ten / paths - expected).abs() <= 4.0 * se,
        "{} vs {expected}",
        ten / paths
    );
}

#[test]
fn shared_content_is_credited_with_what_each_of_its_programs_earns() {
    let model = shared(true);
    let records = records(&model);
    let mut shared_earned = Vec::new();
    let mut solo_earned = Vec::new();
    for record in &records {
        let shared = source_total(record, 0, engine::SourceSeries::Earned);
        let solo = source_total(record, 1, engine::SourceSeries::Earned);
        let total: f64 = (0..MONTHS).map(|t| record.get(Metric::Earned, t)).sum();
        assert!((shared + solo - total).abs() < 1e-6 * (1.0 + total));
        // Visits are counted once however many programs the entry promotes.
        let visits = source_total(record, 0, engine::SourceSeries::Visits);
        assert!(visits > 0.0);
        shared_earned.push(shared);
        solo_earned.push(solo);
    }
    let mean_and_se = |values: &[f64]| {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, (variance / n).sqrt())
    };
    // The shared entry's 25 a month are worth 0.7 × $10 + 0.3 × $100 each;
    // the solo entry's $10 each.
    let per_month = MONTHS as f64 * 25.0;
    assert_within_4_se(
        "shared entry",
        mean_and_se(&shared_earned),
        per_month * (0.7 * 10.0 + 0.3 * 100.0),
    );
    assert_within_4_se("solo entry", mean_and_se(&solo_earned), per_month * 10.0);
    // The entry's visits: 5,000 a month, once.
    let visits: Vec<f64> = records
        .iter()
        .map(|record| source_total(record, 0, engine::SourceSeries::Visits))
        .collect();
    assert_within_4_se(
        "shared entry's visits",
        mean_and_se(&visits),
        MONTHS as f64 * 5000.0,
    );
}

#[test]
fn a_strategy_changes_an_entrys_shares_from_its_month_and_no_earlier() {
    let text = format!(
        "{}\n[[variants]]\nname = \"more to the dearer program\"\nfrom = \"2026-04\"\nset = [\"content[0].programs[0].share=0.2\", \"content[0].programs[1].share=0.8\"]\n",
        shared_text(false)
    );
    let written = scenario::parse("test.toml", text.as_bytes().to_vec(), &[])
        .map_err(|e| e.render(false))
        .unwrap();
    let sets = written.file.variants[0].set.clone();
    let strategy =
        scenario::parse_variant("test.toml", text.into_bytes(), &sets, 0, &written.model)
            .map_err(|e| e.render(false))
            .unwrap()
            .model;
    let (before, after) = (simulate(&written.model), simulate(&strategy));
    let differs = |t: usize| {
        (0..before.paths).any(|path| {
            Metric::ALL
                .iter()
                .any(|&m| before.value(path, m, t).to_bits() != after.value(path, m, t).to_bits())
        })
    };
    // January to March as written, bit for bit; April on, the new shares.
    assert_eq!((0..MONTHS).find(|&t| differs(t)), Some(3));
}

#[test]
fn the_shipped_course_scenario_keeps_the_course_out_of_mrr() {
    let text = std::fs::read_to_string("scenarios/course-creator.toml").unwrap();
    let model = model(&text);
    let sim = engine::run(
        &model,
        &RunOptions {
            paths: Some(500),
            ..RunOptions::default()
        },
    )
    .unwrap();
    // Only the $29 membership renews, at 10%: MRR is $2.90 per active
    // referral in every month of every future.
    for path in 0..sim.paths {
        for t in 0..sim.months {
            let active = sim.value(path, Metric::ActiveReferrals, t) as f64;
            let mrr = sim.value(path, Metric::Mrr, t) as f64;
            assert!(
                (mrr - 2.9 * active).abs() < 1e-3 * (1.0 + mrr),
                "path {path} month {t}"
            );
        }
    }
}
