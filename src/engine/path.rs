//! One path: a single possible future, month by month.
//!
//! docs/MODEL.md describes these steps in words and formulas; keep the two in
//! step.

use rand_distr::{Distribution, Gamma, StandardNormal};

use super::draw::{
    PreparedBinomial, TrafficNoise, binomial, binomial_prepared, multinomial, poisson, thin,
};
use super::rng::{StreamRng, purpose, stream};
use crate::model::commission::hold_months;
use crate::model::{Metric, Model, Program, TierPeriod};

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

/// Per-plan monthly series kept for breakdowns (means only). They follow the
/// program series in `PathRecord::by_program`, plan by plan in scenario order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanSeries {
    NewReferrals = 0,
    ActiveReferrals = 1,
}
pub const PLAN_SERIES: usize = 2;

/// Where plan `k` of program `p`'s series start in `by_program`.
pub fn plan_offset(model: &Model, p: usize, k: usize) -> usize {
    let before: usize = model.programs[..p]
        .iter()
        .map(|program| program.plans.len())
        .sum();
    (model.programs.len() * PROGRAM_SERIES + (before + k) * PLAN_SERIES) * model.months
}

/// What the engine precomputes once per model: array layouts and stream names.
#[derive(Clone, Debug)]
pub struct Layout {
    pub months: usize,
    pub parameters: usize,
    /// Per program, per plan: (offset into the cohort arrays, age buckets).
    cohort_slots: Vec<Vec<(usize, usize)>>,
    cohort_total: usize,
    /// Per program: the index of its first plan among all programs' plans.
    plan_base: Vec<usize>,
    /// The links, entry by entry in scenario order: a content entry's share
    /// of clicks sent to one program. Everything downstream of the clicks
    /// (referrals, cohort mixes, money) is tracked per link and added up
    /// per entry for the breakdown. An entry with one program has one link.
    link_source: Vec<usize>,
    /// Per source: its links.
    source_links: Vec<std::ops::Range<usize>>,
    /// Per program: the links sending it referrals, in link order.
    program_links: Vec<Vec<usize>>,
    /// Per program, per plan: offset of its renewal-probability row.
    renewal_rows: Vec<Vec<usize>>,
    renewal_total: usize,
    /// Per source: the oldest age any of its copies reaches, plus one.
    traffic_ages: Vec<usize>,
    input_streams: Vec<u64>,
    input_samplers: Vec<crate::model::dist::Prepared>,
    mix_streams: Vec<u64>,
    traffic_streams: Vec<u64>,
    /// Sources whose referrals join the same program after the same trial
    /// share one funnel draw (see `simulate`).
    funnel_groups: Vec<FunnelGroup>,
    split_streams: Vec<u64>,
    retention_streams: Vec<Vec<u64>>,
    lags: Vec<usize>,
    /// Per source: the stream of its copies' own size draws, and how many
    /// copies it can have (here or in the scenario a strategy takes over from).
    copy_streams: Vec<u64>,
    copy_counts: Vec<usize>,
    /// For a strategy that takes over from a month: the layout of the
    /// scenario as written, which draws its inputs for the months before.
    base: Option<Box<Layout>>,
}

