//! The one place that picks how a run's questions are answered: from the
//! paths in memory ([`Paths`]) or from what streaming mode's passes found
//! (`sim::StreamedAnswers`). Everything above asks through [`answers`] or the
//! storage-blind methods of `Simulation`.

use super::{KeptPaths, key, selection};
use crate::model::{Metric, Target};
use crate::sim::{Answers, PercentileRule, Simulation};

/// A run's questions answered by either storage mode.
pub fn answers(sim: &Simulation) -> Box<dyn Answers + '_> {
    match &sim.streamed_answers {
        Some(streamed) => Box::new(&**streamed),
        None => Box::new(Paths(sim)),
    }
}

impl<A: Answers + ?Sized> Answers for &A {
    fn value(&self, path: usize, metric: Metric, month: usize) -> f32 {
        (**self).value(path, metric, month)
    }

    fn outcome(&self, path: usize, target: &Target) -> u16 {
        (**self).outcome(path, target)
    }

    fn percentiles(&self, rule: PercentileRule, column: usize, wanted: &[f64]) -> Vec<f64> {
        (**self).percentiles(rule, column, wanted)
    }

    fn share_at_or_below(&self, metric: Metric, month: usize, value: f64) -> f64 {
        (**self).share_at_or_below(metric, month, value)
    }
}

/// Answers worked out from every path kept in memory.
pub struct Paths<'a>(pub &'a Simulation);

impl Paths<'_> {
    /// A column's value on one path: a metric in a month, or an input.
    fn column_value(&self, column: usize, path: usize) -> f32 {
        let sim = self.0;
        let series = Metric::COUNT * sim.months;
        if column < series {
            let metric = Metric::ALL[column / sim.months];
            debug_assert_eq!(metric.index(), column / sim.months);
            sim.value(path, metric, column % sim.months)
        } else {
            sim.parameters_of(path)[column - series] as f32
        }
    }
}

impl Answers for Paths<'_> {
    fn value(&self, path: usize, metric: Metric, month: usize) -> f32 {
        self.0.value(path, metric, month)
    }

    fn outcome(&self, path: usize, target: &Target) -> u16 {
        self.0.outcome(path, target)
    }

    fn percentiles(&self, rule: PercentileRule, column: usize, wanted: &[f64]) -> Vec<f64> {
        match rule {
            PercentileRule::Unweighted => {
                let keys: Vec<u32> = (0..self.0.paths)
                    .map(|path| key(self.column_value(column, path)))
                    .collect();
                selection::percentiles(&keys, wanted)
            }
            PercentileRule::Weighted => {
                KeptPaths::of(self.0).percentiles(|path| self.column_value(column, path), wanted)
            }
        }
    }

    fn share_at_or_below(&self, metric: Metric, month: usize, value: f64) -> f64 {
        let sim = self.0;
        let below = sim
            .column(metric, month)
            .filter(|v| *v as f64 <= value)
            .count();
        below as f64 / sim.paths as f64
    }
}
