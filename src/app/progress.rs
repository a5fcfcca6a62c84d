//! Progress bars for long runs, and Ctrl-C.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{self, RunOptions};
use crate::model::Model;
use crate::sim::Breakdown;

use crate::engine::STOP;

/// Makes Ctrl-C (and SIGTERM and SIGHUP: the crate's `termination`
/// feature) set [`STOP`] instead of killing the process, so a command
/// stops within a moment and before writing any file.
pub fn stop_on_ctrl_c() {
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst));
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
    STOP.load(Ordering::SeqCst)
}

/// A run projected to take longer than this says so, with its estimate.
const LONG_RUN: Duration = Duration::from_secs(60);

/// A pessimistic cost of one path-month on one core (the engine's floor is
/// about 1 µs, docs/PERFORMANCE.md): a command that would be short even at
/// this cost is not timed before it starts.
const SLOW_PATH_MONTH: f64 = 4e-6;

/// Set once a command's time was projected before it started: the progress
/// bar's own projection two seconds in would repeat it.
static ANNOUNCED: AtomicBool = AtomicBool::new(false);

/// Says before a command starts when it is projected to take over a
/// minute: `runs` simulations of `paths` paths each (compare's
/// strategies, a sweep's points, streaming's passes). The projection times
/// a trial of a few hundred of the model's paths, but only when even a
/// pessimistic guess says the command might be long, so short commands pay
/// nothing. Returns the projected seconds, if timed.
pub fn announce_long_run(model: &Model, paths: usize, runs: f64, quiet: bool) -> Option<f64> {
    let threads = rayon::current_num_threads().max(1) as f64;
    let path_months = paths as f64 * model.months as f64 * runs;
    if quiet || path_months * SLOW_PATH_MONTH / threads < LONG_RUN.as_secs_f64() {
        return None;
    }
    // About 50 000 path-months: a few tens of milliseconds.
    let trial = (50_000 / model.months.max(1)).clamp(32, 512).min(paths);
    let started = Instant::now();
    engine::run(
        model,
        &RunOptions {
            paths: Some(trial),
            breakdown: Breakdown::Skipped,
            cancel: Some(&STOP),
            ..RunOptions::default()
        },
    )
    .ok()?;
    let per_path = started.elapsed().as_secs_f64() / trial as f64;
    let projected = per_path * paths as f64 * runs;
    ANNOUNCED.store(true, Ordering::Relaxed);
    if projected > LONG_RUN.as_secs_f64() {
        note(format_args!(
            "note: this will take about {} ({} paths × {} months{}); Ctrl-C stops it, and fewer --paths is quicker",
            duration_text(projected),
            crate::format::count(paths as f64),
            model.months,
            if runs > 1.0 {
                format!(", {runs:.0} runs")
            } else {
                String::new()
            }
        ));
    }
    Some(projected)
}

/// Runs `work`, a command that runs the engine many times, with a progress
/// bar over the paths it is expected to simulate (`total`, counted by
/// [`engine::PATHS_SIMULATED`]), shown on a terminal once it has run for a
/// second.
pub fn with_engine_progress<T>(total: u64, quiet: bool, work: impl FnOnce() -> T) -> T {
    if quiet || !std::io::stderr().is_terminal() {
        return work();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} simulating {bar:30} {percent}%, {eta} left")
            .expect("valid template"),
    );
    let first = engine::PATHS_SIMULATED.load(Ordering::Relaxed);
    // The work's end wakes the drawing thread at once (a sleep would add up
    // to its length to every command).
    let (finished, done) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let started = Instant::now();
            while let Err(RecvTimeoutError::Timeout) = done.recv_timeout(Duration::from_millis(100))
            {
                let simulated = engine::PATHS_SIMULATED.load(Ordering::Relaxed) - first;
                // The total is an estimate; a command that outruns it is
                // nearly done.
                bar.set_length(total.max(simulated + simulated / 20));
                bar.set_position(simulated);
                if started.elapsed() > Duration::from_secs(1) && bar.is_hidden() {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                }
            }
            bar.finish_and_clear();
        });
        let result = work();
        let _ = finished.send(());
        result
    })
}

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
    let warned = AtomicBool::new(quiet || ANNOUNCED.load(Ordering::Relaxed));
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
