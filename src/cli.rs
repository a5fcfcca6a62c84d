//! The command line: `affsim run`, `affsim check`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::calibrate;
use crate::engine::{self, Breakdown, RunOptions, Simulation};
use crate::model::{Metric, Model, Observed};
use crate::plot::{self, ChartOptions};
use crate::report::{self, Summary, output::Outputs};
use crate::scenario::{self, Scenario, resolve::MAX_PATHS};

#[derive(Parser, Debug)]
#[command(
    name = "affsim",
    version,
    about = "Monte Carlo simulator for affiliate commission income",
    long_about = "Monte Carlo simulator for affiliate commission income.\n\n\
        Describe your content, funnel, programs and targets in a TOML scenario; affsim simulates \
        many possible futures and tells you the odds of reaching your targets, month by month.",
    after_help = "Start with: affsim run scenarios/q4.toml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario: odds of each target, monthly bands, summary.json, bands.csv and charts
    Run(RunArgs),
    /// Validate a scenario and print it resolved, with defaults filled in
    Check(ScenarioArgs),
    /// Compare strategies (several files, or a file's [[variants]]) with common random numbers
    Compare(CompareArgs),
    /// Sweep one or two inputs over a range; with --goal, find the value that reaches a chance
    Sweep(SweepArgs),
    /// Rank the uncertain inputs by how much they move the first target's chance
    Sensitivity(SensitivityArgs),
}

/// Where results go and how they are shown: shared by every command that writes files.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Folder for results (default: output/<scenario name>)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the JSON result to stdout instead of the text report
    #[arg(long)]
    pub json: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw charts
    #[arg(long)]
    pub no_charts: bool,
    /// Chart size in pixels
    #[arg(long, value_name = "WxH", default_value = "1600x900", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Also write SVG copies of the charts
    #[arg(long)]
    pub svg: bool,
    /// Worker threads (default: all cores); results do not depend on it
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite files in the output folder that affsim did not write
    #[arg(long)]
    pub force: bool,
}

/// Options shared by the commands that run the model many times.
#[derive(Args, Debug, Clone)]
pub struct ManyRunArgs {
    /// Paths per run (default: 20,000, or fewer if the scenario asks for fewer)
    #[arg(long, value_name = "N")]
    pub paths: Option<u64>,
    /// Random seed (overrides simulation.seed)
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Observed history (replaces the scenarios' [observed]), as for `affsim run`
    #[arg(long, value_name = "FILE.csv")]
    pub observed: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// Scenario files; a file with [[variants]] contributes its base and each variant
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Override a field in every compared scenario
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    #[command(flatten)]
    pub run: ManyRunArgs,
}

#[derive(Args, Debug, Clone)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The key to vary and its range, e.g. --vary funnel.paid_rate=0.2:0.6:9 (repeat once for a grid)
    #[arg(long, value_name = "KEY=LOW:HIGH:STEPS", required = true)]
    pub vary: Vec<String>,
    /// Find the smallest value at which the first target's chance reaches this, e.g. "P>=0.8"
    #[arg(long, value_name = "P>=X")]
    pub goal: Option<String>,
    #[command(flatten)]
    pub run: ManyRunArgs,
}

#[derive(Args, Debug, Clone)]
pub struct SensitivityArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub run: ManyRunArgs,
}

