//! An estimate from paths and its Monte Carlo standard error.

use serde::Serialize;

/// A probability estimated from paths, with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub standard_error: f64,
}

impl Estimate {
    /// A share of `n` paths with its binomial standard error.
    pub fn proportion(hits: usize, n: usize) -> Estimate {
        let p = hits as f64 / n.max(1) as f64;
        Estimate {
            value: p,
            standard_error: (p * (1.0 - p) / n.max(1) as f64).sqrt(),
        }
    }

    /// Self-normalised importance-sampling mean of `values` under weights
    /// summing to one. The standard error is the delta-method one,
    /// `sqrt(sum w²(x - mean)²)`: it reduces to the usual binomial or
    /// sample-mean error for equal weights and grows as the effective
    /// sample size `1 / sum w²` shrinks.
    pub fn weighted(values: impl Iterator<Item = (f64, f64)> + Clone) -> Estimate {
        let mut sums = WeightedSums::default();
        for (value, weight) in values.clone() {
            sums.add(value, weight);
        }
        if let Some(mean) = sums.mean() {
            for (value, weight) in values {
                sums.add_spread(value, weight, mean);
            }
        }
        sums.estimate()
    }

    /// [`Estimate::weighted`] for paths that share ancestors (sequential
    /// calibration copies paths): `(value, weight, ancestor)`. The standard
    /// error sums each ancestor's weighted deviations before squaring,
    /// `sqrt(sum over ancestors (sum w (x - mean))²)` (Chan and Lai's
    /// genealogy estimator), since copies of one path move together; with
    /// one path per ancestor it is [`Estimate::weighted`]'s.
    pub fn clustered(values: impl Iterator<Item = (f64, f64, u64)> + Clone) -> Estimate {
        let mut sums = WeightedSums::default();
        for (value, weight, _) in values.clone() {
            sums.add(value, weight);
        }
        let Some(mean) = sums.mean() else {
            return sums.estimate();
        };
        let mut terms: Vec<(u64, f64)> = values
            .map(|(value, weight, ancestor)| (ancestor, weight / sums.total * (value - mean)))
            .collect();
        // In ancestor order, so the sum does not depend on how the paths
        // were gathered.
        terms.sort_by_key(|(ancestor, _)| *ancestor);
        let mut variance = 0.0;
        let mut run = 0.0;
        for (k, (ancestor, term)) in terms.iter().enumerate() {
            run += term;
            if terms.get(k + 1).is_none_or(|(next, _)| next != ancestor) {
                variance += run * run;
                run = 0.0;
            }
        }
        Estimate {
            value: mean,
            standard_error: variance.sqrt(),
        }
    }

    /// Mean of values with the standard error of the mean.
    pub fn mean(values: impl Iterator<Item = f64>) -> Estimate {
        let (mut n, mut sum, mut sum_sq) = (0usize, 0.0, 0.0);
        for value in values {
            n += 1;
            sum += value;
            sum_sq += value * value;
        }
        if n == 0 {
            return Estimate {
                value: 0.0,
                standard_error: 0.0,
            };
        }
        let mean = sum / n as f64;
        let variance = if n > 1 {
            ((sum_sq - n as f64 * mean * mean) / (n as f64 - 1.0)).max(0.0)
        } else {
            0.0
        };
        Estimate {
            value: mean,
            standard_error: (variance / n as f64).sqrt(),
        }
    }
}

/// The running sums behind [`Estimate::weighted`], in two rounds (the
/// weighted mean, then the spread around it), so that a caller that sees the
/// values in two passes over the paths gets the very same estimate.
#[derive(Clone, Copy, Debug, Default)]
pub struct WeightedSums {
    total: f64,
    sum: f64,
    spread: f64,
}

impl WeightedSums {
    pub fn add(&mut self, value: f64, weight: f64) {
        self.total += weight;
        self.sum += weight * value;
    }

    /// The weighted mean, once every value has been added.
    pub fn mean(&self) -> Option<f64> {
        (self.total > 0.0).then(|| self.sum / self.total)
    }

    pub fn add_spread(&mut self, value: f64, weight: f64, mean: f64) {
        let w = weight / self.total;
        self.spread += w * w * (value - mean) * (value - mean);
    }

    pub fn estimate(&self) -> Estimate {
        match self.mean() {
            Some(mean) => Estimate {
                value: mean,
                standard_error: self.spread.sqrt(),
            },
            None => Estimate {
                value: 0.0,
                standard_error: 0.0,
            },
        }
    }
}
