//! Count draws whose cost does not depend on the count: small means by
//! inversion (a handful of multiplications), large means by transformed
//! rejection (two uniforms and a comparison, most of the time, Hörmann 1993).
//! Both cost about as much as inversion at a mean of one, which is what keeps
//! a run's time flat in traffic volume.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, Gamma, Poisson, StandardNormal};

/// Below this mean, inversion; from it on, transformed rejection, whose
/// acceptance bounds hold only for means of 10 and more.
const INVERSION_BELOW: f64 = 10.0;

/// Binomial draw: BINV inversion (Kachitvichyanukul & Schmeiser 1988) for
/// `n p < 10`, BTRD (Hörmann 1993, "The generation of binomial random
/// variates") above. rand_distr's BTPE builds a
/// sampler with a dozen logarithms per call, which dominated the engine's
/// profile when every cohort bucket draws with its own `n` and `p`.
#[inline]
pub fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let flipped = p > 0.5;
    let p_small = if flipped { 1.0 - p } else { p };
    let x = if n as f64 * p_small < INVERSION_BELOW {
        binomial_inversion(rng, n, p_small)
    } else {
        binomial_btrd(rng, n as f64, p_small)
    };
    if flipped { n - x } else { x }
}

/// A success probability prepared for many binomial draws with different
/// counts: a cohort bucket's renewal probability at one age is drawn from
/// every month with a new count. Draws give the very same numbers as
/// [`binomial`] with the same probability; what the preparation saves is
/// the division and the squarings of inversion's first term, `q^n`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PreparedBinomial {
    p: f64,
    /// `min(p, 1 - p)`, and whether that flipped it.
    p_small: f64,
    flipped: bool,
    /// `p_small / (1 - p_small)`.
    odds: f64,
    /// `(1 - p_small)^(2^i)`, i = 0..6: the factors of [`power`].
    squares: [f64; 6],
}

impl PreparedBinomial {
    pub fn new(p: f64) -> PreparedBinomial {
        let flipped = p > 0.5;
        let p_small = if flipped { 1.0 - p } else { p };
        let q = 1.0 - p_small;
        let mut squares = [0.0; 6];
        let mut base = q;
        for square in &mut squares {
            *square = base;
            base *= base;
        }
        PreparedBinomial {
            p,
            p_small,
            flipped,
            odds: p_small / q,
            squares,
        }
    }
}

/// [`binomial`] with a prepared probability: the same draws.
#[inline]
pub fn binomial_prepared<R: Rng + ?Sized>(rng: &mut R, n: u64, prepared: &PreparedBinomial) -> u64 {
    let p = prepared.p;
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let p_small = prepared.p_small;
    let x = if n as f64 * p_small >= INVERSION_BELOW {
        binomial_btrd(rng, n as f64, p_small)
    } else if n < 64 {
        let start = select_product(&prepared.squares, n as u32);
        inversion_search(rng, n, prepared.odds, start)
    } else {
        binomial_inversion(rng, n, p_small)
    };
    if prepared.flipped { n - x } else { x }
}

fn binomial_inversion<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    let q = 1.0 - p;
    let s = p / q;
    let start = if n <= i32::MAX as u64 {
        power(q, n as u32)
    } else {
        (n as f64 * (-p).ln_1p()).exp()
    };
    inversion_search(rng, n, s, start)
}

