//! One path: a single possible future, month by month.
//!
//! docs/MODEL.md describes these steps in words and formulas; keep the two in
//! step.

use rand_distr::{Distribution, Gamma};

use super::draw::{binomial, multinomial, overdispersed};
use super::rng::{StreamRng, purpose, stream};
use crate::model::commission::hold_months;
use crate::model::{Metric, Model, TierPeriod};

/// Per-source monthly series kept for breakdowns (means only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceSeries {
    Earned = 0,
    Visits = 1,
    Clicks = 2,
    NewReferrals = 3,
    Mrr = 4,
}
pub const SOURCE_SERIES: usize = 5;

/// Per-program monthly series kept for breakdowns (means only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramSeries {
    Earned = 0,
    Mrr = 1,
    Paid = 2,
}
pub const PROGRAM_SERIES: usize = 3;

/// What the engine precomputes once per model: array layouts and stream names.
#[derive(Clone, Debug)]
pub struct Layout {
    pub months: usize,
    pub parameters: usize,
    /// Per source, per plan of its program: (offset into the cohort array, buckets).
    cohort_slots: Vec<Vec<(usize, usize)>>,
    cohort_total: usize,
    /// Per program, per plan: offset of its renewal-probability row.
    renewal_rows: Vec<Vec<usize>>,
    renewal_total: usize,
    input_streams: Vec<u64>,
    mix_streams: Vec<u64>,
    traffic_streams: Vec<u64>,
    funnel_streams: Vec<u64>,
    split_streams: Vec<u64>,
    retention_streams: Vec<Vec<u64>>,
    lags: Vec<usize>,
}

impl Layout {
    pub fn new(model: &Model) -> Layout {
        let months = model.months;
        // Cohort ages beyond the point where neither churn nor the commission
        // rate changes with age are merged into one bucket.
        let caps: Vec<Vec<usize>> = model
            .programs
            .iter()
            .map(|program| {
                program
                    .plans
                    .iter()
                    .map(|plan| {
                        if plan.churn.is_memoryless() {
                            program.recurring.settles_after().min(months)
                        } else {
                            months
                        }
                    })
                    .collect()
            })
            .collect();
        let mut cohort_total = 0;
        let cohort_slots = model
            .sources
            .iter()
            .map(|source| {
                caps[source.program]
                    .iter()
                    .map(|cap| {
                        let slot = (cohort_total, cap + 1);
                        cohort_total += cap + 1;
                        slot
                    })
                    .collect()
            })
            .collect();
        let mut renewal_total = 0;
        let renewal_rows = model
            .programs
            .iter()
            .map(|program| {
                program
                    .plans
                    .iter()
                    .map(|_| {
                        let row = renewal_total;
                        renewal_total += months + 2;
                        row
                    })
                    .collect()
            })
            .collect();
        Layout {
            months,
            parameters: model.parameter_count(),
            cohort_slots,
            cohort_total,
            renewal_rows,
            renewal_total,
            input_streams: model
                .inputs
                .iter()
                .map(|i| purpose(&format!("input:{}", i.key)))
                .collect(),
            mix_streams: model
                .mixes
                .iter()
                .map(|m| purpose(&format!("mix:{}", model.programs[m.program].name)))
                .collect(),
            traffic_streams: model
                .sources
                .iter()
                .map(|s| purpose(&format!("traffic:{}", s.name)))
                .collect(),
            funnel_streams: model
                .sources
                .iter()
                .map(|s| purpose(&format!("funnel:{}", s.name)))
                .collect(),
            split_streams: model
                .sources
                .iter()
                .map(|s| purpose(&format!("split:{}", s.name)))
                .collect(),
            retention_streams: model
                .sources
                .iter()
                .map(|s| {
                    model.programs[s.program]
                        .plans
                        .iter()
                        .map(|plan| purpose(&format!("retention:{}:{}", s.name, plan.name)))
                        .collect()
                })
                .collect(),
            lags: model
                .programs
                .iter()
                .map(|p| (hold_months(p.hold_days) + p.payout.lag_months) as usize)
                .collect(),
        }
    }

    pub fn record_len(&self) -> usize {
        Metric::COUNT * self.months
    }
}

/// One path's results in full precision.
#[derive(Clone, Debug)]
pub struct PathRecord {
    /// `[metric][month]`.
    pub series: Vec<f64>,
    /// `[source][SourceSeries][month]`.
    pub by_source: Vec<f64>,
    /// `[program][ProgramSeries][month]`.
    pub by_program: Vec<f64>,
    pub first_payout: Option<usize>,
}

impl PathRecord {
    pub fn new(model: &Model) -> PathRecord {
        PathRecord {
            series: vec![0.0; Metric::COUNT * model.months],
            by_source: vec![0.0; model.sources.len() * SOURCE_SERIES * model.months],
            by_program: vec![0.0; model.programs.len() * PROGRAM_SERIES * model.months],
            first_payout: None,
        }
    }

