//! `affsim compare`, `sweep` and `sensitivity`: options to models, the
//! strategy tool's run, then its files and report.

use super::deliver::{deliver, destination};
use super::input::{
    choose_target, keep_target, load, load_strategies, load_variant_with, many_run_history,
    many_run_settings, set_threads,
};
use super::input_error;
use super::progress::{announce_long_run, with_engine_progress};
use super::{CompareArgs, Failure, ManyRunArgs, ScenarioArgs, SensitivityArgs, SweepArgs};
use crate::model::Model;
use crate::plot::{self, ChartOptions};
use crate::report::{
    self, export,
    output::{Destination, Outputs},
};
use crate::scenario::KeyPath;

/// What a strategy command produced: its JSON result, extra files, the text
/// report, and how to draw its charts.
struct Produced<'a> {
    /// Its files besides the charts, from its list in `report::export`; the
    /// first is the JSON result `--json` prints.
    files: Vec<(&'static str, String)>,
    text: String,
    charts: Box<dyn FnOnce(&ChartOptions) -> plot::strategy::Files + 'a>,
}

/// Draws a strategy command's charts, writes its files and prints its report.
fn finish(
    args: &ManyRunArgs,
    destination: &Destination,
    produced: Produced,
) -> Result<(), Failure> {
    let mut outputs = Outputs::default();
    let json = produced.files[0].1.clone();
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
    deliver(&args.output, destination, &outputs, &json, &produced.text)
}

/// Simulations of a model's paths a strategy tool makes per model: one, and
/// one more to condition on a history.
fn runs_per_model(model: &Model) -> usize {
    1 + usize::from(model.observed.is_some())
}

/// Runs a strategy tool's `work` (about `runs` simulations of `paths` paths
/// of models like `model`): said beforehand when it will take long, with a
/// progress bar on a terminal.
fn with_announced_progress<T>(
    model: &Model,
    paths: usize,
    runs: usize,
    args: &ManyRunArgs,
    work: impl FnOnce() -> T,
) -> T {
    let quiet = args.output.quiet || args.output.json;
    announce_long_run(model, paths, runs as f64, quiet);
    with_engine_progress((paths * runs) as u64, quiet, work)
}

fn interrupted_or_input(message: String) -> Failure {
    if message == "interrupted" {
        Failure::Interrupted
    } else {
        Failure::Input(message)
    }
}

