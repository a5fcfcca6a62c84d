//! What a command reads before it runs: scenarios, their variants, observed
//! history, and the options that change a run's size and seed.

use std::io::IsTerminal;
use std::path::Path;

use super::memory::check_memory;
use super::{Failure, ManyRunArgs, ScenarioArgs, input_error};
use crate::calibrate;
use crate::model::{Model, Observed};
use crate::scenario::{self, Scenario, resolve::MAX_PATHS};

pub fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Loads a scenario, turning its error into a rendered input failure.
pub fn load(args: &ScenarioArgs) -> Result<Scenario, Failure> {
    scenario::load(&args.scenario, &args.set)
        .map_err(|error| Failure::Input(error.render(color_stderr())))
}

/// A `[[variants]]` entry's scenario: the base with the variant's overrides.
pub fn load_variant(base: &ScenarioArgs, name: &str, set: &[String]) -> Result<Scenario, Failure> {
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

/// Puts the `--observed` history (if any) into the model, where charts find
/// it too; returns where the history came from and what reading it noted.
pub fn observe(model: &mut Model, file: Option<&Path>) -> Result<(String, Vec<String>), Failure> {
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

/// The `--observed` history of a strategy command, read once for every
/// model it builds (`None` keeps each scenario's own `[observed]`); what
/// reading it noted goes to stderr.
pub fn many_run_history(args: &ManyRunArgs, model: &Model) -> Result<Option<Observed>, Failure> {
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
pub fn many_run_settings(args: &ManyRunArgs, model: &Model) -> Result<(usize, u64), Failure> {
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
