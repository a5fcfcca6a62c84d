//! The application layer: what each command does, from options to files
//! written and text printed. `cli` parses the command line into these
//! options, dispatches, and turns a [`Failure`] into an exit code.
//!
//! - [`options`]: each command's options as plain data, and the value parsers
//!   the command line uses for sizes.
//! - [`input`]: loading scenarios, variants and observed history; `--paths`,
//!   `--seed`, `--threads`.
//! - [`memory`]: whether a run fits, in memory or streaming.
//! - [`progress`]: progress bars and Ctrl-C.
//! - [`run`]: `affsim run` and `affsim check`: simulate (in memory, streaming,
//!   or until precise), condition on the history, report, chart.
//! - [`strategy`]: `compare`, `sweep` and `sensitivity`.
//! - [`deliver`]: writing a command's files and printing its report.

pub mod deliver;
pub mod input;
pub mod memory;
pub mod options;
pub mod progress;
pub mod run;
pub mod strategy;

pub use options::{
    CompareArgs, ManyRunArgs, OutputArgs, RunArgs, ScenarioArgs, SensitivityArgs, SweepArgs,
};

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad input: the scenario or an option (exit code 2).
    Input(String),
    /// Something went wrong while working (exit code 1).
    Runtime(String),
    /// Stopped by Ctrl-C (exit code 130).
    Interrupted,
}

/// An input failure with a hint at what would fix it.
pub fn input_error(message: impl std::fmt::Display, help: &str) -> Failure {
    Failure::Input(format!("error: {message}\n  help: {help}"))
}
