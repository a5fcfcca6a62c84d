//! Exact percentiles of columns that are never stored: multi-pass radix
//! selection over the bit patterns of f32 values.
//!
//! Each value maps to an order-preserving u32 key (the order `radsort` and
//! `f32::total_cmp` use: -0.0 before 0.0). Pass 1 histograms the top 11 bits
//! of every column; pass 2 the next 11 bits, only inside the bins that hold a
//! wanted order statistic (or, with weights, a wanted cumulative weight); pass
//! 3 the last 10 bits. After three passes the wanted values are known exactly,
//! bit for bit, so results equal those of [`crate::stats::percentiles`] and
//! [`crate::stats::weighted_percentiles`] on the stored columns.
//!
//! Weighted percentiles depend on more than the value at a rank: on the
//! cumulative weight below it, and on the weights of the first and last path
//! (in path order) holding the neighbouring values, which set the ramps. The
//! cumulative weight is exact (integer fixed point, see [`fixed`]), so bin
//! sums give it independently of summation order; the neighbours' first and
//! last weights are tracked alongside.

use std::collections::HashMap;

use crate::sim::order_key::{
    BITS, LEVELS, digit, extend, fixed, from_key, interpolate, prefix_of, ramp,
};

/// Type-7 percentiles (linear between order statistics) of columns of `n`
/// values each, found by counting.
#[derive(Clone, Debug)]
pub struct RankSelect {
    n: u64,
    level: usize,
    /// `(column, percentile)` in the order asked.
    wanted: Vec<(usize, f64)>,
    /// Order statistics still sought: column, rank, prefix and rank within it.
    ranks: Vec<Rank>,
    /// This pass's bins: `(column, prefix)`.
    bins: Vec<(usize, u32)>,
    /// Per column, its bins as `(prefix, bin)` sorted by prefix.
    by_column: Vec<Vec<(u32, usize)>>,
}

#[derive(Clone, Copy, Debug)]
struct Rank {
    column: usize,
    rank: u64,
    prefix: u32,
    within: u64,
}

/// Per-thread counts of one pass of a [`RankSelect`].
pub type Counts = Vec<u32>;

impl RankSelect {
    /// `columns` is the number of column ids; `wanted` the percentiles sought.
    pub fn new(n: usize, columns: usize, wanted: Vec<(usize, f64)>) -> RankSelect {
        let mut ranks: Vec<Rank> = Vec::new();
        // A set, not a scan of `ranks`: long horizons want ~100,000 ranks.
        let mut seen = std::collections::HashSet::new();
        if n > 0 {
            for &(column, p) in &wanted {
                let (lo, hi) = Self::ranks_of(n, p);
                for rank in [lo, hi] {
                    if seen.insert((column, rank)) {
                        ranks.push(Rank {
                            column,
                            rank,
                            prefix: 0,
                            within: rank,
                        });
                    }
                }
            }
        }
        let mut select = RankSelect {
            n: n as u64,
            level: 0,
            wanted,
            ranks,
            bins: Vec::new(),
            by_column: vec![Vec::new(); columns],
        };
        select.plan_bins();
        select
    }

    /// Keeps only the wanted percentiles `keep(column, percentile)` accepts;
    /// between passes.
    pub fn retain(&mut self, keep: impl Fn(usize, f64) -> bool) {
        self.wanted.retain(|&(column, p)| keep(column, p));
        let n = self.n as usize;
        let needed: Vec<(usize, u64)> = if n == 0 {
            Vec::new()
        } else {
            self.wanted
                .iter()
                .flat_map(|&(column, p)| {
                    let (lo, hi) = Self::ranks_of(n, p);
                    [(column, lo), (column, hi)]
                })
                .collect()
        };
        self.ranks.retain(|r| needed.contains(&(r.column, r.rank)));
        self.plan_bins();
    }

