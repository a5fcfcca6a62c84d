//! Charts: shareable PNG (and SVG) pictures of a run.
//!
//! Placeholder until the charts land: `render_all` draws nothing yet.

pub mod strategy;

use crate::engine::Simulation;
use crate::model::Model;
use crate::report::Summary;

/// Chart options from the command line.
#[derive(Clone, Copy, Debug)]
pub struct ChartOptions {
    pub width: u32,
    pub height: u32,
    pub svg: bool,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            width: 1600,
            height: 900,
            svg: false,
        }
    }
}

/// Renders every chart of a run as `(file name, bytes)`.
pub fn render_all(
    _model: &Model,
    _sim: &Simulation,
    _summary: &Summary,
    _options: &ChartOptions,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    Ok(Vec::new())
}
