//! What a run produced, as data: every path's series (in memory) or what the
//! streaming passes worked out (see [`streamed`]), the means, weights and
//! order keys the statistics read. Both storage modes fill a [`Simulation`];
//! the layers above read it and never run the engine themselves.

pub mod columns;
pub mod estimate;
pub mod order_key;
pub mod outcome;
pub mod streamed;

pub use estimate::Estimate;
pub use outcome::outcome;
pub use streamed::{Fit, PercentileRule, ReferralValue, StreamedAnswers};

/// What a reader of a run asks of it besides the bands and the targets'
/// outcomes: whole columns it reads path by path, and percentiles of series
/// columns. Streaming mode keeps or finds exactly these in its passes (in
/// memory every path is there anyway). Each reader declares its own next to
/// its code: the charts' are gathered by `plot::queries`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Queries {
    /// `(metric, month index)` columns read path by path.
    pub columns: Vec<(Metric, usize)>,
    /// `(metric, month index, percentile)`.
    pub percentiles: Vec<(Metric, usize, f64)>,
}

impl Queries {
    pub fn add(&mut self, other: Queries) {
        self.columns.extend(other.columns);
        self.percentiles.extend(other.percentiles);
    }
}

use crate::model::{Metric, Target};

/// What the layers above ask of a run's columns, answered by either storage
/// mode: in memory from the paths (`stats::answers::Paths`), streamed from
/// what the passes found ([`StreamedAnswers`], which panics on a question nobody
/// declared). `stats::answers` is the one place that picks between them.
pub trait Answers {
    /// One path's value of a metric in a month.
    fn value(&self, path: usize, metric: Metric, month: usize) -> f32;
    /// How one path fares against a target (see [`outcome`]).
    fn outcome(&self, path: usize, target: &Target) -> u16;
    /// Percentiles of a column (see [`columns`]), `wanted` ascending.
    fn percentiles(&self, rule: PercentileRule, column: usize, wanted: &[f64]) -> Vec<f64>;
    /// Unweighted share of paths whose value of a metric in a month is at
    /// most `value`.
    fn share_at_or_below(&self, metric: Metric, month: usize, value: f64) -> f64;
}

/// Bytes of keys [`bands`] gathers at once, a bound on the memory it adds
/// to a run (q4 at 10^6 calibrated paths takes two groups of metrics).
pub const GATHER_BYTES: usize = 128 << 20;

/// What a run does with the paths' series by source, program and plan: they
/// cost about a tenth of the engine's time, and most uses of a run need only
/// the totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Breakdown {
    /// Simulated for every path and averaged: the means are there.
    #[default]
    Averaged,
    /// Left out by the engine, to be averaged later over the paths that
    /// count: calibration re-simulates the paths it weights, or
    /// [`average_breakdown`] every path. A calibrated run would otherwise
    /// compute them twice.
    Deferred,
    /// Not wanted: the strategy tools read only the totals.
    Skipped,
}

/// Every path's monthly series, compactly, plus breakdown means.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub paths: usize,
    /// How many of the first paths were simulated to the horizon: all of
    /// them, except in a prior that sequential calibration will replace,
    /// whose later paths stop after the history (their later months are
    /// zero, and its means are not the model's).
    pub whole_paths: usize,
    pub months: usize,
    pub seed: u64,
    pub first_path: u64,
    /// `[path][metric][month]`, f32 to halve memory; sums use f64 elsewhere.
    pub series: Vec<f32>,
    /// `[path][parameter]`: each path's drawn uncertain inputs.
    pub parameters: Vec<f64>,
    pub parameter_count: usize,
    /// Each path's first payout date as a `model::commission::payout_date_code`
    /// (`u16::MAX`: none).
    pub first_payout: Vec<u16>,
    /// Mean over paths, `[metric][month]`, summed in f64.
    pub mean: Vec<f64>,
    /// Mean over paths, `[source][SourceSeries][month]`; empty unless
    /// `breakdown` is [`Breakdown::Averaged`], as is `mean_by_program`.
    pub mean_by_source: Vec<f64>,
    /// Mean over paths, `[program][ProgramSeries][month]` then
    /// `[plan][PlanSeries][month]` (see `engine::plan_offset`).
    pub mean_by_program: Vec<f64>,
    pub breakdown: Breakdown,
    /// Importance weights per path, summing to one, set by calibration to
    /// observed history; `None` means every path counts equally. The means
    /// above are weighted means once this is set.
    pub weights: Option<Vec<f64>>,
    /// Set in streaming mode: `series` and `parameters` are then (nearly)
    /// empty, and statistics come from what the passes over the paths
    /// computed (see [`crate::streaming`]). Only `sim` and `stats::answers`
    /// read it (tests/layers.rs): everything else asks the [`Answers`] both
    /// storage modes give, or the methods below.
    pub streamed_answers: Option<Box<StreamedAnswers>>,
    /// Set when sequential calibration resampled the paths: how to replay
    /// each one, and which prior path it descends from (the clusters of its
    /// standard errors).
    pub lineage: Option<std::sync::Arc<Lineage>>,
}

