//! Reports: the summary printed on the terminal, `summary.json` and
//! `bands.csv`. One module per format, like hyperfine's exporters.

pub mod csv;
pub mod describe;
pub mod export;
pub mod json;
pub mod marker;
pub mod output;
pub mod strategy;
pub mod terminal;

use serde::Serialize;

use crate::format::{self, input_value, money_or_count, percent};

use crate::calendar::Month;
use crate::engine::{SOURCE_SERIES, SourceSeries};
use crate::model::{Metric, Model, Unit};
use crate::sim::Estimate;
use crate::sim::ReferralValue;
use crate::sim::Simulation;
use crate::stats::{self, Band, FirstPayout, TargetResult};

/// Everything a run reports, in one serialisable value.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub description: Option<String>,
    pub paths: usize,
    /// The precision asked for (`--precision`, `[simulation] precision`):
    /// `paths` is then what it took. `None` for a fixed number of paths.
    pub precision: Option<f64>,
    pub seed: u64,
    /// How the paths were held: in memory, or streamed (re-simulated pass by
    /// pass, for runs over the memory limit). One plain sentence.
    pub storage: String,
    pub start: Month,
    pub end: Month,
    pub headline: Metric,
    pub headline_meaning: String,
    pub headline_bands: Vec<Band>,
    pub targets: Vec<TargetReport>,
    pub totals: Totals,
    pub first_payout: FirstPayout,
    pub referral_values: Vec<ReferralValue>,
    pub by_source: Vec<SourceShare>,
    pub by_kind: Vec<KindShare>,
    pub by_plan: Vec<PlanShare>,
    pub inputs: Vec<InputReport>,
    pub notes: Vec<String>,
    /// How the projection was conditioned on observed months; `None` when
    /// nothing was observed (all numbers are then the scenario's prior ones).
    pub calibration: Option<crate::calibrate::Calibration>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TargetReport {
    #[serde(flatten)]
    pub result: TargetResult,
    /// The findings in plain words, as printed.
    pub sentences: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    /// Commission earned over the whole horizon (net of clawbacks).
    pub earned: Estimate,
    pub earned_p10: f64,
    pub earned_p50: f64,
    pub earned_p90: f64,
    /// Cash paid out over the whole horizon.
    pub paid: Estimate,
    /// Earned but not yet paid at the end (below the minimum, on hold, or in transit).
    pub unpaid_at_end: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceShare {
    pub name: String,
    pub kind: crate::model::ContentKind,
    pub copies: usize,
    pub mean_earned: f64,
    pub share_of_earned: f64,
    pub mean_visits: f64,
    pub mean_clicks: f64,
    pub mean_new_referrals: f64,
}

/// New and active referrals by plan (expected values).
#[derive(Clone, Debug, Serialize)]
pub struct PlanShare {
    pub program: String,
    pub plan: String,
    /// New paying referrals over the whole simulation.
    pub mean_new_referrals: f64,
    /// Active referrals at the end of the last month.
    pub mean_active_at_end: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct KindShare {
    pub kind: Metric,
    pub mean_total: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct InputReport {
    pub key: String,
    pub label: String,
    pub unit: Unit,
    pub description: String,
    pub p5: f64,
    pub median: f64,
    pub p95: f64,
}

/// What the headline metric means, in a sentence.
pub fn meaning(metric: Metric) -> &'static str {
    match metric {
        Metric::Mrr => {
            "recurring commission run-rate: what your active referrals would pay you if all of them renewed next month; churn is not subtracted, the usual MRR convention"
        }
        Metric::Earned => {
            "all commission earned in the month (first orders, renewals, upgrades, bounties, less clawbacks)"
        }
        Metric::Recurring => "commission earned on renewals in the month",
        Metric::Paid => "cash actually paid out to you in the month",
        Metric::CumulativeEarned => "all commission earned from the start to the end of the month",
        Metric::CumulativePaid => "all cash paid out from the start to the end of the month",
        Metric::ActiveReferrals => "paying customers you referred who are still subscribed",
        Metric::NewReferrals => "customers who made their first payment in the month",
        Metric::Visits => "visits to your content in the month",
        Metric::Clicks => "clicks on your affiliate links in the month",
        Metric::Signups => "sign-ups through your links in the month, paying or not",
        Metric::FirstOrder => "commission earned on first orders in the month",
        Metric::Upgrade => "commission earned on plan upgrades in the month",
        Metric::Bounty => "one-time bounties earned in the month",
        Metric::Clawback => {
            "commission taken back in the month for last month's refunds (a negative amount)"
        }
    }
}

impl Summary {
    pub fn build(model: &Model, sim: &Simulation) -> Summary {
        let bands = stats::bands(model, sim, &[model.headline]);
        Summary::build_with_bands(model, sim, &bands)
    }

    /// Like [`Summary::build`], reusing bands already computed (they must
    /// include the headline metric).
    pub fn build_with_bands(
        model: &Model,
        sim: &Simulation,
        bands: &[(Metric, Vec<Band>)],
    ) -> Summary {
        let headline_bands = bands
            .iter()
            .find(|(metric, _)| *metric == model.headline)
            .map(|(_, bands)| bands.clone())
            .unwrap_or_else(|| stats::bands(model, sim, &[model.headline]).remove(0).1);
        Summary::build_with_headline(model, sim, headline_bands)
    }

    /// Like [`Summary::build`], given the headline metric's bands (empty
    /// for a caller that computes them alongside and sets them after).
    pub fn build_with_headline(
        model: &Model,
        sim: &Simulation,
        headline_bands: Vec<Band>,
    ) -> Summary {
        let last = sim.months - 1;
        let targets = stats::targets(model, sim, &model.targets)
            .into_iter()
            .map(|result| {
                let sentences = target_sentences(model, &result);
                TargetReport { result, sentences }
            })
            .collect();

        let (earned, earned_percentiles, paid) = totals(sim);
        let totals = Totals {
            earned,
            earned_p10: earned_percentiles[0],
            earned_p50: earned_percentiles[1],
            earned_p90: earned_percentiles[2],
            paid,
            unpaid_at_end: sim.mean(Metric::CumulativeEarned, last)
                - sim.mean(Metric::CumulativePaid, last),
        };

        let months = sim.months;
        let source_total = |s: usize, series: SourceSeries| -> f64 {
            sim.mean_by_source[(s * SOURCE_SERIES + series as usize) * months..][..months]
                .iter()
                .sum()
        };
        let earned_all: f64 = (0..model.sources.len())
            .map(|s| source_total(s, SourceSeries::Earned))
            .sum();
        let by_source = model
            .sources
            .iter()
            .enumerate()
            .map(|(s, source)| {
                let earned = source_total(s, SourceSeries::Earned);
                SourceShare {
                    name: source.name.clone(),
                    kind: source.kind,
                    copies: source.copies.len(),
                    mean_earned: earned,
                    share_of_earned: if earned_all > 0.0 {
                        earned / earned_all
                    } else {
                        0.0
                    },
                    mean_visits: source_total(s, SourceSeries::Visits),
                    mean_clicks: source_total(s, SourceSeries::Clicks),
                    mean_new_referrals: source_total(s, SourceSeries::NewReferrals),
                }
            })
            .collect();
        let by_kind = Metric::KINDS
            .iter()
            .map(|kind| KindShare {
                kind: *kind,
                mean_total: (0..months).map(|t| sim.mean(*kind, t)).sum(),
            })
            .collect();
        let inputs = model
            .inputs
            .iter()
            .map(|input| InputReport {
                key: input.key.clone(),
                label: input.label.clone(),
                unit: input.unit,
                description: input.dist.describe(|v| input_value(input.unit, v)),
                p5: input.dist.quantile(0.05),
                median: input.dist.median(),
                p95: input.dist.quantile(0.95),
            })
            .collect();
        let mut notes = Vec::new();
        if model.sources.is_empty() {
            notes.push(
                "The scenario has no [[content]], so there is no traffic and no income."
                    .to_string(),
            );
        }
        Summary {
            scenario: model.name.clone(),
            description: model.description.clone(),
            paths: sim.paths,
            precision: None,
            seed: sim.seed,
            storage: match sim.streamed_passes() {
                None => "All paths were kept in memory.".to_string(),
                Some(passes) => format!(
                    "Streaming mode: the paths were simulated {passes} times over instead of being kept in memory; every number is the same as an in-memory run gives."
                ),
            },
            start: model.start,
            end: model.end(),
            headline: model.headline,
            headline_meaning: meaning(model.headline).to_string(),
            headline_bands,
            targets,
            totals,
            first_payout: stats::first_payout(model, sim),
            referral_values: stats::referral_values(model, sim, 4_000),
            by_source,
            by_kind,
            by_plan: plan_shares(model, sim),
            inputs,
            notes,
            calibration: None,
        }
    }
}

/// Mean cumulative earnings at the end with P10, P50 and P90, and mean
/// cumulative payouts: in memory, both columns in one pass over the paths.
fn totals(sim: &Simulation) -> (Estimate, Vec<f64>, Estimate) {
    const WANTED: [f64; 3] = [10.0, 50.0, 90.0];
    let last = sim.months - 1;
    if !sim.keeps_paths() {
        return (
            stats::column_mean(sim, Metric::CumulativeEarned, last),
            stats::column_percentiles(sim, Metric::CumulativeEarned, last, &WANTED),
            stats::column_mean(sim, Metric::CumulativePaid, last),
        );
    }
    let metrics = [Metric::CumulativeEarned, Metric::CumulativePaid];
    let gather = |paths: &[usize]| {
        stats::Columns::gather(paths, 2, |path, c| sim.value(path, metrics[c], last))
    };
    match &sim.weights {
        None => {
            let all: Vec<usize> = (0..sim.paths).collect();
            let columns = gather(&all);
            let mean = |c| Estimate::mean(columns.values(c).map(f64::from));
            let percentiles = stats::selection::percentiles_of(
                stats::selection::Pieces(&columns.pieces(0)),
                &WANTED,
            );
            (mean(0), percentiles, mean(1))
        }
        Some(_) => {
            let kept = stats::KeptPaths::of(sim);
            let columns = gather(&kept.paths);
            let mean = |c| stats::kept_mean(sim, columns.values(c).map(f64::from));
            let percentiles = stats::selection::weighted_percentiles(
                stats::selection::Pieces(&columns.pieces(0)),
                &kept.shares,
                &WANTED,
            );
            (mean(0), percentiles, mean(1))
        }
    }
}

fn target_sentences(model: &Model, result: &TargetResult) -> Vec<String> {
    let amount = money_or_count(result.metric, result.threshold);
    let month = result.month.long();
    let mut sentences = vec![
        format!(
            "{} ± {} chance that {} is at least {amount} in {month}.",
            percent(result.in_month.value),
            format::points(result.in_month.standard_error),
            result.metric.phrase()
        ),
        format!(
            "{} ± {} chance that it reaches {amount} in at least one month up to {month}.",
            percent(result.by_month.value),
            format::points(result.by_month.standard_error)
        ),
    ];
    match result.median_first_month {
        Some(first) => sentences.push(format!(
            "Half of the simulated futures first reach {amount} by {}.",
            first.long()
        )),
        // For a target in the last month, the share that ever gets there is
        // the second sentence's, said again.
        None if result.month == model.end() => {}
        None => sentences.push(format!(
            "Fewer than half of the simulated futures reach {amount} by {} (the end of the simulation): {} do.",
            model.end().long(),
            percent(result.ever.value)
        )),
    }
    sentences
}

fn plan_shares(model: &Model, sim: &Simulation) -> Vec<PlanShare> {
    use crate::engine::{PlanSeries, plan_offset};
    let months = sim.months;
    let mut out = Vec::new();
    for (p, program) in model.programs.iter().enumerate() {
        for (k, plan) in program.plans.iter().enumerate() {
            let series = |which: PlanSeries| {
                &sim.mean_by_program[plan_offset(model, p, k) + which as usize * months..][..months]
            };
            out.push(PlanShare {
                program: program.name.clone(),
                plan: plan.name.clone(),
                mean_new_referrals: series(PlanSeries::NewReferrals).iter().sum(),
                mean_active_at_end: series(PlanSeries::ActiveReferrals)[months - 1],
            });
        }
    }
    out
}
