//! The day cash arrives: each payout schedule's exact day (docs/MODEL.md §6),
//! taken from the program that actually pays first, in the report,
//! summary.json and the cumulative chart.

use affsim::engine::{self, RunOptions};
use affsim::model::Model;
use affsim::{scenario, stats};

/// Two programs, each with its own content entry bringing a steady stream
/// of paying referrals from January 2026. `a_minimum` and `b_minimum` are
/// the payout minimums: a huge one keeps that program from ever paying.
fn two_programs(a_schedule: &str, a_minimum: f64, b_schedule: &str, b_minimum: f64) -> Model {
    let text = format!(
        r#"
name = "payout-days"
[simulation]
start = "2026-01"
months = 6
paths = 200
seed = 11
[funnel]
signup_rate = 1.0
paid_rate = 1.0
[[programs]]
name = "Alpha"
first_order_rate = 0.5
payout_schedule = "{a_schedule}"
payout_minimum = {a_minimum}
[[programs.plans]]
name = "Plan"
price = 100
churn = 0.1
[[programs]]
name = "Beta"
first_order_rate = 0.5
payout_schedule = "{b_schedule}"
payout_minimum = {b_minimum}
[[programs.plans]]
name = "Plan"
price = 100
churn = 0.1
[[content]]
name = "alpha post"
program = "Alpha"
publish = "2026-01"
visits = 2000
ctr = 0.05
noise = 0
[[content]]
name = "beta post"
program = "Beta"
publish = "2026-01"
visits = 2000
ctr = 0.05
noise = 0
"#
    );
    match scenario::parse("payout-days.toml", text.into_bytes(), &[]) {
        Ok(scenario) => scenario.model,
        Err(error) => panic!("{}", error.render(false)),
    }
}

fn first_payout(model: &Model) -> stats::FirstPayout {
    let sim = engine::run(model, &RunOptions::default()).expect("not cancelled");
    // About 100 referrals a month per program: every path is paid in the
    // first month its schedule allows.
    assert_eq!(
        sim.first_payout.iter().filter(|d| **d == u16::MAX).count(),
        0
    );
    stats::first_payout(model, &sim)
}

const NEVER: f64 = 1e6;

/// Commission earned in January 2026 arrives on these dates.
const SCHEDULES: [(&str, &str); 7] = [
    ("monthly", "2026-01-31"),
    ("net-15", "2026-02-15"),
    // Day 30 of February is its last day.
    ("net-30", "2026-02-28"),
    ("net-45", "2026-03-15"),
    ("net-60", "2026-03-30"),
    ("13th of next month", "2026-02-13"),
    ("1st of next month", "2026-02-01"),
];

#[test]
fn every_schedule_pays_on_its_day_whichever_program_pays() {
    for (schedule, date) in SCHEDULES {
        // Only Beta pays: the day is Beta's, not the first program's.
        let paid = first_payout(&two_programs("monthly", NEVER, schedule, 0.0));
        assert_eq!(paid.date.as_deref(), Some(date), "Beta on {schedule}");
        assert_eq!(paid.programs, ["Beta"], "{schedule}");
        // Only Alpha pays.
        let paid = first_payout(&two_programs(schedule, 0.0, "net-60", NEVER));
        assert_eq!(paid.date.as_deref(), Some(date), "Alpha on {schedule}");
    }
}

#[test]
fn when_both_programs_pay_the_earlier_day_is_the_first_payout() {
    // Both pay in February: Alpha on the 28th (net-30), Beta on the 13th.
    let paid = first_payout(&two_programs("net-30", 0.0, "13th of next month", 0.0));
    assert_eq!(paid.date.as_deref(), Some("2026-02-13"));
    assert_eq!(paid.programs, ["Beta"]);
    // Monthly pays in January already, before net-15's February.
    let paid = first_payout(&two_programs("net-15", 0.0, "monthly", 0.0));
    assert_eq!(paid.date.as_deref(), Some("2026-01-31"));
    assert_eq!(paid.programs, ["Beta"]);
    // A hold of 30 days moves the month, not the day rule.
    let mut model = two_programs("monthly", 0.0, "monthly", NEVER);
    model.programs[0].hold_days = 30;
    let paid = first_payout(&model);
    assert_eq!(paid.date.as_deref(), Some("2026-02-28"));
    assert_eq!(paid.schedules[0].lag_months, 1);
    assert_eq!(
        paid.schedules[0].when,
        "on the last day of the month the commission clears"
    );
}

#[test]
fn the_report_summary_and_cumulative_chart_give_the_exact_date() {
    let model = two_programs("monthly", NEVER, "net-30", 0.0);
    let sim = engine::run(&model, &RunOptions::default()).expect("not cancelled");
    let summary = affsim::report::Summary::build(&model, &sim);
    let text = affsim::report::terminal::render(&summary);
    assert!(
        text.contains(
            "First payout: in half of the futures it arrives by 28 Feb 2026 (the day Beta pays)"
        ),
        "{text}"
    );
    assert!(
        text.contains("Beta pays on the 30th of the month after the commission clears (its last day when shorter) (net-30)"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&affsim::report::json::render(&summary)).unwrap();
    assert_eq!(json["first_payout"]["date"], "2026-02-28");
    assert_eq!(json["first_payout"]["programs"][0], "Beta");
    assert_eq!(json["first_payout"]["schedules"][1]["day"]["day"], 30);
    let options = affsim::plot::ChartOptions {
        width: 1200,
        height: 700,
        svg: true,
    };
    let charts = affsim::plot::render_all(&model, &sim, &summary, &options).unwrap();
    let (_, svg) = charts
        .iter()
        .find(|(name, _)| name == "cumulative.svg")
        .expect("a cumulative chart in SVG");
    let svg = String::from_utf8_lossy(svg);
    assert!(
        svg.contains("first paid by 28 Feb 2026"),
        "no exact date in the chart"
    );
}
