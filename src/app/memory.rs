//! Whether a run fits in memory: keeping every path, or streaming them.

use super::{Failure, input_error};
use crate::engine;
use crate::model::Model;
use crate::report;

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
            report::count(paths as f64),
            gib(needed as f64),
            gib(available as f64)
        ),
        &if mode.is_empty() {
            format!(
                "use --paths {} or fewer (about {} fit), or --precision to stop once the odds are precise enough",
                fits,
                report::count(fits as f64)
            )
        } else {
            format!(
                "use --paths {} or fewer (about {} fit)",
                fits,
                report::count(fits as f64)
            )
        },
    ))
}

/// The most paths a `--precision` run may keep (it keeps every path):
/// those whose estimate fits under `limit` and in the memory `available`.
/// Refuses up front a precision they cannot promise: a chance's standard
/// error is at most 0.5/√paths (that of a 50% chance), so `precision` may
/// need up to 0.25/precision² paths; the message says which precision fits.
pub fn precision_budget(
    model: &Model,
    precision: f64,
    limit: u64,
    available: Option<u64>,
) -> Result<usize, Failure> {
    let cap = available.map_or(limit, |a| a.min(limit));
    // The estimate grows with the paths: the largest count under the cap.
    let (mut low, mut high) = (0usize, crate::scenario::resolve::MAX_PATHS);
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if engine::memory_estimate(model, mid) <= cap {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let fits = low;
    if !(precision > 0.0 && precision < 0.5) {
        return Ok(fits.max(1));
    }
    let needed = (0.25 / (precision * precision)).ceil();
    if needed <= fits as f64 {
        return Ok(fits);
    }
    let reachable = round_up(0.5 / (fits.max(1) as f64).sqrt());
    let why = if available.is_some_and(|a| a < limit) {
        "in the memory available".to_string()
    } else {
        format!("under --memory-limit ({})", bytes_text(limit))
    };
    Err(input_error(
        format!(
            "--precision {precision} may need up to {} paths (a 50% chance's standard error is 0.5/√paths), but only about {} fit {why}",
            report::count(needed),
            report::count(fits as f64)
        ),
        &format!(
            "use --precision {reachable} or larger (what {} paths promise), or a larger --memory-limit",
            report::count(fits as f64)
        ),
    ))
}

/// A size as people write it: "64 MiB", "1.5 GiB".
fn bytes_text(bytes: u64) -> String {
    let mib = bytes as f64 / (1u64 << 20) as f64;
    if mib < 1024.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{:.1} GiB", mib / 1024.0)
    }
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
    /// Paths re-simulated pass by pass (see `stream`).
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
        &|n| crate::stream::memory_estimate(model, n, charts, &crate::plot::queries(model)),
        " even in streaming mode",
    )?;
    Ok(Storage::Streaming)
}