/// `affsim compare`.
pub fn compare(args: &CompareArgs) -> Result<(), Failure> {
    set_threads(args.run.output.threads)?;
    let files = |path: &std::path::PathBuf| ScenarioArgs {
        scenario: path.clone(),
        set: args.set.clone(),
    };
    // The history (--observed) is read against the first file's months.
    let first = load(&files(&args.scenarios[0]))?;
    let history = many_run_history(&args.run, &first.model)?;
    // One file brings its variants; several files are compared as named.
    let with_variants = args.variants || args.scenarios.len() == 1;
    let mut strategies: Vec<(String, Model)> = Vec::new();
    for path in &args.scenarios {
        for (name, model) in load_strategies(&files(path), with_variants, history.as_ref())? {
            if strategies
                .iter()
                .any(|(other, _)| other.trim().eq_ignore_ascii_case(name.trim()))
            {
                return Err(input_error(
                    format!("two strategies are named `{name}` (in {})", path.display()),
                    "give each scenario (its `name`) and each variant a name of its own: they label the comparison",
                ));
            }
            strategies.push((name, model));
        }
    }
    if strategies.len() < 2 {
        return Err(input_error(
            "only one strategy to compare",
            "give two or more scenario files, or add [[variants]] to the file",
        ));
    }
    choose_target(&args.run, &mut strategies[0].1)?;
    let (paths, seed) = many_run_settings(&args.run, &strategies[0].1)?;
    let destination = destination(
        &args.run.output,
        &strategies[0].1.name,
        &args.scenarios[0],
        "compare",
        &export::files(&export::COMPARE_EXPORTS),
    )?;
    let runs = strategies.len() * runs_per_model(&strategies[0].1);
    let comparison = with_announced_progress(&strategies[0].1, paths, runs, &args.run, || {
        crate::strategy::compare::compare(&strategies, paths, seed)
    })
    .map_err(interrupted_or_input)?;
    let model = &strategies[0].1;
    let produced = Produced {
        files: export::render_all(&export::COMPARE_EXPORTS, &comparison),
        text: report::strategy::compare(&comparison),
        charts: Box::new(|options| {
            plot::strategy::render_all(&plot::strategy::COMPARE_CHARTS, model, &comparison, options)
        }),
    };
    finish(&args.run, &destination, produced)
}
/// `affsim sweep`.
pub fn sweep(args: &SweepArgs) -> Result<(), Failure> {
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
    let same_key = |a: &str, b: &str| match (KeyPath::parse(a), KeyPath::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if let [first, second] = &axes[..]
        && same_key(&first.key, &second.key)
    {
        return Err(input_error(
            format!("--vary {} is given twice", first.key),
            "vary two different keys for a grid, or one key over a single range",
        ));
    }
    let goal = args
        .goal
        .as_deref()
        .map(crate::strategy::sweep::parse_goal)
        .transpose()
        .map_err(|message| input_error(message, "e.g. --goal \"P>=0.8\""))?;
    let chosen = choose_target(&args.run, &mut base.model)?;
    let (paths, seed) = many_run_settings(&args.run, &base.model)?;
    let destination = destination(
        &args.run.output,
        &base.model.name,
        &args.scenario.scenario,
        "sweep",
        &export::files(&export::SWEEP_EXPORTS),
    )?;
    let variant = match &args.variant {
        None => None,
        Some(name) => Some(
            base.file
                .variants
                .iter()
                .position(|v| v.name.trim().eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    let names: Vec<String> = base
                        .file
                        .variants
                        .iter()
                        .map(|v| format!("`{}`", v.name))
                        .collect();
                    input_error(
                        format!(
                            "{} has no variant named `{name}`",
                            args.scenario.scenario.display()
                        ),
                        &if names.is_empty() {
                            "add a [[variants]] table to the file (docs/SCENARIO.md)".to_string()
                        } else {
                            format!("its variants: {}", names.join(", "))
                        },
                    )
                })?,
        ),
    };
    // `build(&[])` is the scenario as written: the sweep's reference.
    let build = |sets: &[String]| -> Result<Model, String> {
        if let Some(index) = variant
            && !sets.is_empty()
        {
            let strategy_args = ScenarioArgs {
                scenario: args.scenario.scenario.clone(),
                set: [
                    args.scenario.set.clone(),
                    base.file.variants[index].set.clone(),
                    sets.to_vec(),
                ]
                .concat(),
            };
            let mut model = load_variant_with(&strategy_args, &base, index)
                .map_err(|failure| match failure {
                    Failure::Input(message) => message,
                    other => format!("{other:?}"),
                })?
                .model;
            keep_target(&mut model, chosen);
            return Ok(model);
        }
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
                keep_target(&mut scenario.model, chosen);
                Ok(scenario.model)
            }
            Err(Failure::Input(message)) => Err(message),
            Err(other) => Err(format!("{other:?}")),
        }
    };
    // A goal's bisection takes about a dozen more runs.
    let points: usize = axes.iter().map(|axis| axis.values.len()).product::<usize>()
        + if goal.is_some() { 12 } else { 0 };
    let runs = points * runs_per_model(&base.model);
    let result = with_announced_progress(&base.model, paths, runs, &args.run, || {
        crate::strategy::sweep::sweep(&build, axes, goal, paths, seed)
    })
    .map_err(interrupted_or_input)?;
    let produced = Produced {
        files: export::render_all(&export::SWEEP_EXPORTS, &result),
        text: report::strategy::sweep(&result),
        charts: Box::new(|options| {
            plot::strategy::render_all(&plot::strategy::SWEEP_CHARTS, &base.model, &result, options)
        }),
    };
    finish(&args.run, &destination, produced)
}

/// `affsim sensitivity`.
pub fn sensitivity(args: &SensitivityArgs) -> Result<(), Failure> {
    set_threads(args.run.output.threads)?;
    let mut base = load(&args.scenario)?;
    if let Some(history) = many_run_history(&args.run, &base.model)? {
        base.model.observed = Some(history);
    }
    choose_target(&args.run, &mut base.model)?;
    let (held, seed) = many_run_settings(&args.run, &base.model)?;
    // With a history, one conditioned run answers for every input (read
    // off fitted curves): it gets the paths that make those readings about
    // as precise as a run per input and end would make them.
    let fitted = !args.exact && crate::calibrate::has_history(&base.model);
    let mut paths = crate::strategy::sensitivity::RunPaths::same(held);
    if fitted && args.run.paths.is_none() {
        paths.fitted = (5 * held / 2).min(crate::strategy::sensitivity::FITTED_PATHS);
        super::memory::check_memory(&base.model, paths.fitted)?;
    }
    if base.model.inputs.is_empty() {
        return Err(input_error(
            "the scenario has no uncertain inputs",
            "write an input you are unsure of as a range, e.g. ctr = \"0.02..0.06\"",
        ));
    }
    let destination = destination(
        &args.run.output,
        &base.model.name,
        &args.scenario.scenario,
        "sensitivity",
        &export::files(&export::SENSITIVITY_EXPORTS),
    )?;
    // The scenario as written, then (unless read off fitted curves) each
    // input at its P10 and its P90.
    let runs = if fitted {
        runs_per_model(&base.model)
    } else {
        (1 + 2 * base.model.inputs.len()) * runs_per_model(&base.model)
    };
    let result = with_announced_progress(&base.model, paths.fitted, runs, &args.run, || {
        crate::strategy::sensitivity::sensitivity(&base.model, paths, seed, args.exact)
    })
    .map_err(interrupted_or_input)?;
    let produced = Produced {
        files: export::render_all(&export::SENSITIVITY_EXPORTS, &result),
        text: report::strategy::sensitivity(&result),
        charts: Box::new(|options| {
            plot::strategy::render_all(
                &plot::strategy::SENSITIVITY_CHARTS,
                &base.model,
                &result,
                options,
            )
        }),
    };
    finish(&args.run, &destination, produced)
}
