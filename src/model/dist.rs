//! Distributions of uncertain inputs: drawing, quantiles, and fitting a
//! distribution to a 90% interval.

use rand::Rng;
use rand::RngExt;
use rand_distr::Distribution;
use serde::Serialize;
use statrs::distribution::{self as sd, Continuous, ContinuousCDF};

/// A distribution over one uncertain input. Constructed only through the
/// checked constructors in `scenario::resolve`, so parameters are valid.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Dist {
    Uniform {
        min: f64,
        max: f64,
    },
    /// A normal truncated to `[min, max]` (either may be infinite).
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    /// `exp(N(mu, sigma))`.
    Lognormal {
        mu: f64,
        sigma: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
}

/// z such that P(Z <= z) = 0.95 for a standard normal.
pub const Z95: f64 = 1.6448536269514722;

/// A distribution with its sampler built once: drawing from it gives the same
/// numbers as [`Dist::sample`], without rebuilding the sampler each draw.
#[derive(Clone, Copy, Debug)]
pub enum Prepared {
    Beta(rand_distr::Beta<f64>),
    Gamma(rand_distr::Gamma<f64>),
    Lognormal(rand_distr::LogNormal<f64>),
    Other(Dist),
}

impl Prepared {
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Prepared::Beta(beta) => beta.sample(rng),
            Prepared::Gamma(gamma) => gamma.sample(rng),
            Prepared::Lognormal(lognormal) => lognormal.sample(rng),
            Prepared::Other(dist) => dist.sample(rng),
        }
    }
}