/// BINV's search from `P(0) = start`, with `s = p / q`.
#[inline]
fn inversion_search<R: Rng + ?Sized>(rng: &mut R, n: u64, s: f64, start: f64) -> u64 {
    let a = (n as f64 + 1.0) * s;
    // The first four steps of the search, without branches: most draws end
    // there, and a loop exit that depends on the uniform is a branch the
    // processor mispredicts about once per draw. The same operations in the
    // same order as the loop below, so the same draws.
    let factors = [a - s, a / 2.0 - s, a / 3.0 - s, a / 4.0 - s];
    'draw: loop {
        let mut u: f64 = rng.random();
        let mut r = start;
        let mut x = 0u64;
        let mut leading = 1u64;
        for factor in &factors[..3] {
            leading &= (u > r) as u64;
            x += leading;
            u -= r;
            r *= factor;
        }
        leading &= (u > r) as u64;
        x += leading;
        if x > n {
            // Round-off can strand `u` above the remaining mass; redraw then.
            continue 'draw;
        }
        if x < 4 {
            return x;
        }
        u -= r;
        r *= factors[3];
        while u > r {
            u -= r;
            x += 1;
            if x > n || x > 110 {
                continue 'draw;
            }
            r *= a / x as f64 - s;
        }
        return x;
    }
}

/// `base^exponent` by binary powering, inline: the same multiplications in
/// the same order as `f64::powi` (so the same bits; a factor of 1.0 is
/// exact), without its library call and, for the small counts of most
/// cohort buckets, without a branch on each bit of the count, which the
/// processor cannot predict.
#[inline]
fn power(mut base: f64, exponent: u32) -> f64 {
    if exponent < 64 {
        let mut squares = [0.0; 6];
        for square in &mut squares {
            *square = base;
            base *= base;
        }
        return select_product(&squares, exponent);
    }
    let mut result = 1.0;
    let mut exponent = exponent;
    loop {
        if exponent & 1 == 1 {
            result *= base;
        }
        exponent >>= 1;
        if exponent == 0 {
            return result;
        }
        base *= base;
    }
}

/// The product of `squares[bit]` over the set bits of `exponent` (< 64), in
/// bit order: `base^exponent` when `squares` holds `base^(2^bit)`.
#[inline]
fn select_product(squares: &[f64; 6], exponent: u32) -> f64 {
    let mut result = 1.0;
    for (bit, square) in squares.iter().enumerate() {
        // All ones when the bit is set: selects the square, else 1.0, with
        // integer operations that cannot be turned into a branch.
        let mask = ((exponent as u64 >> bit) & 1).wrapping_neg();
        result *= f64::from_bits(square.to_bits() & mask | 1f64.to_bits() & !mask);
    }
    result
}

/// log(k!) minus its Stirling approximation, for the BTRD acceptance test.
fn stirling_tail(k: f64) -> f64 {
    const TAIL: [f64; 10] = [
        0.081_061_466_795_327_2,
        0.041_340_695_955_409_2,
        0.027_677_925_684_998_3,
        0.020_790_672_103_765_09,
        0.016_644_691_189_821_1,
        0.013_876_128_823_070_7,
        0.011_896_709_945_891_7,
        0.010_411_265_261_972_0,
        0.009_255_462_182_712_73,
        0.008_330_563_433_362_87,
    ];
    if k <= 9.0 {
        return TAIL[k as usize];
    }
    let k1sq = (k + 1.0) * (k + 1.0);
    (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / k1sq) / k1sq) / (k + 1.0)
}