#[derive(Args, Debug, Clone)]
pub struct ScenarioArgs {
    /// The scenario file (TOML), e.g. scenarios/q4.toml
    pub scenario: PathBuf,
    /// Override a scenario field, e.g. --set simulation.paths=20000 --set content[0].visits="1000..4000"
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Number of simulated futures (overrides simulation.paths)
    #[arg(long, value_name = "N")]
    pub paths: Option<u64>,
    /// Random seed (overrides simulation.seed); the same seed gives the same numbers
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Keep adding batches of paths until every target's standard error is below this (e.g. 0.002)
    #[arg(long, value_name = "SE")]
    pub precision: Option<f64>,
    /// Print the memory estimate and the peak memory used to stderr
    #[arg(long, hide = true)]
    pub memory_report: bool,
    /// Memory a run may use to keep its paths (e.g. 512MiB, 4GiB); larger runs switch to
    /// streaming mode, which re-simulates the paths instead of storing them (same results,
    /// a few times slower)
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_bytes)]
    pub memory_limit: u64,
    /// Observed history to calibrate on (replaces the scenario's [observed]): a CSV of
    /// `month,metric,value` rows, or a commissions export with date, amount and status columns
    #[arg(long, value_name = "FILE.csv")]
    pub observed: Option<PathBuf>,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or("write the size as WIDTHxHEIGHT, e.g. 1600x900")?;
    let w: u32 = w
        .trim()
        .parse()
        .map_err(|_| "the width is not a whole number")?;
    let h: u32 = h
        .trim()
        .parse()
        .map_err(|_| "the height is not a whole number")?;
    if !(200..=8000).contains(&w) || !(150..=8000).contains(&h) {
        return Err("the size must be between 200x150 and 8000x8000".into());
    }
    Ok((w, h))
}

/// A size in bytes: a number with an optional unit, B, KiB, MiB, GiB, TiB
/// (powers of 1024; K, M, G, T too) or kB, MB, GB, TB (powers of 1000).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| "write the size as a number and a unit, e.g. 512MiB or 4GiB".to_string())?;
    let scale: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "K" | "KiB" | "k" => 1024.0,
        "M" | "MiB" => 1024.0 * 1024.0,
        "G" | "GiB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TiB" => 1024.0f64.powi(4),
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        other => {
            return Err(format!(
                "unknown unit `{other}`: use B, KiB, MiB, GiB, TiB (or kB, MB, GB, TB)"
            ));
        }
    };
    let bytes = number * scale;
    if !(1.0..1e18).contains(&bytes) {
        return Err("the size must be at least one byte".to_string());
    }
    Ok(bytes as u64)
}

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad input: the scenario or an option (exit code 2).
    Input(String),
    /// Something went wrong while working (exit code 1).
    Runtime(String),
    /// Stopped by Ctrl-C (exit code 130).
    Interrupted,
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Input(_) => 2,
            Failure::Runtime(_) => 1,
            Failure::Interrupted => 130,
        }
    }
}

static CANCEL: AtomicBool = AtomicBool::new(false);

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = ctrlc::set_handler(|| CANCEL.store(true, Ordering::SeqCst));
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Check(args) => check(&args),
        Command::Compare(args) => compare(&args),
        Command::Sweep(args) => sweep(&args),
        Command::Sensitivity(args) => sensitivity(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            match &failure {
                Failure::Input(message) => eprintln!("{}", message.trim_end()),
                Failure::Runtime(message) => eprintln!("error: {}", message.trim_end()),
                Failure::Interrupted => eprintln!(
                    "interrupted: stopped before writing any file; earlier results are untouched"
                ),
            }
            ExitCode::from(failure.exit_code())
        }
    }
}

fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Loads a scenario, turning its error into a rendered input failure.
pub fn load(args: &ScenarioArgs) -> Result<Scenario, Failure> {
    scenario::load(&args.scenario, &args.set)
        .map_err(|error| Failure::Input(error.render(color_stderr())))
}

fn input_error(message: impl std::fmt::Display, help: &str) -> Failure {
    Failure::Input(format!("error: {message}\n  help: {help}"))
}

/// Applies `--paths` and `--seed` to a model.
pub fn apply_run_options(
    model: &mut Model,
    paths: Option<u64>,
    seed: Option<u64>,
) -> Result<(), Failure> {
    if let Some(paths) = paths {
        if paths == 0 || paths > MAX_PATHS as u64 {
            return Err(input_error(
                format!("--paths {paths} is out of range"),
                &format!("use between 1 and {MAX_PATHS} paths"),
            ));
        }
        model.paths = paths as usize;
    }
    if let Some(seed) = seed {
        model.seed = seed;
    }
    Ok(())
}

pub fn set_threads(threads: Option<usize>) -> Result<(), Failure> {
    if let Some(threads) = threads {
        if threads == 0 || threads > 1024 {
            return Err(input_error(
                format!("--threads {threads} is out of range"),
                "use between 1 and 1024 threads",
            ));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|e| Failure::Runtime(format!("cannot start {threads} threads: {e}")))?;
    }
    Ok(())
}