impl Dist {
    pub fn prepare(&self) -> Prepared {
        match *self {
            Dist::Beta { alpha, beta } => {
                Prepared::Beta(rand_distr::Beta::new(alpha, beta).expect("checked beta"))
            }
            Dist::Gamma { shape, scale } => {
                Prepared::Gamma(rand_distr::Gamma::new(shape, scale).expect("checked gamma"))
            }
            Dist::Lognormal { mu, sigma } => Prepared::Lognormal(
                rand_distr::LogNormal::new(mu, sigma).expect("checked lognormal"),
            ),
            other => Prepared::Other(other),
        }
    }

    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Dist::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Dist::Normal { min, max, .. } if min.is_finite() || max.is_finite() => {
                // Inversion keeps truncation exact however far the bounds are.
                let (lo, hi) = (self.cdf(min), self.cdf(max));
                let u = lo + (hi - lo) * rng.random::<f64>();
                self.quantile(u).clamp(min, max)
            }
            Dist::Normal { mean, sd, .. } => rand_distr::Normal::new(mean, sd)
                .expect("checked normal")
                .sample(rng),
            Dist::Lognormal { mu, sigma } => rand_distr::LogNormal::new(mu, sigma)
                .expect("checked lognormal")
                .sample(rng),
            Dist::Beta { alpha, beta } => rand_distr::Beta::new(alpha, beta)
                .expect("checked beta")
                .sample(rng),
            Dist::Gamma { shape, scale } => rand_distr::Gamma::new(shape, scale)
                .expect("checked gamma")
                .sample(rng),
            Dist::Triangular { min, mode, max } => rand_distr::Triangular::new(min, max, mode)
                .expect("checked triangular")
                .sample(rng),
            Dist::Pert { min, mode, max } => rand_distr::Pert::new(min, max)
                .with_mode(mode)
                .expect("checked pert")
                .sample(rng),
        }
    }

    /// Untruncated normal CDF for `Normal`; the plain CDF otherwise.
    fn cdf(&self, x: f64) -> f64 {
        match *self {
            Dist::Normal { mean, sd, .. } => sd::Normal::new(mean, sd).expect("checked").cdf(x),
            _ => unreachable!("cdf is only used for truncated normals"),
        }
    }

    /// The value below which a share `p` of the distribution lies.
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(1e-12, 1.0 - 1e-12);
        match *self {
            Dist::Uniform { min, max } => min + (max - min) * p,
            Dist::Normal { mean, sd, min, max } => {
                let normal = sd::Normal::new(mean, sd).expect("checked");
                let (lo, hi) = (normal.cdf(min), normal.cdf(max));
                normal.inverse_cdf(lo + (hi - lo) * p).clamp(min, max)
            }
            Dist::Lognormal { mu, sigma } => {
                (mu + sigma * sd::Normal::standard().inverse_cdf(p)).exp()
            }
            Dist::Beta { alpha, beta } => {
                sd::Beta::new(alpha, beta).expect("checked").inverse_cdf(p)
            }
            Dist::Gamma { shape, scale } => sd::Gamma::new(shape, 1.0 / scale)
                .expect("checked")
                .inverse_cdf(p),
            Dist::Triangular { min, mode, max } => sd::Triangular::new(min, max, mode)
                .expect("checked")
                .inverse_cdf(p),
            Dist::Pert { min, mode, max } => {
                let (alpha, beta) = pert_shapes(min, mode, max);
                min + (max - min) * sd::Beta::new(alpha, beta).expect("checked").inverse_cdf(p)
            }
        }
    }

    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The share of the distribution at or below `x` (the inverse of
    /// [`Dist::quantile`]; truncation included). Carrying a value from one
    /// distribution to another at the same share keeps its rank: how a
    /// strategy that changes an input's range inherits what the history
    /// said about it.
    pub fn share_below(&self, x: f64) -> f64 {
        let share = match *self {
            Dist::Uniform { min, max } => (x - min) / (max - min),
            Dist::Normal { mean, sd, min, max } => {
                let normal = sd::Normal::new(mean, sd).expect("checked");
                let (lo, hi) = (normal.cdf(min), normal.cdf(max));
                (normal.cdf(x) - lo) / (hi - lo)
            }
            Dist::Lognormal { mu, sigma } => sd::LogNormal::new(mu, sigma).expect("checked").cdf(x),
            Dist::Beta { alpha, beta } => sd::Beta::new(alpha, beta).expect("checked").cdf(x),
            Dist::Gamma { shape, scale } => {
                sd::Gamma::new(shape, 1.0 / scale).expect("checked").cdf(x)
            }
            Dist::Triangular { min, mode, max } => {
                sd::Triangular::new(min, max, mode).expect("checked").cdf(x)
            }
            Dist::Pert { min, mode, max } => {
                let (alpha, beta) = pert_shapes(min, mode, max);
                sd::Beta::new(alpha, beta)
                    .expect("checked")
                    .cdf((x - min) / (max - min))
            }
        };
        share.clamp(0.0, 1.0)
    }

    /// `x` on the scale where the distribution's own shape is plainest: the
    /// logarithm for lognormal and gamma amounts, the logit for beta rates,
    /// the value itself for the rest. A smooth effect of the input is
    /// closest to linear there (`stats::regression` fits on it).
    pub fn natural_scale(&self, x: f64) -> f64 {
        match *self {
            Dist::Lognormal { .. } | Dist::Gamma { .. } => x.max(f64::MIN_POSITIVE).ln(),
            Dist::Beta { .. } => {
                let x = x.clamp(1e-12, 1.0 - 1e-12);
                (x / (1.0 - x)).ln()
            }
            Dist::Uniform { .. }
            | Dist::Normal { .. }
            | Dist::Triangular { .. }
            | Dist::Pert { .. } => x,
        }
    }

    /// The log density at `x` up to a constant (truncation and scaling
    /// constants are left out), minus infinity outside the support: what a
    /// Metropolis acceptance ratio between two values needs.
    pub fn ln_density(&self, x: f64) -> f64 {
        let inside = |min: f64, max: f64| x.is_finite() && x >= min && x <= max;
        match *self {
            Dist::Uniform { min, max } => {
                if inside(min, max) {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            }
            Dist::Normal { mean, sd, min, max } => {
                if inside(min, max) {
                    let z = (x - mean) / sd;
                    -0.5 * z * z
                } else {
                    f64::NEG_INFINITY
                }
            }
            Dist::Lognormal { mu, sigma } => {
                if x > 0.0 && x.is_finite() {
                    let z = (x.ln() - mu) / sigma;
                    -0.5 * z * z - x.ln()
                } else {
                    f64::NEG_INFINITY
                }
            }
            Dist::Beta { alpha, beta } => {
                if x > 0.0 && x < 1.0 {
                    (alpha - 1.0) * x.ln() + (beta - 1.0) * (1.0 - x).ln()
                } else {
                    f64::NEG_INFINITY
                }
            }
            Dist::Gamma { shape, scale } => {
                if x > 0.0 && x.is_finite() {
                    (shape - 1.0) * x.ln() - x / scale
                } else {
                    f64::NEG_INFINITY
                }
            }
            Dist::Triangular { min, mode, max } => {
                if inside(min, max) {
                    sd::Triangular::new(min, max, mode)
                        .expect("checked")
                        .ln_pdf(x)
                } else {
                    f64::NEG_INFINITY
                }
            }
            Dist::Pert { min, mode, max } => {
                if x > min && x < max {
                    let (alpha, beta) = pert_shapes(min, mode, max);
                    let y = (x - min) / (max - min);
                    (alpha - 1.0) * y.ln() + (beta - 1.0) * (1.0 - y).ln()
                } else {
                    f64::NEG_INFINITY
                }
            }
        }
    }

    /// The family's name, as the scenario writes it: "beta", "PERT".
    pub fn family(&self) -> &'static str {
        match self {
            Dist::Uniform { .. } => "uniform",
            Dist::Normal { .. } => "normal",
            Dist::Lognormal { .. } => "lognormal",
            Dist::Beta { .. } => "beta",
            Dist::Gamma { .. } => "gamma",
            Dist::Triangular { .. } => "triangular",
            Dist::Pert { .. } => "PERT",
        }
    }

    /// A short plain-words description, e.g. "beta, 90% between 2.0% and 6.0%".
    pub fn describe(&self, format: impl Fn(f64) -> String) -> String {
        let name = self.family();
        format!(
            "{name}, median {}, 90% between {} and {}",
            format(self.median()),
            format(self.quantile(0.05)),
            format(self.quantile(0.95))
        )
    }
}

