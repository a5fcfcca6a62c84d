//! `affsim run` and `affsim check`: simulate (in memory, streaming, or until
//! the odds are precise enough), condition on the observed history, then the
//! summary, bands and charts.

use super::deliver::{deliver, destination, print_stdout};
use super::input::{apply_run_options, load, load_variant, observe, set_threads};
use super::memory::{PrecisionPlan, Storage, check_memory, choose_storage, plan_precision};
use super::progress::{announce_long_run, note, with_progress};
use super::{Failure, RunArgs, ScenarioArgs, input_error};
use crate::calibrate;
use crate::engine::{self, RunOptions, STOP};
use crate::model::{Metric, Model};
use crate::plot::{self, ChartOptions};
use crate::report::{self, Summary, output::Outputs};
use crate::sim::Breakdown;
use crate::sim::Simulation;

/// A run conditioned on observed history averages its breakdown by source
/// and plan over the paths calibration weights, re-simulating them; the
/// engine need not average it over every path first.
fn breakdown_for(model: &Model) -> Breakdown {
    if model.observed.is_some() {
        Breakdown::Deferred
    } else {
        Breakdown::Averaged
    }
}

/// Runs the engine, with a progress bar for long runs.
pub fn simulate(model: &Model, quiet: bool, options: RunOptions) -> Result<Simulation, Failure> {
    let paths = options.paths.unwrap_or(model.paths);
    with_progress(
        paths,
        "{spinner} simulating {bar:30} {pos}/{len} paths, {eta} left",
        quiet,
        |progress| {
            engine::run(
                model,
                &RunOptions {
                    progress: Some(progress),
                    cancel: Some(&STOP),
                    ..options
                },
            )
        },
    )
    .map_err(|_| Failure::Interrupted)
}

/// Runs the model in streaming mode, with the same progress bar as
/// [`simulate`] (counting every pass).
fn simulate_streaming(model: &Model, quiet: bool) -> Result<Simulation, Failure> {
    let total = model.paths * crate::streaming::expected_passes(model);
    with_progress(
        total,
        "{spinner} streaming {bar:30} {pos}/{len} path visits, {eta} left",
        quiet,
        |progress| {
            crate::streaming::run(
                model,
                &RunOptions {
                    progress: Some(progress),
                    cancel: Some(&STOP),
                    ..RunOptions::default()
                },
                &plot::queries(model),
            )
        },
    )
    .map_err(|_| Failure::Interrupted)
}

/// Paths in the first batch of a `--precision` run without a history.
/// Fixed, so a given seed always gives the same batches and the same
/// answer.
pub const PRECISION_BATCH: usize = 10_000;

/// The first batch of a `--precision` run: [`PRECISION_BATCH`] paths
/// without a history. With one, conditioning keeps about half the paths'
/// worth of information (it resamples when the weights' effective sample
/// size falls below half the paths, and the last observed month's weights
/// carry over as they are), so a chance of one half needs 0.5/precision²
/// paths, twice what it needs without: the first batch is that many, at
/// least [`PRECISION_BATCH`] (the genealogy's standard error needs many
/// ancestors) and at most twice it (rarer chances need fewer; later
/// batches go by the error found). A first batch too small to do is
/// conditioned for nothing.
pub fn first_precision_batch(model: &Model, precision: f64) -> usize {
    if !calibrate::has_history(model) {
        return PRECISION_BATCH;
    }
    let paths = (0.5 / (precision * precision)).min(1e9).ceil() as usize;
    (paths.div_ceil(1000) * 1000).clamp(PRECISION_BATCH, 2 * PRECISION_BATCH)
}

/// The paths to have in all after a check that left the error at `error`
/// with `done` paths: a standard error falls as 1/√paths, so what that
/// says is needed, 10% more for the error of the error, and at least half
/// as many again (rounded up to whole thousands, so the batches stay round
/// numbers).
pub fn next_precision_total(done: usize, error: f64, precision: f64) -> usize {
    let needed = done as f64 * (error / precision).powi(2) * 1.1;
    // Bounded well below usize's range: the budget caps it anyway.
    let total = needed.max(done as f64 * 1.5).min(1e12).ceil() as usize;
    total.div_ceil(1000) * 1000
}

