//! Engine invariants over random valid scenarios: small models built from
//! random rates, churn models (constant, sBG, Weibull), tiers, refunds,
//! holds, payout schedules and minimums, trial months, repeats and
//! newsletters, simulated with a few paths over a few months.

use affsim::engine::{
    self, PROGRAM_SERIES, ProgramSeries, RunOptions, SOURCE_SERIES, SourceSeries,
};
use affsim::model::Metric;
use affsim::scenario::{self, Scenario};
use affsim::sim::Simulation;
use affsim::stats;
use proptest::prelude::*;

/// A number as TOML: a fixed value or, sometimes, a 90% interval around it.
fn number(value: f64, uncertain: bool, rate: bool) -> String {
    if !uncertain || value <= 0.0 || (rate && value >= 0.99) {
        return format!("{value:.6}");
    }
    let (low, high) = if rate {
        (value * 0.5, (value * 1.5).min(0.995))
    } else {
        (value * 0.5, value * 2.0)
    };
    format!("\"{low:.6}..{high:.6}\"")
}

#[derive(Clone, Debug)]
enum ChurnSpec {
    Constant(f64),
    Sbg(f64, f64),
    Weibull(f64, f64),
}

#[derive(Clone, Debug)]
struct PlanSpec {
    price: f64,
    weight: f64,
    churn: ChurnSpec,
    uncertain: bool,
}

#[derive(Clone, Debug)]
struct ProgramSpec {
    first_order_rate: f64,
    recurring: Result<f64, (u8, f64, f64)>,
    recurring_months: Option<u8>,
    upgrade_rate: f64,
    upgrade_probability: Option<f64>,
    bounty: f64,
    refund_rate: f64,
    hold_days: u16,
    schedule: &'static str,
    payout_minimum: f64,
    mix_concentration: Option<f64>,
    tier: Option<(u8, bool, f64, f64)>,
    plans: Vec<PlanSpec>,
    uncertain: bool,
}

#[derive(Clone, Debug)]
enum SourceSpec {
    Page {
        visits: f64,
        ramp: u8,
        half_life: Option<f64>,
        ctr: f64,
    },
    Newsletter {
        subscribers: f64,
        growth: f64,
        sends: f64,
        open_rate: f64,
        click_rate: f64,
    },
}

#[derive(Clone, Debug)]
struct ContentSpec {
    source: SourceSpec,
    publish: u8,
    program: usize,
    noise: f64,
    repeat: Option<(bool, u8, u8)>,
    uncertain: bool,
}

#[derive(Clone, Debug)]
struct ScenarioSpec {
    months: u8,
    seed: u32,
    trial_months: u8,
    signup_rate: f64,
    paid_rate: f64,
    programs: Vec<ProgramSpec>,
    content: Vec<ContentSpec>,
}

const SCHEDULES: [&str; 5] = [
    "monthly",
    "net-15",
    "net-30",
    "net-60",
    "13th of next month",
];

fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 1 => Just(1.0), 6 => 0.0..1.0f64]
}

fn churn() -> impl Strategy<Value = ChurnSpec> {
    prop_oneof![
        rate().prop_map(ChurnSpec::Constant),
        (0.1..5.0f64, 0.1..30.0f64).prop_map(|(a, b)| ChurnSpec::Sbg(a, b)),
        (0.5..60.0f64, 0.2..5.0f64).prop_map(|(s, k)| ChurnSpec::Weibull(s, k)),
    ]
}

fn plan() -> impl Strategy<Value = PlanSpec> {
    (1.0..300.0f64, 0.05..1.0f64, churn(), any::<bool>()).prop_map(
        |(price, weight, churn, uncertain)| PlanSpec {
            price,
            weight,
            churn,
            uncertain,
        },
    )
}