impl Layout {
    pub fn new(model: &Model) -> Layout {
        let months = model.months;
        let mut cohort_total = 0;
        // Ages past the point where neither churn nor the commission rate
        // changes with age share one bucket (see `Program::merged_ages`).
        let cohort_slots = model
            .programs
            .iter()
            .map(|program| {
                program
                    .merged_ages(months)
                    .into_iter()
                    .map(|cap| {
                        let slot = (cohort_total, cap + 1);
                        cohort_total += cap + 1;
                        slot
                    })
                    .collect()
            })
            .collect();
        let link_source: Vec<usize> = model
            .sources
            .iter()
            .enumerate()
            .flat_map(|(s, source)| std::iter::repeat_n(s, source.links.len()))
            .collect();
        let source_links = model
            .sources
            .iter()
            .scan(0, |first, source| {
                let links = *first..*first + source.links.len();
                *first = links.end;
                Some(links)
            })
            .collect();
        let link_program: Vec<usize> = model
            .sources
            .iter()
            .flat_map(|source| source.links.iter().map(|link| link.program))
            .collect();
        let program_links = (0..model.programs.len())
            .map(|p| {
                (0..link_program.len())
                    .filter(|&l| link_program[l] == p)
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
        let traffic_ages = model
            .sources
            .iter()
            .map(|s| {
                let earliest = s.copies.iter().copied().min().unwrap_or(0);
                (months as i32 - earliest).max(1) as usize
            })
            .collect();
        Layout {
            months,
            parameters: model.parameter_count(),
            cohort_slots,
            cohort_total,
            plan_base: model
                .programs
                .iter()
                .scan(0, |before, program| {
                    let base = *before;
                    *before += program.plans.len();
                    Some(base)
                })
                .collect(),
            link_source,
            source_links,
            program_links,
            renewal_rows,
            renewal_total,
            traffic_ages,
            input_samplers: model.inputs.iter().map(|i| i.dist.prepare()).collect(),
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
            funnel_groups: funnel_groups(model),
            split_streams: model
                .programs
                .iter()
                .map(|p| purpose(&format!("split:{}", p.name)))
                .collect(),
            retention_streams: model
                .programs
                .iter()
                .map(|program| {
                    program
                        .plans
                        .iter()
                        .map(|plan| purpose(&format!("retention:{}:{}", program.name, plan.name)))
                        .collect()
                })
                .collect(),
            lags: model
                .programs
                .iter()
                .map(|p| (hold_months(p.hold_days) + p.payout.lag_months) as usize)
                .collect(),
            copy_streams: model
                .sources
                .iter()
                .map(|s| purpose(&format!("copy:{}", s.name)))
                .collect(),
            copy_counts: model
                .sources
                .iter()
                .enumerate()
                .map(|(s, source)| {
                    let base = model
                        .change_from
                        .as_ref()
                        .and_then(|c| c.base.sources.get(s));
                    source.copies.len().max(base.map_or(0, |b| b.copies.len()))
                })
                .collect(),
            base: model
                .change_from
                .as_ref()
                .map(|change| Box::new(Layout::new(&change.base))),
        }
    }

    /// Draws the inputs of the scenario a strategy takes over from (nothing
    /// for a model that is not such a strategy).
    pub fn draw_base_parameters(&self, model: &Model, seed: u64, path: u64, ws: &mut Workspace) {
        if let (Some(change), Some(layout)) = (&model.change_from, &self.base) {
            draw_parameters(&change.base, layout, seed, path, &mut ws.base_drawn);
        }
    }

    pub fn record_len(&self) -> usize {
        Metric::COUNT * self.months
    }
}

/// Links drawn together in the funnel: same program, same trial.
#[derive(Clone, Debug)]
struct FunnelGroup {
    program: usize,
    trial_months: usize,
    links: Vec<usize>,
    /// Its links come from an entry a strategy added, which draws from
    /// streams of its own.
    own: bool,
    stream: u64,
}

fn funnel_groups(model: &Model) -> Vec<FunnelGroup> {
    let mut groups: Vec<FunnelGroup> = Vec::new();
    let mut l = 0;
    for source in &model.sources {
        for link in &source.links {
            let program = &model.programs[link.program].name;
            let trial = source.trial_months;
            let key = (link.program, trial);
            match groups
                .iter_mut()
                .find(|g| (g.program, g.trial_months) == key && !g.own && !source.own_streams)
            {
                Some(group) => group.links.push(l),
                None => groups.push(FunnelGroup {
                    program: link.program,
                    trial_months: trial,
                    links: vec![l],
                    own: source.own_streams,
                    stream: purpose(&if source.own_streams {
                        format!("funnel:{program}:{trial}:{}", source.name)
                    } else {
                        format!("funnel:{program}:{trial}")
                    }),
                }),
            }
            l += 1;
        }
    }
    groups
}

/// One path's results in full precision.
#[derive(Clone, Debug)]
pub struct PathRecord {
    /// `[metric][month]`.
    pub series: Vec<f64>,
    /// `[source][SourceSeries][month]`.
    pub by_source: Vec<f64>,
    /// `[program][ProgramSeries][month]`, then `[plan][PlanSeries][month]`
    /// (see [`plan_offset`]).
    pub by_program: Vec<f64>,
    /// The first payout's date, as a `model::commission::payout_date_code`.
    pub first_payout: Option<u16>,
}

impl PathRecord {
    pub fn new(model: &Model) -> PathRecord {
        PathRecord {
            series: vec![0.0; Metric::COUNT * model.months],
            by_source: vec![0.0; model.sources.len() * SOURCE_SERIES * model.months],
            by_program: vec![
                0.0;
                (model.programs.len() * PROGRAM_SERIES
                    + model.programs.iter().map(|p| p.plans.len()).sum::<usize>()
                        * PLAN_SERIES)
                    * model.months
            ],
            first_payout: None,
        }
    }

    pub fn get(&self, metric: Metric, month: usize) -> f64 {
        self.series[metric.index() * (self.series.len() / Metric::COUNT) + month]
    }
}

/// One path in progress, reused from path to path: the drawn inputs, what
/// the path carries from one month to the next (cohorts, pending referrals,
/// balances, its random streams), and scratch space for a month's step.
/// Cloned between two months (with the [`PathRecord`]), it resumes the same
/// path; see [`simulate`].
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The drawn inputs in force: a strategy from a month holds the
    /// scenario's here until then, and its own in `base_drawn` (see
    /// [`take_over`]); once the path is done, its own are here.
    pub drawn: Vec<f64>,
    /// For a strategy from a month: the other parameter set (empty otherwise).
    pub base_drawn: Vec<f64>,
    /// The next month to simulate.
    month: usize,
    months: usize,
    cumulative_earned: f64,
    cumulative_paid: f64,
    /// `[program][plan][age]`: active referrals.
    cohorts: Vec<u64>,
    next: Vec<u64>,
    /// `[program][plan][link]`: each link's expected share of a plan's
    /// last, merged age bucket (only plans whose ages merge have one).
    tail: Vec<f64>,
    next_tail: Vec<f64>,
    /// How many links there are (see `Layout::link_source`): the stride of
    /// the per-link arrays.
    links: usize,
    /// `[program][month]`: paying referrals landing in that month.
    pending: Vec<u64>,
    /// `[link][month]`: each link's expected share of them.
    pending_share: Vec<f64>,
    /// `[month][link]`: each link's expected share of one referral who
    /// joined in that month (the links of one program are disjoint from
    /// another's). Every customer in an unmerged age bucket joined in the
    /// same month, so this is also the bucket's mix.
    mix_by_join: Vec<f64>,
    /// Per join month: this month's recurring, upgrade and run-rate
    /// commission from the referrals who joined then, before it is split by
    /// source.
    recurring_by_join: Vec<f64>,
    upgrade_by_join: Vec<f64>,
    mrr_by_join: Vec<f64>,
    /// `[source][age]`: expected visits of one copy at that age.
    traffic: Vec<Vec<f64>>,
    /// `[link]`: this month's expected paid, signed-up-only, clicked-only
    /// and visited-only counts (an entry's visited-only on its first link).
    funnel_rates: Vec<[f64; 4]>,
    /// `[source][copy]`: each copy's own standard normal size draw, and its
    /// multiplier on the entry's traffic (1 when copies share one draw).
    copy_z: Vec<Vec<f64>>,
    copy_factor: Vec<Vec<f64>>,
    /// `[source]`: each source's traffic noise and stream.
    traffic_noise: Vec<TrafficNoise>,
    traffic_rngs: Vec<StreamRng>,
    /// `[funnel group]`: each group's funnel stream.
    funnel_rngs: Vec<StreamRng>,
    /// `[program][plan]` rows of P(renewal k | renewal k-1), k = 0..=months+1,
    /// prepared for the draws of every bucket that reaches renewal k.
    renewal: Vec<PreparedBinomial>,
    /// `[program][k]`: base recurring rate on renewal k.
    recurring_rates: Vec<f64>,
    /// `[program]`, and `[link]` for the breakdown: clawback of this
    /// month's refunds, booked next month.
    program_clawback_due: Vec<f64>,
    clawback_due: Vec<f64>,
    /// `[program]`, and `[link]` for the breakdown: clawback booked this
    /// month.
    program_clawback_now: Vec<f64>,
    clawback_now: Vec<f64>,
    /// `[age]`: this month's renewals and upgrades of one plan.
    renewed: Vec<u64>,
    upgraded: Vec<u64>,
    split: Vec<u64>,
    shares: Vec<f64>,
    earned_by_program: Vec<f64>,
    cumulative_new: Vec<u64>,
    balance: Vec<f64>,
    retention_rngs: Vec<Vec<StreamRng>>,
    split_rngs: Vec<StreamRng>,
    /// `[link]` per-month accumulators.
    first: Vec<f64>,
    recurring: Vec<f64>,
    upgrade: Vec<f64>,
    bounty: Vec<f64>,
    mrr: Vec<f64>,
}

impl Workspace {
    pub fn new(model: &Model, layout: &Layout) -> Workspace {
        let max_plans = model
            .programs
            .iter()
            .map(|p| p.plans.len())
            .max()
            .unwrap_or(1);
        let sources = model.sources.len();
        let links = layout.link_source.len();
        let plans: usize = model.programs.iter().map(|p| p.plans.len()).sum();
        let months = layout.months;
        Workspace {
            drawn: vec![0.0; layout.parameters],
            base_drawn: vec![0.0; layout.base.as_ref().map_or(0, |base| base.parameters)],
            month: 0,
            months,
            cumulative_earned: 0.0,
            cumulative_paid: 0.0,
            cohorts: vec![0; layout.cohort_total],
            next: vec![0; layout.cohort_total],
            tail: vec![0.0; plans * links],
            next_tail: vec![0.0; plans * links],
            links,
            pending: vec![0; model.programs.len() * months],
            pending_share: vec![0.0; links * months],
            mix_by_join: vec![0.0; months * links],
            recurring_by_join: vec![0.0; months],
            upgrade_by_join: vec![0.0; months],
            mrr_by_join: vec![0.0; months],
            traffic: layout
                .traffic_ages
                .iter()
                .map(|ages| vec![0.0; *ages])
                .collect(),
            funnel_rates: vec![[0.0; 4]; links],
            copy_z: layout.copy_counts.iter().map(|&n| vec![0.0; n]).collect(),
            copy_factor: layout.copy_counts.iter().map(|&n| vec![1.0; n]).collect(),
            traffic_noise: vec![TrafficNoise::new(0.0); sources],
            traffic_rngs: vec![stream(0, 0, 0); sources],
            funnel_rngs: vec![stream(0, 0, 0); layout.funnel_groups.len()],
            renewal: vec![PreparedBinomial::default(); layout.renewal_total],
            recurring_rates: vec![0.0; model.programs.len() * (months + 2)],
            program_clawback_due: vec![0.0; model.programs.len()],
            clawback_due: vec![0.0; links],
            program_clawback_now: vec![0.0; model.programs.len()],
            clawback_now: vec![0.0; links],
            renewed: vec![0; months + 1],
            upgraded: vec![0; months + 1],
            split: vec![0; max_plans],
            shares: vec![0.0; max_plans],
            earned_by_program: vec![0.0; model.programs.len() * months],
            cumulative_new: vec![0; model.programs.len()],
            balance: vec![0.0; model.programs.len()],
            retention_rngs: layout
                .retention_streams
                .iter()
                .map(|plans| plans.iter().map(|_| stream(0, 0, 0)).collect())
                .collect(),
            split_rngs: layout
                .split_streams
                .iter()
                .map(|_| stream(0, 0, 0))
                .collect(),
            first: vec![0.0; links],
            recurring: vec![0.0; links],
            upgrade: vec![0.0; links],
            bounty: vec![0.0; links],
            mrr: vec![0.0; links],
        }
    }