/// Adds batches of paths until the first target's standard error (in its
/// month, after conditioning on any history the way `run` does) is at most
/// `precision`, within `budget` paths. Returns the paths conditioned, with
/// the calibration report: the last check is the answer.
fn simulate_until_precise(
    model: &Model,
    quiet: bool,
    precision: f64,
    budget: usize,
    source: &str,
) -> Result<calibrate::precision::Conditioned, Failure> {
    let mut sim: Option<Simulation> = None;
    let mut conditioned: Option<calibrate::precision::Conditioned> = None;
    // When sequential calibration will replace the prior, its months after
    // the history serve only the odds before calibration, which the report
    // gives beside the answer: simulated for the paths that make any chance
    // as precise as asked, the rest of the prior stopping at the history.
    let prior_until = calibrate::prior_until(model);
    let prior_whole_paths = calibrate::precision::any_chance_paths(precision) as u64;
    loop {
        let done = sim.as_ref().map_or(0, |s| s.paths);
        if done >= budget {
            break;
        }
        let total = match &conditioned {
            None => first_precision_batch(model, precision),
            Some(check) => next_precision_total(done, check.error, precision),
        };
        let size = (total - done).min(budget - done);
        check_memory(model, done + size)?;
        let batch = simulate(
            model,
            quiet,
            RunOptions {
                paths: Some(size),
                first_path: done as u64,
                breakdown: breakdown_for(model),
                until: prior_until,
                whole_paths: prior_whole_paths,
                ..RunOptions::default()
            },
        )?;
        match &mut sim {
            Some(sim) => sim.append(batch),
            None => sim = Some(batch),
        }
        // The previous check's copy is no longer needed: released first.
        drop(conditioned.take());
        let check = calibrate::precision::condition_copy(
            model,
            sim.as_mut().expect("one batch run"),
            source,
            &RunOptions {
                cancel: Some(&STOP),
                ..RunOptions::default()
            },
        )
        .map_err(|_| Failure::Interrupted)?;
        // A probability of exactly 0 or 1 has a zero standard error after one
        // batch; one batch is then all the evidence there is.
        let met = check.error <= precision;
        conditioned = Some(check);
        if met {
            break;
        }
    }
    let conditioned = conditioned.expect("at least one batch");
    let (error, paths) = (
        conditioned.error,
        crate::format::count(conditioned.sim.paths as f64),
    );
    if error > precision {
        // Calibration to a history can leave fewer effective paths than
        // the budget promised for; say where it stopped rather than hide it.
        note(format_args!(
            "precision {precision}: stopped at {paths} paths, all that fit under --memory-limit; the first target's standard error is {error:.4}"
        ));
    } else if !quiet {
        note(format_args!(
            "precision {precision}: the first target's standard error is {error:.4} after {paths} paths"
        ));
    }
    Ok(conditioned)
}

