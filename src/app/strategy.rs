//! `affsim compare`, `sweep` and `sensitivity`: options to models, the
//! strategy tool's run, then its files and report.

use super::deliver::{deliver, destination};
use super::input::{load, load_variant, many_run_history, many_run_settings, set_threads};
use super::input_error;
use super::{CompareArgs, Failure, ManyRunArgs, ScenarioArgs, SensitivityArgs, SweepArgs};
use crate::model::Model;
use crate::plot::{self, ChartOptions};
use crate::report::{
    self,
    output::{Destination, Outputs},
};

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
fn finish(
    args: &ManyRunArgs,
    destination: &Destination,
    produced: Produced,
) -> Result<(), Failure> {
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
    deliver(
        &args.output,
        destination,
        &outputs,
        &produced.json,
        &produced.text,
    )
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

/// `affsim compare`.
pub fn compare(args: &CompareArgs) -> Result<(), Failure> {
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
    let destination = destination(
        &args.run.output,
        &strategies[0].1.name,
        &args.scenarios[0],
        "compare",
        &["compare.json"],
    )?;
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
    let goal = args
        .goal
        .as_deref()
        .map(crate::strategy::sweep::parse_goal)
        .transpose()
        .map_err(|message| input_error(message, "e.g. --goal \"P>=0.8\""))?;
    let (paths, seed) = many_run_settings(&args.run, &base.model)?;
    let destination = destination(
        &args.run.output,
        &base.model.name,
        &args.scenario.scenario,
        "sweep",
        &["sweep.json", "sweep.csv"],
    )?;
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
    finish(&args.run, &destination, produced)
}

/// `affsim sensitivity`.
pub fn sensitivity(args: &SensitivityArgs) -> Result<(), Failure> {
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
    let destination = destination(
        &args.run.output,
        &base.model.name,
        &args.scenario.scenario,
        "sensitivity",
        &["sensitivity.json"],
    )?;
    let result = crate::strategy::sensitivity::sensitivity(&base.model, paths, seed)
        .map_err(interrupted_or_input)?;
    let produced = Produced {
        json_name: "sensitivity.json",
        json: to_json(&result),
        files: Vec::new(),
        text: report::strategy::sensitivity(&result),
        charts: Box::new(|options| plot::strategy::sensitivity(&base.model, &result, options)),
    };
    finish(&args.run, &destination, produced)
}
