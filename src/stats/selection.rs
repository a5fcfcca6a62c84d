//! Exact percentiles of columns held in memory, by radix selection rather
//! than sorting.
//!
//! Values become order-preserving u32 keys ([`key`]). One pass histograms
//! the top 11 bits of a column; only the bins that hold a wanted order
//! statistic (or a wanted cumulative weight) are gathered, and narrowed down
//! by the next digits. A column then costs about two passes over its keys
//! instead of a radix sort of (value, weight) pairs and a walk over every
//! knot, and the answers are bit for bit those of [`super::percentiles`] and
//! [`super::weighted_percentiles`] (the tests below compare them).

use crate::sim::order_key::{BITS, digit, fixed, from_key, interpolate, ramp};

/// Below this many elements a range is sorted outright.
const SMALL: usize = 64;

/// A column of keys held in pieces (consecutive runs of paths, as a
/// parallel gather leaves them); an entry's index is its place in the
/// whole column.
#[derive(Clone, Copy, Debug)]
pub struct Pieces<'a>(pub &'a [&'a [u32]]);

impl Pieces<'_> {
    fn len(&self) -> usize {
        self.0.iter().map(|p| p.len()).sum()
    }
}

/// Where a level's entries come from: the column itself (level 0) or the
/// entries a level above gathered. An entry is a value's key above its
/// index in the column (and so in [`Shares`]): comparing entries compares
/// values, then path order, which is the order of a stable sort by value.
#[derive(Clone, Copy)]
enum Source<'a> {
    Column(Pieces<'a>),
    Entries(&'a [u64]),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Column(pieces) => pieces.len(),
            Source::Entries(entries) => entries.len(),
        }
    }

    /// Visits every entry ([`entry`] layout).
    #[inline]
    fn each(&self, mut visit: impl FnMut(u64)) {
        match self {
            Source::Column(pieces) => {
                let mut base = 0u64;
                for piece in pieces.0 {
                    for (i, &k) in piece.iter().enumerate() {
                        visit(((k as u64) << 32) | (base + i as u64));
                    }
                    base += piece.len() as u64;
                }
            }
            Source::Entries(entries) => entries.iter().for_each(|&e| visit(e)),
        }
    }

    /// The entries whose digit at `level` is `digit`, gathered per digit
    /// with no branch on the data: entries of other digits are written to a
    /// sink slot that the next entry overwrites.
    fn gather(&self, level: usize, counts: &[u32], digits: &[usize]) -> Vec<Vec<u64>> {
        let size = counts.len();
        let mut starts = Vec::with_capacity(digits.len());
        let mut total = 0usize;
        for &d in digits {
            starts.push(total);
            total += counts[d] as usize;
        }
        let sink = total;
        let mut out = vec![0u64; total + 1];
        let mut cursor = vec![sink as u32; size];
        let mut step = vec![0u32; size];
        for (&d, &start) in digits.iter().zip(&starts) {
            cursor[d] = start as u32;
            step[d] = 1;
        }
        self.each(|e| {
            let d = digit((e >> 32) as u32, level);
            let at = cursor[d];
            out[at as usize] = e;
            cursor[d] = at + step[d];
        });
        digits
            .iter()
            .zip(&starts)
            .map(|(&d, &start)| out[start..start + counts[d] as usize].to_vec())
            .collect()
    }

    /// The largest (or smallest) entry with digit `d` at `level`.
    fn extreme(&self, level: usize, d: usize, largest: bool) -> Option<u64> {
        let mut found: Option<u64> = None;
        self.each(|e| {
            if digit((e >> 32) as u32, level) == d {
                found = Some(match found {
                    Some(f) if largest => f.max(e),
                    Some(f) => f.min(e),
                    None => e,
                });
            }
        });
        found
    }
}

/// Type-7 percentiles of the values whose keys are `keys` (any order), as
/// [`super::percentiles`] computes them by sorting.
pub fn percentiles(keys: &[u32], wanted: &[f64]) -> Vec<f64> {
    percentiles_of(Pieces(&[keys]), wanted)
}