pub fn pert_shapes(min: f64, mode: f64, max: f64) -> (f64, f64) {
    let range = max - min;
    (
        1.0 + 4.0 * (mode - min) / range,
        1.0 + 4.0 * (max - mode) / range,
    )
}

/// Lognormal whose 5th and 95th percentiles are `low` and `high` (0 < low < high).
pub fn lognormal_from_interval(low: f64, high: f64) -> Dist {
    let (ln_low, ln_high) = (low.ln(), high.ln());
    Dist::Lognormal {
        mu: (ln_low + ln_high) / 2.0,
        sigma: (ln_high - ln_low) / (2.0 * Z95),
    }
}

/// Beta whose 5th and 95th percentiles are `low` and `high` (0 < low < high < 1).
///
/// The fit takes a few thousand evaluations of the incomplete beta function
/// (milliseconds), and every model a command builds fits its intervals
/// again: compare builds one model per strategy and sweep one per value,
/// mostly with the same intervals. Fits are therefore kept for the
/// process, keyed by the interval's exact bits: the same interval always
/// gives the same distribution, to the bit, fitted once.
pub fn beta_from_interval(low: f64, high: f64) -> Option<Dist> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Fits = Mutex<HashMap<(u64, u64), Option<Dist>>>;
    static FITS: OnceLock<Fits> = OnceLock::new();
    let key = (low.to_bits(), high.to_bits());
    let fits = FITS.get_or_init(Fits::default);
    if let Some(fit) = fits.lock().expect("no panics while fitting").get(&key) {
        return *fit;
    }
    let fit = fit_beta_to_interval(low, high);
    fits.lock()
        .expect("no panics while fitting")
        .insert(key, fit);
    fit
}