    pub fn get(&self, metric: Metric, month: usize) -> f64 {
        self.series[metric.index() * (self.series.len() / Metric::COUNT) + month]
    }
}

/// Scratch space reused from path to path.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub drawn: Vec<f64>,
    cohorts: Vec<u64>,
    next: Vec<u64>,
    /// `[source][month]`: paying referrals landing in that month.
    pending: Vec<u64>,
    /// `[program][plan]` rows of P(renewal k | renewal k-1), k = 0..=months+1.
    renewal: Vec<f64>,
    /// `[program][k]`: base recurring rate on renewal k.
    recurring_rates: Vec<f64>,
    clawback_due: Vec<f64>,
    split: Vec<u64>,
    shares: Vec<f64>,
    earned_by_program: Vec<f64>,
}

impl Workspace {
    pub fn new(model: &Model, layout: &Layout) -> Workspace {
        let max_plans = model
            .programs
            .iter()
            .map(|p| p.plans.len())
            .max()
            .unwrap_or(1);
        Workspace {
            drawn: vec![0.0; layout.parameters],
            cohorts: vec![0; layout.cohort_total],
            next: vec![0; layout.cohort_total],
            pending: vec![0; model.sources.len() * layout.months],
            renewal: vec![0.0; layout.renewal_total],
            recurring_rates: vec![0.0; model.programs.len() * (layout.months + 2)],
            clawback_due: vec![0.0; model.sources.len()],
            split: vec![0; max_plans],
            shares: vec![0.0; max_plans],
            earned_by_program: vec![0.0; model.programs.len() * layout.months],
        }
    }
}

/// Draws a path's uncertain inputs into `drawn`.
pub fn draw_parameters(model: &Model, layout: &Layout, seed: u64, path: u64, drawn: &mut [f64]) {
    for (i, input) in model.inputs.iter().enumerate() {
        let mut rng = stream(seed, path, layout.input_streams[i]);
        drawn[i] = input.dist.sample(&mut rng);
    }
    for (m, mix) in model.mixes.iter().enumerate() {
        let mut rng = stream(seed, path, layout.mix_streams[m]);
        let slots = &mut drawn[mix.first..mix.first + mix.shares.len()];
        let mut total = 0.0;
        for (slot, share) in slots.iter_mut().zip(&mix.shares) {
            let gamma = Gamma::new(share * mix.concentration, 1.0).expect("positive shape");
            *slot = gamma.sample(&mut rng);
            total += *slot;
        }
        if total > 0.0 {
            slots.iter_mut().for_each(|s| *s /= total);
        } else {
            slots.copy_from_slice(&mix.shares);
        }
    }
}