/// [`percentiles`] of a column in pieces.
pub fn percentiles_of(keys: Pieces, wanted: &[f64]) -> Vec<f64> {
    let n = keys.len();
    if n == 0 {
        return vec![0.0; wanted.len()];
    }
    let positions: Vec<(usize, f64)> = wanted
        .iter()
        .map(|p| {
            let h = (n - 1) as f64 * p / 100.0;
            (h.floor() as usize, h)
        })
        .collect();
    let mut ranks: Vec<usize> = positions
        .iter()
        .flat_map(|&(lo, _)| [lo, (lo + 1).min(n - 1)])
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    let found = order_statistics(keys, &ranks);
    let value = |rank: usize| from_key(found[ranks.binary_search(&rank).expect("sought")]) as f64;
    positions
        .iter()
        .map(|&(lo, h)| {
            let low = value(lo);
            let high = value((lo + 1).min(n - 1));
            low + (h - lo as f64) * (high - low)
        })
        .collect()
}

/// The keys at `ranks` (ascending, each below the column's length) of the
/// sorted keys: one histogram pass, one pass gathering the bins that hold
/// them, then selection inside each bin.
fn order_statistics(keys: Pieces, ranks: &[usize]) -> Vec<u32> {
    let size = 1usize << BITS[0];
    let mut counts = vec![0u32; size];
    for piece in keys.0 {
        for &k in *piece {
            counts[digit(k, 0)] += 1;
        }
    }
    // Each rank's bin and its rank inside it; ranks ascend, so one sweep.
    let mut located: Vec<(usize, usize)> = Vec::with_capacity(ranks.len());
    let (mut bin, mut below) = (0usize, 0usize);
    for &rank in ranks {
        while below + counts[bin] as usize <= rank {
            below += counts[bin] as usize;
            bin += 1;
        }
        located.push((bin, rank - below));
    }
    let mut bins: Vec<usize> = located.iter().map(|l| l.0).collect();
    bins.dedup();
    let mut buffers: Vec<Vec<u32>> = Source::Column(keys)
        .gather(0, &counts, &bins)
        .into_iter()
        .map(|entries| entries.into_iter().map(|e| (e >> 32) as u32).collect())
        .collect();
    let mut out = Vec::with_capacity(ranks.len());
    // Where the last selection split a buffer: the rank right after it is
    // the smallest key above the split, which needs no second selection.
    let mut split: Option<(usize, usize)> = None;
    for &(bin, within) in &located {
        let buffer = &mut buffers[bins.binary_search(&bin).expect("gathered")];
        let k = match split {
            Some((b, w)) if b == bin && w + 1 == within => {
                *buffer[within..].iter().min().expect("non-empty")
            }
            _ => {
                split = Some((bin, within));
                *buffer.select_nth_unstable(within).1
            }
        };
        out.push(k);
    }
    out
}

/// The exact shares of the total weight (fixed point, see
/// [`crate::sim::order_key::fixed`]) of the paths behind a weighted column,
/// computed once for every column over the same paths.
#[derive(Clone, Debug)]
pub struct Shares {
    shares: Vec<u128>,
    cap: u128,
    /// No weight at all: every percentile is zero.
    empty: bool,
}

impl Shares {
    /// `weights` in the order in which [`super::weighted_percentiles`] would
    /// see them (path order): their sum is the total the shares refer to.
    pub fn new(weights: &[f64]) -> Shares {
        let total: f64 = weights.iter().copied().sum();
        let empty = weights.is_empty() || total <= 0.0;
        Shares {
            shares: if empty {
                Vec::new()
            } else {
                weights.iter().map(|w| fixed(w / total)).collect()
            },
            cap: fixed(0.5 / weights.len().max(1) as f64),
            empty,
        }
    }

    pub fn len(&self) -> usize {
        self.shares.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shares.is_empty()
    }

    #[inline]
    fn of(&self, element: u64) -> u128 {
        self.shares[element as u32 as usize]
    }
}

/// The value of an entry (see [`Source`]).
#[inline]
fn value_of(element: u64) -> f64 {
    from_key((element >> 32) as u32) as f64
}

/// Weighted percentiles, as [`super::weighted_percentiles`] defines them,
/// of the values whose keys are `keys`, the `j`-th carrying share `j` of
/// `shares`, for ascending `wanted`.
///
/// Each wanted share of the weight lies between two knots; they belong to
/// the values of the bin whose cumulative weight first reaches it, or to the
/// last value before that bin or the first after it. So only that bin is
/// narrowed down (digit by digit, then sorted once small or all one value),
/// and a neighbouring bin is searched for its extreme entry only in the
/// rare case that a knot of it is needed.
pub fn weighted_percentiles(keys: Pieces, shares: &Shares, wanted: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; wanted.len()];
    if keys.len() == 0 || shares.empty {
        return out;
    }
    debug_assert_eq!(keys.len(), shares.len());
    debug_assert!(wanted.windows(2).all(|w| w[0] <= w[1]), "ascending");
    let sought: Vec<(usize, u128)> = wanted
        .iter()
        .enumerate()
        .map(|(i, p)| (i, fixed(p / 100.0)))
        .collect();
    narrow(
        Source::Column(keys),
        0,
        &sought,
        0,
        Side::None,
        Side::None,
        shares,
        &mut out,
    );
    out
}