/// [`beta_from_interval`], computed.
///
/// Parametrised by mean m and concentration k (alpha = m k, beta = (1 - m) k):
/// for a fixed k, the mean that puts equal mass in both tails is found by
/// bisection; the mass between the ends grows with k, so an outer bisection
/// on log k finds the one that holds 90%.
fn fit_beta_to_interval(low: f64, high: f64) -> Option<Dist> {
    if !(0.0 < low && low < high && high < 1.0) {
        return None;
    }
    let cdf = |m: f64, k: f64, x: f64| statrs::function::beta::beta_reg(m * k, (1.0 - m) * k, x);
    let centred_mean = |k: f64| {
        let (mut lo, mut hi) = (1e-12, 1.0 - 1e-12);
        // 1e-10 in the mean is far below anything a 90% interval can state.
        while hi - lo > 1e-10 * hi {
            let mid = 0.5 * (lo + hi);
            // Tail balance: P(X < low) - P(X > high); decreasing in the mean.
            if cdf(mid, k, low) - (1.0 - cdf(mid, k, high)) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let (mut log_lo, mut log_hi) = ((1e-3f64).ln(), (1e9f64).ln());
    while log_hi - log_lo > 1e-9 {
        let log_mid = 0.5 * (log_lo + log_hi);
        let k = log_mid.exp();
        let m = centred_mean(k);
        let inside = cdf(m, k, high) - cdf(m, k, low);
        if inside < 0.9 {
            log_lo = log_mid;
        } else {
            log_hi = log_mid;
        }
    }
    let k = (0.5 * (log_lo + log_hi)).exp();
    let m = centred_mean(k);
    let dist = Dist::Beta {
        alpha: m * k,
        beta: (1.0 - m) * k,
    };
    let fits = (dist.quantile(0.05) - low).abs() < 1e-3 * (high - low).max(1e-9) * 10.0
        && (dist.quantile(0.95) - high).abs() < 1e-3 * (high - low).max(1e-9) * 10.0;
    fits.then_some(dist)
}

/// Beta with the given mean and standard deviation, if one exists.
pub fn beta_from_moments(mean: f64, sd: f64) -> Option<Dist> {
    if !(0.0 < mean && mean < 1.0 && sd > 0.0) || sd * sd >= mean * (1.0 - mean) {
        return None;
    }
    let k = mean * (1.0 - mean) / (sd * sd) - 1.0;
    Some(Dist::Beta {
        alpha: mean * k,
        beta: (1.0 - mean) * k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn share_below_inverts_the_quantile() {
        let dists = [
            Dist::Uniform { min: 1.0, max: 3.0 },
            Dist::Normal {
                mean: 0.3,
                sd: 0.2,
                min: 0.0,
                max: 1.0,
            },
            Dist::Normal {
                mean: 5.0,
                sd: 2.0,
                min: f64::NEG_INFINITY,
                max: f64::INFINITY,
            },
            Dist::Lognormal {
                mu: 6.0,
                sigma: 0.5,
            },
            Dist::Beta {
                alpha: 2.0,
                beta: 30.0,
            },
            Dist::Gamma {
                shape: 3.0,
                scale: 2.0,
            },
            Dist::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 4.0,
            },
            Dist::Pert {
                min: 10.0,
                mode: 12.0,
                max: 20.0,
            },
        ];
        for dist in dists {
            for p in [0.01, 0.25, 0.5, 0.9, 0.999] {
                let back = dist.share_below(dist.quantile(p));
                assert!((back - p).abs() < 1e-6, "{dist:?} at {p}: {back}");
            }
        }
    }
    use rand::rngs::Xoshiro256PlusPlus;

    #[test]
    fn interval_fits_hit_their_percentiles() {
        let lognormal = lognormal_from_interval(800.0, 3000.0);
        assert!((lognormal.quantile(0.05) - 800.0).abs() < 1e-6);
        assert!((lognormal.quantile(0.95) - 3000.0).abs() < 1e-6);
        for (low, high) in [(0.02, 0.06), (0.3, 0.6), (0.001, 0.01), (0.1, 0.95)] {
            let beta = beta_from_interval(low, high).expect("fits");
            assert!(
                (beta.quantile(0.05) - low).abs() < 1e-4 * high,
                "{low}..{high}: {beta:?}"
            );
            assert!((beta.quantile(0.95) - high).abs() < 1e-4 * high.max(0.01) * 10.0);
        }
    }

    #[test]
    fn impossible_beta_moments_are_refused() {
        assert!(beta_from_moments(0.1, 0.5).is_none());
        assert!(beta_from_moments(0.1, 0.03).is_some());
    }

    #[test]
    fn truncated_normal_stays_inside_its_bounds() {
        let dist = Dist::Normal {
            mean: 0.02,
            sd: 0.05,
            min: 0.0,
            max: 1.0,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for _ in 0..10_000 {
            let x = dist.sample(&mut rng);
            assert!((0.0..=1.0).contains(&x));
        }
    }
}
