//! Progress bars for long runs, and Ctrl-C.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Set by Ctrl-C; long work checks it and stops.
pub static CANCEL: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C set [`CANCEL`] instead of killing the process, so a command
/// stops before writing any file.
pub fn stop_on_ctrl_c() {
    let _ = ctrlc::set_handler(|| CANCEL.store(true, Ordering::SeqCst));
}

pub fn cancelled() -> bool {
    CANCEL.load(Ordering::SeqCst)
}

/// Runs `work` with a progress bar of `total` units that appears only for
/// runs longer than about a second, and only on a terminal.
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
    let progress = |done: usize| {
        bar.inc(done as u64);
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
