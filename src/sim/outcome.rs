//! How one path fares against a target, in two bytes.

use crate::model::Target;

/// In a path's [`outcome`]: the metric meets the threshold in the target month.
pub const IN_MONTH: u16 = 0x8000;

/// In a path's [`outcome`]: the month index of the first month that meets
/// the threshold, or [`NEVER`].
pub const FIRST: u16 = 0x7FFF;

pub const NEVER: u16 = 0x7FFF;

/// How one path fares against a target, in two bytes: [`IN_MONTH`] and the
/// first month that reaches the threshold ([`FIRST`]). Streaming mode keeps
/// this per path and target instead of the series.
pub fn outcome(series: &[f32], target: &Target) -> u16 {
    let threshold = target.threshold;
    let first = series
        .iter()
        .position(|v| *v as f64 >= threshold)
        .map_or(NEVER, |t| t as u16);
    let in_month = if series[target.month_index] as f64 >= threshold {
        IN_MONTH
    } else {
        0
    };
    in_month | first
}