/// Runs `work` with a progress bar of `total` units that appears only for
/// runs longer than about a second, and only on a terminal.
fn with_progress<T>(
    total: usize,
    template: &str,
    quiet: bool,
    work: impl FnOnce(&(dyn Fn(usize) + Sync)) -> T,
) -> T {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    let started = Instant::now();
    let shown = AtomicBool::new(false);
    let may_show = !quiet && std::io::stderr().is_terminal();
    let progress = |done: usize| {
        bar.inc(done as u64);
        if may_show
            && started.elapsed() > Duration::from_secs(1)
            && !shown.swap(true, Ordering::Relaxed)
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    };
    let result = work(&progress);
    bar.finish_and_clear();
    result
}

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
                    cancel: Some(&CANCEL),
                    ..options
                },
            )
        },
    )
    .map_err(|_| Failure::Interrupted)
}

/// Runs the model in streaming mode, with the same progress bar as
/// [`simulate`] (counting every pass).
fn stream(model: &Model, quiet: bool) -> Result<Simulation, Failure> {
    let total = model.paths * crate::stream::expected_passes(model);
    with_progress(
        total,
        "{spinner} streaming {bar:30} {pos}/{len} path visits, {eta} left",
        quiet,
        |progress| {
            crate::stream::run(
                model,
                &RunOptions {
                    progress: Some(progress),
                    cancel: Some(&CANCEL),
                    ..RunOptions::default()
                },
            )
        },
    )
    .map_err(|_| Failure::Interrupted)
}

/// Refuses a run that would not fit in memory, saying how many paths would.
/// For commands that keep every path (compare, sweep, sensitivity,
/// `run --precision`).
fn check_memory(model: &Model, paths: usize) -> Result<(), Failure> {
    check_fits(
        paths,
        engine::available_memory(),
        &|n| engine::memory_estimate(model, n),
        "",
    )
}

/// Refuses a run whose estimate (`estimate(paths)` bytes) exceeds the memory
/// available, saying how many paths would fit.
fn check_fits(
    paths: usize,
    available: Option<u64>,
    estimate: &dyn Fn(usize) -> u64,
    mode: &str,
) -> Result<(), Failure> {
    let Some(available) = available else {
        return Ok(());
    };
    let needed = estimate(paths);
    if needed <= available {
        return Ok(());
    }
    let per_path = (estimate(1_000_000) - estimate(0)) as f64 / 1e6;
    let fits = ((available as f64 * 0.9 - estimate(0) as f64) / per_path).max(0.0) as u64;
    let gib = |bytes: f64| bytes / (1u64 << 30) as f64;
    Err(input_error(
        format!(
            "{} paths need about {:.1} GiB of memory{mode}, but only {:.1} GiB is available",
            report::count(paths as f64),
            gib(needed as f64),
            gib(available as f64)
        ),
        &if mode.is_empty() {
            format!(
                "use --paths {} or fewer (about {} fit), or --precision to stop once the odds are precise enough",
                fits,
                report::count(fits as f64)
            )
        } else {
            format!(
                "use --paths {} or fewer (about {} fit)",
                fits,
                report::count(fits as f64)
            )
        },
    ))
}

/// How `affsim run` holds its paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Every path kept: needed for `--precision`, fastest.
    InMemory,
    /// Paths re-simulated pass by pass (see `stream`).
    Streaming,
}

/// Keeps the paths in memory when they fit under `limit` (and in the memory
/// available); otherwise streams them, unless even that does not fit.
pub fn choose_storage(
    model: &Model,
    paths: usize,
    limit: u64,
    available: Option<u64>,
    charts: bool,
) -> Result<Storage, Failure> {
    let in_memory = engine::memory_estimate(model, paths);
    if in_memory <= limit && available.is_none_or(|a| in_memory <= a) {
        return Ok(Storage::InMemory);
    }
    check_fits(
        paths,
        available,
        &|n| crate::stream::memory_estimate(model, n, charts),
        " even in streaming mode",
    )?;
    Ok(Storage::Streaming)
}

