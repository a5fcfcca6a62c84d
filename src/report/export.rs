//! The files each command writes besides its charts: one renderer per
//! format (`json.rs`, `csv.rs`), each an [`Export`] of a command's result,
//! listed once in that command's list ([`RUN_EXPORTS`], [`COMPARE_EXPORTS`],
//! [`SWEEP_EXPORTS`], [`SENSITIVITY_EXPORTS`]). A new format is a renderer
//! file and one line in a list.

use super::Summary;
use crate::model::Metric;
use crate::stats::Band;
use crate::strategy::compare::Comparison;
use crate::strategy::sensitivity::Sensitivity;
use crate::strategy::sweep::Sweep;

/// What a run's exports render from.
pub struct RunResult {
    pub summary: Summary,
    pub bands: Vec<(Metric, Vec<Band>)>,
}

/// One file of a command's results, rendered from its result `R`.
pub trait Export<R: ?Sized>: Sync {
    /// Its name in the output folder.
    fn file(&self) -> &'static str;
    fn render(&self, result: &R) -> String;
}

/// `summary.json`: everything the terminal shows, machine-readable.
pub struct SummaryJson;

impl Export<RunResult> for SummaryJson {
    fn file(&self) -> &'static str {
        "summary.json"
    }

    fn render(&self, result: &RunResult) -> String {
        super::json::render(&result.summary)
    }
}

/// `bands.csv`: month × metric × percentiles and mean.
pub struct BandsCsv;

impl Export<RunResult> for BandsCsv {
    fn file(&self) -> &'static str {
        "bands.csv"
    }

    fn render(&self, result: &RunResult) -> String {
        super::csv::render(&result.bands)
    }
}

/// A strategy command's whole result as JSON (`compare.json`,
/// `sweep.json`, `sensitivity.json`): the result types are the schema.
pub struct ResultJson(pub &'static str);

impl<R: serde::Serialize> Export<R> for ResultJson {
    fn file(&self) -> &'static str {
        self.0
    }

    fn render(&self, result: &R) -> String {
        super::json::pretty(result)
    }
}

/// `sweep.csv`: one row per swept point.
pub struct SweepCsv;

impl Export<Sweep> for SweepCsv {
    fn file(&self) -> &'static str {
        "sweep.csv"
    }

    fn render(&self, sweep: &Sweep) -> String {
        super::csv::sweep(sweep)
    }
}

/// Every file a run writes besides the charts, in this order.
pub const RUN_EXPORTS: [&dyn Export<RunResult>; 2] = [&SummaryJson, &BandsCsv];

/// `affsim compare`'s files besides its chart; the first is what `--json`
/// prints.
pub const COMPARE_EXPORTS: [&dyn Export<Comparison>; 1] = [&ResultJson("compare.json")];

/// `affsim sweep`'s files besides its chart; the first is what `--json`
/// prints.
pub const SWEEP_EXPORTS: [&dyn Export<Sweep>; 2] = [&ResultJson("sweep.json"), &SweepCsv];

/// `affsim sensitivity`'s files besides its chart; the first is what
/// `--json` prints.
pub const SENSITIVITY_EXPORTS: [&dyn Export<Sensitivity>; 1] = [&ResultJson("sensitivity.json")];

/// The names of a list's files.
pub fn files<R: ?Sized>(exports: &[&dyn Export<R>]) -> Vec<&'static str> {
    exports.iter().map(|export| export.file()).collect()
}

/// Every file of a list rendered: `(file name, text)`, in order.
pub fn render_all<R: ?Sized>(
    exports: &[&dyn Export<R>],
    result: &R,
) -> Vec<(&'static str, String)> {
    exports
        .iter()
        .map(|export| (export.file(), export.render(result)))
        .collect()
}
