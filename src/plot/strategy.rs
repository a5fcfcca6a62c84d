//! Charts of the strategy commands (drawn once the chart module lands).

use super::ChartOptions;
use crate::model::Model;
use crate::strategy::compare::Comparison;
use crate::strategy::sensitivity::Sensitivity;
use crate::strategy::sweep::Sweep;

pub type Files = Result<Vec<(String, Vec<u8>)>, String>;

pub fn compare(_model: &Model, _comparison: &Comparison, _options: &ChartOptions) -> Files {
    Ok(Vec::new())
}

pub fn sweep(_model: &Model, _sweep: &Sweep, _options: &ChartOptions) -> Files {
    Ok(Vec::new())
}

pub fn sensitivity(_model: &Model, _sensitivity: &Sensitivity, _options: &ChartOptions) -> Files {
    Ok(Vec::new())
}