    fn months(&self) -> usize {
        self.months
    }
}

/// Draws a path's uncertain inputs into `drawn`.
pub fn draw_parameters(model: &Model, layout: &Layout, seed: u64, path: u64, drawn: &mut [f64]) {
    draw_parameters_where(model, layout, seed, path, drawn, &|_| true, &|_| true);
}

/// Draws those of a path's uncertain inputs (by index) and plan mixes (by
/// index) that `wanted_input` and `wanted_mix` ask for into `drawn`, leaving the others:
/// each has a stream of its own, so a value drawn here is the one
/// [`draw_parameters`] draws.
pub fn draw_parameters_where(
    model: &Model,
    layout: &Layout,
    seed: u64,
    path: u64,
    drawn: &mut [f64],
    wanted_input: &dyn Fn(usize) -> bool,
    wanted_mix: &dyn Fn(usize) -> bool,
) {
    for (i, sampler) in layout.input_samplers.iter().enumerate() {
        if !wanted_input(i) {
            continue;
        }
        let mut rng = stream(seed, path, layout.input_streams[i]);
        drawn[i] = sampler.sample(&mut rng);
    }
    for (m, mix) in model
        .mixes
        .iter()
        .enumerate()
        .filter(|(m, _)| wanted_mix(*m))
    {
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

/// Simulates one path with the parameters already in `ws.drawn`; with
/// `breakdown`, also its series by source, program and plan (the same path,
/// to the last bit, either way: the breakdown only adds bookkeeping).
///
/// A path is [`start_path`], then [`simulate_month`] once per month. Between
/// two months, `ws` and `record` hold everything the path carries forward, so
/// a clone of them resumes the same path (its streams included).
pub fn simulate(
    model: &Model,
    layout: &Layout,
    seed: u64,
    path: u64,
    ws: &mut Workspace,
    record: &mut PathRecord,
    breakdown: bool,
) {
    start_path(model, layout, seed, path, ws, record, breakdown);
    for _ in 0..layout.months {
        simulate_month(model, layout, ws, record, breakdown);
    }
}

/// Where a path's noise comes from, month by month, and how far to run it.
///
/// A path of the prior draws every month from streams keyed by its index.
/// Sequential calibration (see `crate::calibrate::sequential`) copies a path
/// that matches the history so far into several children, and each child
/// draws the months after the copy from streams of its own: from month
/// `switches[r].0` on, the key is `switches[r].1`. The months before the
/// first switch are the ancestor's, drawn again identically, so a child is
/// replayed from its keys and inputs rather than stored.
#[derive(Clone, Copy, Debug)]
pub struct Branch<'a> {
    /// The ancestor's path index: the key of the months before any switch.
    pub path: u64,
    /// `(first month, key)`, months increasing.
    pub switches: &'a [(usize, u64)],
    /// Months simulated: `0..until` (later months stay zero).
    pub until: usize,
}

impl Branch<'_> {
    /// A path of the prior, every month.
    pub fn whole(path: u64, months: usize) -> Branch<'static> {
        Branch {
            path,
            switches: &[],
            until: months,
        }
    }

    /// The key the path's streams were last seeded with before month `t`:
    /// the last switch before it, or the path's own index.
    pub fn key_before(&self, t: usize) -> u64 {
        self.switches
            .iter()
            .take_while(|(from, _)| *from < t)
            .last()
            .map_or(self.path, |(_, key)| *key)
    }

    /// The key of the streams from month `t` on, if it changes at `t`.
    #[inline]
    fn switch_at(&self, t: usize) -> Option<u64> {
        self.switches
            .iter()
            .find(|(from, _)| *from == t)
            .map(|(_, key)| *key)
    }
}

/// [`simulate`] along a [`Branch`]: the same path as `simulate` to the last
/// bit when the branch has no switches and runs every month.
pub fn simulate_branch(
    model: &Model,
    layout: &Layout,
    seed: u64,
    branch: &Branch,
    ws: &mut Workspace,
    record: &mut PathRecord,
    breakdown: bool,
) {
    start_path(model, layout, seed, branch.path, ws, record, breakdown);
    continue_branch(model, layout, seed, branch, ws, record, breakdown);
}

/// Simulates the months of `branch` from the path's next month (`ws` and
/// `record` hold it, started or resumed) to `branch.until`.
pub fn continue_branch(
    model: &Model,
    layout: &Layout,
    seed: u64,
    branch: &Branch,
    ws: &mut Workspace,
    record: &mut PathRecord,
    breakdown: bool,
) {
    for t in ws.month..branch.until.min(layout.months) {
        if let Some(key) = branch.switch_at(t) {
            seed_streams(layout, seed, key, ws);
        }
        simulate_month(model, layout, ws, record, breakdown);
    }
}

/// Many paths' states between two months, flat: what each path carries
/// forward without its breakdown by source (cohorts, pending referrals,
/// balances, the months recorded so far, the state of every stream), about
/// a kilobyte for a q4 path. With the path's inputs, ancestor and keys it
/// resumes the path exactly ([`Carried::resume`]): the strategies that take
/// over after the history continue the conditioned paths from their states
/// at its end instead of replaying it. States are saved from a scenario
/// as written (see `engine::KeepStates`) and resumed without the breakdown.
/// (Sequential calibration could continue its paths month by month the
/// same way; measured, storing the states cost what replaying saved:
/// docs/PERFORMANCE.md.)
#[derive(Clone, Debug)]
pub struct Carried {
    /// Months simulated: the month every path simulates next.
    pub month: usize,
    words: usize,
    streams: usize,
    /// Traffic streams and funnel groups of the layout the states were
    /// saved in: a strategy's layout adds its content's after them.
    traffic: usize,
    funnel: usize,
    data: Vec<u64>,
    rngs: Vec<StreamRng>,
}

impl Carried {
    fn shape(model: &Model, layout: &Layout, month: usize) -> (usize, usize) {
        let programs = model.programs.len();
        let words = 4
            + layout.cohort_total
            + 2 * programs * layout.months
            + 3 * programs
            + Metric::COUNT * month;
        let streams = layout.traffic_streams.len()
            + layout.funnel_groups.len()
            + layout.retention_streams.iter().map(Vec::len).sum::<usize>()
            + layout.split_streams.len();
        (words, streams)
    }

    /// Bytes a path's state after `month` months takes.
    pub fn bytes_per_path(model: &Model, layout: &Layout, month: usize) -> usize {
        let (words, streams) = Carried::shape(model, layout, month);
        words * 8 + streams * std::mem::size_of::<StreamRng>()
    }

