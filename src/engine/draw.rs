//! Count draws with fast paths for the trivial cases, so cohorts of any size
//! cost the same.

use rand::{Rng, RngExt};
use rand_distr::{Binomial, Distribution, Gamma, Poisson};

/// Binomial draw. Small means use inversion (Kachitvichyanukul & Schmeiser's
/// BINV, as rand_distr does) with an integer power instead of `powf`, which
/// dominated the engine's profile; larger means use rand_distr's BTPE, whose
/// cost does not grow with `n`.
#[inline]
pub fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let flipped = p > 0.5;
    let p_small = if flipped { 1.0 - p } else { p };
    let mean = n as f64 * p_small;
    if mean >= 10.0 || n > i32::MAX as u64 {
        return Binomial::new(n, p).expect("p in (0, 1)").sample(rng);
    }
    let q = 1.0 - p_small;
    let s = p_small / q;
    let a = (n as f64 + 1.0) * s;
    let start = q.powi(n as i32);
    let x = 'draw: loop {
        let mut r = start;
        let mut u: f64 = rng.random();
        let mut x = 0u64;
        while u > r {
            u -= r;
            x += 1;
            // Round-off can strand `u` above the remaining mass; redraw then.
            if x > n || x > 110 {
                continue 'draw;
            }
            r *= a / x as f64 - s;
        }
        break x;
    };
    if flipped { n - x } else { x }
}

/// Poisson draw for a count; means are capped by validation far below the
/// range where f64 counts lose integers.
#[inline]
pub fn poisson<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> u64 {
    if mean <= 0.0 || !mean.is_finite() {
        0
    } else {
        Poisson::new(mean.min(1e15))
            .expect("positive mean")
            .sample(rng) as u64
    }
}

/// The traffic multiplier of one copy in one month: Gamma(1/cv², cv²), mean 1
/// and coefficient of variation `cv` (1 when `cv` is 0). Poisson counts with a
/// gamma-distributed mean are negative binomial: over-dispersed like real
/// traffic. Built once per content entry and path, since building a gamma
/// sampler costs about as much as drawing from it.
pub struct TrafficNoise(Option<Gamma<f64>>);

impl TrafficNoise {
    pub fn new(cv: f64) -> TrafficNoise {
        // Below 1e-9 the multiplier is 1 to within 1e-18; a smaller cv would
        // underflow cv² to 0, which Gamma refuses (noise = 5e-324 panicked).
        if cv.is_nan() || cv <= 1e-9 {
            return TrafficNoise(None);
        }
        let shape = 1.0 / (cv * cv);
        TrafficNoise(Some(Gamma::new(shape, cv * cv).expect("positive shape")))
    }

    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.0.as_ref().map_or(1.0, |gamma| gamma.sample(rng))
    }
}

/// Splits `n` over categories with probabilities `shares` (summing to 1) by
/// successive conditional binomials; writes the counts into `out`.
pub fn multinomial<R: Rng + ?Sized>(rng: &mut R, n: u64, shares: &[f64], out: &mut [u64]) {
    let mut left = n;
    let mut mass = 1.0;
    let last = shares.len() - 1;
    for (k, share) in shares.iter().enumerate() {
        if k == last {
            out[k] = left;
            break;
        }
        let count = if mass > 0.0 {
            binomial(rng, left, (share / mass).min(1.0))
        } else {
            0
        };
        out[k] = count;
        left -= count;
        mass -= share;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    /// Mean and variance of many draws within 4 standard errors of n p and n p q.
    #[test]
    fn binomial_moments_match_for_small_and_large_means() {
        for (n, p) in [
            (1u64, 0.3),
            (7, 0.5),
            (40, 0.02),
            (500, 0.01),
            (30, 0.97),
            (10_000, 0.4),
        ] {
            let mut rng = stream(5, n, 1);
            let draws: Vec<f64> = (0..200_000)
                .map(|_| binomial(&mut rng, n, p) as f64)
                .collect();
            let count = draws.len() as f64;
            let mean = draws.iter().sum::<f64>() / count;
            let variance = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (count - 1.0);
            let (true_mean, true_variance) = (n as f64 * p, n as f64 * p * (1.0 - p));
            assert!(
                (mean - true_mean).abs() < 4.0 * (true_variance / count).sqrt(),
                "n {n} p {p}: mean {mean}"
            );
            // The sample variance's standard error is about v sqrt(2 / count).
            assert!(
                (variance - true_variance).abs()
                    < 4.0 * true_variance * (2.0 / count).sqrt() + 1e-9,
                "n {n} p {p}: var {variance}"
            );
        }
    }
}
