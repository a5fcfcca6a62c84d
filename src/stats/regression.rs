//! A chance as a smooth function of one input, fitted to weighted paths.
//!
//! `affsim sensitivity` asks, for each uncertain input, what the target's
//! chance is with the input held at its P10 and at its P90, the others left
//! uncertain and everything conditioned on the history. That is the
//! conditional chance given the input, under the conditioned paths' joint
//! distribution: a regression of the target's hits on the input. One
//! conditioned population answers it for every input, where holding each
//! input in turn needs a conditioned run per input and end.
//!
//! The fit is a weighted logistic regression, quadratic in the input on its
//! natural scale (`Dist::natural_scale`: the logarithm of an amount, the
//! logit of a rate), by Newton's method. Its covariance is the sandwich estimate clustered by
//! each path's ancestor among the prior paths, as every other standard error
//! of a resampled population is (`crate::sim::Estimate::clustered`), since
//! copies of one path are not independent evidence.

use nalgebra::{SMatrix, SVector};

use crate::sim::Estimate;

/// Coefficients: intercept, z, z². Against `--exact` runs at 100,000
/// paths on q4, a linear fit was off by up to 3.6 standard errors; quadratic
/// and cubic agreed (χ² 14.8 and 13.5 on 22 chances), the cubic with about
/// 10% more error (docs/MODEL.md, section 11).
const TERMS: usize = 3;
type Vector = SVector<f64, TERMS>;
type Matrix = SMatrix<f64, TERMS, TERMS>;

/// Newton steps before giving up: a well-posed fit converges in about six.
const MAX_STEPS: usize = 50;

/// The fitted curve and its sampling covariance.
#[derive(Clone, Debug)]
pub struct ChanceCurve {
    coefficients: Vector,
    covariance: Matrix,
}

fn terms(z: f64) -> Vector {
    Vector::new(1.0, z, z * z)
}

fn logistic(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

/// Paths with one value of the input and one ancestor, pooled: the weight
/// of those that hit the target and of those that miss it. Copies of a
/// path (which share both) make one row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    pub z: f64,
    pub hit: f64,
    pub miss: f64,
    pub cluster: u64,
}

impl Row {
    /// `(weight × (hit − p), weight × p(1 − p))` at chance `p`: the row's
    /// score and information, per unit of its terms.
    fn residual_and_variance(&self, p: f64) -> (f64, f64) {
        let weight = self.hit + self.miss;
        (self.hit - weight * p, weight * p * (1.0 - p))
    }
}

impl ChanceCurve {
    /// Fits `P(hit | z)` to `rows`, their weights summing to one. `None`
    /// when the fit is not defined: every path a hit or none, a singular
    /// design (the input barely varies), or no convergence (the hits
    /// separate perfectly along the input).
    pub fn fit(rows: &[Row]) -> Option<ChanceCurve> {
        let hits: f64 = rows.iter().map(|r| r.hit).sum();
        let total: f64 = hits + rows.iter().map(|r| r.miss).sum::<f64>();
        let hit_share = hits / total;
        if !(hit_share > 0.0 && hit_share < 1.0) {
            return None;
        }
        let chance = |beta: &Vector, z: f64| logistic(beta[0] + z * (beta[1] + z * beta[2]));
        let mut beta = Vector::zeros();
        beta[0] = (hit_share / (1.0 - hit_share)).ln();
        let mut information = Matrix::zeros();
        let mut converged = false;
        for _ in 0..MAX_STEPS {
            // For powers of z the information is a Hankel matrix of the
            // weighted moments Σ v·z^k, k = 0..=4: five sums a row, not a
            // matrix.
            let mut gradient = Vector::zeros();
            let mut moments = [0.0f64; 2 * TERMS - 1];
            for row in rows {
                let (residual, variance) = row.residual_and_variance(chance(&beta, row.z));
                let mut power = 1.0;
                for (k, moment) in moments.iter_mut().enumerate() {
                    if k < TERMS {
                        gradient[k] += residual * power;
                    }
                    *moment += variance * power;
                    power *= row.z;
                }
            }
            information = Matrix::from_fn(|i, j| moments[i + j]);
            let step = information.cholesky()?.solve(&gradient);
            beta += step;
            if !beta.iter().all(|b| b.is_finite()) {
                return None;
            }
            if step.amax() < 1e-10 {
                converged = true;
                break;
            }
        }
        if !converged {
            return None;
        }
        // Sandwich: the information's inverse around the spread of the
        // clusters' scores.
        let mut scores: Vec<(u64, Vector)> = rows
            .iter()
            .map(|row| {
                let (residual, _) = row.residual_and_variance(chance(&beta, row.z));
                (row.cluster, terms(row.z) * residual)
            })
            .collect();
        scores.sort_unstable_by_key(|s| s.0);
        let mut meat = Matrix::zeros();
        let mut at = 0;
        while at < scores.len() {
            let cluster = scores[at].0;
            let mut sum = Vector::zeros();
            while at < scores.len() && scores[at].0 == cluster {
                sum += scores[at].1;
                at += 1;
            }
            meat += sum * sum.transpose();
        }
        let bread = information.try_inverse()?;
        Some(ChanceCurve {
            coefficients: beta,
            covariance: bread * meat * bread,
        })
    }