    /// Room for `paths` paths' states after `month` months.
    pub fn new(model: &Model, layout: &Layout, paths: usize, month: usize) -> Carried {
        let (words, streams) = Carried::shape(model, layout, month);
        Carried {
            month,
            words,
            streams,
            traffic: layout.traffic_streams.len(),
            funnel: layout.funnel_groups.len(),
            data: vec![0; paths * words],
            rngs: vec![stream(0, 0, 0); paths * streams],
        }
    }

    /// Resumes path `i` in `ws` and `record`, `ws.drawn` (and for a
    /// strategy `ws.base_drawn`) already holding its inputs, `path` its
    /// ancestor's index and `key` the key its streams were last seeded with:
    /// the path as it was after [`Carried::month`] months, to the last bit.
    /// `model` may be a strategy that takes over from a later month on the
    /// scenario the states were saved in: the streams of the content it adds
    /// have drawn nothing before it takes over, so they are seeded afresh.
    #[allow(clippy::too_many_arguments)]
    pub fn resume(
        &self,
        i: usize,
        model: &Model,
        layout: &Layout,
        seed: u64,
        path: u64,
        key: u64,
        ws: &mut Workspace,
        record: &mut PathRecord,
    ) {
        begin_path(
            model,
            layout,
            seed,
            path,
            ws,
            record,
            false,
            Some(self.month),
        );
        let data = &self.data[i * self.words..(i + 1) * self.words];
        let rngs = &self.rngs[i * self.streams..(i + 1) * self.streams];
        ws.month = data[0] as usize;
        ws.cumulative_earned = f64::from_bits(data[1]);
        ws.cumulative_paid = f64::from_bits(data[2]);
        record.first_payout = (data[3] != u64::MAX).then_some(data[3] as u16);
        let mut rest = &data[4..];
        for counts in [&mut ws.cohorts, &mut ws.pending, &mut ws.cumulative_new] {
            let (from, after) = rest.split_at(counts.len());
            counts.copy_from_slice(from);
            rest = after;
        }
        for values in [
            &mut ws.program_clawback_due,
            &mut ws.balance,
            &mut ws.earned_by_program,
        ] {
            let (from, after) = rest.split_at(values.len());
            for (value, word) in values.iter_mut().zip(from) {
                *value = f64::from_bits(*word);
            }
            rest = after;
        }
        let months = layout.months;
        for metric in 0..Metric::COUNT {
            let (from, after) = rest.split_at(self.month);
            for (value, word) in record.series[metric * months..].iter_mut().zip(from) {
                *value = f64::from_bits(*word);
            }
            rest = after;
        }
        let (traffic, rest) = rngs.split_at(self.traffic);
        let (funnel, mut rngs) = rest.split_at(self.funnel);
        ws.traffic_rngs[..self.traffic].clone_from_slice(traffic);
        for (rng, &purpose) in ws.traffic_rngs[self.traffic..]
            .iter_mut()
            .zip(&layout.traffic_streams[self.traffic..])
        {
            *rng = stream(seed, key, purpose);
        }
        ws.funnel_rngs[..self.funnel].clone_from_slice(funnel);
        for (rng, group) in ws.funnel_rngs[self.funnel..]
            .iter_mut()
            .zip(&layout.funnel_groups[self.funnel..])
        {
            *rng = stream(seed, key, group.stream);
        }
        for streams in ws.retention_rngs.iter_mut().chain([&mut ws.split_rngs]) {
            let (from, after) = rngs.split_at(streams.len());
            streams.clone_from_slice(from);
            rngs = after;
        }
    }
}

impl Carried {
    /// Stores the state of path `i`, simulated (its breakdown or not)
    /// through [`Carried::month`] months.
    pub fn save(&mut self, i: usize, ws: &Workspace, record: &PathRecord) {
        assert_eq!(ws.month, self.month, "a state saved after its month");
        let data = &mut self.data[i * self.words..(i + 1) * self.words];
        let rngs = &mut self.rngs[i * self.streams..(i + 1) * self.streams];
        let month = ws.month;
        let months = ws.months;
        let (head, rest) = data.split_at_mut(4);
        head.copy_from_slice(&[
            month as u64,
            ws.cumulative_earned.to_bits(),
            ws.cumulative_paid.to_bits(),
            record.first_payout.map_or(u64::MAX, u64::from),
        ]);
        let mut rest = rest;
        for counts in [&ws.cohorts, &ws.pending, &ws.cumulative_new] {
            let (into, after) = rest.split_at_mut(counts.len());
            into.copy_from_slice(counts);
            rest = after;
        }
        for values in [&ws.program_clawback_due, &ws.balance, &ws.earned_by_program] {
            let (into, after) = rest.split_at_mut(values.len());
            for (slot, value) in into.iter_mut().zip(values.iter()) {
                *slot = value.to_bits();
            }
            rest = after;
        }
        for metric in 0..Metric::COUNT {
            let (into, after) = rest.split_at_mut(month);
            for (slot, value) in into.iter_mut().zip(&record.series[metric * months..]) {
                *slot = value.to_bits();
            }
            rest = after;
        }
        debug_assert!(rest.is_empty(), "a state after {month} months");
        let mut rngs = rngs;
        for streams in [&ws.traffic_rngs, &ws.funnel_rngs]
            .into_iter()
            .chain(&ws.retention_rngs)
            .chain([&ws.split_rngs])
        {
            let (into, after) = rngs.split_at_mut(streams.len());
            into.clone_from_slice(streams);
            rngs = after;
        }
    }
}

/// Seeds every stream a month draws from (traffic, funnel, retention,
/// split) for key `key`: the path index at the start, a child's own key
/// after a resampling.
fn seed_streams(layout: &Layout, seed: u64, key: u64, ws: &mut Workspace) {
    for (rng, &purpose) in ws.traffic_rngs.iter_mut().zip(&layout.traffic_streams) {
        *rng = stream(seed, key, purpose);
    }
    for (rng, group) in ws.funnel_rngs.iter_mut().zip(&layout.funnel_groups) {
        *rng = stream(seed, key, group.stream);
    }
    for (rngs, purposes) in ws.retention_rngs.iter_mut().zip(&layout.retention_streams) {
        for (rng, &purpose) in rngs.iter_mut().zip(purposes) {
            *rng = stream(seed, key, purpose);
        }
    }
    for (rng, &purpose) in ws.split_rngs.iter_mut().zip(&layout.split_streams) {
        *rng = stream(seed, key, purpose);
    }
}

/// Sets `ws` and `record` at the start of path `path`: nothing simulated
/// yet, the tables that follow from the drawn inputs worked out, every stream
/// seeded.
pub fn start_path(
    model: &Model,
    layout: &Layout,
    seed: u64,
    path: u64,
    ws: &mut Workspace,
    record: &mut PathRecord,
    breakdown: bool,
) {
    begin_path(model, layout, seed, path, ws, record, breakdown, None);
}