/// Streaming runs for `--precision` when the paths it may need do not fit
/// under `--memory-limit`. StreamedAnswers paths cannot be added to, so each run
/// is planned whole: first the paths that make any chance precise enough
/// without a history (0.25/precision²), then, if conditioning on a history
/// left the error larger, the paths its error says are needed (the same
/// seed gives the same first paths, so a larger run extends the smaller).
/// Returns the model with the paths the last run used, and its paths.
fn stream_until_precise(
    model: &Model,
    quiet: bool,
    precision: f64,
    most: usize,
    source: &str,
) -> Result<(Model, Simulation), Failure> {
    const RUNS: usize = 3;
    let mut planned = model.clone();
    planned.paths = calibrate::precision::any_chance_paths(precision).min(most);
    for run in 1..=RUNS {
        let sim = simulate_streaming(&planned, quiet)?;
        let error = calibrate::precision::first_target_error(&planned, &sim, source);
        let paths = crate::format::count(sim.paths as f64);
        if error <= precision || planned.paths >= most || run == RUNS {
            if error > precision {
                note(format_args!(
                    "precision {precision}: stopped at {paths} streamed paths; the first target's standard error is {error:.4}"
                ));
            } else if !quiet {
                note(format_args!(
                    "precision {precision}: the first target's standard error is {error:.4} after {paths} streamed paths"
                ));
            }
            return Ok((planned, sim));
        }
        // The error falls as 1/√paths; a little more, so one more run does.
        let scale = (error / precision).powi(2) * 1.1;
        planned.paths = ((planned.paths as f64 * scale).ceil() as usize)
            .max(planned.paths + 1)
            .min(most);
    }
    unreachable!("the last run returns")
}

/// `affsim run`.
pub fn run(args: &RunArgs) -> Result<(), Failure> {
    set_threads(args.output.threads)?;
    let mut scenario = load(&args.scenario)?;
    apply_run_options(&mut scenario.model, args.paths, args.seed)?;
    let (source, history_notes) = observe(&mut scenario.model, args.observed.as_deref())?;
    let model = &scenario.model;
    let destination = destination(
        &args.output,
        &model.name,
        &args.scenario.scenario,
        "run",
        &report::export::files(&report::export::RUN_EXPORTS),
    )?;

    // `--paths` on the command line overrides `[simulation] precision`.
    let precision = args
        .precision
        .or(model.precision.filter(|_| args.paths.is_none()));
    let quiet = args.output.quiet;
    let charts = !args.output.no_charts;
    let available = engine::available_memory();
    let plan = match precision {
        Some(_) if model.targets.is_empty() => {
            return Err(input_error(
                "--precision needs at least one [[targets]]",
                "add a target, or use --paths",
            ));
        }
        Some(precision) => Some(plan_precision(
            model,
            precision,
            args.memory_limit,
            available,
            charts,
        )?),
        None => None,
    };
    let storage = match plan {
        Some(PrecisionPlan::InMemory { .. }) => Storage::InMemory,
        Some(PrecisionPlan::Streaming { .. }) => Storage::Streaming,
        None => choose_storage(model, model.paths, args.memory_limit, available, charts)?,
    };
    if precision.is_none() {
        let passes = match storage {
            Storage::InMemory => 1,
            Storage::Streaming => crate::streaming::expected_passes(model),
        };
        // Conditioning on a history re-simulates the paths it keeps.
        let runs = passes + usize::from(model.observed.is_some());
        announce_long_run(model, model.paths, runs as f64, quiet);
    }
    // A streamed `--precision` run plans its own number of paths.
    let mut planned: Option<Model> = None;
    // Precision mode in memory conditions as it goes: its last check is the
    // answer, calibration report included.
    let mut conditioned = None;
    let mut sim = match (precision, plan) {
        (Some(precision), Some(PrecisionPlan::InMemory { budget })) => {
            let precise = simulate_until_precise(model, quiet, precision, budget, &source)?;
            conditioned = Some(precise.calibration);
            precise.sim
        }
        (Some(precision), Some(PrecisionPlan::Streaming { most })) => {
            let (model, sim) = stream_until_precise(model, quiet, precision, most, &source)?;
            planned = Some(model);
            sim
        }
        _ if storage == Storage::InMemory => simulate(
            model,
            quiet,
            RunOptions {
                breakdown: breakdown_for(model),
                ..RunOptions::default()
            },
        )?,
        _ => simulate_streaming(model, quiet)?,
    };
    let model = planned.as_ref().unwrap_or(model);
    // Calibration averages the breakdown over the paths it weights; if it
    // does not apply, the breakdown is averaged over every path, with a
    // progress bar of its own.
    let calibration = match conditioned {
        Some(calibration) => calibration,
        None => with_progress(
            sim.paths,
            "{spinner} breaking down by content {bar:30} {pos}/{len} paths, {eta} left",
            args.output.quiet,
            |progress| {
                calibrate::condition(
                    model,
                    &mut sim,
                    &source,
                    model.conditioning,
                    &RunOptions {
                        progress: Some(progress),
                        cancel: Some(&STOP),
                        ..RunOptions::default()
                    },
                )
            },
        )
        .map_err(|_| Failure::Interrupted)?,
    }
    .map(|mut c| {
        c.notes = history_notes;
        c
    });
    // The summary's own work (targets, totals, shares, inputs) does not
    // need the bands: done alongside them, the headline's set after.
    let (bands, mut summary) = rayon::join(
        || crate::stats::bands(model, &sim, &Metric::ALL),
        || Summary::build_with_headline(model, &sim, Vec::new()),
    );
    summary.headline_bands = bands
        .iter()
        .find(|(metric, _)| *metric == model.headline)
        .map(|(_, bands)| bands.clone())
        .expect("every metric's bands");
    summary.calibration = calibration;
    summary.precision = precision;
    let mut outputs = Outputs::default();
    let result = report::export::RunResult { summary, bands };
    for (file, text) in report::export::render_all(&report::export::RUN_EXPORTS, &result) {
        outputs.add(file, text.into_bytes());
    }
    let report::export::RunResult { summary, bands } = result;
    // `--json` prints the summary.
    let json = report::json::render(&summary);
    if !args.output.no_charts {
        let options = ChartOptions {
            width: args.output.size.0,
            height: args.output.size.1,
            svg: args.output.svg,
        };
        let charts = plot::render_with_bands(model, &sim, &summary, &bands, &options)
            .map_err(Failure::Runtime)?;
        for (name, bytes) in charts {
            outputs.add(&name, bytes);
        }
    }
    // After the charts: drawing them is part of the peak.
    if args.memory_report {
        let estimate = match storage {
            Storage::InMemory => engine::memory_estimate(model, sim.paths),
            Storage::Streaming => crate::streaming::memory_estimate(
                model,
                sim.paths,
                !args.output.no_charts,
                &plot::queries(model),
            ),
        };
        note(format_args!(
            "memory: estimated {} bytes, peak {} bytes",
            estimate,
            engine::peak_memory().unwrap_or(0)
        ));
    }

    let text = report::terminal::render(&summary);
    deliver(&args.output, &destination, &outputs, &json, &text)
}