/// Paths in the first batch of a `--precision` run; each later batch doubles
/// the total. Fixed, so a given seed always gives the same batches and the
/// same answer, and checking costs little next to simulating.
pub const PRECISION_BATCH: usize = 10_000;

/// Adds batches of paths until every target probability's standard error is
/// below `precision`.
fn simulate_until_precise(
    model: &Model,
    quiet: bool,
    precision: f64,
    source: &str,
) -> Result<Simulation, Failure> {
    if !(precision > 0.0 && precision < 0.5) {
        return Err(input_error(
            format!("--precision {precision} is out of range"),
            "give a standard error such as 0.002 (0.2 percentage points)",
        ));
    }
    if model.targets.is_empty() {
        return Err(input_error(
            "--precision needs at least one [[targets]]",
            "add a target, or use --paths",
        ));
    }
    let mut sim: Option<Simulation> = None;
    loop {
        let done = sim.as_ref().map_or(0, |s| s.paths);
        if done >= MAX_PATHS {
            break;
        }
        let size = done.max(PRECISION_BATCH).min(MAX_PATHS - done);
        check_memory(model, done + size)?;
        let batch = simulate(
            model,
            quiet,
            RunOptions {
                paths: Some(size),
                first_path: done as u64,
                breakdown: breakdown_for(model),
                ..RunOptions::default()
            },
        )?;
        match &mut sim {
            Some(sim) => sim.append(batch),
            None => sim = Some(batch),
        }
        // With observed history the odds that count are the calibrated ones,
        // whose standard errors reflect the effective sample size.
        let mut calibrated = sim.clone().expect("one batch run");
        calibrated.breakdown = Breakdown::Skipped;
        calibrate::calibrate(model, &mut calibrated, source);
        let sim = &calibrated;
        let worst = model
            .targets
            .iter()
            .map(|target| {
                let result = crate::stats::target(model, sim, target);
                result
                    .in_month
                    .standard_error
                    .max(result.by_month.standard_error)
            })
            .fold(0.0, f64::max);
        // A probability of exactly 0 or 1 has a zero standard error after one
        // batch; one batch is then all the evidence there is.
        if worst < precision {
            break;
        }
    }
    let sim = sim.expect("at least one batch");
    if !quiet {
        eprintln!(
            "--precision {precision}: every target's standard error is below it after {} paths",
            report::count(sim.paths as f64)
        );
    }
    Ok(sim)
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    set_threads(args.output.threads)?;
    let mut scenario = load(&args.scenario)?;
    apply_run_options(&mut scenario.model, args.paths, args.seed)?;
    let (source, history_notes) = observe(&mut scenario.model, args.observed.as_deref())?;
    let model = &scenario.model;
    let folder = report::output::folder(args.output.out.as_deref(), &model.name);

    let storage = if args.precision.is_some() {
        check_memory(model, model.paths)?;
        Storage::InMemory
    } else {
        choose_storage(
            model,
            model.paths,
            args.memory_limit,
            engine::available_memory(),
            !args.output.no_charts,
        )?
    };
    let mut sim = match (args.precision, storage) {
        (Some(precision), _) => {
            simulate_until_precise(model, args.output.quiet, precision, &source)?
        }
        (None, Storage::InMemory) => simulate(
            model,
            args.output.quiet,
            RunOptions {
                breakdown: breakdown_for(model),
                ..RunOptions::default()
            },
        )?,
        (None, Storage::Streaming) => stream(model, args.output.quiet)?,
    };
    let calibration = calibrate::calibrate(model, &mut sim, &source).map(|mut c| {
        c.notes = history_notes;
        c
    });
    // Calibration averaged the breakdown over the paths it weights; if it
    // did not apply, it is averaged over every path here.
    if sim.breakdown == Breakdown::Deferred {
        with_progress(
            sim.paths,
            "{spinner} breaking down by content {bar:30} {pos}/{len} paths, {eta} left",
            args.output.quiet,
            |progress| {
                engine::average_breakdown(
                    model,
                    &mut sim,
                    &RunOptions {
                        progress: Some(progress),
                        cancel: Some(&CANCEL),
                        ..RunOptions::default()
                    },
                )
            },
        )
        .map_err(|_| Failure::Interrupted)?;
    }
    let bands = crate::stats::bands(model, &sim, &Metric::ALL);
    let mut summary = Summary::build_with_bands(model, &sim, &bands);
    summary.calibration = calibration;
    let mut outputs = Outputs::default();
    let json = report::json::render(&summary);
    outputs.add("summary.json", json.clone().into_bytes());
    outputs.add("bands.csv", report::csv::render(&bands).into_bytes());
    if !args.output.no_charts {
        let options = ChartOptions {
            width: args.output.size.0,
            height: args.output.size.1,
            svg: args.output.svg,
        };
        let charts = plot::render_all(model, &sim, &summary, &options).map_err(Failure::Runtime)?;
        for (name, bytes) in charts {
            outputs.add(&name, bytes);
        }
    }
    // After the charts: drawing them is part of the peak.
    if args.memory_report {
        let estimate = match storage {
            Storage::InMemory => engine::memory_estimate(model, sim.paths),
            Storage::Streaming => {
                crate::stream::memory_estimate(model, sim.paths, !args.output.no_charts)
            }
        };
        eprintln!(
            "memory: estimated {} bytes, peak {} bytes",
            estimate,
            engine::peak_memory().unwrap_or(0)
        );
    }

    let text = report::terminal::render(&summary);
    deliver(&args.output, &folder, &outputs, &json, &text)
}