/// Binomial by transformed rejection with decomposition (BTRD, Hörmann
/// 1993, pages 6-7), for `p <= 0.5` and `n p >= 10`: one uniform for most
/// draws; otherwise the density ratio is evaluated by a product of at most
/// fifteen terms near the mode, or by a squeeze and, rarely, logarithms.
fn binomial_btrd<R: Rng + ?Sized>(rng: &mut R, n: f64, p: f64) -> u64 {
    let m = ((n + 1.0) * p).floor();
    let r = p / (1.0 - p);
    let nr = (n + 1.0) * r;
    let npq = n * p * (1.0 - p);
    let spq = npq.sqrt();
    let b = 1.15 + 2.53 * spq;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = n * p + 0.5;
    let alpha = (2.83 + 5.1 / b) * spq;
    let v_r = 0.92 - 4.2 / b;
    let ur_v_r = 0.86 * v_r;
    loop {
        // 1. Inside the box the transformed density is known to lie under
        //    the hat: accept at once.
        let mut v: f64 = rng.random();
        if v <= ur_v_r {
            let u = v / v_r - 0.43;
            return floor((2.0 * a / (0.5 - u.abs()) + b) * u + c) as u64;
        }
        // 2. A point outside the box.
        let u = if v >= v_r {
            rng.random::<f64>() - 0.5
        } else {
            let u = v / v_r - 0.93;
            v = v_r * rng.random::<f64>();
            0.5f64.copysign(u) - u
        };
        // 3.0
        let us = 0.5 - u.abs();
        let k = floor((2.0 * a / us + b) * u + c);
        if k < 0.0 || k > n {
            continue;
        }
        v *= alpha / (a / (us * us) + b);
        let km = (k - m).abs();
        if km <= 15.0 {
            // 3.1 f(k) / f(m) by the recursion f(i) / f(i - 1) = (nr - r i) / i,
            //     as a ratio of two products so that the loop has no division.
            let (mut above, mut below) = (1.0, 1.0);
            let (from, to) = if m < k { (m, k) } else { (k, m) };
            let mut i = from;
            while i < to {
                i += 1.0;
                above *= nr - r * i;
                below *= i;
            }
            let accept = if m < k {
                v * below <= above
            } else {
                v * above <= below
            };
            if accept {
                return k as u64;
            }
            continue;
        }
        // 3.2 Squeeze: accept or reject without the exact density.
        let rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5);
        let t = -km * km / (2.0 * npq);
        let log_v = v.ln();
        if log_v < t - rho {
            return k as u64;
        }
        if log_v > t + rho {
            continue;
        }
        // 3.3-3.4 The exact test.
        let nm = n - m + 1.0;
        let h = (m + 0.5) * ((m + 1.0) / (r * nm)).ln() + stirling_tail(m) + stirling_tail(n - m);
        let nk = n - k + 1.0;
        let bound = h + (n + 1.0) * (nm / nk).ln() + (k + 0.5) * (nk * r / (k + 1.0)).ln()
            - stirling_tail(k)
            - stirling_tail(n - k);
        if log_v <= bound {
            return k as u64;
        }
    }
}

/// `x.floor()` without a libm call (the baseline x86-64 target has no
/// rounding instruction), for |x| well below 2^63.
#[inline]
fn floor(x: f64) -> f64 {
    let truncated = x as i64 as f64;
    if truncated > x {
        truncated - 1.0
    } else {
        truncated
    }
}

/// Poisson draw: rand_distr 0.6's, with its rejection method (means of 12
/// and more) written out operation for operation, so the very same draws (a
/// test checks it), and its setup done only when a draw needs it: the first
/// candidate is accepted about half the time with nothing but a normal
/// deviate. Means are capped by validation far below the range where f64
/// counts lose integers.
#[inline]
pub fn poisson<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> u64 {
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    let lambda = mean.min(1e15);
    if lambda < 12.0 {
        // Knuth's product of uniforms: its only setup is e^-λ.
        return Poisson::new(lambda).expect("positive mean").sample(rng) as u64;
    }
    poisson_rejection(rng, lambda) as u64
}

/// Ahrens & Dieter (1982), "Computer generation of Poisson deviates from
/// modified normal distributions", as rand_distr 0.6 implements it.
fn poisson_rejection<R: Rng + ?Sized>(rng: &mut R, lambda: f64) -> f64 {
    let s = lambda.sqrt();
    let z: f64 = rng.sample(StandardNormal);
    let g = lambda + s * z;
    if g >= 0.0 {
        let k1 = floor(g);
        if k1 >= floor(lambda - 1.1484) {
            return k1;
        }
        let u: f64 = rng.random();
        let gap = lambda - k1;
        if 6.0 * (lambda * lambda) * u >= gap * (gap * gap) {
            return k1;
        }
        let tables = PoissonTables::new(lambda, s);
        let (px, py, fx, fy) = tables.f(k1);
        if fy * (1.0 - u) <= py * (px - fx).exp() {
            return k1;
        }
        return tables.exponential_rejection(rng);
    }
    PoissonTables::new(lambda, s).exponential_rejection(rng)
}

