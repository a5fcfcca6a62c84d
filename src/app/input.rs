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

/// A `[[variants]]` entry's strategy: the base with the variant's overrides
/// and content, taking over from its `from` month of `base`.
pub fn load_variant(
    args: &ScenarioArgs,
    base: &Scenario,
    index: usize,
) -> Result<Scenario, Failure> {
    let mut sets = args.set.clone();
    sets.extend(base.file.variants[index].set.iter().cloned());
    load_variant_with(
        &ScenarioArgs {
            scenario: args.scenario.clone(),
            set: sets,
        },
        base,
        index,
    )
}

/// [`load_variant`] with every override given (the variant's `set` included).
pub fn load_variant_with(
    args: &ScenarioArgs,
    base: &Scenario,
    index: usize,
) -> Result<Scenario, Failure> {
    let display = args.scenario.display().to_string();
    let bytes = std::fs::read(&args.scenario)
        .map_err(|error| Failure::Input(format!("error: cannot read {display}: {error}")))?;
    let variant = &base.file.variants[index];
    scenario::parse_variant(&display, bytes, &args.set, index, &base.model).map_err(|error| {
        Failure::Input(format!(
            "in variant `{}` of {display}:\n{}",
            variant.name,
            error
                .in_variant(&variant.name, &variant.set)
                .render(color_stderr())
        ))
    })
}

/// The strategies of one scenario file: the file as written and, when
/// `with_variants`, each of its `[[variants]]`. `history` replaces the
/// file's `[observed]` in all of them.
pub fn load_strategies(
    args: &ScenarioArgs,
    with_variants: bool,
    history: Option<&Observed>,
) -> Result<Vec<(String, Model)>, Failure> {
    let mut base = load(args)?;
    if let Some(history) = history {
        base.model.observed = Some(history.clone());
    }
    let mut strategies = Vec::new();
    if with_variants {
        for (index, variant) in base.file.variants.iter().enumerate() {
            let strategy = load_variant(args, &base, index)?;
            strategies.push((variant.name.clone(), strategy.model));
        }
    }
    strategies.insert(0, (base.model.name.clone(), base.model));
    Ok(strategies)
}

/// Keeps only the `--target` a strategy command was asked about (its
/// number from 1, or its label), so that it is the one answered and
/// charted; returns its index among the scenario's targets.
pub fn choose_target(args: &ManyRunArgs, model: &mut Model) -> Result<Option<usize>, Failure> {
    let Some(wanted) = args.target.as_deref().map(str::trim) else {
        return Ok(None);
    };
    let index = match wanted.parse::<usize>() {
        Ok(number) => (1..=model.targets.len())
            .contains(&number)
            .then(|| number - 1),
        Err(_) => model
            .targets
            .iter()
            .position(|t| t.label.trim().eq_ignore_ascii_case(wanted)),
    };
    if index.is_none() {
        let listed: Vec<String> = model
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{} = \"{}\"", i + 1, t.label))
            .collect();
        return Err(input_error(
            format!("--target {wanted}: `{}` has no such target", model.name),
            &if listed.is_empty() {
                "add a [[targets]] table to the scenario".to_string()
            } else {
                format!("give its number or label: {}", listed.join(", "))
            },
        ));
    }
    keep_target(model, index);
    Ok(index)
}

/// Keeps only target `index` of a model (all of them for `None`).
pub fn keep_target(model: &mut Model, index: Option<usize>) {
    if let Some(target) = index.and_then(|i| model.targets.get(i)) {
        model.targets = vec![target.clone()];
    }
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
            super::progress::note(format_args!("note: {note}"));
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