fn program() -> impl Strategy<Value = ProgramSpec> {
    (
        (
            rate(),
            prop_oneof![rate().prop_map(Ok), (1u8..4, rate(), rate()).prop_map(Err)],
            prop::option::of(1u8..12),
            rate(),
            prop::option::of(0.0..0.3f64),
            prop_oneof![3 => Just(0.0), 1 => 0.0..100.0f64],
            prop_oneof![1 => Just(0.0), 1 => Just(1.0), 4 => 0.0..0.5f64],
        ),
        (
            prop_oneof![Just(0u16), Just(30), 0u16..120],
            0..SCHEDULES.len(),
            prop_oneof![Just(0.0), 0.0..200.0f64],
            prop::option::of(1.0..100.0f64),
            prop::option::of((1u8..5, any::<bool>(), rate(), rate())),
            prop::collection::vec(plan(), 1..4),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (first, recurring, recurring_months, upgrade_rate, upgrade, bounty, refund),
                (hold, schedule, minimum, concentration, tier, plans, uncertain),
            )| ProgramSpec {
                first_order_rate: first,
                recurring,
                recurring_months,
                upgrade_rate,
                upgrade_probability: upgrade,
                bounty,
                refund_rate: refund,
                hold_days: hold,
                schedule: SCHEDULES[schedule],
                payout_minimum: minimum,
                mix_concentration: concentration,
                tier,
                plans,
                uncertain,
            },
        )
}

fn content(months: u8, programs: usize) -> impl Strategy<Value = ContentSpec> {
    let source = prop_oneof![
        (
            prop_oneof![Just(0.0), 0.0..20000.0f64],
            0u8..4,
            prop::option::of(0.5..24.0f64),
            rate()
        )
            .prop_map(|(visits, ramp, half_life, ctr)| SourceSpec::Page {
                visits,
                ramp,
                half_life,
                ctr
            }),
        (0.0..50000.0f64, -0.2..0.3f64, 0.0..8.0f64, rate(), rate()).prop_map(
            |(subscribers, growth, sends, open_rate, click_rate)| {
                SourceSpec::Newsletter {
                    subscribers,
                    growth,
                    sends,
                    open_rate,
                    click_rate,
                }
            }
        ),
    ];
    (
        source,
        0..months,
        0..programs,
        0.0..1.0f64,
        prop::option::of((any::<bool>(), 1u8..4, 1u8..5)),
        any::<bool>(),
    )
        .prop_map(
            |(source, publish, program, noise, repeat, uncertain)| ContentSpec {
                source,
                publish,
                program,
                noise,
                repeat,
                uncertain,
            },
        )
}

fn scenario_spec() -> impl Strategy<Value = ScenarioSpec> {
    (1u8..9, 1usize..3).prop_flat_map(|(months, programs)| {
        (
            Just(months),
            any::<u32>(),
            0u8..3,
            0.01..0.9f64,
            rate(),
            prop::collection::vec(program(), programs),
            prop::collection::vec(content(months, programs), 1..4),
        )
            .prop_map(
                |(months, seed, trial_months, signup_rate, paid_rate, programs, content)| {
                    ScenarioSpec {
                        months,
                        seed,
                        trial_months,
                        signup_rate,
                        paid_rate,
                        programs,
                        content,
                    }
                },
            )
    })
}

fn month(index: u8) -> String {
    let m = 3 + index as u32; // from 2026-03
    format!("\"{}-{:02}\"", 2026 + (m - 1) / 12, (m - 1) % 12 + 1)
}

