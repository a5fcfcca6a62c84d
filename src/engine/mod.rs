//! The Monte Carlo engine: many independent paths, in parallel.
//!
//! Paths are grouped in fixed chunks; each chunk's sums are combined in chunk
//! order, and every path draws from its own streams, so results are
//! bit-identical whatever the number of threads.

pub mod draw;
pub mod path;
pub mod rng;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::model::Model;
use crate::sim::{Breakdown, Lineage, Simulation};
pub use path::{
    Branch, Layout, PLAN_SERIES, PROGRAM_SERIES, PathRecord, PlanSeries, ProgramSeries,
    SOURCE_SERIES, SourceSeries, Workspace, plan_offset,
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
    /// Whether to average the series by source, program and plan.
    pub breakdown: Breakdown,
    /// Paths descended from resampled ones (sequential calibration): path
    /// `i` replays `lineage.branch(i)`; `parameters` must then be given.
    pub lineage: Option<&'a Lineage>,
    /// For a strategy that takes over from a month: the inputs of the
    /// scenario it takes over from, per path, instead of drawing them (a
    /// counterfactual of a conditioned population, whose inputs were moved).
    /// The run does not keep them, so a run given them leaves its breakdown
    /// [`Breakdown::Skipped`] (nothing re-simulates its paths later).
    pub base_parameters: Option<&'a [f64]>,
    /// Simulates months `0..until` only (later months stay zero): a prior
    /// that sequential calibration will replace needs no more than its
    /// observed months.
    pub until: Option<usize>,
    /// With `until` (and no `lineage`), the paths numbered below this are
    /// still simulated to the horizon: a trimmed prior's first paths give
    /// the odds before calibration.
    pub whole_paths: u64,
    /// The paths' states after some months (sequential calibration's
    /// population at the end of the history): each path resumes from its
    /// state instead of being simulated from the start, to the same bits.
    /// Needs `lineage` and `parameters`, and no breakdown.
    pub resume: Option<&'a path::Carried>,
    /// Keeps every path's state after some months (see [`KeepStates`]).
    pub keep_states: Option<&'a KeepStates>,
    /// The weights a run's paths will be given (a counterfactual of a
    /// conditioned population): a path of weight zero counts for nothing,
    /// so only its inputs are stored, its series left at zero. The run's
    /// own means are then not the paths' means: the caller weighs them
    /// (`calibrate::reweight_means`).
    pub weights: Option<&'a [f64]>,
}

/// Where a run keeps its paths' states after some months, for later runs
/// to resume from ([`RunOptions::resume`]); only for a run without the
/// breakdown. Each path's state is a few hundred bytes, copied in once, so
/// one lock for all of them costs nothing measurable.
pub struct KeepStates {
    month: usize,
    states: std::sync::Mutex<path::Carried>,
}

impl KeepStates {
    /// Room for `paths` paths' states after `month` months.
    pub fn new(model: &Model, paths: usize, month: usize) -> KeepStates {
        KeepStates {
            month,
            states: std::sync::Mutex::new(path::Carried::new(
                model,
                &Layout::new(model),
                paths,
                month,
            )),
        }
    }

    /// The states kept.
    pub fn into_states(self) -> path::Carried {
        self.states
            .into_inner()
            .expect("no panics while keeping states")
    }
}

/// Importance weights found as a run simulates (see [`run_weighing`]).
#[derive(Clone, Copy)]
pub struct Weighting<'a> {
    /// A path's log weight, from its index and its simulated months.
    pub log_weight: &'a (dyn Fn(usize, &PathRecord) -> f64 + Sync),
    /// No path's log weight is above this.
    pub ceiling: f64,
    /// Paths whose weight is below this share of `e^ceiling` are left out
    /// of the breakdown's sums (their share goes to the others); their
    /// series still count.
    pub breakdown_floor: f64,
}