    fn ranks_of(n: usize, p: f64) -> (u64, u64) {
        let h = (n - 1) as f64 * p / 100.0;
        let lo = h.floor() as usize;
        (lo as u64, (lo + 1).min(n - 1) as u64)
    }

    fn plan_bins(&mut self) {
        self.bins.clear();
        self.by_column.iter_mut().for_each(Vec::clear);
        if self.done() {
            return;
        }
        for rank in &self.ranks {
            let bin = (rank.column, rank.prefix);
            if !self.bins.contains(&bin) {
                self.by_column[rank.column].push((rank.prefix, self.bins.len()));
                self.bins.push(bin);
            }
        }
        self.by_column
            .iter_mut()
            .for_each(|bins| bins.sort_unstable());
    }

    /// Whether every wanted value is known.
    pub fn done(&self) -> bool {
        self.level == LEVELS || self.ranks.is_empty()
    }

    /// Whether this pass reads column `column`.
    pub fn reads(&self, column: usize) -> bool {
        !self.done() && !self.by_column[column].is_empty()
    }

    /// A zeroed table for one thread's counts in this pass.
    pub fn table(&self) -> Counts {
        vec![0; self.bins.len() << BITS[self.level.min(LEVELS - 1)]]
    }

    /// Counts one path's value of `column`.
    #[inline]
    pub fn visit(&self, table: &mut Counts, column: usize, key: u32) {
        let bins = &self.by_column[column];
        let level = self.level;
        let prefix = prefix_of(key, level);
        let found = if bins.len() == 1 {
            (bins[0].0 == prefix).then_some(bins[0].1)
        } else {
            bins.binary_search_by_key(&prefix, |b| b.0)
                .ok()
                .map(|i| bins[i].1)
        };
        if let Some(bin) = found {
            table[(bin << BITS[level]) + digit(key, level)] += 1;
        }
    }

    /// Ends a pass: `tables` are every thread's counts.
    pub fn advance(&mut self, tables: Vec<Counts>) {
        if self.done() {
            return;
        }
        let level = self.level;
        let size = 1usize << BITS[level];
        let mut total = self.table();
        for table in tables {
            for (t, c) in total.iter_mut().zip(table) {
                *t += c;
            }
        }
        for rank in &mut self.ranks {
            let bin = self
                .bins
                .iter()
                .position(|b| *b == (rank.column, rank.prefix));
            let counts = &total[bin.expect("planned") * size..][..size];
            let mut below = 0u64;
            let mut chosen = size - 1;
            for (d, count) in counts.iter().enumerate() {
                if below + *count as u64 > rank.within {
                    chosen = d;
                    break;
                }
                below += *count as u64;
            }
            rank.within -= below;
            rank.prefix = extend(rank.prefix, level, chosen);
        }
        self.level += 1;
        self.plan_bins();
    }

    /// The percentiles, in the order asked; only once [`Self::done`].
    pub fn results(&self) -> Vec<((usize, f64), f64)> {
        assert!(self.done(), "selection still under way");
        let value = |column: usize, rank: u64| -> f64 {
            let r = self
                .ranks
                .iter()
                .find(|r| r.column == column && r.rank == rank)
                .expect("rank sought");
            from_key(r.prefix) as f64
        };
        self.wanted
            .iter()
            .map(|&(column, p)| {
                if self.n == 0 {
                    return ((column, p), 0.0);
                }
                let n = self.n as usize;
                let h = (n - 1) as f64 * p / 100.0;
                let (lo, hi) = Self::ranks_of(n, p);
                let (low, high) = (value(column, lo), value(column, hi));
                ((column, p), low + (h - lo as f64) * (high - low))
            })
            .collect()
    }
}

/// The extreme (largest or smallest) value inside a bin, with the weight of
/// the last (or first) path holding it: the neighbour of a crossing that
/// lies in another bin.
#[derive(Clone, Copy, Debug)]
struct Extreme {
    column: usize,
    /// Level whose digit follows the prefix.
    level: usize,
    prefix: u32,
    largest: bool,
    /// Cumulative weight at the bin's end (largest) or start (smallest).
    bound: u128,
    /// (key, weight of its last or first path), once found.
    found: Option<(u32, u128)>,
}

