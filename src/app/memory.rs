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