    /// The chance at `z` (the input on the fit's standardised scale) and
    /// its gradient in the coefficients, for the delta method.
    fn chance_and_gradient(&self, z: f64) -> (f64, Vector) {
        let x = terms(z);
        let p = logistic(x.dot(&self.coefficients));
        (p, x * (p * (1.0 - p)))
    }

    /// A value with that gradient, and its standard error under the fit's
    /// covariance.
    fn estimate(&self, value: f64, gradient: Vector) -> Estimate {
        Estimate {
            value,
            standard_error: gradient.dot(&(self.covariance * gradient)).max(0.0).sqrt(),
        }
    }

    /// The chance at `z`, with its standard error.
    pub fn at(&self, z: f64) -> Estimate {
        let (p, gradient) = self.chance_and_gradient(z);
        self.estimate(p, gradient)
    }

    /// `chance(high) − chance(low)`, with its standard error (the two
    /// chances come from one fit, so their errors are correlated).
    pub fn difference(&self, low: f64, high: f64) -> Estimate {
        let (p_low, g_low) = self.chance_and_gradient(low);
        let (p_high, g_high) = self.chance_and_gradient(high);
        self.estimate(p_high - p_low, g_high - g_low)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::StandardNormal;

    fn row(z: f64, hit: bool, weight: f64, cluster: u64) -> Row {
        let (hit, miss) = if hit { (weight, 0.0) } else { (0.0, weight) };
        Row {
            z,
            hit,
            miss,
            cluster,
        }
    }

    /// Paths whose hits follow a known logistic curve: the fit recovers the
    /// chance at ±1.28 within four of its standard errors, and those errors
    /// match the binomial error of that many paths to within a few percent.
    #[test]
    fn recovers_a_known_curve() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let truth = |z: f64| logistic(-1.5 + 0.8 * z - 0.1 * z * z);
        let n = 40_000;
        let rows: Vec<Row> = (0..n)
            .map(|i| {
                let z: f64 = rng.sample(StandardNormal);
                row(z, rng.random::<f64>() < truth(z), 1.0 / n as f64, i as u64)
            })
            .collect();
        let curve = ChanceCurve::fit(&rows).unwrap();
        for z in [-1.2816, 0.0, 1.2816] {
            let at = curve.at(z);
            assert!(
                (at.value - truth(z)).abs() < 4.0 * at.standard_error,
                "z {z}: {at:?} against {}",
                truth(z)
            );
            assert!(at.standard_error > 0.0 && at.standard_error < 0.01);
        }
        let swing = curve.difference(-1.2816, 1.2816);
        let expected = truth(1.2816) - truth(-1.2816);
        assert!((swing.value - expected).abs() < 4.0 * swing.standard_error);
    }

    /// Copies of a path are one piece of evidence: clustering them leaves
    /// the standard error as it was, where counting them as independent
    /// would shrink it by √copies.
    #[test]
    fn copies_do_not_shrink_the_error() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let n = 5_000;
        let single: Vec<Row> = (0..n)
            .map(|i| {
                let z: f64 = rng.sample(StandardNormal);
                row(
                    z,
                    rng.random::<f64>() < logistic(z),
                    1.0 / n as f64,
                    i as u64,
                )
            })
            .collect();
        // Each path four times, as four rows of a quarter of its weight.
        let copied: Vec<Row> = single
            .iter()
            .flat_map(|r| {
                let quarter = Row {
                    hit: r.hit / 4.0,
                    miss: r.miss / 4.0,
                    ..*r
                };
                std::iter::repeat_n(quarter, 4)
            })
            .collect();
        let (a, b) = (
            ChanceCurve::fit(&single).unwrap().at(1.0),
            ChanceCurve::fit(&copied).unwrap().at(1.0),
        );
        assert!((a.value - b.value).abs() < 1e-9);
        assert!((a.standard_error / b.standard_error - 1.0).abs() < 1e-6);
    }

    #[test]
    fn undefined_without_both_outcomes() {
        let rows = [row(0.0, true, 0.5, 0), row(1.0, true, 0.5, 1)];
        assert!(ChanceCurve::fit(&rows).is_none());
    }
}