/// [`start_path`], or the start of a path about to be resumed after
/// `resuming` months: its streams then come from its state, and a strategy
/// that takes over at that very month works out its tables itself.
#[allow(clippy::too_many_arguments)]
fn begin_path(
    model: &Model,
    layout: &Layout,
    seed: u64,
    path: u64,
    ws: &mut Workspace,
    record: &mut PathRecord,
    breakdown: bool,
    resuming: Option<usize>,
) {
    let tables = resuming.is_none_or(|month| month == 0 || month != model.takes_over());
    record.series.fill(0.0);
    if breakdown {
        record.by_source.fill(0.0);
        record.by_program.fill(0.0);
        ws.clawback_due.fill(0.0);
        ws.clawback_now.fill(0.0);
    }
    record.first_payout = None;
    ws.month = 0;
    ws.cohorts.fill(0);
    // A strategy from a later month runs the scenario as written until then.
    let in_force = model.in_force(0);
    if !std::ptr::eq(in_force, model) {
        std::mem::swap(&mut ws.drawn, &mut ws.base_drawn);
    }
    if tables {
        prepare_renewals(in_force, layout, ws);
    }

    let drawn = &ws.drawn;
    for s in 0..model.sources.len() {
        if model.sources[s].per_copy.is_some()
            || model
                .change_from
                .as_ref()
                .is_some_and(|c| c.base.sources.get(s).is_some_and(|b| b.per_copy.is_some()))
        {
            let mut rng = stream(seed, path, layout.copy_streams[s]);
            for z in ws.copy_z[s].iter_mut() {
                *z = StandardNormal.sample(&mut rng);
            }
        }
        // An entry a strategy adds has no copy live before it takes over,
        // which fills its tables.
        if let Some(source) = in_force.sources.get(s).filter(|_| tables) {
            copy_factors(source, &ws.drawn, &ws.copy_z[s], &mut ws.copy_factor[s]);
            source.traffic.fill_expected(drawn, &mut ws.traffic[s]);
            ws.traffic_noise[s] = TrafficNoise::new(source.noise.get(drawn));
        }
    }
    if resuming.is_none() {
        seed_streams(layout, seed, path, ws);
    }
    ws.pending.fill(0);
    if breakdown {
        ws.pending_share.fill(0.0);
    }

    ws.cumulative_earned = 0.0;
    ws.cumulative_paid = 0.0;
    ws.cumulative_new.fill(0);
    ws.balance.fill(0.0);
    ws.program_clawback_due.fill(0.0);
    if breakdown {
        ws.tail.fill(0.0);
        ws.mix_by_join.fill(0.0);
    }
}

/// Each plan's chance of renewal k given renewal k - 1, and each program's
/// base recurring rate on renewal k, from the drawn inputs.
fn prepare_renewals(model: &Model, layout: &Layout, ws: &mut Workspace) {
    let months = layout.months;
    let drawn = &ws.drawn;
    for (p, program) in model.programs.iter().enumerate() {
        for (k, plan) in program.plans.iter().enumerate() {
            let row = &mut ws.renewal[layout.renewal_rows[p][k]..][..months + 2];
            row[0] = PreparedBinomial::new(1.0);
            for (renewal, slot) in row.iter_mut().enumerate().skip(1) {
                *slot = PreparedBinomial::new(
                    plan.churn
                        .renewal_probability(drawn, renewal)
                        .clamp(0.0, 1.0),
                );
            }
        }
        let rates = &mut ws.recurring_rates[p * (months + 2)..][..months + 2];
        rates[0] = 0.0;
        for (renewal, slot) in rates.iter_mut().enumerate().skip(1) {
            *slot = program.recurring.rate(drawn, renewal);
        }
    }
}

/// Simulates month `ws.month` of the path, in the order docs/MODEL.md gives:
/// traffic, funnel, then per program renewals and upgrades, new referrals,
/// run-rate and money, then payouts; and moves on to the next month.
pub fn simulate_month(
    model: &Model,
    layout: &Layout,
    ws: &mut Workspace,
    record: &mut PathRecord,
    breakdown: bool,
) {
    let t = ws.month;
    if t > 0 && t == model.takes_over() {
        take_over(model, layout, ws);
    }
    let in_force = model.in_force(t);
    traffic(model, in_force, layout, ws, t);
    funnel(layout, ws, record, breakdown, t);
    open_month(ws, breakdown);

    let mut totals = MonthTotals::default();
    for p in 0..model.programs.len() {
        let program = start_program_month(in_force, layout, ws, breakdown, t, p);
        let mut money = Money::default();
        renewals_and_upgrades(layout, ws, &program, &mut money);
        new_referrals(in_force, ws, record, &program, &mut money);
        let active = run_rate(in_force, ws, record, &program, &mut money);
        book_money(ws, record, &program, &mut money);
        totals.new += program.new;
        totals.active += active;
        totals.money.add(&money);
    }
    if breakdown {
        breakdown_by_source(layout, ws, record, t);
    }
    let paid = payouts(in_force, layout, ws, record, breakdown, t);
    record_month(ws, record, t, &totals, paid);
    ws.month += 1;
    if ws.month == layout.months && model.takes_over() >= layout.months {
        // It never took over: its own inputs back where the path's are read.
        std::mem::swap(&mut ws.drawn, &mut ws.base_drawn);
    }
}

/// A strategy takes over: its own drawn inputs come into force, and the
/// tables that follow from them (renewal chances, recurring rates, each
/// entry's traffic by age and noise) are worked out again. Referrals,
/// balances and streams carry on as they are.
fn take_over(model: &Model, layout: &Layout, ws: &mut Workspace) {
    std::mem::swap(&mut ws.drawn, &mut ws.base_drawn);
    prepare_renewals(model, layout, ws);
    let drawn = &ws.drawn;
    for (s, source) in model.sources.iter().enumerate() {
        source.traffic.fill_expected(drawn, &mut ws.traffic[s]);
        ws.traffic_noise[s] = TrafficNoise::new(source.noise.get(drawn));
        copy_factors(source, drawn, &ws.copy_z[s], &mut ws.copy_factor[s]);
    }
}

/// Each copy's multiplier on its entry's traffic: its own share of the size
/// uncertainty (see [`crate::model::PerCopy`]), or 1 when copies share one
/// draw (then the traffic is the same to the last bit: `x · 1 = x`).
fn copy_factors(source: &crate::model::Source, drawn: &[f64], z: &[f64], factors: &mut [f64]) {
    match &source.per_copy {
        Some(per_copy) => {
            for (factor, &z) in factors.iter_mut().zip(z) {
                *factor = per_copy.factor(drawn, z);
            }
        }
        None => factors.fill(1.0),
    }
}

/// Traffic: each source's expected visits this month over all its live
/// copies, each copy with its own noise multiplier, split into the funnel's
/// four expected outcomes (paid, signed up only, clicked only, visited
/// only) for each program the entry promotes, by its share of the clicks.
fn traffic(model: &Model, in_force: &Model, layout: &Layout, ws: &mut Workspace, t: usize) {
    let drawn = &ws.drawn;
    for s in 0..model.sources.len() {
        let links = layout.source_links[s].clone();
        // Before a strategy takes over, the entries it adds publish nothing.
        let Some(source) = in_force.sources.get(s) else {
            ws.funnel_rates[links].fill([0.0; 4]);
            continue;
        };
        let noise = &ws.traffic_noise[s];
        let rng = &mut ws.traffic_rngs[s];
        let click_rate = source.click_rate.get(drawn);
        let signup_rate = source.signup_rate.get(drawn);
        let paid_rate = source.paid_rate.get(drawn);
        let mut rate = 0.0;
        for (&published, factor) in source.copies.iter().zip(&ws.copy_factor[s]) {
            let age = t as i32 - published;
            if age >= 0 {
                rate += ws.traffic[s][age as usize] * noise.sample(rng) * factor;
            }
        }
        // Clicks are Poisson given the month's rate, so splitting them among
        // the programs multinomially by share gives independent Poisson
        // counts of mean clicks × share (thinning): each program's funnel
        // draws its own. The entry's visitors who do not click are counted
        // once, with its first program.
        let clicked = rate * click_rate;
        for (i, (link, l)) in source.links.iter().zip(links).enumerate() {
            let clicked = clicked * link.share;
            let signed = clicked * signup_rate;
            ws.funnel_rates[l] = [
                signed * paid_rate,
                signed * (1.0 - paid_rate),
                clicked * (1.0 - signup_rate),
                if i == 0 {
                    rate * (1.0 - click_rate)
                } else {
                    0.0
                },
            ];
        }
    }
}