/// A wanted weighted percentile of one column.
#[derive(Clone, Debug)]
struct Crossing {
    column: usize,
    percentile: f64,
    /// The position sought, as a fixed-point share of the total weight.
    p: u128,
    prefix: u32,
    /// Cumulative weight below the prefix's bin.
    offset: u128,
    /// The nearest bins before and after, as extremes, deepest found so far.
    before: Option<usize>,
    after: Option<usize>,
    /// `p` lies beyond every knot: the answer is the largest value.
    beyond: Option<usize>,
    answer: Option<f64>,
}

/// One distinct value inside a final bin: count, total weight, and the
/// weights of its first and last path.
#[derive(Clone, Copy, Debug)]
pub struct Group {
    count: u64,
    weight: u128,
    first: (u32, u128),
    last: (u32, u128),
}

impl Group {
    fn merge(&mut self, other: &Group) {
        self.count += other.count;
        self.weight += other.weight;
        if other.first.0 < self.first.0 {
            self.first = other.first;
        }
        if other.last.0 > self.last.0 {
            self.last = other.last;
        }
    }
}

/// Per-thread tables of one pass of a [`WeightSelect`].
#[derive(Clone, Debug, Default)]
pub struct Sums {
    counts: Vec<u32>,
    weights: Vec<u128>,
    groups: Vec<HashMap<u32, Group>>,
    extremes: Vec<Option<(u32, u32, u128)>>,
}

/// Weighted percentiles (as [`crate::stats::weighted_percentiles`]) of
/// columns over the same weighted paths.
#[derive(Clone, Debug)]
pub struct WeightSelect {
    level: usize,
    cap: u128,
    crossings: Vec<Crossing>,
    extremes: Vec<Extreme>,
    /// This pass: bins `(column, prefix)` and, per column, `(prefix, bin)`.
    bins: Vec<(usize, u32)>,
    by_column: Vec<Vec<(u32, usize)>>,
    /// This pass: extremes sought, per column `(extreme index, slot)`.
    active: Vec<usize>,
    extremes_by_column: Vec<Vec<(usize, usize)>>,
}

impl WeightSelect {
    /// `kept` paths carry weight (those `weighted_paths` keeps), summing to
    /// `total` (summed in path order, as the in-memory code does).
    pub fn new(columns: usize, wanted: &[(usize, f64)], kept: usize, total: f64) -> WeightSelect {
        let empty = kept == 0 || total <= 0.0;
        let crossings = wanted
            .iter()
            .map(|&(column, percentile)| Crossing {
                column,
                percentile,
                p: fixed(percentile / 100.0),
                prefix: 0,
                offset: 0,
                before: None,
                after: None,
                beyond: None,
                answer: empty.then_some(0.0),
            })
            .collect();
        let mut select = WeightSelect {
            level: 0,
            cap: fixed(0.5 / kept.max(1) as f64),
            crossings,
            extremes: Vec::new(),
            bins: Vec::new(),
            by_column: vec![Vec::new(); columns],
            active: Vec::new(),
            extremes_by_column: vec![Vec::new(); columns],
        };
        select.plan();
        select
    }

    fn plan(&mut self) {
        self.bins.clear();
        self.by_column.iter_mut().for_each(Vec::clear);
        self.extremes_by_column.iter_mut().for_each(Vec::clear);
        if self.level < LEVELS {
            for c in self.crossings.iter().filter(|c| c.answer.is_none()) {
                if c.beyond.is_some() {
                    continue;
                }
                let bin = (c.column, c.prefix);
                if !self.bins.contains(&bin) {
                    self.by_column[c.column].push((c.prefix, self.bins.len()));
                    self.bins.push(bin);
                }
            }
            self.by_column
                .iter_mut()
                .for_each(|bins| bins.sort_unstable());
        }
        for (slot, &e) in self.active.iter().enumerate() {
            self.extremes_by_column[self.extremes[e].column].push((e, slot));
        }
    }