/// Where each path of a resampled population comes from: its ancestor among
/// the prior paths and the keys of the noise its months draw after each
/// resampling (see `crate::engine::Branch`). Enough to replay any path exactly, so the
/// population keeps no state between months.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lineage {
    /// `[path]`: the index of its ancestor among the prior paths.
    pub roots: Vec<u64>,
    /// Switches per path: every path switches at every resampling.
    pub generations: usize,
    /// `[path][generation]`: (first month, key).
    pub switches: Vec<(usize, u64)>,
}

impl Simulation {
    /// Whether every path's series and inputs are here (in memory), so a
    /// reader may gather whole columns itself; a streamed run answers only
    /// through [`Answers`].
    pub fn keeps_paths(&self) -> bool {
        self.streamed_answers.is_none()
    }

    /// Passes streaming mode made over the paths (`None` in memory).
    pub fn streamed_passes(&self) -> Option<usize> {
        self.streamed_answers.as_ref().map(|s| s.passes)
    }

    /// The weights a streamed run fitted during its passes (it needs them to
    /// find weighted percentiles); `None` in memory, where they are fitted
    /// from the paths.
    pub fn take_prefitted(&mut self) -> Option<Fit> {
        self.streamed_answers.as_mut().and_then(|s| s.take_fit())
    }

    /// The posterior means a streamed run summed during its passes.
    pub fn take_posterior_means(&mut self) -> Option<[Vec<f64>; 3]> {
        self.streamed_answers
            .as_mut()
            .and_then(|s| s.take_posterior_means())
    }

    /// The weighted referral values a streamed run summed during its passes.
    pub fn prefound_referral_values(&self) -> Option<Vec<ReferralValue>> {
        self.streamed_answers.as_ref().map(|s| s.referral_values())
    }

    #[inline]
    pub fn value(&self, path: usize, metric: Metric, month: usize) -> f32 {
        match &self.streamed_answers {
            None => self.series[(path * Metric::COUNT + metric.index()) * self.months + month],
            Some(streamed) => streamed.value(path, metric, month),
        }
    }

    /// One path's series for a metric.
    pub fn path_series(&self, path: usize, metric: Metric) -> &[f32] {
        assert!(
            self.streamed_answers.is_none(),
            "streaming mode keeps no path series"
        );
        let start = (path * Metric::COUNT + metric.index()) * self.months;
        &self.series[start..start + self.months]
    }

    /// A metric's values in one month, across paths.
    pub fn column(&self, metric: Metric, month: usize) -> impl Iterator<Item = f32> + '_ {
        (0..self.paths).map(move |path| self.value(path, metric, month))
    }

    pub fn mean(&self, metric: Metric, month: usize) -> f64 {
        self.mean[metric.index() * self.months + month]
    }

    /// How one path fares against a target (see [`outcome`]).
    pub fn outcome(&self, path: usize, target: &crate::model::Target) -> u16 {
        match &self.streamed_answers {
            None => outcome(self.path_series(path, target.metric), target),
            Some(streamed) => streamed.outcome(path, target),
        }
    }

    pub fn parameters_of(&self, path: usize) -> &[f64] {
        &self.parameters[path * self.parameter_count..(path + 1) * self.parameter_count]
    }
}

impl Simulation {
    /// Appends the paths of `other` (a later batch of the same model and
    /// seed); means are combined by path counts.
    pub fn append(&mut self, other: Simulation) {
        let (n, m) = (self.paths as f64, other.paths as f64);
        for (mine, theirs) in [
            (&mut self.mean, &other.mean),
            (&mut self.mean_by_source, &other.mean_by_source),
            (&mut self.mean_by_program, &other.mean_by_program),
        ] {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a = (*a * n + b * m) / (n + m);
            }
        }
        self.series.extend_from_slice(&other.series);
        self.parameters.extend_from_slice(&other.parameters);
        self.first_payout.extend_from_slice(&other.first_payout);
        if self.whole_paths == self.paths {
            self.whole_paths += other.whole_paths;
        }
        self.paths += other.paths;
    }
}
