//! affsim: Monte Carlo simulation of affiliate commission income.
//!
//! Data flows one way: [`scenario`] (parse, validate, resolve into a
//! [`model::Model`]) → [`engine`] (simulate paths) → [`stats`] (percentiles,
//! probabilities, standard errors) → [`report`] and [`plot`].

pub mod app;
pub mod calendar;
pub mod calibrate;
pub mod cli;
pub mod engine;
pub mod format;
pub mod input_file;
pub mod model;
pub mod plot;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod strategy;
pub mod stream;