/// The entry just before (or after) a range, found only when needed.
#[derive(Clone, Copy)]
enum Side<'a> {
    None,
    /// The largest (or smallest) entry of `source` with digit `digit` at
    /// `level`.
    In {
        source: Source<'a>,
        level: usize,
        digit: usize,
        largest: bool,
    },
}

impl Side<'_> {
    fn find(self) -> Option<u64> {
        match self {
            Side::None => None,
            Side::In {
                source,
                level,
                digit,
                largest,
            } => source.extreme(level, digit, largest),
        }
    }
}

/// Answers `sought` (output index, position; ascending), all of which lie
/// in the range `source` (every entry whose key has the prefix the levels
/// above fixed), which starts at cumulative weight `offset`; `before` and
/// `after` are the entries next to the range.
#[allow(clippy::too_many_arguments)]
fn narrow<'a>(
    source: Source<'a>,
    level: usize,
    sought: &[(usize, u128)],
    offset: u128,
    before: Side<'a>,
    after: Side<'a>,
    shares: &Shares,
    out: &mut [f64],
) {
    if level == BITS.len() || source.len() <= SMALL {
        let mut sorted = Vec::with_capacity(source.len());
        source.each(|e| sorted.push(e));
        sorted.sort_unstable();
        walk(&sorted, offset, before, after, sought, shares, out);
        return;
    }
    let size = 1usize << BITS[level];
    let mut counts = vec![0u32; size];
    let mut sums = vec![0u128; size];
    source.each(|e| {
        let d = digit((e >> 32) as u32, level);
        counts[d] += 1;
        sums[d] += shares.of(e);
    });
    // Per bin crossed: its offset, the nearest non-empty bins around it, and
    // the positions it holds.
    struct Crossed {
        bin: usize,
        offset: u128,
        prev: Option<usize>,
        next: Option<usize>,
        sought: Vec<(usize, u128)>,
    }
    let mut crossed: Vec<Crossed> = Vec::new();
    let (mut bin, mut cum, mut prev) = (0usize, offset, None);
    for &(i, p) in sought {
        while bin < size && (counts[bin] == 0 || cum + sums[bin] < p) {
            if counts[bin] > 0 {
                cum += sums[bin];
                prev = Some(bin);
            }
            bin += 1;
        }
        if bin == size {
            // Past every knot (only at the top: a range is entered only for
            // positions it reaches): the answer is the largest value.
            let mut largest = 0u64;
            source.each(|e| largest = largest.max(e));
            out[i] = value_of(largest);
            continue;
        }
        match crossed.last_mut() {
            Some(c) if c.bin == bin => c.sought.push((i, p)),
            _ => crossed.push(Crossed {
                bin,
                offset: cum,
                prev,
                next: (bin + 1..size).find(|&d| counts[d] > 0),
                sought: vec![(i, p)],
            }),
        }
    }
    let bins: Vec<usize> = crossed.iter().map(|c| c.bin).collect();
    let buffers = source.gather(level, &counts, &bins);
    for (c, buffer) in crossed.iter().zip(&buffers) {
        let side = |d: Option<usize>, largest: bool, outer: Side<'a>| match d {
            Some(digit) => Side::In {
                source,
                level,
                digit,
                largest,
            },
            None => outer,
        };
        narrow(
            Source::Entries(buffer),
            level + 1,
            &c.sought,
            c.offset,
            side(c.prev, true, before),
            side(c.next, false, after),
            shares,
            out,
        );
    }
}