impl ScenarioSpec {
    fn toml(&self) -> String {
        let mut t = String::new();
        t += "name = \"random\"\n\n[simulation]\n";
        t += &format!(
            "start = {}\nmonths = {}\npaths = 100\nseed = {}\n\n",
            month(0),
            self.months,
            self.seed
        );
        t += &format!(
            "[funnel]\nsignup_rate = {}\npaid_rate = {}\ntrial_months = {}\n\n",
            number(self.signup_rate, true, true),
            number(self.paid_rate, false, true),
            self.trial_months
        );
        for (i, p) in self.programs.iter().enumerate() {
            let u = p.uncertain;
            t += &format!("[[programs]]\nname = \"P{i}\"\n");
            t += &format!(
                "first_order_rate = {}\n",
                number(p.first_order_rate, u, true)
            );
            match p.recurring {
                Ok(rate) => t += &format!("recurring_rate = {}\n", number(rate, u, true)),
                Err((renewals, first, later)) => {
                    t += &format!(
                        "recurring_schedule = [{{ renewals = {renewals}, rate = {} }}, {{ rate = {} }}]\n",
                        number(first, u, true),
                        number(later, false, true)
                    )
                }
            }
            if let Some(n) = p.recurring_months {
                t += &format!("recurring_months = {n}\n");
            }
            t += &format!("upgrade_rate = {}\n", number(p.upgrade_rate, false, true));
            t += &format!("bounty = {}\n", number(p.bounty, u, false));
            t += &format!("refund_rate = {}\n", number(p.refund_rate, u, true));
            t += &format!("hold_days = {}\n", p.hold_days);
            t += &format!("payout_schedule = \"{}\"\n", p.schedule);
            t += &format!("payout_minimum = {:.4}\n", p.payout_minimum);
            if p.plans.len() > 1
                && let Some(c) = p.mix_concentration
            {
                t += &format!("mix_concentration = {c:.4}\n");
            }
            if let Some((after, total, first, recurring)) = p.tier {
                t += &format!(
                    "tiers = [{{ after = {after}, per = \"{}\", first_order_rate = {first:.6}, recurring_rate = {recurring:.6} }}]\n",
                    if total { "total" } else { "month" }
                );
            }
            let total: f64 = p.plans.iter().map(|plan| plan.weight).sum();
            let mut shares: Vec<f64> = p
                .plans
                .iter()
                .map(|plan| (plan.weight / total * 1e6).round() / 1e6)
                .collect();
            let rest: f64 = shares[1..].iter().sum();
            shares[0] = 1.0 - rest;
            for (j, plan) in p.plans.iter().enumerate() {
                t += &format!(
                    "\n[[programs.plans]]\nname = \"plan{j}\"\nprice = {}\nshare = {:.12}\n",
                    number(plan.price, plan.uncertain, false),
                    shares[j]
                );
                t += &match plan.churn {
                    ChurnSpec::Constant(c) => {
                        format!("churn = {}\n", number(c, plan.uncertain, true))
                    }
                    ChurnSpec::Sbg(a, b) => {
                        format!(
                            "churn_sbg = {{ alpha = {a:.6}, beta = {} }}\n",
                            number(b, plan.uncertain, false)
                        )
                    }
                    ChurnSpec::Weibull(s, k) => {
                        format!(
                            "churn_weibull = {{ scale_months = {}, shape = {k:.6} }}\n",
                            number(s, plan.uncertain, false)
                        )
                    }
                };
                if j == 0
                    && p.plans.len() > 1
                    && let Some(probability) = p.upgrade_probability
                {
                    t += &format!(
                        "upgrade_to = \"plan1\"\nupgrade_probability = {probability:.6}\n"
                    );
                }
            }
            t += "\n";
        }
        for (i, c) in self.content.iter().enumerate() {
            let u = c.uncertain;
            t += &format!(
                "[[content]]\nname = \"C{i}\"\nprogram = \"P{}\"\npublish = {}\nnoise = {:.4}\n",
                c.program,
                month(c.publish),
                c.noise
            );
            match c.source {
                SourceSpec::Page {
                    visits,
                    ramp,
                    half_life,
                    ctr,
                } => {
                    t += &format!(
                        "kind = \"blog\"\nvisits = {}\nramp_months = {ramp}\nctr = {}\n",
                        number(visits, u, false),
                        number(ctr, u, true)
                    );
                    if let Some(h) = half_life {
                        t += &format!("half_life_months = {h:.4}\n");
                    }
                }
                SourceSpec::Newsletter {
                    subscribers,
                    growth,
                    sends,
                    open_rate,
                    click_rate,
                } => {
                    t += &format!(
                        "kind = \"newsletter\"\nsubscribers = {}\nsubscriber_growth = {growth:.6}\nsends_per_month = {sends:.4}\nopen_rate = {}\nclick_rate = {}\n",
                        number(subscribers, u, false),
                        number(open_rate, u, true),
                        number(click_rate, false, true)
                    );
                }
            }
            if let Some((weeks, every, count)) = c.repeat {
                let unit = if weeks { "every_weeks" } else { "every_months" };
                t += &format!("repeat = {{ {unit} = {every}, count = {count} }}\n");
            }
            t += "\n";
        }
        t
    }