/// Puts the `--observed` history (if any) into the model, where charts find
/// it too; returns where the history came from and what reading it noted.
fn observe(model: &mut Model, file: Option<&Path>) -> Result<(String, Vec<String>), Failure> {
    let Some(file) = file else {
        return Ok(("the scenario's [observed]".into(), Vec::new()));
    };
    let history = calibrate::history::read(file, model.start, model.end())
        .map_err(|message| Failure::Input(format!("error: {message}")))?;
    let mut notes = history.notes;
    if model.observed.is_some() {
        notes.push(format!(
            "{} replaces the scenario's [observed] section.",
            file.display()
        ));
    }
    model.observed = Some(history.observed);
    Ok((file.display().to_string(), notes))
}

const MARKER: &str = ".affsim";

/// Refuses to overwrite files in a folder affsim has not written to before.
fn guard_foreign_files(folder: &Path, outputs: &Outputs, force: bool) -> Result<(), Failure> {
    if force || folder.join(MARKER).exists() {
        return Ok(());
    }
    let clashes: Vec<&str> = outputs
        .names()
        .filter(|name| folder.join(name).exists())
        .collect();
    if clashes.is_empty() {
        return Ok(());
    }
    Err(input_error(
        format!(
            "{} already holds {} that affsim did not write",
            folder.display(),
            clashes.join(", ")
        ),
        "choose another folder with --out, or pass --force to overwrite them",
    ))
}

fn mark_folder(folder: &Path) {
    let _ = std::fs::write(
        folder.join(MARKER),
        "This folder holds affsim results; affsim may overwrite them.\n",
    );
}

fn check(args: &ScenarioArgs) -> Result<(), Failure> {
    let scenario = load(args)?;
    let mut text = report::describe::render(&scenario.model);
    if !scenario.file.variants.is_empty() {
        text.push_str("\nVariants (for affsim compare), each checked\n");
        for variant in &scenario.file.variants {
            load_variant(args, &variant.name, &variant.set)?;
            text.push_str(&format!("  {}: {}\n", variant.name, variant.set.join(", ")));
        }
    }
    print!("{text}");
    Ok(())
}

/// A `[[variants]]` entry's scenario: the base with the variant's overrides.
fn load_variant(base: &ScenarioArgs, name: &str, set: &[String]) -> Result<Scenario, Failure> {
    let mut sets = base.set.clone();
    sets.extend(set.iter().cloned());
    let variant = ScenarioArgs {
        scenario: base.scenario.clone(),
        set: sets,
    };
    scenario::load(&variant.scenario, &variant.set)
        .map_err(|error| Failure::Input(error.in_variant(name, set).render(color_stderr())))
        .map_err(|failure| match failure {
            Failure::Input(message) => Failure::Input(format!(
                "in variant `{name}` of {}:\n{message}",
                base.scenario.display()
            )),
            other => other,
        })
}

