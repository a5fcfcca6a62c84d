//! The files `affsim run` writes from its result besides the charts: one
//! renderer per format (`json.rs`, `csv.rs`), each an [`Export`] listed once
//! in [`RUN_EXPORTS`]. A new format is a renderer file and one line there.

use super::Summary;
use crate::model::Metric;
use crate::stats::Band;

/// What a run's exports render from.
pub struct RunResult<'a> {
    pub summary: &'a Summary,
    pub bands: &'a [(Metric, Vec<Band>)],
}

/// One file of a run's results.
pub trait Export: Sync {
    /// Its name in the output folder.
    fn file(&self) -> &'static str;
    fn render(&self, result: &RunResult) -> String;
}

/// `summary.json`: everything the terminal shows, machine-readable.
pub struct SummaryJson;

impl Export for SummaryJson {
    fn file(&self) -> &'static str {
        "summary.json"
    }

    fn render(&self, result: &RunResult) -> String {
        super::json::render(result.summary)
    }
}

/// `bands.csv`: month × metric × percentiles and mean.
pub struct BandsCsv;

impl Export for BandsCsv {
    fn file(&self) -> &'static str {
        "bands.csv"
    }

    fn render(&self, result: &RunResult) -> String {
        super::csv::render(result.bands)
    }
}

/// Every file a run writes besides the charts, in this order.
pub const RUN_EXPORTS: [&dyn Export; 2] = [&SummaryJson, &BandsCsv];

/// The names of [`RUN_EXPORTS`]' files.
pub fn run_export_files() -> Vec<&'static str> {
    RUN_EXPORTS.iter().map(|export| export.file()).collect()
}