/// Funnel: the month's visits, clicks, sign-ups and paying referrals, drawn
/// per funnel group (sources of one program with one trial); paying
/// referrals land after the trial.
fn funnel(layout: &Layout, ws: &mut Workspace, record: &mut PathRecord, breakdown: bool, t: usize) {
    let months = layout.months;
    if breakdown {
        // An entry promoting several programs adds up its links' shares.
        for s in 0..layout.source_links.len() {
            let by_source = &mut record.by_source[s * SOURCE_SERIES * months..];
            by_source[SourceSeries::Visits as usize * months + t] = 0.0;
            by_source[SourceSeries::Clicks as usize * months + t] = 0.0;
        }
    }
    for (group, rng) in layout.funnel_groups.iter().zip(&mut ws.funnel_rngs) {
        let mut totals = [0.0; 4];
        for &l in &group.links {
            for (total, rate) in totals.iter_mut().zip(ws.funnel_rates[l]) {
                *total += rate;
            }
        }
        // Poisson thinning and superposition: with visits ~ Poisson and each
        // funnel stage a binomial of the one before, the four outcomes of
        // every source are independent Poisson counts, and so are their sums
        // over sources. Four draws per group and month give the same joint
        // distribution of the totals as a Poisson and three binomials per
        // source, at a cost that grows neither with traffic nor with the
        // number of sources. Per-source counts are only ever reported as
        // means, so each source gets its expected share of the drawn totals.
        let mut drawn_totals = [0u64; 4];
        for (count, mean) in drawn_totals.iter_mut().zip(totals) {
            *count = poisson(rng, mean);
        }
        let [paid, signed_only, clicked_only, visited_only] = drawn_totals;
        let signups = paid + signed_only;
        let clicks = signups + clicked_only;
        let visits = clicks + visited_only;
        let at = |m: Metric| m.index() * months + t;
        record.series[at(Metric::Visits)] += visits as f64;
        record.series[at(Metric::Clicks)] += clicks as f64;
        record.series[at(Metric::Signups)] += signups as f64;
        let lands = t + group.trial_months;
        if lands < months {
            ws.pending[group.program * months + lands] += paid;
        }
        if !breakdown {
            continue;
        }
        for &l in &group.links {
            let share = |k: usize| {
                if totals[k] > 0.0 {
                    drawn_totals[k] as f64 * ws.funnel_rates[l][k] / totals[k]
                } else {
                    0.0
                }
            };
            let paid_l = share(0);
            let clicks_l = paid_l + share(1) + share(2);
            let s = layout.link_source[l];
            let by_source = &mut record.by_source[s * SOURCE_SERIES * months..];
            by_source[SourceSeries::Visits as usize * months + t] += clicks_l + share(3);
            by_source[SourceSeries::Clicks as usize * months + t] += clicks_l;
            if lands < months {
                ws.pending_share[l * months + lands] += paid_l;
            }
        }
    }
}

/// Opens the month's books: last month's refunds are clawed back now, and the
/// per-source accumulators start from zero.
fn open_month(ws: &mut Workspace, breakdown: bool) {
    std::mem::swap(&mut ws.program_clawback_now, &mut ws.program_clawback_due);
    ws.program_clawback_due.fill(0.0);
    if breakdown {
        std::mem::swap(&mut ws.clawback_now, &mut ws.clawback_due);
        ws.clawback_due.fill(0.0);
        for buffer in [
            &mut ws.first,
            &mut ws.recurring,
            &mut ws.upgrade,
            &mut ws.bounty,
            &mut ws.mrr,
        ] {
            buffer.fill(0.0);
        }
    }
}

/// What one program's steps share in one month: where its referrals live,
/// who joins, and the rates in force after tiers.
struct ProgramMonth<'a> {
    p: usize,
    program: &'a Program,
    t: usize,
    months: usize,
    breakdown: bool,
    /// Paying referrals joining this month.
    new: u64,
    /// Per plan: (offset into the cohort arrays, age buckets).
    slots: &'a [(usize, usize)],
    /// The index of the program's first plan among all programs' plans.
    plan_base: usize,
    /// The links (content entries' shares of clicks) sending referrals to
    /// the program.
    links: &'a [usize],
    first_rate: f64,
    /// A tier's recurring rate, replacing the base rate on every renewal
    /// that earns recurring commission (a tier raises the rate; it does not
    /// extend `recurring_months`).
    recurring_override: Option<f64>,
    upgrade_rate: f64,
}

impl ProgramMonth<'_> {
    /// The recurring rate on renewal `renewal`, from the program's row of
    /// base rates in `Workspace::recurring_rates`.
    #[inline]
    fn rate_on(&self, rates: &[f64], renewal: usize) -> f64 {
        match self.recurring_override {
            Some(rate)
                if self
                    .program
                    .recurring
                    .for_renewals
                    .is_none_or(|limit| renewal <= limit as usize) =>
            {
                rate
            }
            _ => rates[self.p * (self.months + 2) + renewal.min(self.months + 1)],
        }
    }
}

/// The program's referrals landing this month join its books, and the rates
/// in force this month follow from the tiers they reach.
fn start_program_month<'a>(
    model: &'a Model,
    layout: &'a Layout,
    ws: &mut Workspace,
    breakdown: bool,
    t: usize,
    p: usize,
) -> ProgramMonth<'a> {
    let months = layout.months;
    let links = ws.links;
    let program = &model.programs[p];
    let program_links = &layout.program_links[p];
    let new = ws.pending[p * months + t];
    ws.cumulative_new[p] += new;
    if breakdown && new > 0 {
        for &l in program_links {
            ws.mix_by_join[t * links + l] = ws.pending_share[l * months + t] / new as f64;
        }
    }
    let drawn = &ws.drawn;
    let mut first_rate = program.first_order_rate.get(drawn);
    let mut recurring_override = None;
    let reached = program.tiers.iter().filter(|tier| {
        let count = match tier.period {
            TierPeriod::Month => new,
            TierPeriod::Total => ws.cumulative_new[p],
        };
        count >= tier.after
    });
    if let Some(tier) = reached.max_by_key(|tier| tier.after) {
        if let Some(rate) = tier.first_order_rate {
            first_rate = rate.get(drawn);
        }
        recurring_override = tier.recurring_rate.map(|r| r.get(drawn));
    }
    ws.recurring_by_join[..=t].fill(0.0);
    ws.upgrade_by_join[..=t].fill(0.0);
    ws.mrr_by_join[..=t].fill(0.0);
    ProgramMonth {
        p,
        program,
        t,
        months,
        breakdown,
        new,
        slots: &layout.cohort_slots[p],
        plan_base: layout.plan_base[p],
        links: program_links,
        first_rate,
        recurring_override,
        upgrade_rate: program.upgrade_rate.get(drawn),
    }
}