/// The rest of Ahrens & Dieter's constants, needed by one draw in several.
struct PoissonTables {
    lambda: f64,
    s: f64,
    c: f64,
    c0: f64,
    c1: f64,
    c2: f64,
    c3: f64,
    omega: f64,
}

impl PoissonTables {
    fn new(lambda: f64, s: f64) -> PoissonTables {
        let b1 = (1.0 / 24.0) / lambda;
        let b2 = 0.3 * b1 * b1;
        let c3 = (1.0 / 7.0) * b1 * b2;
        PoissonTables {
            lambda,
            s,
            c: 0.1069 / lambda,
            c0: 1.0 - b1 + 3.0 * b2 - 15.0 * c3,
            c1: b1 - 6.0 * b2 + 45.0 * c3,
            c2: b2 - 15.0 * c3,
            c3,
            omega: 1.0 / (2.0 * std::f64::consts::PI).sqrt() / lambda.sqrt(),
        }
    }

    /// The procedure F of the paper: log densities and their normal
    /// approximations at `k`.
    fn f(&self, k: f64) -> (f64, f64, f64, f64) {
        const FACT: [f64; 10] = [
            1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0,
        ];
        const A: [f64; 10] = [
            -0.5000000002,
            0.3333333343,
            -0.2499998565,
            0.1999997049,
            -0.1666848753,
            0.1428833286,
            -0.1241963125,
            0.1101687109,
            -0.1142650302,
            0.1055093006,
        ];
        let lambda = self.lambda;
        let (px, py) = if k < 10.0 {
            (-lambda, lambda.powf(k) / FACT[k as usize])
        } else {
            let delta = (12.0 * k).recip();
            let delta = delta - 4.8 * (delta * (delta * delta));
            let v = (lambda - k) / k;
            let px = if v.abs() <= 0.25 {
                k * (v * v) * A.iter().rev().fold(0.0, |acc, &a| acc * v + a) - delta
            } else {
                k * (1.0 + v).ln() - (lambda - k) - delta
            };
            (px, 1.0 / (2.0 * std::f64::consts::PI).sqrt() / k.sqrt())
        };
        let x = (k - lambda + 0.5) / self.s;
        let fx = -0.5 * x * x;
        let fy = self.omega * (((self.c3 * x * x + self.c2) * x * x + self.c1) * x * x + self.c0);
        (px, py, fx, fy)
    }

    /// The exponential rejection step, repeated until it accepts.
    fn exponential_rejection<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        loop {
            let e: f64 = rng.sample(Exp1);
            let u: f64 = rng.random::<f64>() * 2.0 - 1.0;
            let t = 1.8 + e * u.signum();
            if t > -0.6744 {
                let k2 = floor(self.lambda + self.s * t);
                let (px, py, fx, fy) = self.f(k2);
                if self.c * u.abs() <= py * (px + e).exp() - fy * (fx + e).exp() {
                    return k2;
                }
            }
        }
    }
}

/// The traffic multiplier of one copy in one month: Gamma(1/cv², cv²), mean 1
/// and coefficient of variation `cv` (1 when `cv` is 0). Poisson counts with a
/// gamma-distributed mean are negative binomial: over-dispersed like real
/// traffic. Built once per content entry and path, since building a gamma
/// sampler costs about as much as drawing from it.
#[derive(Clone, Debug)]
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

/// Above this expected number of picks, [`thin`] draws a binomial per count.
const POOLED_PICKS_UP_TO: f64 = 4.0;

