//! affsim: Monte Carlo simulation of affiliate commission income.
//!
//! Layers, bottom to top, each using only those below it (checked by
//! `tests/layers.rs`; docs/ARCHITECTURE.md says what each owns):
//! [`calendar`] and [`input_file`] → [`model`] → [`format`] → [`scenario`]
//! (a TOML file to a [`model::Model`]) → [`sim`] (what a run produced, as
//! data) → [`engine`] (simulate paths) → [`stats`] (bands, chances, standard
//! errors) → [`calibrate`] (condition on observed history) → [`streaming`]
//! (runs too large to keep) → [`strategy`] → [`report`] → [`plot`] → [`app`]
//! (what each command does) → [`cli`].

// Output goes through `app::deliver::print_stdout` (a failed write is exit
// 1) and `app::progress::note` (a failed stderr is ignored): the print
// macros panic when the stream is closed or full.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod app;
pub mod calendar;
pub mod calibrate;
pub mod cli;
pub mod completions;
pub mod engine;
pub mod format;
pub mod init;
pub mod input_file;
pub mod model;
pub mod plot;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod strategy;
pub mod streaming;
