//! The Monte Carlo engine: many independent paths, in parallel.
//!
//! Paths are grouped in fixed chunks; each chunk's sums are combined in chunk
//! order, and every path draws from its own streams, so results are
//! bit-identical whatever the number of threads.

pub mod draw;
pub mod path;
pub mod rng;

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::model::{Metric, Model};
pub use path::{
    Layout, PLAN_SERIES, PROGRAM_SERIES, PathRecord, PlanSeries, ProgramSeries, SOURCE_SERIES,
    SourceSeries, Workspace, plan_offset,
};

/// Paths per chunk: the unit of parallel work and of deterministic summation.
pub const CHUNK: usize = 256;

/// How to run: everything a caller may vary without changing the model.
#[derive(Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// Overrides the model's number of paths.
    pub paths: Option<usize>,
    /// Overrides the model's seed.
    pub seed: Option<u64>,
    /// Uncertain inputs held at a value: `(parameter index, value)`.
    pub pins: &'a [(usize, f64)],
    /// Parameter vectors to use instead of drawing them (`paths × parameters`).
    pub parameters: Option<&'a [f64]>,
    /// Index of the first path (paths `first_path..first_path + paths` run).
    pub first_path: u64,
    /// Called with the number of paths just finished.
    pub progress: Option<&'a (dyn Fn(usize) + Sync)>,
    /// Set to stop early; the run then returns `Err(Cancelled)`.
    pub cancel: Option<&'a AtomicBool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Every path's monthly series, compactly, plus breakdown means.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub paths: usize,
    pub months: usize,
    pub seed: u64,
    pub first_path: u64,
    /// `[path][metric][month]`, f32 to halve memory; sums use f64 elsewhere.
    pub series: Vec<f32>,
    /// `[path][parameter]`: each path's drawn uncertain inputs.
    pub parameters: Vec<f64>,
    pub parameter_count: usize,
    /// Month index of each path's first payout (`u16::MAX`: none).
    pub first_payout: Vec<u16>,
    /// Mean over paths, `[metric][month]`, summed in f64.
    pub mean: Vec<f64>,
    /// Mean over paths, `[source][SourceSeries][month]`.
    pub mean_by_source: Vec<f64>,
    /// Mean over paths, `[program][ProgramSeries][month]` then
    /// `[plan][PlanSeries][month]` (see [`plan_offset`]).
    pub mean_by_program: Vec<f64>,
    /// Importance weights per path, summing to one, set by calibration to
    /// observed history; `None` means every path counts equally. The means
    /// above are weighted means once this is set.
    pub weights: Option<Vec<f64>>,
}

impl Simulation {
    #[inline]
    pub fn value(&self, path: usize, metric: Metric, month: usize) -> f32 {
        self.series[(path * Metric::COUNT + metric.index()) * self.months + month]
    }

    /// One path's series for a metric.
    pub fn path_series(&self, path: usize, metric: Metric) -> &[f32] {
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

    pub fn parameters_of(&self, path: usize) -> &[f64] {
        &self.parameters[path * self.parameter_count..(path + 1) * self.parameter_count]
    }
}

/// Runs the model.
pub fn run(model: &Model, options: &RunOptions) -> Result<Simulation, Cancelled> {
    let paths = options.paths.unwrap_or(model.paths);
    let seed = options.seed.unwrap_or(model.seed);
    let layout = Layout::new(model);
    let record_len = layout.record_len();
    let parameter_count = layout.parameters;
    if let Some(given) = options.parameters {
        assert_eq!(
            given.len(),
            paths * parameter_count,
            "one parameter vector per path"
        );
    }

    let mut series = vec![0f32; paths * record_len];

    struct Sums {
        mean: Vec<f64>,
        by_source: Vec<f64>,
        by_program: Vec<f64>,
        parameters: Vec<f64>,
        first_payout: Vec<u16>,
    }

    let chunk_sums: Vec<Option<Sums>> = series
        .par_chunks_mut(CHUNK * record_len)
        .enumerate()
        .map(|(chunk, series)| {
            if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return None;
            }
            let mut ws = Workspace::new(model, &layout);
            let mut record = PathRecord::new(model);
            let mut sums = Sums {
                mean: vec![0.0; record.series.len()],
                by_source: vec![0.0; record.by_source.len()],
                by_program: vec![0.0; record.by_program.len()],
                parameters: Vec::new(),
                first_payout: Vec::new(),
            };
            let count = series.len() / record_len;
            for i in 0..count {
                let local = chunk * CHUNK + i;
                let path = options.first_path + local as u64;
                match options.parameters {
                    Some(given) => ws.drawn.copy_from_slice(
                        &given[local * parameter_count..(local + 1) * parameter_count],
                    ),
                    None => path::draw_parameters(model, &layout, seed, path, &mut ws.drawn),
                }
                path::apply_pins(&mut ws.drawn, options.pins);
                path::simulate(model, &layout, seed, path, &mut ws, &mut record);
                for (out, value) in series[i * record_len..(i + 1) * record_len]
                    .iter_mut()
                    .zip(&record.series)
                {
                    *out = *value as f32;
                }
                sums.parameters.extend_from_slice(&ws.drawn);
                sums.first_payout
                    .push(record.first_payout.map_or(u16::MAX, |m| m as u16));
                add(&mut sums.mean, &record.series);
                add(&mut sums.by_source, &record.by_source);
                add(&mut sums.by_program, &record.by_program);
            }
            if let Some(progress) = options.progress {
                progress(count);
            }
            Some(sums)
        })
        .collect();

    let record = PathRecord::new(model);
    let mut mean = vec![0.0; record.series.len()];
    let mut mean_by_source = vec![0.0; record.by_source.len()];
    let mut mean_by_program = vec![0.0; record.by_program.len()];
    let mut parameters = Vec::with_capacity(paths * parameter_count);
    let mut first_payout = Vec::with_capacity(paths);
    for sums in chunk_sums {
        let sums = sums.ok_or(Cancelled)?;
        add(&mut mean, &sums.mean);
        add(&mut mean_by_source, &sums.by_source);
        add(&mut mean_by_program, &sums.by_program);
        parameters.extend_from_slice(&sums.parameters);
        first_payout.extend_from_slice(&sums.first_payout);
    }
    let scale = 1.0 / paths as f64;
    for value in mean
        .iter_mut()
        .chain(&mut mean_by_source)
        .chain(&mut mean_by_program)
    {
        *value *= scale;
    }
    Ok(Simulation {
        paths,
        months: model.months,
        seed,
        first_path: options.first_path,
        series,
        parameters,
        parameter_count,
        first_payout,
        mean,
        mean_by_source,
        mean_by_program,
        weights: None,
    })
}

fn add(into: &mut [f64], values: &[f64]) {
    for (sum, value) in into.iter_mut().zip(values) {
        *sum += value;
    }
}

/// Bytes a run of `paths` paths needs at its peak: the per-path series and
/// parameters, the first-payout months, and one f32 column copy per worker
/// thread while percentiles are computed, plus a fixed allowance for the
/// program itself.
pub fn memory_estimate(model: &Model, paths: usize) -> u64 {
    let layout = Layout::new(model);
    let per_path = layout.record_len() * 4 + layout.parameters * 8 + 2;
    let columns = rayon::current_num_threads() * paths * 4 * 2;
    (paths * per_path + columns) as u64 + 24 * 1024 * 1024
}

/// Memory the system can still give this process, from /proc/meminfo.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// This process's peak resident memory, from /proc/self/status.
pub fn peak_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
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
        self.paths += other.paths;
    }
}