/// The `--observed` history of a strategy command, read once for every
/// model it builds (`None` keeps each scenario's own `[observed]`); what
/// reading it noted goes to stderr.
fn many_run_history(args: &ManyRunArgs, model: &Model) -> Result<Option<Observed>, Failure> {
    let Some(file) = args.observed.as_deref() else {
        return Ok(None);
    };
    let history = calibrate::history::read(file, model.start, model.end())
        .map_err(|message| Failure::Input(format!("error: {message}")))?;
    if !args.output.quiet && !args.output.json {
        for note in &history.notes {
            eprintln!("note: {note}");
        }
    }
    Ok(Some(history.observed))
}

/// Paths and seed for a command that runs the model many times.
fn many_run_settings(args: &ManyRunArgs, model: &Model) -> Result<(usize, u64), Failure> {
    let paths = match args.paths {
        Some(paths) if paths == 0 || paths > MAX_PATHS as u64 => {
            return Err(input_error(
                format!("--paths {paths} is out of range"),
                &format!("use between 1 and {MAX_PATHS} paths"),
            ));
        }
        Some(paths) => paths as usize,
        None => model.paths.min(crate::strategy::DEFAULT_PATHS),
    };
    // These commands keep every path of each run they make.
    check_memory(model, paths)?;
    Ok((paths, args.seed.unwrap_or(model.seed)))
}

/// What a strategy command produced: its JSON result, extra files, the text
/// report, and how to draw its charts.
struct Produced<'a> {
    json_name: &'static str,
    json: String,
    files: Vec<(&'static str, String)>,
    text: String,
    charts: Box<dyn FnOnce(&ChartOptions) -> plot::strategy::Files + 'a>,
}

/// Draws a strategy command's charts, writes its files and prints its report.
fn finish(args: &ManyRunArgs, scenario_name: &str, produced: Produced) -> Result<(), Failure> {
    let mut outputs = Outputs::default();
    outputs.add(produced.json_name, produced.json.clone().into_bytes());
    for (name, text) in produced.files {
        outputs.add(name, text.into_bytes());
    }
    if !args.output.no_charts {
        let options = ChartOptions {
            width: args.output.size.0,
            height: args.output.size.1,
            svg: args.output.svg,
        };
        for (name, bytes) in (produced.charts)(&options).map_err(Failure::Runtime)? {
            outputs.add(&name, bytes);
        }
    }
    let folder = report::output::folder(args.output.out.as_deref(), scenario_name);
    deliver(
        &args.output,
        &folder,
        &outputs,
        &produced.json,
        &produced.text,
    )
}