/// `affsim check`: the scenario resolved, with defaults filled in, and each
/// variant checked.
pub fn check(args: &ScenarioArgs) -> Result<(), Failure> {
    let scenario = load(args)?;
    let mut text = report::describe::render(&scenario.model);
    if !scenario.file.variants.is_empty() {
        text.push_str("\nVariants (for affsim compare), each checked\n");
        for (index, variant) in scenario.file.variants.iter().enumerate() {
            let strategy = load_variant(args, &scenario, index)?;
            text.push_str(&report::describe::variant(
                &variant.name,
                &variant.set,
                &strategy.model,
            ));
        }
    }
    print_stdout(&text)
}

#[cfg(test)]
mod tests {
    use super::next_precision_total;

    #[test]
    fn later_batches_go_by_the_error_found() {
        // 0.0048 at 20,000 for 0.004: 20,000 × 1.44 × 1.1 = 31,680 → 32,000.
        assert_eq!(next_precision_total(20_000, 0.0048, 0.004), 32_000);
        // Nearly there: at least half as many again.
        assert_eq!(next_precision_total(20_000, 0.00501, 0.005), 30_000);
        // No usable error: half as many again, not a panic.
        assert_eq!(next_precision_total(20_000, f64::NAN, 0.005), 30_000);
        assert_eq!(
            next_precision_total(20_000, f64::INFINITY, 0.005),
            1_000_000_000_000
        );
    }
}