/// The percentiles at positions `sought` (ascending) from the sorted
/// entries of a range that starts at cumulative weight `offset`, with the
/// entries next to it: the knot walk of [`super::weighted_percentiles`],
/// over the range only, and only looking at knots next to a position (a
/// range can be a long run of one value, such as zero).
fn walk(
    sorted: &[u64],
    offset: u128,
    before: Side,
    after: Side,
    sought: &[(usize, u128)],
    shares: &Shares,
    out: &mut [f64],
) {
    let cap = shares.cap;
    // The last knot of the entry before `sorted[i]`: the entry before the
    // range ends where the range starts.
    let last_knot = |i: usize, end: u128| -> Option<(u128, f64)> {
        let e = match i {
            0 => before.find()?,
            _ => sorted[i - 1],
        };
        Some((end - ramp(shares.of(e), cap), value_of(e)))
    };
    let (mut i, mut cum) = (0usize, offset);
    for &(slot, p) in sought {
        out[slot] = loop {
            let Some(&e) = sorted.get(i) else {
                let above = after
                    .find()
                    .map(|e| (cum + ramp(shares.of(e), cap), value_of(e)));
                break interpolate(p, last_knot(i, cum), above);
            };
            let w = shares.of(e);
            if cum + w < p {
                // Both knots lie below `p` (and below every later position).
                cum += w;
                i += 1;
                continue;
            }
            let r = ramp(w, cap);
            let x = value_of(e);
            if cum + r >= p {
                break interpolate(p, last_knot(i, cum), Some((cum + r, x)));
            }
            if cum + w - r >= p {
                break interpolate(p, Some((cum + r, x)), Some((cum + w - r, x)));
            }
            cum += w;
            i += 1;
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::order_key::key;
    use rand::{Rng, RngExt, SeedableRng};

    /// The streaming selection's stress columns (ties, signs, zeros of both
    /// signs, one value throughout, values sharing their top bits), plus
    /// mostly zeros and a long tail.
    fn columns(rng: &mut impl Rng, n: usize) -> Vec<Vec<f32>> {
        let mut columns = crate::streaming::select::tests::columns(rng, n);
        columns.extend([
            (0..n)
                .map(|_| {
                    if rng.random_range(0..10) < 7 {
                        0.0
                    } else {
                        rng.random_range(200.0..260.0f32).round()
                    }
                })
                .collect(),
            (0..n)
                .map(|_| (rng.random_range(0.0..1.0f64).ln() * -300.0) as f32)
                .collect(),
        ]);
        columns
    }

    const WANTED: [f64; 13] = [
        0.0, 0.1, 1.0, 5.0, 10.0, 25.0, 50.0, 50.0, 75.0, 90.0, 95.0, 99.9, 100.0,
    ];

    fn same(found: &[f64], expected: &[f64], what: &str) {
        for (a, b) in found.iter().zip(expected) {
            assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "{what}: {found:?} vs {expected:?}"
            );
        }
    }

    #[test]
    fn selection_equals_sorted_type_7_percentiles() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        for n in [1, 2, 3, 10, 65, 257, 5000, 40_000] {
            for column in columns(&mut rng, n) {
                let keys: Vec<u32> = column.iter().map(|v| key(*v)).collect();
                let found = percentiles(&keys, &WANTED);
                let (a, b) = keys.split_at(n / 2);
                same(&percentiles_of(Pieces(&[a, b]), &WANTED), &found, "pieces");
                let expected = super::super::percentiles(&mut column.clone(), &WANTED);
                same(&found, &expected, &format!("n = {n}"));
            }
        }
        assert_eq!(percentiles(&[], &[50.0]), vec![0.0]);
    }

    #[test]
    fn selection_equals_sorted_weighted_percentiles() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(12);
        for n in [1, 2, 3, 10, 65, 257, 5000, 40_000] {
            let values = columns(&mut rng, n);
            let weight_sets = crate::streaming::select::tests::weight_sets(&mut rng, n);
            for weights in &weight_sets {
                let shares = Shares::new(weights);
                for column in &values {
                    let keys: Vec<u32> = column.iter().map(|v| key(*v)).collect();
                    // In pieces, as a parallel gather leaves a column.
                    let (a, rest) = keys.split_at(n / 3);
                    let (b, c) = rest.split_at(rest.len() / 2);
                    let found = weighted_percentiles(Pieces(&[a, b, c]), &shares, &WANTED);
                    let mut pairs: Vec<(f32, f64)> = column
                        .iter()
                        .copied()
                        .zip(weights.iter().copied())
                        .collect();
                    let expected = super::super::weighted_percentiles(&mut pairs, &WANTED);
                    same(&found, &expected, &format!("n = {n}"));
                }
            }
        }
        let zero = Shares::new(&[0.0, 0.0]);
        let keys = [key(1.0), key(2.0)];
        assert_eq!(
            weighted_percentiles(Pieces(&[&keys]), &zero, &[50.0]),
            vec![0.0]
        );
    }
}
