//! Progress bars for long runs, and Ctrl-C.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Set by Ctrl-C, SIGTERM or SIGHUP; every run of the engine checks it
/// between chunks of paths and stops.
pub use crate::engine::STOP as CANCEL;

/// Makes Ctrl-C (and SIGTERM and SIGHUP: the crate's `termination`
/// feature) set [`CANCEL`] instead of killing the process, so a command
/// stops within a moment and before writing any file.
pub fn stop_on_ctrl_c() {
    let _ = ctrlc::set_handler(|| CANCEL.store(true, Ordering::SeqCst));
}

/// "40 s", "12 min", "3.5 h".
fn duration_text(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.0} s")
    } else if seconds < 5400.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// Writes a line to stderr. A failing stderr (closed, `2>/dev/full`) has
/// nowhere to be reported, and must not turn a finished run into a panic.
pub fn note(line: std::fmt::Arguments) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn cancelled() -> bool {
    CANCEL.load(Ordering::SeqCst)
}

/// A run projected to take longer than this says so, with its estimate.
const LONG_RUN: Duration = Duration::from_secs(60);

/// Runs `work` with a progress bar of `total` units that appears only for
/// runs longer than about a second, and only on a terminal. A run that two
/// seconds in is projected to take over a minute says so on stderr (unless
/// `quiet`), terminal or not, so that no run goes on for many minutes
/// without a word.
pub fn with_progress<T>(
    total: usize,
    template: &str,
    quiet: bool,
    work: impl FnOnce(&(dyn Fn(usize) + Sync)) -> T,
) -> T {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    let started = Instant::now();
    let shown = AtomicBool::new(false);
    let may_show = !quiet && std::io::stderr().is_terminal();
    let warned = AtomicBool::new(quiet);
    let progress = |done: usize| {
        bar.inc(done as u64);
        let elapsed = started.elapsed();
        if elapsed > Duration::from_secs(2) && !warned.load(Ordering::Relaxed) {
            let share = bar.position() as f64 / total.max(1) as f64;
            let projected = elapsed.as_secs_f64() / share.max(1e-9);
            if projected > LONG_RUN.as_secs_f64() && !warned.swap(true, Ordering::Relaxed) {
                let left = projected - elapsed.as_secs_f64();
                let _ = writeln!(
                    std::io::stderr(),
                    "note: this will take about {} more ({:.0}% done after {:.0} s); Ctrl-C stops it, and fewer --paths (or --precision) is quicker",
                    duration_text(left),
                    share * 100.0,
                    elapsed.as_secs_f64()
                );
            } else if projected <= LONG_RUN.as_secs_f64() {
                warned.store(true, Ordering::Relaxed);
            }
        }
        if may_show
            && started.elapsed() > Duration::from_secs(1)
            && !shown.swap(true, Ordering::Relaxed)
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    };
    let result = work(&progress);
    bar.finish_and_clear();
    result
}