    /// Whether every wanted value is known.
    pub fn done(&self) -> bool {
        self.crossings.iter().all(|c| c.answer.is_some())
    }

    /// Whether this pass reads column `column`.
    pub fn reads(&self, column: usize) -> bool {
        !self.by_column[column].is_empty() || !self.extremes_by_column[column].is_empty()
    }

    /// Zeroed tables for one thread in this pass.
    pub fn tables(&self) -> Sums {
        let size = if self.level < LEVELS - 1 {
            self.bins.len() << BITS[self.level]
        } else {
            0
        };
        Sums {
            counts: vec![0; size],
            weights: vec![0; size],
            groups: if self.level == LEVELS - 1 {
                vec![HashMap::new(); self.bins.len()]
            } else {
                Vec::new()
            },
            extremes: vec![None; self.active.len()],
        }
    }

    /// Adds path `path`'s value of `column`, with fixed-point weight `weight`.
    #[inline]
    pub fn visit(&self, sums: &mut Sums, column: usize, key: u32, path: usize, weight: u128) {
        let level = self.level;
        if level < LEVELS {
            let bins = &self.by_column[column];
            if !bins.is_empty() {
                let prefix = prefix_of(key, level);
                if let Ok(i) = bins.binary_search_by_key(&prefix, |b| b.0) {
                    let bin = bins[i].1;
                    let d = digit(key, level);
                    if level < LEVELS - 1 {
                        let at = (bin << BITS[level]) + d;
                        sums.counts[at] += 1;
                        sums.weights[at] += weight;
                    } else {
                        let one = Group {
                            count: 1,
                            weight,
                            first: (path as u32, weight),
                            last: (path as u32, weight),
                        };
                        sums.groups[bin]
                            .entry(d as u32)
                            .and_modify(|g| g.merge(&one))
                            .or_insert(one);
                    }
                }
            }
        }
        for &(e, slot) in &self.extremes_by_column[column] {
            let extreme = &self.extremes[e];
            if prefix_of(key, extreme.level) != extreme.prefix {
                continue;
            }
            let candidate = (key, path as u32, weight);
            let best = &mut sums.extremes[slot];
            if better(extreme.largest, candidate, *best) {
                *best = Some(candidate);
            }
        }
    }

    /// Ends a pass: `tables` are every thread's sums.
    pub fn advance(&mut self, tables: Vec<Sums>) {
        let mut total = self.tables();
        for table in tables {
            for (t, c) in total.counts.iter_mut().zip(&table.counts) {
                *t += c;
            }
            for (t, c) in total.weights.iter_mut().zip(&table.weights) {
                *t += c;
            }
            for (t, groups) in total.groups.iter_mut().zip(table.groups) {
                for (d, group) in groups {
                    t.entry(d).and_modify(|g| g.merge(&group)).or_insert(group);
                }
            }
            for (slot, candidate) in table.extremes.iter().enumerate() {
                let largest = self.extremes[self.active[slot]].largest;
                if let Some(candidate) = *candidate
                    && better(largest, candidate, total.extremes[slot])
                {
                    total.extremes[slot] = Some(candidate);
                }
            }
        }
        self.finish_pass(total);
    }

