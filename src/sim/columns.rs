//! Column ids: a metric in a month, or an uncertain input, as one number,
//! the way the statistics ask for columns in both storage modes.

use crate::model::Metric;

/// Column id of a metric in a month: the series columns come first.
pub fn series_column(months: usize, metric: Metric, month: usize) -> usize {
    metric.index() * months + month
}

/// Column id of uncertain input `index` (its drawn value, as f32).
pub fn parameter_column(months: usize, index: usize) -> usize {
    Metric::COUNT * months + index
}
