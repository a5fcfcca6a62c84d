//! Precision instead of paths: how far a run must go for the first target's
//! odds to be as precise as asked (the path budget is planned against memory
//! in `app::memory::precision_budget`).

use crate::engine::{Breakdown, Simulation};
use crate::model::Model;

/// The standard error of the first target's chance in its month, after
/// conditioning `sim` (the prior paths so far) on the model's history the
/// way `run` does; `sim` itself is left as it is.
pub fn first_target_error(model: &Model, sim: &Simulation, source: &str) -> f64 {
    let Some(target) = model.targets.first() else {
        return 0.0;
    };
    let mut conditioned = sim.clone();
    conditioned.breakdown = Breakdown::Skipped;
    super::calibrate_with(model, &mut conditioned, source, model.conditioning);
    crate::stats::target(model, &conditioned, target)
        .in_month
        .standard_error
}