    fn finish_pass(&mut self, total: Sums) {
        for (slot, &e) in self.active.iter().enumerate() {
            self.extremes[e].found = total.extremes[slot].map(|(key, _, w)| (key, w));
        }
        let level = self.level;
        let mut new_active = Vec::new();
        if level < LEVELS {
            let size = 1usize << BITS[level];
            for c in 0..self.crossings.len() {
                let crossing = self.crossings[c].clone();
                if crossing.answer.is_some() || crossing.beyond.is_some() {
                    continue;
                }
                let bin = self
                    .bins
                    .iter()
                    .position(|b| *b == (crossing.column, crossing.prefix))
                    .expect("planned");
                if level < LEVELS - 1 {
                    let counts = &total.counts[bin * size..][..size];
                    let weights = &total.weights[bin * size..][..size];
                    let mut below = crossing.offset;
                    let mut chosen = None;
                    for d in 0..size {
                        if below + weights[d] >= crossing.p && counts[d] > 0 {
                            chosen = Some(d);
                            break;
                        }
                        below += weights[d];
                    }
                    let Some(d) = chosen else {
                        // Only possible at the top: the position lies past
                        // every knot, so the answer is the largest value.
                        let last = (0..size).rev().find(|d| counts[*d] > 0);
                        match last {
                            Some(last) => {
                                let e = self.push_extreme(
                                    &mut new_active,
                                    Extreme {
                                        column: crossing.column,
                                        level: level + 1,
                                        prefix: extend(crossing.prefix, level, last),
                                        largest: true,
                                        bound: below,
                                        found: None,
                                    },
                                );
                                self.crossings[c].beyond = Some(e);
                            }
                            None => self.crossings[c].answer = Some(0.0),
                        }
                        continue;
                    };
                    let mut update = crossing.clone();
                    if let Some(prev) = (0..d).rev().find(|p| counts[*p] > 0) {
                        update.before = Some(self.push_extreme(
                            &mut new_active,
                            Extreme {
                                column: crossing.column,
                                level: level + 1,
                                prefix: extend(crossing.prefix, level, prev),
                                largest: true,
                                bound: below,
                                found: None,
                            },
                        ));
                    }
                    if let Some(next) = (d + 1..size).find(|n| counts[*n] > 0) {
                        update.after = Some(self.push_extreme(
                            &mut new_active,
                            Extreme {
                                column: crossing.column,
                                level: level + 1,
                                prefix: extend(crossing.prefix, level, next),
                                largest: false,
                                bound: below + weights[d],
                                found: None,
                            },
                        ));
                    }
                    update.prefix = extend(crossing.prefix, level, d);
                    update.offset = below;
                    self.crossings[c] = update;
                } else {
                    let mut groups: Vec<(u32, Group)> =
                        total.groups[bin].iter().map(|(d, g)| (*d, *g)).collect();
                    groups.sort_unstable_by_key(|g| g.0);
                    let answer = self.answer(&crossing, &groups);
                    self.crossings[c].answer = Some(answer);
                }
            }
        }
        // Crossings past every knot take the largest value once it is known.
        for c in &mut self.crossings {
            if let (None, Some(e)) = (c.answer, c.beyond)
                && let Some((key, _)) = self.extremes[e].found
            {
                c.answer = Some(from_key(key) as f64);
            }
        }
        debug_assert!(level + 1 < LEVELS || new_active.is_empty());
        self.active = new_active;
        self.level += 1;
        self.plan();
    }

    fn push_extreme(&mut self, active: &mut Vec<usize>, extreme: Extreme) -> usize {
        self.extremes.push(extreme);
        active.push(self.extremes.len() - 1);
        self.extremes.len() - 1
    }