/// Renewals and upgrades: each active referral renews or churns, and some
/// renewers move to a higher plan. Renewals are drawn per age bucket;
/// upgrades per bucket too, or for the whole plan when few are expected (see
/// `thin`), which is cheaper at small counts. Money is booked by join month,
/// and split by source once per month for the breakdown; only a merged last
/// bucket (ages whose future no longer differs) tracks its source mix itself.
fn renewals_and_upgrades(
    layout: &Layout,
    ws: &mut Workspace,
    program: &ProgramMonth,
    money: &mut Money,
) {
    let ProgramMonth {
        p,
        t,
        months,
        breakdown,
        slots,
        plan_base,
        ..
    } = *program;
    let links = ws.links;
    let drawn = &ws.drawn;
    let price = |k: usize| program.program.plans[k].price.get(drawn);
    for &(offset, buckets) in slots {
        ws.next[offset..offset + buckets].fill(0);
    }
    let tails = plan_base * links..(plan_base + slots.len()) * links;
    if breakdown {
        ws.next_tail[tails.clone()].fill(0.0);
    }
    for (k, &(offset, buckets)) in slots.iter().enumerate() {
        let plan = &program.program.plans[k];
        let cap = buckets - 1;
        let renewal_row = &ws.renewal[layout.renewal_rows[p][k]..][..months + 2];
        let rng = &mut ws.retention_rngs[p][k];
        // (probability, target plan, its slot, commission per upgrade)
        let upgrade = plan.upgrade.map(|up| {
            (
                up.probability.get(drawn),
                up.to,
                slots[up.to],
                price(up.to) * program.upgrade_rate,
            )
        });
        let price_k = price(k);
        // Referrals of age a (before this month's renewal) joined in
        // month t - 1 - a, so ages t.. are empty.
        let ages = buckets.min(t);
        for age in 0..ages {
            let active = ws.cohorts[offset + age];
            ws.renewed[age] =
                binomial_prepared(rng, active, &renewal_row[(age + 1).min(months + 1)]);
        }
        match upgrade {
            Some((probability, ..)) => thin(
                rng,
                &ws.renewed[..ages],
                probability,
                &mut ws.upgraded[..ages],
            ),
            None => ws.upgraded[..ages].fill(0),
        }
        for age in 0..ages {
            let active = ws.cohorts[offset + age];
            if active == 0 {
                continue;
            }
            let renewal = (age + 1).min(months + 1);
            let (renewed, upgraded) = (ws.renewed[age], ws.upgraded[age]);
            let stayed = renewed - upgraded;
            let to_age = (age + 1).min(cap);
            ws.next[offset + to_age] += stayed;
            let stay_value = price_k * program.rate_on(&ws.recurring_rates, renewal);
            let up = upgrade
                .filter(|_| upgraded > 0)
                .map(|(_, to, to_slot, up_value)| (to, to_slot, up_value));
            if let Some((_, (to_offset, to_buckets), _)) = up {
                ws.next[to_offset + (age + 1).min(to_buckets - 1)] += upgraded;
            }
            if age < cap {
                let joined = t - 1 - age;
                ws.recurring_by_join[joined] += stayed as f64 * stay_value;
                if let Some((_, _, up_value)) = up {
                    ws.upgrade_by_join[joined] += upgraded as f64 * up_value;
                }
                if !breakdown {
                    continue;
                }
                let mix = &ws.mix_by_join[joined * links..][..links];
                if to_age == cap {
                    let into = &mut ws.next_tail[(plan_base + k) * links..][..links];
                    for &l in program.links {
                        into[l] += stayed as f64 * mix[l];
                    }
                }
                if let Some((to, (_, to_buckets), _)) = up
                    && age + 1 >= to_buckets - 1
                {
                    let into = &mut ws.next_tail[(plan_base + to) * links..][..links];
                    for &l in program.links {
                        into[l] += upgraded as f64 * mix[l];
                    }
                }
            } else {
                money.recurring += stayed as f64 * stay_value;
                if let Some((_, _, up_value)) = up {
                    money.upgrade += upgraded as f64 * up_value;
                }
                if !breakdown {
                    continue;
                }
                // The merged bucket: each source keeps its expected share of
                // the bucket.
                let from = (plan_base + k) * links;
                let stay_share = stayed as f64 / active as f64;
                let up_share = upgraded as f64 / active as f64;
                for &l in program.links {
                    let weight = ws.tail[from + l];
                    let moved = weight * stay_share;
                    ws.next_tail[from + l] += moved;
                    ws.recurring[l] += moved * stay_value;
                    if let Some((to, (_, to_buckets), up_value)) = up {
                        let moved = weight * up_share;
                        ws.upgrade[l] += moved * up_value;
                        if age + 1 >= to_buckets - 1 {
                            ws.next_tail[(plan_base + to) * links + l] += moved;
                        }
                    }
                }
            }
        }
    }
    for &(offset, buckets) in slots {
        ws.cohorts[offset..offset + buckets].copy_from_slice(&ws.next[offset..offset + buckets]);
    }
    if breakdown {
        ws.tail[tails.clone()].copy_from_slice(&ws.next_tail[tails]);
    }
}

/// New paying referrals: split by plan, pay the first order (and a bounty);
/// refunders are clawed back next month and never renew.
fn new_referrals(
    model: &Model,
    ws: &mut Workspace,
    record: &mut PathRecord,
    program: &ProgramMonth,
    money: &mut Money,
) {
    let ProgramMonth {
        p,
        t,
        months,
        breakdown,
        new,
        slots,
        plan_base,
        ..
    } = *program;
    if new == 0 {
        return;
    }
    let links = ws.links;
    let drawn = &ws.drawn;
    let plans = program.program.plans.len();
    let rng = &mut ws.split_rngs[p];
    let bounty_each = program.program.bounty.get(drawn);
    let refund_rate = program.program.refund_rate.get(drawn);
    if plans == 0 {
        // A bounty-only program: each new paying referral earns the bounty,
        // clawed back if they refund; nobody joins a plan's books.
        let refunded = binomial(rng, new, refund_rate);
        money.bounty += new as f64 * bounty_each;
        ws.program_clawback_due[p] += refunded as f64 * bounty_each;
        if breakdown {
            let mix = &ws.mix_by_join[t * links..][..links];
            for &l in program.links {
                ws.bounty[l] += mix[l] * new as f64 * bounty_each;
                ws.clawback_due[l] += mix[l] * refunded as f64 * bounty_each;
            }
        }
        return;
    }
    for (k, share) in ws.shares[..plans].iter_mut().enumerate() {
        *share = program.program.mix[k].get(drawn);
    }
    multinomial(rng, new, &ws.shares[..plans], &mut ws.split[..plans]);
    for (k, &(offset, buckets)) in slots.iter().enumerate() {
        let joined = ws.split[k];
        if joined == 0 {
            continue;
        }
        let refunded = binomial(rng, joined, refund_rate);
        let plan = &program.program.plans[k];
        let first_each = plan.price.get(drawn) * program.first_rate;
        let kept = joined - refunded;
        // A one-time buyer pays once: they never renew, so they join no
        // cohort (and are neither active referrals nor in the run-rate).
        let kept = if plan.billing.is_monthly() { kept } else { 0 };
        ws.cohorts[offset] += kept;
        money.first += joined as f64 * first_each;
        money.bounty += joined as f64 * bounty_each;
        ws.program_clawback_due[p] += refunded as f64 * (first_each + bounty_each);
        if !breakdown {
            continue;
        }
        record.by_program
            [plan_offset(model, p, k) + PlanSeries::NewReferrals as usize * months + t] =
            joined as f64;
        let mix = &ws.mix_by_join[t * links..][..links];
        for &l in program.links {
            ws.first[l] += mix[l] * joined as f64 * first_each;
            ws.bounty[l] += mix[l] * joined as f64 * bounty_each;
            ws.clawback_due[l] += mix[l] * refunded as f64 * (first_each + bounty_each);
            if buckets == 1 {
                ws.tail[(plan_base + k) * links + l] += mix[l] * kept as f64;
            }
        }
    }
}

