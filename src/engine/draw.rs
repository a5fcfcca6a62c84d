//! Count draws with fast paths for the trivial cases, so cohorts of any size
//! cost the same.

use rand::Rng;
use rand_distr::{Binomial, Distribution, Gamma, Poisson};

#[inline]
pub fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        0
    } else if p >= 1.0 {
        n
    } else {
        Binomial::new(n, p).expect("p in (0, 1)").sample(rng)
    }
}

/// Poisson draw for a count; means are capped by validation far below the
/// range where f64 counts lose integers.
#[inline]
pub fn poisson<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> u64 {
    if mean <= 0.0 || !mean.is_finite() {
        0
    } else {
        Poisson::new(mean).expect("positive mean").sample(rng) as u64
    }
}

/// Over-dispersed count: Poisson with a Gamma(1/cv², cv²) multiplier on the
/// mean (negative binomial), so month-to-month swings have coefficient of
/// variation about `cv` on top of Poisson noise.
#[inline]
pub fn overdispersed<R: Rng + ?Sized>(rng: &mut R, mean: f64, cv: f64) -> u64 {
    if cv <= 0.0 {
        return poisson(rng, mean);
    }
    let shape = 1.0 / (cv * cv);
    let multiplier = Gamma::new(shape, cv * cv)
        .expect("positive shape")
        .sample(rng);
    poisson(rng, mean * multiplier)
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
