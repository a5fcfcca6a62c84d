//! Precision instead of paths: how far a run must go for the first target's
//! odds to be as precise as asked (the path budget is planned against memory
//! in `app::memory::precision_budget`).

use crate::engine::{Cancelled, RunOptions};
use crate::model::Model;
use crate::sim::Breakdown;
use crate::sim::Simulation;

/// Paths that make any chance's standard error at most `precision` when
/// every path counts equally: a chance of one half is the least precise,
/// √(¼ / paths).
pub fn any_chance_paths(precision: f64) -> usize {
    (0.25 / (precision * precision)).min(1e12).ceil() as usize
}

/// A run's prior paths conditioned as `run` conditions them, and the first
/// target's standard error after it.
pub struct Conditioned {
    pub sim: Simulation,
    pub calibration: Option<super::Calibration>,
    /// The standard error of the first target's chance in its month (0
    /// without targets).
    pub error: f64,
}

/// Conditions `sim` (the prior paths so far) on the model's history exactly
/// as `run` does ([`super::condition`], the model's method), leaving `sim` as
/// it was for more paths to be added. The batch that meets the precision is
/// then `run`'s answer as it stands: nothing is conditioned twice. The
/// prior's series are lent, not copied: a conditioned population that
/// replaces them hands them back (a prior weighted in place is copied).
pub fn condition_copy(
    model: &Model,
    sim: &mut Simulation,
    source: &str,
    options: &RunOptions,
) -> Result<Conditioned, Cancelled> {
    let series = std::mem::take(&mut sim.series);
    let mut conditioned = sim.clone();
    conditioned.series = series;
    let mut released = Vec::new();
    let result = super::condition_releasing(
        model,
        &mut conditioned,
        source,
        model.conditioning,
        options,
        Some(&mut released),
    );
    sim.series = if released.is_empty() {
        conditioned.series.clone()
    } else {
        released
    };
    let calibration = result?;
    let error = model.targets.first().map_or(0.0, |target| {
        crate::stats::target(model, &conditioned, target)
            .in_month
            .standard_error
    });
    Ok(Conditioned {
        sim: conditioned,
        calibration,
        error,
    })
}

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