    /// The percentile once the final bin of its crossing is known, group by
    /// group (distinct values in key order).
    fn answer(&self, crossing: &Crossing, groups: &[(u32, Group)]) -> f64 {
        let p = crossing.p;
        let value = |prefix: u32, d: u32| from_key(extend(prefix, LEVELS - 1, d as usize)) as f64;
        let mut below = crossing.offset;
        let mut at = groups.len() - 1;
        for (i, (_, g)) in groups.iter().enumerate() {
            if below + g.weight >= p {
                at = i;
                break;
            }
            below += g.weight;
        }
        let (d, g) = groups[at];
        let end = below + g.weight;
        let x = value(crossing.prefix, d);
        let first_knot = below + ramp(g.first.1, self.cap);
        let last_knot = end - ramp(g.last.1, self.cap);
        let extreme_knot = |e: Option<usize>| -> Option<(u128, f64)> {
            let extreme = &self.extremes[e?];
            let (key, w) = extreme.found.expect("extremes are found before the answer");
            let knot = if extreme.largest {
                extreme.bound - ramp(w, self.cap)
            } else {
                extreme.bound + ramp(w, self.cap)
            };
            Some((knot, from_key(key) as f64))
        };
        if last_knot < p {
            let after = match groups.get(at + 1) {
                Some((d, next)) => Some((
                    end + ramp(next.first.1, self.cap),
                    value(crossing.prefix, *d),
                )),
                None => extreme_knot(crossing.after),
            };
            interpolate(p, Some((last_knot, x)), after)
        } else if first_knot >= p {
            let before = match at.checked_sub(1).map(|i| groups[i]) {
                Some((d, prev)) => Some((
                    below - ramp(prev.last.1, self.cap),
                    value(crossing.prefix, d),
                )),
                None => extreme_knot(crossing.before),
            };
            interpolate(p, before, Some((first_knot, x)))
        } else {
            interpolate(p, Some((first_knot, x)), Some((last_knot, x)))
        }
    }

    /// The percentiles, as `((column, percentile), value)`.
    pub fn results(&self) -> Vec<((usize, f64), f64)> {
        assert!(self.done(), "selection still under way");
        self.crossings
            .iter()
            .map(|c| ((c.column, c.percentile), c.answer.expect("done")))
            .collect()
    }
}

