//! Whether a run fits in memory: keeping every path, or streaming them.

use super::{Failure, input_error};
use crate::engine;
use crate::model::Model;
use crate::scenario::resolve::MAX_PATHS;

/// Refuses a run that would not fit in memory, saying how many paths would.
/// For commands that keep every path (compare, sweep, sensitivity,
/// `run --precision`).
pub fn check_memory(model: &Model, paths: usize) -> Result<(), Failure> {
    check_fits(
        paths,
        engine::available_memory(),
        &|n| engine::memory_estimate(model, n),
        "",
    )
}

/// Refuses a run whose estimate (`estimate(paths)` bytes) exceeds the memory
/// available, saying how many paths would fit.
fn check_fits(
    paths: usize,
    available: Option<u64>,
    estimate: &dyn Fn(usize) -> u64,
    mode: &str,
) -> Result<(), Failure> {
    let Some(available) = available else {
        return Ok(());
    };
    let needed = estimate(paths);
    if needed <= available {
        return Ok(());
    }
    let per_path = (estimate(1_000_000) - estimate(0)) as f64 / 1e6;
    let fits = ((available as f64 * 0.9 - estimate(0) as f64) / per_path).max(0.0) as u64;
    let gib = |bytes: f64| bytes / (1u64 << 30) as f64;
    Err(input_error(
        format!(
            "{} paths need about {:.1} GiB of memory{mode}, but only {:.1} GiB is available",
            crate::format::count(paths as f64),
            gib(needed as f64),
            gib(available as f64)
        ),
        &if mode.is_empty() {
            format!(
                "use --paths {} or fewer (about {} fit), or --precision to stop once the odds are precise enough",
                fits,
                crate::format::count(fits as f64)
            )
        } else {
            format!(
                "use --paths {} or fewer (about {} fit)",
                fits,
                crate::format::count(fits as f64)
            )
        },
    ))
}

/// How a `--precision` run holds its paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrecisionPlan {
    /// Batches kept in memory, at most `budget` paths in all.
    InMemory { budget: usize },
    /// Too many for `--memory-limit`: streaming runs of a planned size, at
    /// most `most` paths.
    Streaming { most: usize },
}

/// Plans a `--precision` run against `--memory-limit` (`limit`) and the
/// memory `available`, the way [`choose_storage`] plans a run of fixed
/// size: in memory when the paths it may need fit under the limit,
/// streaming otherwise. A chance's standard error is at most 0.5/√paths
/// (that of a 50% chance), so `precision` may need up to 0.25/precision²
/// paths; a precision that not even streaming can promise is refused up
/// front, saying which precision fits.
pub fn plan_precision(
    model: &Model,
    precision: f64,
    limit: u64,
    available: Option<u64>,
    charts: bool,
) -> Result<PrecisionPlan, Failure> {
    if !(precision > 0.0 && precision < 0.5) {
        return Err(input_error(
            format!("--precision {precision} is out of range"),
            "give a standard error such as 0.002 (0.2 percentage points)",
        ));
    }
    let needed = (0.25 / (precision * precision)).ceil();
    let cap = available.map_or(limit, |a| a.min(limit));
    let in_memory = most_paths_under(cap, &|n| engine::memory_estimate(model, n));
    if needed <= in_memory as f64 {
        return Ok(PrecisionPlan::InMemory { budget: in_memory });
    }
    // As in `choose_storage`, the limit decides that the paths stream; what
    // streaming needs must fit in the memory available.
    let queries = crate::plot::queries(model);
    let streaming = most_paths_under(available.unwrap_or(u64::MAX), &|n| {
        crate::streaming::memory_estimate(model, n, charts, &queries)
    });
    if needed <= streaming as f64 {
        return Ok(PrecisionPlan::Streaming { most: streaming });
    }
    let reachable = round_up(0.5 / (streaming.max(1) as f64).sqrt());
    let why = if streaming == MAX_PATHS {
        "in one run".to_string()
    } else {
        "in the memory available, even streaming".to_string()
    };
    Err(input_error(
        format!(
            "--precision {precision} may need up to {} paths (a 50% chance's standard error is 0.5/√paths), but only about {} fit {why}",
            crate::format::count(needed),
            crate::format::count(streaming as f64)
        ),
        &format!(
            "use --precision {reachable} or larger (what {} paths promise)",
            crate::format::count(streaming as f64)
        ),
    ))
}

/// The most paths (up to [`MAX_PATHS`]) whose `estimate` is at most `cap`
/// bytes; the estimate grows with the paths.
fn most_paths_under(cap: u64, estimate: &dyn Fn(usize) -> u64) -> usize {
    let (mut low, mut high) = (0usize, MAX_PATHS);
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if estimate(mid) <= cap {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    low
}

/// `value` rounded up to one significant digit, as a plain decimal.
fn round_up(value: f64) -> String {
    let magnitude = 10f64.powf(value.log10().floor());
    let rounded = (value / magnitude).ceil() * magnitude;
    let decimals = (-value.log10().floor()).max(0.0) as usize;
    format!("{rounded:.decimals$}")
}

/// How `affsim run` holds its paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Every path kept: needed for `--precision`, fastest.
    InMemory,
    /// Paths re-simulated pass by pass (see `streaming`).
    Streaming,
}

/// Keeps the paths in memory when they fit under `limit` (and in the memory
/// available); otherwise streams them, unless even that does not fit.
pub fn choose_storage(
    model: &Model,
    paths: usize,
    limit: u64,
    available: Option<u64>,
    charts: bool,
) -> Result<Storage, Failure> {
    let in_memory = engine::memory_estimate(model, paths);
    if in_memory <= limit && available.is_none_or(|a| in_memory <= a) {
        return Ok(Storage::InMemory);
    }
    check_fits(
        paths,
        available,
        &|n| crate::streaming::memory_estimate(model, n, charts, &crate::plot::queries(model)),
        " even in streaming mode",
    )?;
    Ok(Storage::Streaming)
}