/// Run-rate: what the active referrals earn at their next renewal. Returns
/// the program's active referrals.
fn run_rate(
    model: &Model,
    ws: &mut Workspace,
    record: &mut PathRecord,
    program: &ProgramMonth,
    money: &mut Money,
) -> u64 {
    let ProgramMonth {
        p,
        t,
        months,
        breakdown,
        slots,
        plan_base,
        ..
    } = *program;
    let links = ws.links;
    let mut active_total = 0;
    for (k, &(offset, buckets)) in slots.iter().enumerate() {
        let cap = buckets - 1;
        let price_k = program.program.plans[k].price.get(&ws.drawn);
        let mut plan_active = 0;
        // After this month's joiners, ages 0..=t can be occupied.
        for age in 0..buckets.min(t + 1) {
            let count = ws.cohorts[offset + age];
            if count == 0 {
                continue;
            }
            plan_active += count;
            let value = price_k * program.rate_on(&ws.recurring_rates, age + 1);
            if age < cap {
                ws.mrr_by_join[t - age] += count as f64 * value;
            } else {
                money.mrr += count as f64 * value;
                if breakdown {
                    let from = (plan_base + k) * links;
                    for &l in program.links {
                        ws.mrr[l] += ws.tail[from + l] * value;
                    }
                }
            }
        }
        active_total += plan_active;
        if breakdown {
            record.by_program
                [plan_offset(model, p, k) + PlanSeries::ActiveReferrals as usize * months + t] =
                plan_active as f64;
        }
    }
    active_total
}

/// Money: what was booked by join month joins the program's totals, and for
/// the breakdown each source's share by the month its referrals joined,
/// summed in registers (adding into the per-source buffers join month by
/// join month chained every step through memory); the month's earnings are
/// kept for payouts.
fn book_money(
    ws: &mut Workspace,
    record: &mut PathRecord,
    program: &ProgramMonth,
    money: &mut Money,
) {
    let ProgramMonth {
        p,
        t,
        months,
        breakdown,
        ..
    } = *program;
    let links = ws.links;
    let by_join = (
        &ws.recurring_by_join[..=t],
        &ws.upgrade_by_join[..=t],
        &ws.mrr_by_join[..=t],
    );
    money.recurring += by_join.0.iter().sum::<f64>();
    money.upgrade += by_join.1.iter().sum::<f64>();
    money.mrr += by_join.2.iter().sum::<f64>();
    money.clawback = -ws.program_clawback_now[p];
    let earned = money.earned();
    ws.earned_by_program[p * months + t] = earned;
    if breakdown {
        for &l in program.links {
            let (mut recurring, mut upgrade, mut mrr) = (0.0, 0.0, 0.0);
            for joined in 0..=t {
                let mix = ws.mix_by_join[joined * links + l];
                recurring += by_join.0[joined] * mix;
                upgrade += by_join.1[joined] * mix;
                mrr += by_join.2[joined] * mix;
            }
            ws.recurring[l] += recurring;
            ws.upgrade[l] += upgrade;
            ws.mrr[l] += mrr;
        }
        let by_program = &mut record.by_program[p * PROGRAM_SERIES * months..];
        by_program[ProgramSeries::Earned as usize * months + t] = earned;
        by_program[ProgramSeries::Mrr as usize * months + t] = money.mrr;
    }
}

/// The month's commission by source (the sum of its links), for the
/// breakdown.
fn breakdown_by_source(layout: &Layout, ws: &Workspace, record: &mut PathRecord, t: usize) {
    let months = ws.months();
    for (s, links) in layout.source_links.iter().enumerate() {
        // Summed from the first link's value, so an entry with one link
        // records that link's figures exactly.
        let sum = |value: &dyn Fn(usize) -> f64| {
            links
                .clone()
                .skip(1)
                .fold(value(links.start), |sum, l| sum + value(l))
        };
        let by_source = &mut record.by_source[s * SOURCE_SERIES * months..];
        by_source[SourceSeries::Earned as usize * months + t] = sum(&|l| {
            ws.first[l] + ws.recurring[l] + ws.upgrade[l] + ws.bounty[l] - ws.clawback_now[l]
        });
        by_source[SourceSeries::NewReferrals as usize * months + t] =
            sum(&|l| ws.pending_share[l * months + t]);
        by_source[SourceSeries::Mrr as usize * months + t] = sum(&|l| ws.mrr[l]);
    }
}

/// Payouts: commission clears after the hold and schedule lag and is paid
/// once the program's cleared balance reaches its minimum. Returns the total
/// paid this month.
fn payouts(
    model: &Model,
    layout: &Layout,
    ws: &mut Workspace,
    record: &mut PathRecord,
    breakdown: bool,
    t: usize,
) -> f64 {
    let months = layout.months;
    let mut paid_total = 0.0;
    for (p, program) in model.programs.iter().enumerate() {
        let lag = layout.lags[p];
        if t >= lag {
            ws.balance[p] += ws.earned_by_program[p * months + t - lag];
        }
        if ws.balance[p] > 1e-9 && ws.balance[p] >= program.payout_minimum {
            paid_total += ws.balance[p];
            if breakdown {
                record.by_program
                    [p * PROGRAM_SERIES * months + ProgramSeries::Paid as usize * months + t] =
                    ws.balance[p];
            }
            ws.balance[p] = 0.0;
            // Months come in order, so only a program paying earlier in the
            // same month can come before this payout.
            let date = crate::model::commission::payout_date_code(
                t,
                program.payout.day_in(model.month(t)),
            );
            record.first_payout = Some(record.first_payout.map_or(date, |first| first.min(date)));
        }
    }
    paid_total
}

/// The month's totals over every program.
#[derive(Clone, Copy, Debug, Default)]
struct MonthTotals {
    new: u64,
    active: u64,
    money: Money,
}

/// Writes the month's totals into the path's series.
fn record_month(
    ws: &mut Workspace,
    record: &mut PathRecord,
    t: usize,
    totals: &MonthTotals,
    paid: f64,
) {
    let months = ws.months();
    let earned = totals.money.earned();
    ws.cumulative_earned += earned;
    ws.cumulative_paid += paid;
    let series = &mut record.series;
    let mut set = |metric: Metric, value: f64| series[metric.index() * months + t] = value;
    set(Metric::NewReferrals, totals.new as f64);
    set(Metric::ActiveReferrals, totals.active as f64);
    set(Metric::Mrr, totals.money.mrr);
    set(Metric::FirstOrder, totals.money.first);
    set(Metric::Recurring, totals.money.recurring);
    set(Metric::Upgrade, totals.money.upgrade);
    set(Metric::Bounty, totals.money.bounty);
    set(Metric::Clawback, totals.money.clawback);
    set(Metric::Earned, earned);
    set(Metric::CumulativeEarned, ws.cumulative_earned);
    set(Metric::Paid, paid);
    set(Metric::CumulativePaid, ws.cumulative_paid);
}

/// One month's commission of a program, or of all programs, by kind.
#[derive(Clone, Copy, Debug, Default)]
struct Money {
    first: f64,
    recurring: f64,
    upgrade: f64,
    bounty: f64,
    /// Negative: last month's refunds taken back.
    clawback: f64,
    /// The run-rate at the end of the month.
    mrr: f64,
}

impl Money {
    fn earned(&self) -> f64 {
        self.first + self.recurring + self.upgrade + self.bounty + self.clawback
    }

    fn add(&mut self, other: &Money) {
        self.first += other.first;
        self.recurring += other.recurring;
        self.upgrade += other.upgrade;
        self.bounty += other.bounty;
        self.clawback += other.clawback;
        self.mrr += other.mrr;
    }
}

/// Applies pinned values (sensitivity analysis) over drawn parameters.
pub fn apply_pins(drawn: &mut [f64], pins: &[(usize, f64)]) {
    for &(index, value) in pins {
        drawn[index] = value;
    }
}
