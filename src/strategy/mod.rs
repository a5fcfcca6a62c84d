//! Strategy tools: compare strategies, sweep an input (and goal seek), and
//! rank which uncertain inputs matter. All runs of one command share the seed
//! and path indices, so they use common random numbers: a difference between
//! two runs is the change, not sampling noise.

pub mod compare;
pub mod sensitivity;
pub mod sweep;

use crate::model::Model;

/// Paths per run when the command line does not say: these commands run
/// the model many times.
pub const DEFAULT_PATHS: usize = 20_000;

/// Builds a model from extra `--set` overrides, or explains why it cannot
/// (a rendered, located error).
pub type Builder<'a> = &'a dyn Fn(&[String]) -> Result<Model, String>;

/// A difference is called noise when it is within two standard errors of zero.
pub fn within_noise(difference: f64, standard_error: f64) -> bool {
    difference.abs() <= 2.0 * standard_error
}