/// Keeps each member of every count independently with probability `p`;
/// writes the kept numbers into `out`. The same joint law as a binomial per
/// count, drawn more cheaply when few members are kept: one binomial for the
/// total, then that many members picked one by one, uniformly among those not
/// yet picked (given how many are kept, which ones is a uniform subset). Which
/// way is taken depends only on the counts and `p`, so both are exact.
pub fn thin<R: Rng + ?Sized>(rng: &mut R, counts: &[u64], p: f64, out: &mut [u64]) {
    let total: u64 = counts.iter().sum();
    if total as f64 * p > POOLED_PICKS_UP_TO {
        for (kept, &count) in out.iter_mut().zip(counts) {
            *kept = binomial(rng, count, p);
        }
        return;
    }
    out.fill(0);
    let picks = binomial(rng, total, p);
    for left in (total - picks + 1..=total).rev() {
        let mut r = rng.random_range(0..left);
        for (kept, &count) in out.iter_mut().zip(counts) {
            let free = count - *kept;
            if r < free {
                *kept += 1;
                break;
            }
            r -= free;
        }
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

    /// Pearson's chi-square of `draws` against the exact pmf, cells with an
    /// expected count below 5 pooled into their neighbours; returns the
    /// statistic and its degrees of freedom.
    fn chi_square(draws: &[u64], pmf: impl Fn(u64) -> f64) -> (f64, f64) {
        let n = draws.len() as f64;
        let max = *draws.iter().max().unwrap();
        let mut observed = vec![0.0; max as usize + 2];
        for &d in draws {
            observed[d as usize] += 1.0;
        }
        let (mut statistic, mut cells) = (0.0, 0.0);
        let (mut pooled_o, mut pooled_e, mut mass) = (0.0, 0.0, 0.0);
        for k in 0..=max {
            let p = pmf(k);
            mass += p;
            pooled_o += observed[k as usize];
            pooled_e += n * p;
            if pooled_e >= 5.0 {
                statistic += (pooled_o - pooled_e).powi(2) / pooled_e;
                cells += 1.0;
                pooled_o = 0.0;
                pooled_e = 0.0;
            }
        }
        // Everything above the largest draw, with what is left over.
        pooled_e += n * (1.0 - mass).max(0.0);
        if pooled_e > 0.0 {
            statistic += (pooled_o - pooled_e).powi(2) / pooled_e;
            cells += 1.0;
        }
        (statistic, cells - 1.0)
    }

    /// The samplers draw from the exact distributions, on both sides of the
    /// switch from inversion to rejection: chi-square below its mean plus
    /// five standard deviations (a false alarm about once in 10^5 for a
    /// correct sampler; a wrong hat or squeeze fails it by far).
    #[test]
    fn binomial_and_poisson_match_their_exact_distributions() {
        use statrs::distribution::{Binomial as ExactBinomial, Discrete, Poisson as ExactPoisson};
        let draws = 200_000;
        for (n, p) in [
            (3u64, 0.4),
            (19, 0.5),
            (100, 0.099),
            (100, 0.1),
            (100, 0.9),
            (1_000, 0.03),
            (10_000, 0.37),
            (5_000_000, 0.002),
            (1u64 << 40, 1e-9),
        ] {
            let mut rng = stream(11, n, 2);
            let sample: Vec<u64> = (0..draws).map(|_| binomial(&mut rng, n, p)).collect();
            let exact = ExactBinomial::new(p, n).unwrap();
            let (statistic, df) = chi_square(&sample, |k| exact.pmf(k));
            assert!(
                statistic < df + 5.0 * (2.0 * df).sqrt(),
                "binomial n {n} p {p}: chi-square {statistic:.1} on {df} df"
            );
        }
        for mean in [0.3, 4.0, 9.99, 10.0, 37.5, 1_000.0, 2.5e5] {
            let mut rng = stream(12, mean as u64, 3);
            let sample: Vec<u64> = (0..draws).map(|_| poisson(&mut rng, mean)).collect();
            let exact = ExactPoisson::new(mean).unwrap();
            let (statistic, df) = chi_square(&sample, |k| exact.pmf(k));
            assert!(
                statistic < df + 5.0 * (2.0 * df).sqrt(),
                "poisson mean {mean}: chi-square {statistic:.1} on {df} df"
            );
        }
    }

    /// The Poisson sampler is rand_distr's, draw for draw: the same
    /// algorithm and operations, only the setup deferred. Every branch of
    /// the rejection method is taken many times over these means.
    #[test]
    fn poisson_draws_are_rand_distrs_exactly() {
        use rand_distr::Poisson;
        for mean in [
            0.4, 3.0, 11.99, 12.0, 13.7, 40.0, 333.3, 5_000.0, 2.5e6, 1e15,
        ] {
            let (mut ours, mut theirs) = (stream(7, mean as u64, 9), stream(7, mean as u64, 9));
            let reference = Poisson::new(mean).unwrap();
            for draw in 0..20_000 {
                let expected = reference.sample(&mut theirs) as u64;
                assert_eq!(
                    poisson(&mut ours, mean),
                    expected,
                    "mean {mean}, draw {draw}"
                );
            }
        }
    }

    /// A prepared probability draws what `binomial` draws, number for
    /// number: for renewal-like and churn-like probabilities, the edges, and
    /// counts on both sides of the 64 that the prepared powers cover and of
    /// the switch to BTRD.
    #[test]
    fn prepared_binomials_are_the_same_draws() {
        for p in [
            0.0,
            1e-9,
            0.003,
            0.08,
            0.5,
            0.5000001,
            0.92,
            0.999,
            1.0,
            f64::NAN,
        ] {
            let prepared = PreparedBinomial::new(p);
            for n in [0u64, 1, 2, 5, 17, 63, 64, 65, 124, 125, 126, 1_000, 50_000] {
                let (mut ours, mut theirs) = (stream(3, n, 11), stream(3, n, 11));
                for draw in 0..2_000 {
                    assert_eq!(
                        binomial_prepared(&mut ours, n, &prepared),
                        binomial(&mut theirs, n, p),
                        "n {n}, p {p}, draw {draw}"
                    );
                }
            }
        }
    }

    /// Thinning keeps each member independently: the joint counts follow
    /// the product of binomials, whether they are picked one by one (few
    /// expected) or drawn a binomial per count (many expected).
    #[test]
    fn thinning_matches_independent_binomials_jointly() {
        use statrs::distribution::{Binomial as ExactBinomial, Discrete};
        let draws = 200_000;
        for (counts, p) in [
            (vec![1u64, 0, 2, 3], 0.3),
            (vec![4, 1, 5], 0.45),
            (vec![10, 20], 0.3),
        ] {
            let mut rng = stream(13, counts.len() as u64, 4);
            let cells: Vec<u64> = counts.iter().map(|c| c + 1).collect();
            let index = |kept: &[u64]| {
                kept.iter()
                    .zip(&cells)
                    .fold(0u64, |index, (k, cell)| index * cell + k)
            };
            let mut kept = vec![0; counts.len()];
            let sample: Vec<u64> = (0..draws)
                .map(|_| {
                    thin(&mut rng, &counts, p, &mut kept);
                    index(&kept)
                })
                .collect();
            // The exact joint pmf of every cell, enumerated in index order.
            let total_cells: u64 = cells.iter().product();
            let mut pmf = vec![0.0; total_cells as usize];
            for (cell, mass) in pmf.iter_mut().enumerate() {
                let mut rest = cell as u64;
                *mass = 1.0;
                for (count, size) in counts.iter().zip(&cells).rev() {
                    let k = rest % size;
                    rest /= size;
                    *mass *= ExactBinomial::new(p, *count).unwrap().pmf(k);
                }
            }
            let (statistic, df) = chi_square(&sample, |cell| {
                pmf.get(cell as usize).copied().unwrap_or(0.0)
            });
            assert!(
                statistic < df + 5.0 * (2.0 * df).sqrt(),
                "thinning {counts:?} p {p}: chi-square {statistic:.1} on {df} df"
            );
        }
    }

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