/// The end of every command that writes results: unless interrupted, writes
/// all files (refusing to overwrite foreign ones), then prints the text report
/// or the JSON and the list of files.
fn deliver(
    output: &OutputArgs,
    folder: &Path,
    outputs: &Outputs,
    json: &str,
    text: &str,
) -> Result<(), Failure> {
    if CANCEL.load(Ordering::SeqCst) {
        return Err(Failure::Interrupted);
    }
    guard_foreign_files(folder, outputs, output.force)?;
    let written = outputs.write(folder).map_err(|e| {
        Failure::Runtime(format!("cannot write results to {}: {e}", folder.display()))
    })?;
    mark_folder(folder);
    let mut stdout = std::io::stdout().lock();
    if output.json {
        let _ = stdout.write_all(json.as_bytes());
    } else if !output.quiet {
        let _ = stdout.write_all(text.as_bytes());
        let names: Vec<String> = written
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        let _ = writeln!(
            stdout,
            "\nWrote {} in {}",
            names.join(", "),
            folder.display()
        );
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("serialisable");
    text.push('\n');
    text
}

fn interrupted_or_input(message: String) -> Failure {
    if message == "interrupted" {
        Failure::Interrupted
    } else {
        Failure::Input(message)
    }
}

fn compare(args: &CompareArgs) -> Result<(), Failure> {
    set_threads(args.run.output.threads)?;
    let mut strategies = Vec::new();
    for path in &args.scenarios {
        let base_args = ScenarioArgs {
            scenario: path.clone(),
            set: args.set.clone(),
        };
        let base = load(&base_args)?;
        let variants = base.file.variants.clone();
        strategies.push((base.model.name.clone(), base.model));
        for variant in variants {
            let scenario = load_variant(&base_args, &variant.name, &variant.set)?;
            strategies.push((variant.name.clone(), scenario.model));
        }
    }
    if strategies.len() < 2 {
        return Err(input_error(
            "only one strategy to compare",
            "give two or more scenario files, or add [[variants]] to the file",
        ));
    }
    if let Some(history) = many_run_history(&args.run, &strategies[0].1)? {
        for (_, model) in &mut strategies {
            model.observed = Some(history.clone());
        }
    }
    let (paths, seed) = many_run_settings(&args.run, &strategies[0].1)?;
    let comparison = crate::strategy::compare::compare(&strategies, paths, seed)
        .map_err(interrupted_or_input)?;
    let model = &strategies[0].1;
    let produced = Produced {
        json_name: "compare.json",
        json: to_json(&comparison),
        files: Vec::new(),
        text: report::strategy::compare(&comparison),
        charts: Box::new(|options| plot::strategy::compare(model, &comparison, options)),
    };
    finish(&args.run, &model.name, produced)
}

fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    set_threads(args.run.output.threads)?;
    let mut base = load(&args.scenario)?;
    let history = many_run_history(&args.run, &base.model)?;
    if history.is_some() {
        base.model.observed = history.clone();
    }
    let axes = args
        .vary
        .iter()
        .map(|text| crate::strategy::sweep::Axis::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|message| input_error(message, "e.g. --vary funnel.paid_rate=0.2:0.6:9"))?;
    let goal = args
        .goal
        .as_deref()
        .map(crate::strategy::sweep::parse_goal)
        .transpose()
        .map_err(|message| input_error(message, "e.g. --goal \"P>=0.8\""))?;
    let (paths, seed) = many_run_settings(&args.run, &base.model)?;
    let build = |sets: &[String]| -> Result<Model, String> {
        let mut all = args.scenario.set.clone();
        all.extend(sets.iter().cloned());
        match load(&ScenarioArgs {
            scenario: args.scenario.scenario.clone(),
            set: all,
        }) {
            Ok(mut scenario) => {
                if history.is_some() {
                    scenario.model.observed = history.clone();
                }
                Ok(scenario.model)
            }
            Err(Failure::Input(message)) => Err(message),
            Err(other) => Err(format!("{other:?}")),
        }
    };
    let result = crate::strategy::sweep::sweep(&build, axes, goal, paths, seed)
        .map_err(interrupted_or_input)?;
    let produced = Produced {
        json_name: "sweep.json",
        json: to_json(&result),
        files: vec![("sweep.csv", crate::strategy::sweep::csv(&result))],
        text: report::strategy::sweep(&result),
        charts: Box::new(|options| plot::strategy::sweep(&base.model, &result, options)),
    };
    finish(&args.run, &base.model.name, produced)
}

fn sensitivity(args: &SensitivityArgs) -> Result<(), Failure> {
    set_threads(args.run.output.threads)?;
    let mut base = load(&args.scenario)?;
    if let Some(history) = many_run_history(&args.run, &base.model)? {
        base.model.observed = Some(history);
    }
    let (paths, seed) = many_run_settings(&args.run, &base.model)?;
    if base.model.inputs.is_empty() {
        return Err(input_error(
            "the scenario has no uncertain inputs",
            "write an input you are unsure of as a range, e.g. ctr = \"0.02..0.06\"",
        ));
    }
    let result = crate::strategy::sensitivity::sensitivity(&base.model, paths, seed)
        .map_err(interrupted_or_input)?;
    let produced = Produced {
        json_name: "sensitivity.json",
        json: to_json(&result),
        files: Vec::new(),
        text: report::strategy::sensitivity(&result),
        charts: Box::new(|options| plot::strategy::sensitivity(&base.model, &result, options)),
    };
    finish(&args.run, &base.model.name, produced)
}
