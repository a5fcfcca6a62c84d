//! Retention: how likely a paying referral is to make its k-th renewal.

use serde::Serialize;

use super::Param;

/// How paying referrals leave.
///
/// All three are stated as a survival function S(k): the probability that a
/// new referral makes at least k renewals (S(0) = 1). The engine only needs
/// the conditional renewal probability S(k) / S(k - 1).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Churn {
    /// Each month every active referral leaves with probability `c`:
    /// S(k) = (1 - c)^k.
    Constant(Param),
    /// Shifted-beta-geometric (Fader & Hardie 2007): each referral has its own
    /// churn probability drawn from Beta(alpha, beta), so a cohort's churn
    /// falls with age. S(k) = B(alpha, beta + k) / B(alpha, beta).
    Sbg { alpha: Param, beta: Param },
    /// Discretised Weibull lifetime: S(k) = exp(-(k / scale)^shape).
    Weibull { scale: Param, shape: Param },
}

impl Churn {
    /// Whether the renewal probability is the same at every age, so cohorts
    /// of different ages can be merged.
    pub fn is_memoryless(&self) -> bool {
        matches!(self, Churn::Constant(_))
    }

    /// P(makes renewal k | made renewal k - 1), for k >= 1.
    pub fn renewal_probability(&self, drawn: &[f64], k: usize) -> f64 {
        debug_assert!(k >= 1);
        let k = k as f64;
        match *self {
            Churn::Constant(churn) => 1.0 - churn.get(drawn),
            Churn::Sbg { alpha, beta } => sbg_renewal(alpha.get(drawn), beta.get(drawn), k),
            Churn::Weibull { scale, shape } => {
                let (scale, shape) = (scale.get(drawn), shape.get(drawn));
                let hazard_integral = |k: f64| (k / scale).powf(shape);
                (hazard_integral(k - 1.0) - hazard_integral(k)).exp()
            }
        }
    }

    /// [`Churn::renewal_probability`] of renewals `1..=out.len()` for several
    /// parameter vectors at once, into `out[k - 1][lane]`: the same
    /// arithmetic, with the lanes' divisions side by side so that they can
    /// run as vector instructions (the referral values evaluate ten years
    /// of renewals for every path).
    pub fn renewal_table<const L: usize>(&self, drawn: [&[f64]; L], out: &mut [[f64; L]]) {
        match *self {
            Churn::Sbg { alpha, beta } => {
                let (a, b) = (drawn.map(|d| alpha.get(d)), drawn.map(|d| beta.get(d)));
                for (i, row) in out.iter_mut().enumerate() {
                    let k = (i + 1) as f64;
                    for l in 0..L {
                        row[l] = sbg_renewal(a[l], b[l], k);
                    }
                }
            }
            _ => {
                for (i, row) in out.iter_mut().enumerate() {
                    for l in 0..L {
                        row[l] = self.renewal_probability(drawn[l], i + 1);
                    }
                }
            }
        }
    }

    /// S(k): the probability that a new referral makes at least `k` renewals.
    pub fn survival(&self, drawn: &[f64], k: usize) -> f64 {
        (1..=k)
            .map(|j| self.renewal_probability(drawn, j))
            .product()
    }
}

/// sBG's P(renewal k | renewal k - 1) = (β + k - 1) / (α + β + k - 1).
#[inline]
fn sbg_renewal(alpha: f64, beta: f64, k: f64) -> f64 {
    (beta + k - 1.0) / (alpha + beta + k - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::function::beta::ln_beta;

    #[test]
    fn sbg_survival_matches_the_beta_function_closed_form() {
        let churn = Churn::Sbg {
            alpha: Param::Fixed(0.704),
            beta: Param::Fixed(1.182),
        };
        for k in 0..20 {
            let closed = (ln_beta(0.704, 1.182 + k as f64) - ln_beta(0.704, 1.182)).exp();
            assert!((churn.survival(&[], k) - closed).abs() < 1e-12);
        }
    }

    #[test]
    fn constant_churn_is_geometric() {
        let churn = Churn::Constant(Param::Fixed(0.1));
        assert!((churn.survival(&[], 3) - 0.729).abs() < 1e-12);
        assert!(churn.is_memoryless());
    }
}