/// Simulates one path with the parameters already in `ws.drawn`.
pub fn simulate(
    model: &Model,
    layout: &Layout,
    seed: u64,
    path: u64,
    ws: &mut Workspace,
    record: &mut PathRecord,
) {
    let months = layout.months;
    let drawn = &ws.drawn;
    record.series.fill(0.0);
    record.by_source.fill(0.0);
    record.by_program.fill(0.0);
    record.first_payout = None;
    ws.cohorts.fill(0);
    ws.pending.fill(0);
    ws.clawback_due.fill(0.0);
    ws.earned_by_program.fill(0.0);

    for (p, program) in model.programs.iter().enumerate() {
        for (k, plan) in program.plans.iter().enumerate() {
            let row = &mut ws.renewal[layout.renewal_rows[p][k]..][..months + 2];
            row[0] = 1.0;
            for (renewal, slot) in row.iter_mut().enumerate().skip(1) {
                *slot = plan
                    .churn
                    .renewal_probability(drawn, renewal)
                    .clamp(0.0, 1.0);
            }
        }
        let rates = &mut ws.recurring_rates[p * (months + 2)..][..months + 2];
        rates[0] = 0.0;
        for (renewal, slot) in rates.iter_mut().enumerate().skip(1) {
            *slot = program.recurring.rate(drawn, renewal);
        }
    }

    // Traffic and funnel: sources are independent of each other and of the
    // referrals' later life, so each source's whole funnel is drawn first.
    for (s, source) in model.sources.iter().enumerate() {
        let mut traffic_rng = stream(seed, path, layout.traffic_streams[s]);
        let mut funnel_rng = stream(seed, path, layout.funnel_streams[s]);
        let click_rate = source.click_rate.get(drawn);
        let noise = source.noise.get(drawn);
        let signup_rate = source.signup_rate.get(drawn);
        let paid_rate = source.paid_rate.get(drawn);
        for t in 0..months {
            let mut visits = 0u64;
            let mut clicks = 0u64;
            for &published in &source.copies {
                let age = t as i32 - published;
                if age < 0 {
                    continue;
                }
                let expected = source.traffic.expected(drawn, age as u32);
                let copy_visits = overdispersed(&mut traffic_rng, expected, noise);
                visits += copy_visits;
                clicks += binomial(&mut traffic_rng, copy_visits, click_rate);
            }
            let signups = binomial(&mut funnel_rng, clicks, signup_rate);
            let paid = binomial(&mut funnel_rng, signups, paid_rate);
            let lands = t + source.trial_months;
            if lands < months {
                ws.pending[s * months + lands] += paid;
            }
            let at = |m: Metric| m.index() * months + t;
            record.series[at(Metric::Visits)] += visits as f64;
            record.series[at(Metric::Clicks)] += clicks as f64;
            record.series[at(Metric::Signups)] += signups as f64;
            let by_source = &mut record.by_source[s * SOURCE_SERIES * months..];
            by_source[SourceSeries::Visits as usize * months + t] = visits as f64;
            by_source[SourceSeries::Clicks as usize * months + t] = clicks as f64;
        }
    }

    let mut retention_rngs: Vec<Vec<StreamRng>> = layout
        .retention_streams
        .iter()
        .map(|plans| plans.iter().map(|&p| stream(seed, path, p)).collect())
        .collect();
    let mut split_rngs: Vec<StreamRng> = layout
        .split_streams
        .iter()
        .map(|&p| stream(seed, path, p))
        .collect();
    let mut cumulative_new = vec![0u64; model.programs.len()];
    let mut balance = vec![0.0f64; model.programs.len()];
    let mut cumulative_earned = 0.0;
    let mut cumulative_paid = 0.0;

    for t in 0..months {
        // Rates in force this month, after tiers.
        let mut first_rates = Vec::with_capacity(model.programs.len());
        let mut recurring_overrides = Vec::with_capacity(model.programs.len());
        for (p, program) in model.programs.iter().enumerate() {
            let new: u64 = model
                .sources
                .iter()
                .enumerate()
                .filter(|(_, s)| s.program == p)
                .map(|(s, _)| ws.pending[s * months + t])
                .sum();
            cumulative_new[p] += new;
            let mut first_rate = program.first_order_rate.get(drawn);
            let mut recurring_override = None;
            let reached = program.tiers.iter().filter(|tier| {
                let count = match tier.period {
                    TierPeriod::Month => new,
                    TierPeriod::Total => cumulative_new[p],
                };
                count >= tier.after
            });
            if let Some(tier) = reached.max_by_key(|tier| tier.after) {
                if let Some(rate) = tier.first_order_rate {
                    first_rate = rate.get(drawn);
                }
                recurring_override = tier.recurring_rate.map(|r| r.get(drawn));
            }
            first_rates.push(first_rate);
            recurring_overrides.push(recurring_override);
        }

        let (
            mut first_total,
            mut recurring_total,
            mut upgrade_total,
            mut bounty_total,
            mut clawback_total,
        ) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let (mut active_total, mut mrr_total, mut new_total) = (0u64, 0.0, 0u64);

        for (s, source) in model.sources.iter().enumerate() {
            let p = source.program;
            let program = &model.programs[p];
            let slots = &layout.cohort_slots[s];
            let rates = &ws.recurring_rates[p * (months + 2)..][..months + 2];
            let rate_on =
                |renewal: usize| recurring_overrides[p].unwrap_or(rates[renewal.min(months + 1)]);
            let price = |k: usize| program.plans[k].price.get(drawn);
            let upgrade_rate = program.upgrade_rate.get(drawn);

            // 1. Renewals: each active referral renews (or churns), and some
            //    renewers move to a higher plan.
            for &(offset, buckets) in slots {
                ws.next[offset..offset + buckets].fill(0);
            }
            let (mut recurring, mut upgrade) = (0.0, 0.0);
            for (k, &(offset, buckets)) in slots.iter().enumerate() {
                let plan = &program.plans[k];
                let renewal_row = &ws.renewal[layout.renewal_rows[p][k]..][..months + 2];
                let rng = &mut retention_rngs[s][k];
                for age in 0..buckets {
                    let active = ws.cohorts[offset + age];
                    if active == 0 {
                        continue;
                    }
                    let renewal = (age + 1).min(months + 1);
                    let renewed = binomial(rng, active, renewal_row[renewal]);
                    let upgraded = match plan.upgrade {
                        Some(up) => binomial(rng, renewed, up.probability.get(drawn)),
                        None => 0,
                    };
                    let stayed = renewed - upgraded;
                    recurring += stayed as f64 * price(k) * rate_on(renewal);
                    ws.next[offset + (age + 1).min(buckets - 1)] += stayed;
                    if let Some(up) = plan.upgrade
                        && upgraded > 0
                    {
                        upgrade += upgraded as f64 * price(up.to) * upgrade_rate;
                        let (to_offset, to_buckets) = slots[up.to];
                        ws.next[to_offset + (age + 1).min(to_buckets - 1)] += upgraded;
                    }
                }
            }
            for &(offset, buckets) in slots {
                ws.cohorts[offset..offset + buckets]
                    .copy_from_slice(&ws.next[offset..offset + buckets]);
            }

            // 2. New paying referrals: split by plan, pay the first order;
            //    refunders are clawed back next month and never renew.
            let new = ws.pending[s * months + t];
            let (mut first, mut bounty) = (0.0, 0.0);
            let clawback = -ws.clawback_due[s];
            ws.clawback_due[s] = 0.0;
            if new > 0 {
                let plans = program.plans.len();
                for (k, share) in ws.shares[..plans].iter_mut().enumerate() {
                    *share = program.mix[k].get(drawn);
                }
                multinomial(
                    &mut split_rngs[s],
                    new,
                    &ws.shares[..plans],
                    &mut ws.split[..plans],
                );
                let bounty_each = program.bounty.get(drawn);
                let refund_rate = program.refund_rate.get(drawn);
                for (k, &(offset, _)) in slots.iter().enumerate() {
                    let joined = ws.split[k];
                    if joined == 0 {
                        continue;
                    }
                    let refunded = binomial(&mut split_rngs[s], joined, refund_rate);
                    let first_each = price(k) * first_rates[p];
                    first += joined as f64 * first_each;
                    bounty += joined as f64 * bounty_each;
                    ws.clawback_due[s] += refunded as f64 * (first_each + bounty_each);
                    ws.cohorts[offset] += joined - refunded;
                }
            }

            // 3. Run-rate: what the active referrals earn at their next renewal.
            let mut mrr = 0.0;
            let mut active = 0u64;
            for (k, &(offset, buckets)) in slots.iter().enumerate() {
                for age in 0..buckets {
                    let count = ws.cohorts[offset + age];
                    if count > 0 {
                        active += count;
                        mrr += count as f64 * price(k) * rate_on(age + 1);
                    }
                }
            }

            let earned = first + recurring + upgrade + bounty + clawback;
            first_total += first;
            recurring_total += recurring;
            upgrade_total += upgrade;
            bounty_total += bounty;
            clawback_total += clawback;
            active_total += active;
            mrr_total += mrr;
            new_total += new;
            let by_source = &mut record.by_source[s * SOURCE_SERIES * months..];
            by_source[SourceSeries::Earned as usize * months + t] = earned;
            by_source[SourceSeries::NewReferrals as usize * months + t] = new as f64;
            by_source[SourceSeries::Mrr as usize * months + t] = mrr;
            ws.earned_by_program[p * months + t] += earned;
            let by_program = &mut record.by_program[p * PROGRAM_SERIES * months..];
            by_program[ProgramSeries::Earned as usize * months + t] += earned;
            by_program[ProgramSeries::Mrr as usize * months + t] += mrr;
        }

        // 4. Payouts: commission clears after the hold and schedule lag and
        //    is paid once the program's cleared balance reaches its minimum.
        let mut paid_total = 0.0;
        for (p, program) in model.programs.iter().enumerate() {
            let lag = layout.lags[p];
            if t >= lag {
                balance[p] += ws.earned_by_program[p * months + t - lag];
            }
            if balance[p] > 1e-9 && balance[p] >= program.payout_minimum {
                paid_total += balance[p];
                record.by_program
                    [p * PROGRAM_SERIES * months + ProgramSeries::Paid as usize * months + t] =
                    balance[p];
                balance[p] = 0.0;
                record.first_payout.get_or_insert(t);
            }
        }

        let earned = first_total + recurring_total + upgrade_total + bounty_total + clawback_total;
        cumulative_earned += earned;
        cumulative_paid += paid_total;
        let series = &mut record.series;
        let mut set = |metric: Metric, value: f64| series[metric.index() * months + t] = value;
        set(Metric::NewReferrals, new_total as f64);
        set(Metric::ActiveReferrals, active_total as f64);
        set(Metric::Mrr, mrr_total);
        set(Metric::FirstOrder, first_total);
        set(Metric::Recurring, recurring_total);
        set(Metric::Upgrade, upgrade_total);
        set(Metric::Bounty, bounty_total);
        set(Metric::Clawback, clawback_total);
        set(Metric::Earned, earned);
        set(Metric::CumulativeEarned, cumulative_earned);
        set(Metric::Paid, paid_total);
        set(Metric::CumulativePaid, cumulative_paid);
    }
}

/// Applies pinned values (sensitivity analysis) over drawn parameters.
pub fn apply_pins(drawn: &mut [f64], pins: &[(usize, f64)]) {
    for &(index, value) in pins {
        drawn[index] = value;
    }
}
