//! `affsim sweep`: the first target's odds across a range of one or two
//! inputs, and goal seeking on one.

use serde::Serialize;

use super::Builder;
use crate::engine::RunOptions;
use crate::engine::path::Carried;
use crate::model::{Model, Target};
use crate::sim::Breakdown;
use crate::sim::Estimate;
use crate::sim::Simulation;

/// One swept key: `KEY=LOW:HIGH:STEPS`.
#[derive(Clone, Debug, Serialize)]
pub struct Axis {
    pub key: String,
    pub values: Vec<f64>,
    /// The key in plain words, as the swept scenario names it (charts show
    /// it); set by [`sweep`].
    #[serde(skip)]
    pub label: Option<String>,
}

impl Axis {
    pub fn parse(text: &str) -> Result<Axis, String> {
        let help = "write it as KEY=LOW:HIGH:STEPS, e.g. --vary funnel.paid_rate=0.2:0.6:9";
        let (key, range) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}` has no `=`; {help}"))?;
        let parts: Vec<&str> = range.split(':').collect();
        let [low, high, steps] = parts[..] else {
            return Err(format!("`{range}` is not LOW:HIGH:STEPS; {help}"));
        };
        let number = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let (Some(low), Some(high)) = (number(low), number(high)) else {
            return Err(format!(
                "the range `{range}` needs two finite numbers; {help}"
            ));
        };
        let steps: usize = steps
            .trim()
            .parse()
            .map_err(|_| format!("STEPS `{steps}` is not a whole number; {help}"))?;
        if !(2..=200).contains(&steps) {
            return Err(format!("STEPS must be between 2 and 200, not {steps}"));
        }
        if low >= high {
            return Err(format!("LOW ({low}) must be below HIGH ({high}); {help}"));
        }
        let values = (0..steps)
            .map(|i| low + (high - low) * i as f64 / (steps - 1) as f64)
            .collect();
        Ok(Axis {
            key: key.trim().to_string(),
            values,
            label: None,
        })
    }
}

/// A goal such as `P>=0.8`: the first target's probability to reach.
pub fn parse_goal(text: &str) -> Result<f64, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let value = compact
        .strip_prefix("P>=")
        .or_else(|| compact.strip_prefix("p>="))
        .ok_or_else(|| format!("`{text}` is not a goal; write it like \"P>=0.8\" (an 80% chance of the first target)"))?;
    let value = value.strip_suffix('%').map_or_else(
        || value.parse::<f64>(),
        |v| v.parse::<f64>().map(|v| v / 100.0),
    );
    match value {
        Ok(p) if p > 0.0 && p < 1.0 => Ok(p),
        _ => Err(format!(
            "the goal `{text}` needs a probability strictly between 0 and 1, e.g. P>=0.8"
        )),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub values: Vec<f64>,
    /// The first target's chance in its month.
    pub probability: Estimate,
    /// Median of the first target's metric in its month.
    pub median: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    pub paths: usize,
    pub seed: u64,
    pub target: Target,
    /// The first target's chance for the scenario as written.
    pub reference: Estimate,
    /// Whether the runs were conditioned on observed history: each value is
    /// then the counterfactual of the scenario as written (see
    /// [`super::simulate_counterfactual`]).
    pub conditioned: bool,
    /// The month the swept values start to apply (a strategy from a month,
    /// `--variant`); `None`: from the start.
    pub changes_from: Option<crate::calendar::Month>,
    pub axes: Vec<Axis>,
    pub points: Vec<Point>,
    pub goal: Option<GoalResult>,
    /// Things the reader should know, in plain words.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GoalResult {
    pub goal: f64,
    /// The smallest value reaching the goal, if any value in range does.
    pub value: Option<f64>,
    pub probability_at_value: Option<Estimate>,
    pub probability_at_low: Estimate,
    pub probability_at_high: Estimate,
    /// Width of the final bracket.
    pub resolution: f64,
}

/// The runs of one sweep: their size and seed, and the scenario as written
/// with its run (conditioned on the observed history, if any): every swept
/// value runs as its counterfactual.
struct Runs<'a> {
    build: Builder<'a>,
    paths: usize,
    seed: u64,
    base: Model,
    reference: Simulation,
    /// The reference's states at the end of the history, when kept.
    states: Option<Carried>,
}

impl Runs<'_> {
    fn options(&self) -> RunOptions<'static> {
        RunOptions {
            paths: Some(self.paths),
            seed: Some(self.seed),
            breakdown: Breakdown::Skipped,
            ..RunOptions::default()
        }
    }

    fn evaluate(&self, sets: &[String]) -> Result<(Target, Point), String> {
        let model: Model = (self.build)(sets)?;
        let target = first_target(&model)?;
        let sim = super::simulate_counterfactual(
            &model,
            &self.options(),
            &self.base,
            &self.reference,
            self.states.as_ref(),
        )?;
        let probability = super::chance(&model, &sim, &target);
        let median = super::compare::median(&sim, target.metric, target.month_index);
        Ok((
            target,
            Point {
                values: Vec::new(),
                probability,
                median,
            },
        ))
    }
}

fn first_target(model: &Model) -> Result<Target, String> {
    model.targets.first().cloned().ok_or_else(|| {
        "the scenario has no [[targets]]; a sweep reports the first target's odds".into()
    })
}

fn assignment(axis: &Axis, value: f64) -> String {
    format!("{}={value}", axis.key)
}

/// `build(&[])` is the scenario as written (the reference, whose history
/// weights select the futures); `build(sets)` the model of one swept value.
pub fn sweep(
    build: Builder,
    axes: Vec<Axis>,
    goal: Option<f64>,
    paths: usize,
    seed: u64,
) -> Result<Sweep, String> {
    if axes.is_empty() || axes.len() > 2 {
        return Err(
            "sweep one or two keys: --vary KEY=LOW:HIGH:STEPS (repeat once for a grid)".into(),
        );
    }
    if goal.is_some() && axes.len() != 1 {
        return Err("goal seeking varies exactly one key".into());
    }
    // The observed history happened under the scenario as written: it
    // selects the futures like yours, and every value of the sweep is run as
    // their counterfactual.
    let base = build(&[])?;
    let base_target = first_target(&base)?;
    let options = RunOptions {
        paths: Some(paths),
        seed: Some(seed),
        breakdown: Breakdown::Skipped,
        ..RunOptions::default()
    };
    let (reference_run, states) = super::simulate_reference(&base, &options, true)?;
    let reference = super::chance(&base, &reference_run, &base_target);
    let notes: Vec<String> = super::history_set_aside(&base, &reference_run)
        .into_iter()
        .collect();
    let runs = Runs {
        build,
        paths,
        seed,
        base,
        reference: reference_run,
        states,
    };
    let mut points = Vec::new();
    let mut target = None;
    let second: Vec<Option<f64>> = match axes.get(1) {
        Some(axis) => axis.values.iter().map(|v| Some(*v)).collect(),
        None => vec![None],
    };
    for &x in &axes[0].values {
        for &y in &second {
            let mut sets = vec![assignment(&axes[0], x)];
            let mut values = vec![x];
            if let Some(y) = y {
                sets.push(assignment(&axes[1], y));
                values.push(y);
            }
            let (t, mut point) = runs.evaluate(&sets)?;
            point.values = values;
            target.get_or_insert(t);
            points.push(point);
        }
    }
    let goal = match goal {
        Some(goal) => Some(seek(&runs, &axes[0], goal)?),
        None => None,
    };
    let swept = build(&[assignment(&axes[0], axes[0].values[0])])?;
    // Named as the swept scenario names them (a variant's added entry too).
    let mut axes = axes;
    for axis in &mut axes {
        axis.label = Some(swept.describe_key(&axis.key)).filter(|label| *label != axis.key);
    }
    let changes_from = (swept.takes_over() > 0).then(|| swept.month(swept.takes_over()));
    Ok(Sweep {
        paths,
        seed,
        target: target.expect("at least two points"),
        reference,
        conditioned: runs.reference.weights.is_some(),
        changes_from,
        axes,
        points,
        goal,
        notes,
    })
}

/// Bisection for the smallest value whose probability reaches `goal`,
/// assuming the probability rises with the value (common random numbers make
/// each evaluation a smooth function of it).
fn seek(runs: &Runs, axis: &Axis, goal: f64) -> Result<GoalResult, String> {
    let (mut low, mut high) = (axis.values[0], *axis.values.last().expect("two values"));
    let at = |value: f64| {
        runs.evaluate(&[assignment(axis, value)])
            .map(|(_, p)| p.probability)
    };
    let (p_low, p_high) = (at(low)?, at(high)?);
    let step = axis.values[1] - axis.values[0];
    let mut result = GoalResult {
        goal,
        value: None,
        probability_at_value: None,
        probability_at_low: p_low,
        probability_at_high: p_high,
        resolution: high - low,
    };
    if p_low.value >= goal {
        result.value = Some(low);
        result.probability_at_value = Some(p_low);
        result.resolution = 0.0;
        return Ok(result);
    }
    if p_high.value < goal {
        return Ok(result);
    }
    let mut p_at_high = p_high;
    // Bisect to a tenth of the sweep's step (and at most 30 halvings).
    for _ in 0..30 {
        if high - low <= step / 10.0 {
            break;
        }
        let middle = 0.5 * (low + high);
        let p = at(middle)?;
        if p.value >= goal {
            high = middle;
            p_at_high = p;
        } else {
            low = middle;
        }
    }
    result.value = Some(high);
    result.probability_at_value = Some(p_at_high);
    result.resolution = high - low;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_and_goals_parse() {
        let axis = Axis::parse("funnel.paid_rate=0.2:0.6:5").unwrap();
        assert_eq!(axis.key, "funnel.paid_rate");
        assert_eq!(axis.values.len(), 5);
        assert!((axis.values[1] - 0.3).abs() < 1e-12);
        assert!(Axis::parse("x=1:0:3").is_err());
        assert!(Axis::parse("x=0:1").is_err());
        assert!(Axis::parse("x=0:1:1").is_err());
        assert_eq!(parse_goal("P>=0.8").unwrap(), 0.8);
        assert_eq!(parse_goal("P >= 80%").unwrap(), 0.8);
        assert!(parse_goal("P>=1.5").is_err());
        assert!(parse_goal("0.8").is_err());
    }
}