    fn scenario(&self) -> Scenario {
        let text = self.toml();
        match scenario::parse("random.toml", text.clone().into_bytes(), &[]) {
            Ok(scenario) => scenario,
            Err(error) => panic!("generated an invalid scenario:\n{error}\n{text}"),
        }
    }
}

fn simulate(scenario: &Scenario, paths: usize) -> Simulation {
    engine::run(
        &scenario.model,
        &RunOptions {
            paths: Some(paths),
            ..Default::default()
        },
    )
    .expect("not cancelled")
}

/// Tolerance for sums of f32 values of size `scale`.
fn eps(scale: f64) -> f64 {
    1e-3 + scale.abs() * 1e-5
}

fn check_invariants(scenario: &Scenario, sim: &Simulation) -> Result<(), TestCaseError> {
    let model = &scenario.model;
    let months = sim.months;
    prop_assert_eq!(sim.series.len(), sim.paths * Metric::COUNT * months);
    prop_assert!(
        sim.series.iter().all(|v| v.is_finite()),
        "non-finite series value"
    );
    prop_assert!(sim.mean.iter().all(|v| v.is_finite()), "non-finite mean");
    prop_assert!(sim.mean_by_source.iter().all(|v| v.is_finite()));
    prop_assert!(sim.mean_by_program.iter().all(|v| v.is_finite()));
    prop_assert!(
        sim.parameters.iter().all(|v| v.is_finite()),
        "non-finite drawn input"
    );

    let single_program = model.programs.len() == 1;
    let minimum = model.programs[0].payout_minimum;
    for path in 0..sim.paths {
        let get = |metric: Metric| sim.path_series(path, metric);
        for metric in Metric::ALL {
            if metric == Metric::Clawback {
                prop_assert!(get(metric).iter().all(|v| *v <= 0.0), "positive clawback");
            } else if metric == Metric::Earned {
                // Net of clawbacks: a month of refunds can be negative.
            } else if metric == Metric::CumulativeEarned {
                // Clawbacks only take back what was earned before.
                prop_assert!(get(metric).iter().all(|v| *v as f64 >= -eps(*v as f64)));
            } else {
                prop_assert!(
                    get(metric).iter().all(|v| *v >= 0.0),
                    "negative {} on path {path}: {:?}",
                    metric.key(),
                    get(metric)
                );
            }
        }
        let (mut new_total, mut earned_total, mut paid_total) = (0.0f64, 0.0f64, 0.0f64);
        let (mut gross_total, mut clawed_back, mut size_total) = (0.0f64, 0.0f64, 0.0f64);
        for t in 0..months {
            let at = |metric: Metric| sim.value(path, metric, t) as f64;
            new_total += at(Metric::NewReferrals);
            earned_total += at(Metric::Earned);
            paid_total += at(Metric::Paid);
            prop_assert!(
                at(Metric::ActiveReferrals) <= new_total + 1e-6,
                "path {path} month {t}: {} active of {new_total} ever referred",
                at(Metric::ActiveReferrals)
            );
            let kinds: f64 = Metric::KINDS.iter().map(|k| at(*k)).sum();
            let size: f64 = Metric::KINDS.iter().map(|k| at(*k).abs()).sum();
            prop_assert!(
                (kinds - at(Metric::Earned)).abs() <= eps(size),
                "earned {} is not the sum of its kinds {kinds}",
                at(Metric::Earned)
            );
            size_total += size;
            prop_assert!((at(Metric::CumulativeEarned) - earned_total).abs() <= eps(size_total));
            prop_assert!((at(Metric::CumulativePaid) - paid_total).abs() <= eps(size_total));
            gross_total += kinds - at(Metric::Clawback);
            clawed_back += at(Metric::Clawback);
            // Cash never exceeds what was earned before clawbacks; once a
            // refund is clawed back from commission already paid out, the
            // balance goes negative and later payouts make it good, so only
            // without clawbacks is cash bounded by net earnings.
            prop_assert!(
                at(Metric::CumulativePaid) <= gross_total + eps(size_total),
                "path {path} month {t}: paid {} more than earned before clawbacks {gross_total}",
                at(Metric::CumulativePaid)
            );
            if clawed_back == 0.0 {
                prop_assert!(
                    at(Metric::CumulativePaid) <= at(Metric::CumulativeEarned) + eps(size_total),
                    "path {path} month {t}: paid {} more than earned {}",
                    at(Metric::CumulativePaid),
                    at(Metric::CumulativeEarned)
                );
            }
            if single_program && at(Metric::Paid) > 0.0 {
                prop_assert!(
                    at(Metric::Paid) >= minimum - eps(minimum),
                    "path {path} month {t}: paid {} below the minimum {minimum}",
                    at(Metric::Paid)
                );
            }
        }
    }

    // The per-source and per-program breakdowns split the totals exactly:
    // each source's expected share of every count and every dollar.
    let sources = model.sources.len();
    for (series, metric) in [
        (SourceSeries::Earned, Metric::Earned),
        (SourceSeries::Visits, Metric::Visits),
        (SourceSeries::Clicks, Metric::Clicks),
        (SourceSeries::NewReferrals, Metric::NewReferrals),
        (SourceSeries::Mrr, Metric::Mrr),
    ] {
        for t in 0..months {
            let split: f64 = (0..sources)
                .map(|s| sim.mean_by_source[(s * SOURCE_SERIES + series as usize) * months + t])
                .sum();
            let total = sim.mean(metric, t);
            prop_assert!(
                sources == 0 || (split - total).abs() <= 1e-9 * (1.0 + total.abs()),
                "{} in month {t}: sources sum to {split}, total {total}",
                metric.key()
            );
        }
    }
    for (series, metric) in [
        (ProgramSeries::Earned, Metric::Earned),
        (ProgramSeries::Mrr, Metric::Mrr),
        (ProgramSeries::Paid, Metric::Paid),
    ] {
        for t in 0..months {
            let split: f64 = (0..model.programs.len())
                .map(|p| sim.mean_by_program[(p * PROGRAM_SERIES + series as usize) * months + t])
                .sum();
            let total = sim.mean(metric, t);
            prop_assert!(
                (split - total).abs() <= 1e-9 * (1.0 + total.abs()),
                "{} in month {t}: programs sum to {split}, total {total}",
                metric.key()
            );
        }
    }

    for (metric, bands) in stats::bands(model, sim, &Metric::ALL) {
        for band in bands {
            let p = band.percentiles;
            prop_assert!(p.iter().all(|v| v.is_finite()));
            prop_assert!(
                p.windows(2).all(|w| w[0] <= w[1]),
                "{} percentiles out of order: {p:?}",
                metric.key()
            );
            prop_assert!(band.mean.is_finite());
        }
    }
    for target in &model.targets {
        let result = stats::target(model, sim, target);
        let json = serde_json::to_string(&result).unwrap();
        prop_assert!(!json.contains("NaN") && !json.contains("null"), "{json}");
    }
    Ok(())
}

/// 48 cases by default (seconds in a debug build); PROPTEST_CASES for more.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_scenarios_keep_the_engine_invariants(
        spec in scenario_spec(),
        paths in 50usize..200,
    ) {
        let scenario = spec.scenario();
        let sim = simulate(&scenario, paths);
        check_invariants(&scenario, &sim)?;
    }

    #[test]
    fn the_same_seed_gives_bit_identical_output_whatever_the_threads(
        spec in scenario_spec(),
    ) {
        let scenario = spec.scenario();
        // More than one chunk of paths, so chunks run on different threads.
        let paths = engine::CHUNK + 17;
        let a = simulate(&scenario, paths);
        let b = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| simulate(&scenario, paths));
        let bits = |s: &Simulation| s.series.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        prop_assert!(bits(&a) == bits(&b), "series differ between runs");
        let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        prop_assert!(bits64(&a.mean) == bits64(&b.mean), "means differ between runs");
        prop_assert!(bits64(&a.parameters) == bits64(&b.parameters));
        prop_assert_eq!(&a.first_payout, &b.first_payout);
    }
}