/// What a weighted run found besides its paths (see [`run_weighing`]).
#[derive(Debug)]
pub struct Weighed {
    /// Each path's log weight.
    pub log_weights: Vec<f64>,
    /// The sum of `e^(log weight − ceiling)` over the paths in the
    /// breakdown's sums, which were summed with those weights: dividing by
    /// it makes them weighted means.
    pub breakdown_weight: f64,
}

impl Lineage {
    /// The prior paths `0..paths`, before any resampling.
    pub fn prior(paths: usize) -> Lineage {
        Lineage {
            roots: (0..paths as u64).collect(),
            generations: 0,
            switches: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.roots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// Path `i`'s branch, months `0..until`.
    pub fn branch(&self, i: usize, until: usize) -> Branch<'_> {
        Branch {
            path: self.roots[i],
            switches: &self.switches[i * self.generations..(i + 1) * self.generations],
            until,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Set when the user asks the whole program to stop (Ctrl-C, SIGTERM,
/// SIGHUP): every run checks it between chunks of paths, whatever its
/// options say, so that no command (a sweep's tenth run, calibration's
/// re-simulation) keeps going for long after it.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Paths simulated so far by this process, in every run of the engine: what
/// the commands that run the engine many times (compare, sweep,
/// sensitivity, calibration's re-simulation) show their progress by.
pub static PATHS_SIMULATED: AtomicU64 = AtomicU64::new(0);

/// Whether a stop was asked for, globally or through `cancel`.
pub fn stopping(cancel: Option<&AtomicBool>) -> bool {
    STOP.load(Ordering::Relaxed) || cancel.is_some_and(|c| c.load(Ordering::Relaxed))
}

/// What a pass needs from one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Nothing: the path is not visited.
    Skip,
    /// Its drawn inputs only (cheap: no simulation).
    Parameters,
    /// Its drawn inputs and its simulated record.
    Simulation,
}

/// What a pass does with one path: `(thread accumulator, chunk accumulator,
/// path index, drawn inputs, record if simulated)`.
pub type Visitor<'a, L, A> = dyn Fn(&mut L, &mut A, usize, &[f64], Option<&PathRecord>) + Sync + 'a;

/// Paths between two progress reports within a chunk.
const PROGRESS_STEP: usize = 16;

/// Chunks run in parallel between two in-order merges: enough work to keep
/// every core busy, few enough chunk results held at once to bound memory.
const WAVE: usize = 128;

/// Visits the paths of a run and folds them, deterministically.
///
/// `visit` sees each path that `need` does not skip, with its drawn inputs
/// and (for [`Need::Simulation`]) its record, and adds it into its chunk's
/// accumulator (`init`) and into a per-thread accumulator (`local`). Chunk
/// accumulators reach `merge` in chunk order, so floating-point sums and
/// anything that must follow path order come out the same for any number of
/// threads. Per-thread accumulators are returned in no particular order: use
/// them only for order-free results such as integer counts.
///
/// A path's streams depend only on (seed, path index, purpose), so a path
/// visited twice, in two passes, is the same path: streaming mode relies on it.
#[allow(clippy::too_many_arguments)]
pub fn fold<L: Send, A: Send>(
    model: &Model,
    options: &RunOptions,
    need: &(dyn Fn(usize) -> Need + Sync),
    local: &(dyn Fn() -> L + Sync),
    init: &(dyn Fn() -> A + Sync),
    visit: &Visitor<L, A>,
    merge: &mut dyn FnMut(usize, A),
) -> Result<Vec<L>, Cancelled> {
    let paths = options.paths.unwrap_or(model.paths);
    let seed = options.seed.unwrap_or(model.seed);
    let layout = Layout::new(model);
    let parameter_count = layout.parameters;
    assert!(
        options.lineage.is_none() || options.parameters.is_some(),
        "a resampled population replays its paths from their stored inputs"
    );
    if let Some(given) = options.parameters {
        assert_eq!(
            given.len(),
            paths * parameter_count,
            "one parameter vector per path"
        );
    }
    assert!(
        options.base_parameters.is_none() || options.breakdown == Breakdown::Skipped,
        "a run given its base inputs is not re-simulated for its breakdown"
    );
    assert!(
        (options.resume.is_none() && options.keep_states.is_none())
            || (options.lineage.is_some() && options.breakdown != Breakdown::Averaged),
        "paths keep and resume their states along their lineage, without the breakdown"
    );
    let slots: Vec<std::sync::Mutex<Option<L>>> = (0..rayon::current_num_threads().max(1))
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    let chunks = paths.div_ceil(CHUNK);
    let mut first = 0;
    while first < chunks {
        let last = (first + WAVE).min(chunks);
        let results: Vec<Option<A>> = (first..last)
            .into_par_iter()
            .map(|chunk| {
                if stopping(options.cancel) {
                    return None;
                }
                let slot = rayon::current_thread_index().unwrap_or(0) % slots.len();
                let mut guard = slots[slot].lock().expect("no panics while visiting");
                let local_acc = guard.get_or_insert_with(local);
                let mut ws = Workspace::new(model, &layout);
                let mut record = PathRecord::new(model);
                let mut acc = init();
                let mut simulated = 0u64;
                let start = chunk * CHUNK;
                let end = (start + CHUNK).min(paths);
                for index in start..end {
                    // Per path, not per chunk: a path over a 50-year horizon
                    // can take a tenth of a second, a chunk of them 20 s.
                    if stopping(options.cancel) {
                        return None;
                    }
                    // Progress every few paths for the same reason: a long
                    // run's first estimate of its time must come early.
                    if let Some(progress) = options.progress
                        && (index - start) % PROGRESS_STEP == PROGRESS_STEP - 1
                    {
                        progress(PROGRESS_STEP);
                    }
                    if (index - start) % PROGRESS_STEP == PROGRESS_STEP - 1 {
                        PATHS_SIMULATED.fetch_add(simulated, Ordering::Relaxed);
                        simulated = 0;
                    }
                    let wanted = need(index);
                    if wanted == Need::Skip {
                        continue;
                    }
                    let path = match options.lineage {
                        Some(lineage) => lineage.roots[index],
                        None => options.first_path + index as u64,
                    };
                    match options.parameters {
                        Some(given) => ws.drawn.copy_from_slice(
                            &given[index * parameter_count..(index + 1) * parameter_count],
                        ),
                        None => path::draw_parameters(model, &layout, seed, path, &mut ws.drawn),
                    }
                    path::apply_pins(&mut ws.drawn, options.pins);
                    match options.base_parameters {
                        Some(given) => {
                            let count = ws.base_drawn.len();
                            ws.base_drawn
                                .copy_from_slice(&given[index * count..(index + 1) * count]);
                        }
                        None => layout.draw_base_parameters(model, seed, path, &mut ws),
                    }
                    if wanted == Need::Simulation {
                        simulated += 1;
                        let until = match options.until {
                            Some(until)
                                if options.lineage.is_some() || path >= options.whole_paths =>
                            {
                                until
                            }
                            _ => model.months,
                        };
                        let branch = match options.lineage {
                            Some(lineage) => lineage.branch(index, until),
                            None => Branch {
                                until,
                                ..Branch::whole(path, model.months)
                            },
                        };
                        let breakdown = options.breakdown == Breakdown::Averaged;
                        match options.resume {
                            Some(carried) => carried.resume(
                                index,
                                model,
                                &layout,
                                seed,
                                path,
                                branch.key_before(carried.month),
                                &mut ws,
                                &mut record,
                            ),
                            None => path::start_path(
                                model,
                                &layout,
                                seed,
                                path,
                                &mut ws,
                                &mut record,
                                breakdown,
                            ),
                        }
                        if let Some(keep) = options.keep_states {
                            let to = Branch {
                                until: keep.month,
                                ..branch
                            };
                            path::continue_branch(
                                model,
                                &layout,
                                seed,
                                &to,
                                &mut ws,
                                &mut record,
                                breakdown,
                            );
                            keep.states
                                .lock()
                                .expect("no panics while keeping states")
                                .save(index, &ws, &record);
                        }
                        path::continue_branch(
                            model,
                            &layout,
                            seed,
                            &branch,
                            &mut ws,
                            &mut record,
                            breakdown,
                        );
                        visit(local_acc, &mut acc, index, &ws.drawn, Some(&record));
                    } else {
                        visit(local_acc, &mut acc, index, &ws.drawn, None);
                    }
                }
                if let Some(progress) = options.progress {
                    progress((end - start) % PROGRESS_STEP);
                }
                PATHS_SIMULATED.fetch_add(simulated, Ordering::Relaxed);
                Some(acc)
            })
            .collect();
        for (chunk, acc) in (first..last).zip(results) {
            merge(chunk, acc.ok_or(Cancelled)?);
        }
        first = last;
    }
    Ok(slots
        .into_iter()
        .filter_map(|slot| slot.into_inner().expect("no panics while visiting"))
        .collect())
}

/// Sums of one chunk's paths, in path order.
pub struct Sums {
    pub mean: Vec<f64>,
    /// Empty when the run leaves out the breakdown, as is `by_program`.
    pub by_source: Vec<f64>,
    pub by_program: Vec<f64>,
}

impl Sums {
    pub fn new(model: &Model, breakdown: Breakdown) -> Sums {
        let record = PathRecord::new(model);
        let averaged = breakdown == Breakdown::Averaged;
        Sums {
            mean: vec![0.0; record.series.len()],
            by_source: vec![0.0; if averaged { record.by_source.len() } else { 0 }],
            by_program: vec![0.0; if averaged { record.by_program.len() } else { 0 }],
        }
    }

    /// Sums of the breakdown alone, for a pass that already has the
    /// series' means: `mean` stays empty, so nothing is added to it.
    pub fn breakdown_only(model: &Model) -> Sums {
        Sums {
            mean: Vec::new(),
            ..Sums::new(model, Breakdown::Averaged)
        }
    }

    pub fn add_path(&mut self, record: &PathRecord) {
        add(&mut self.mean, &record.series);
        add(&mut self.by_source, &record.by_source);
        add(&mut self.by_program, &record.by_program);
    }

    /// Adds a path's breakdown with weight `weight`.
    pub fn add_breakdown(&mut self, record: &PathRecord, weight: f64) {
        for (sums, values) in [
            (&mut self.by_source, &record.by_source),
            (&mut self.by_program, &record.by_program),
        ] {
            for (sum, value) in sums.iter_mut().zip(values) {
                *sum += weight * value;
            }
        }
    }

    pub fn add(&mut self, other: &Sums) {
        add(&mut self.mean, &other.mean);
        add(&mut self.by_source, &other.by_source);
        add(&mut self.by_program, &other.by_program);
    }

    /// Turns sums over `paths` paths into means.
    pub fn into_means(mut self, paths: usize) -> Sums {
        let scale = 1.0 / paths as f64;
        for value in self
            .mean
            .iter_mut()
            .chain(&mut self.by_source)
            .chain(&mut self.by_program)
        {
            *value *= scale;
        }
        self
    }
}

/// One chunk's share of a run's stored series, inputs, first payouts and
/// log weights.
type ChunkSlices<'a> = (&'a mut [f32], &'a mut [f64], &'a mut [u16], &'a mut [f64]);

/// Runs the model, keeping every path.
pub fn run(model: &Model, options: &RunOptions) -> Result<Simulation, Cancelled> {
    run_with(model, options, None).map(|(sim, _)| sim)
}

/// Runs the model, keeping every path, and weighs each path as soon as it
/// is simulated (sequential calibration's population, whose last observed
/// month decides its weights): the breakdown's weighted sums are found as
/// the paths are simulated, so no path is simulated again to average its
/// breakdown. The weights are normalised only once every path is done, so
/// the returned simulation's `mean` is left empty and its breakdown means
/// are sums over [`Weighed::breakdown_weight`]; the caller finishes both.
pub fn run_weighing(
    model: &Model,
    options: &RunOptions,
    weighting: Weighting,
) -> Result<(Simulation, Weighed), Cancelled> {
    run_with(model, options, Some(weighting)).map(|(sim, weighed)| (sim, weighed.expect("weighed")))
}

fn run_with(
    model: &Model,
    options: &RunOptions,
    weighting: Option<Weighting>,
) -> Result<(Simulation, Option<Weighed>), Cancelled> {
    let paths = options.paths.unwrap_or(model.paths);
    let seed = options.seed.unwrap_or(model.seed);
    let layout = Layout::new(model);
    let record_len = layout.record_len();
    let parameter_count = layout.parameters;

    // Chunks write their paths straight into the run's arrays, each into its
    // own slice: no per-chunk buffers to copy from, and the zeroed pages are
    // first touched (and faulted in) by the workers in parallel, not by the
    // in-order merge.
    let mut series = vec![0f32; paths * record_len];
    let mut parameters = vec![0f64; paths * parameter_count];
    let mut first_payout = vec![u16::MAX; paths];
    assert!(
        weighting.is_none() || options.weights.is_none(),
        "a run weighs its paths as it goes or is given their weights, not both"
    );
    let mut log_weights = vec![0f64; if weighting.is_some() { paths } else { 0 }];
    // A weighted run's series means are the caller's to sum (the weights
    // are normalised only once every path is done).
    let new_sums = || {
        let mut sums = Sums::new(model, options.breakdown);
        if weighting.is_some() {
            sums.mean.clear();
        }
        sums
    };
    let mut totals = new_sums();
    let mut breakdown_weight = 0.0;
    {
        let (mut series_left, mut parameters_left, mut first_payout_left, mut log_weights_left) = (
            &mut series[..],
            &mut parameters[..],
            &mut first_payout[..],
            &mut log_weights[..],
        );
        let slices: Vec<std::sync::Mutex<ChunkSlices>> = (0..paths.div_ceil(CHUNK))
            .map(|chunk| {
                let n = (paths - chunk * CHUNK).min(CHUNK);
                let (series, rest) = std::mem::take(&mut series_left).split_at_mut(n * record_len);
                series_left = rest;
                let (parameters, rest) =
                    std::mem::take(&mut parameters_left).split_at_mut(n * parameter_count);
                parameters_left = rest;
                let (first_payout, rest) = std::mem::take(&mut first_payout_left).split_at_mut(n);
                first_payout_left = rest;
                let weighed = if weighting.is_some() { n } else { 0 };
                let (log_weights, rest) =
                    std::mem::take(&mut log_weights_left).split_at_mut(weighed);
                log_weights_left = rest;
                std::sync::Mutex::new((series, parameters, first_payout, log_weights))
            })
            .collect();
        fold(
            model,
            options,
            &|index| match options.weights {
                Some(weights) if weights[index] == 0.0 => Need::Parameters,
                _ => Need::Simulation,
            },
            &|| (),
            &|| (new_sums(), 0.0),
            &|_, (sums, kept), index, drawn, record| {
                let mut slices = slices[index / CHUNK]
                    .lock()
                    .expect("no panics while storing");
                let (series, parameters, first_payout, log_weights) = &mut *slices;
                let local = index % CHUNK;
                let Some(record) = record else {
                    // A path of weight zero: its inputs only.
                    parameters[local * parameter_count..][..parameter_count].copy_from_slice(drawn);
                    return;
                };
                for (stored, value) in series[local * record_len..][..record_len]
                    .iter_mut()
                    .zip(&record.series)
                {
                    *stored = *value as f32;
                }
                parameters[local * parameter_count..][..parameter_count].copy_from_slice(drawn);
                first_payout[local] = record.first_payout.unwrap_or(u16::MAX);
                match &weighting {
                    Some(weighting) => {
                        let log_weight = (weighting.log_weight)(index, record);
                        log_weights[local] = log_weight;
                        let weight = (log_weight - weighting.ceiling).exp();
                        if options.breakdown == Breakdown::Averaged
                            && weight > 0.0
                            && weight >= weighting.breakdown_floor
                        {
                            sums.add_breakdown(record, weight);
                            *kept += weight;
                        }
                    }
                    None => sums.add_path(record),
                }
            },
            &mut |_, (sums, kept)| {
                totals.add(&sums);
                breakdown_weight += kept;
            },
        )?;
    }
    let means = match weighting {
        Some(_) => totals,
        None => totals.into_means(paths),
    };
    let whole_paths = match options.until {
        Some(until) if until < model.months => match options.lineage {
            Some(_) => 0,
            None => (options.whole_paths.saturating_sub(options.first_path) as usize).min(paths),
        },
        _ => paths,
    };
    let sim = Simulation {
        paths,
        whole_paths,
        months: model.months,
        seed,
        first_path: options.first_path,
        series,
        parameters,
        parameter_count,
        first_payout,
        mean: means.mean,
        mean_by_source: means.by_source,
        mean_by_program: means.by_program,
        breakdown: options.breakdown,
        weights: None,
        streamed_answers: None,
        lineage: options.lineage.map(|l| std::sync::Arc::new(l.clone())),
    };
    let weighed = weighting.map(|_| Weighed {
        log_weights,
        breakdown_weight,
    });
    Ok((sim, weighed))
}

/// Averages the series by source, program and plan over every path of a
/// run that deferred them, re-simulating each path from its stored inputs
/// (the same path: its streams depend only on seed, index and purpose).
/// Only `progress` and `cancel` are read from `options`.
pub fn average_breakdown(
    model: &Model,
    sim: &mut Simulation,
    options: &RunOptions,
) -> Result<(), Cancelled> {
    if sim.breakdown == Breakdown::Averaged {
        return Ok(());
    }
    let options = RunOptions {
        paths: Some(sim.paths),
        seed: Some(sim.seed),
        first_path: sim.first_path,
        parameters: Some(&sim.parameters),
        pins: &[],
        breakdown: Breakdown::Averaged,
        lineage: sim.lineage.as_deref(),
        ..*options
    };
    let mut totals = Sums::breakdown_only(model);
    fold(
        model,
        &options,
        &|_| Need::Simulation,
        &|| (),
        &|| Sums::breakdown_only(model),
        &|_, sums, _, _, record| sums.add_path(record.expect("simulated")),
        &mut |_, sums| totals.add(&sums),
    )?;
    let means = totals.into_means(sim.paths);
    sim.mean_by_source = means.by_source;
    sim.mean_by_program = means.by_program;
    sim.breakdown = Breakdown::Averaged;
    Ok(())
}

fn add(into: &mut [f64], values: &[f64]) {
    for (sum, value) in into.iter_mut().zip(values) {
        *sum += value;
    }
}

/// Bytes a run of `paths` paths needs at its peak when it keeps every path
/// (streaming mode has its own estimate, [`crate::streaming::memory_estimate`]):
/// the per-path series and parameters, the first-payout months, and the
/// keys the percentile bands gather (every column at once, or
/// [`crate::sim::GATHER_BYTES`] at a time), plus a fixed allowance for the
/// program itself.
pub fn memory_estimate(model: &Model, paths: usize) -> u64 {
    let layout = Layout::new(model);
    let per_path = layout.record_len() * 4 + layout.parameters * 8 + 2;
    let gathered = (paths * layout.record_len() * 4).min(crate::sim::GATHER_BYTES);
    (paths * per_path + gathered) as u64 + 24 * 1024 * 1024
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