/// Whether `candidate` beats `best` as the largest key held by the last path
/// (or the smallest key held by the first path).
fn better(largest: bool, candidate: (u32, u32, u128), best: Option<(u32, u32, u128)>) -> bool {
    let Some(best) = best else { return true };
    if largest {
        (candidate.0, candidate.1) > (best.0, best.1)
    } else {
        (candidate.0, candidate.1) < (best.0, best.1)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sim::order_key::key;
    use crate::stats::{percentiles, weighted_percentiles};
    use rand::{Rng, RngExt, SeedableRng};

    /// Runs a RankSelect over in-memory columns, pass by pass, with the
    /// paths split between two "threads".
    fn select(columns: &[Vec<f32>], wanted: &[f64]) -> Vec<Vec<f64>> {
        let n = columns[0].len();
        let list: Vec<(usize, f64)> = (0..columns.len())
            .flat_map(|c| wanted.iter().map(move |p| (c, *p)))
            .collect();
        let mut select = RankSelect::new(n, columns.len(), list);
        while !select.done() {
            let mut tables = vec![select.table(), select.table()];
            for i in 0..n {
                for (c, column) in columns.iter().enumerate() {
                    if select.reads(c) {
                        select.visit(&mut tables[i % 2], c, key(column[i]));
                    }
                }
            }
            select.advance(tables);
        }
        let results = select.results();
        (0..columns.len())
            .map(|c| results.iter().filter(|r| r.0.0 == c).map(|r| r.1).collect())
            .collect()
    }

    fn select_weighted(columns: &[Vec<(f32, f64)>], wanted: &[f64]) -> Vec<Vec<f64>> {
        let n = columns[0].len();
        let list: Vec<(usize, f64)> = (0..columns.len())
            .flat_map(|c| wanted.iter().map(move |p| (c, *p)))
            .collect();
        let total: f64 = columns[0].iter().map(|p| p.1).sum();
        let mut select = WeightSelect::new(columns.len(), &list, n, total);
        let mut passes = 0;
        while !select.done() {
            passes += 1;
            assert!(passes <= LEVELS, "three passes at most");
            let mut tables = vec![select.tables(), select.tables()];
            for i in 0..n {
                for (c, column) in columns.iter().enumerate() {
                    if select.reads(c) {
                        let (value, w) = column[i];
                        select.visit(&mut tables[i % 2], c, key(value), i, fixed(w / total));
                    }
                }
            }
            select.advance(tables);
        }
        let results = select.results();
        (0..columns.len())
            .map(|c| results.iter().filter(|r| r.0.0 == c).map(|r| r.1).collect())
            .collect()
    }

    /// Weights that stress a weighted selection: kernel-like weights over
    /// many orders of magnitude, a few paths carrying most of the weight,
    /// equal weights, and weights so small next to the largest that their
    /// shares round to zero.
    pub(crate) fn weight_sets(rng: &mut impl Rng, n: usize) -> Vec<Vec<f64>> {
        vec![
            (0..n)
                .map(|_| (-rng.random_range(0.0..14.0f64)).exp())
                .collect(),
            (0..n)
                .map(|i| {
                    if i % 50 == 7 {
                        1.0
                    } else {
                        1e-6 * rng.random_range(1.0..2.0)
                    }
                })
                .collect(),
            vec![1.0 / n as f64; n],
            (0..n)
                .map(|i| if i % 3 == 0 { 1.0 } else { 1e-40 })
                .collect(),
        ]
    }

    /// Columns that stress the selection: ties, signs, zeros of both signs,
    /// a single value, huge ranges, values sharing top bits.
    pub(crate) fn columns(rng: &mut impl Rng, n: usize) -> Vec<Vec<f32>> {
        vec![
            (0..n).map(|_| rng.random_range(-1000.0..1000.0)).collect(),
            (0..n).map(|_| rng.random_range(0..5) as f32).collect(),
            (0..n)
                .map(|_| match rng.random_range(0..4) {
                    0 => 0.0,
                    1 => -0.0,
                    2 => rng.random_range(-1e-3..1e-3),
                    _ => rng.random_range(-1e9..1e9),
                })
                .collect(),
            vec![7.5; n],
            (0..n)
                .map(|_| 100.0 + rng.random_range(0..64) as f32 * 1e-5)
                .collect(),
            (0..n)
                .map(|i| {
                    if i % 97 == 0 {
                        -3.0
                    } else {
                        2.0f32.powi(rng.random_range(-40..40))
                    }
                })
                .collect(),
        ]
    }

    const WANTED: [f64; 11] = [
        0.0, 1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.5, 100.0,
    ];

    #[test]
    fn keys_keep_the_order_of_values() {
        let values = [f32::MIN, -1.0, -1e-30, -0.0, 0.0, 1e-30, 1.0, f32::MAX];
        for pair in values.windows(2) {
            assert!(key(pair[0]) < key(pair[1]), "{pair:?}");
        }
        for v in values {
            assert_eq!(from_key(key(v)).to_bits(), v.to_bits());
        }
    }

    #[test]
    fn radix_selection_equals_type_7_percentiles() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
        for n in [1, 2, 3, 10, 257, 5000] {
            let columns = columns(&mut rng, n);
            let found = select(&columns, &WANTED);
            for (column, found) in columns.iter().zip(found) {
                let expected = percentiles(&mut column.clone(), &WANTED);
                for (a, b) in found.iter().zip(&expected) {
                    assert_eq!(
                        a.to_bits(),
                        b.to_bits(),
                        "n = {n}: {found:?} vs {expected:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn radix_selection_equals_weighted_percentiles() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(4);
        for n in [1, 2, 3, 10, 257, 5000] {
            let values = columns(&mut rng, n);
            for weights in weight_sets(&mut rng, n) {
                let columns: Vec<Vec<(f32, f64)>> = values
                    .iter()
                    .map(|column| {
                        column
                            .iter()
                            .copied()
                            .zip(weights.iter().copied())
                            .collect()
                    })
                    .collect();
                let found = select_weighted(&columns, &WANTED);
                for (column, found) in columns.iter().zip(found) {
                    let expected = weighted_percentiles(&mut column.clone(), &WANTED);
                    for (a, b) in found.iter().zip(&expected) {
                        assert_eq!(
                            a.to_bits(),
                            b.to_bits(),
                            "n = {n}: {found:?} vs {expected:?}"
                        );
                    }
                }
            }
        }
    }
}
