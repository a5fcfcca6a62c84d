//! Order-preserving keys of f32 values and exact fixed-point weights: what
//! both storage modes use to find percentiles bit for bit alike (sorting
//! stored columns, or selecting over streamed ones).

/// Digits per level, most significant first: 11 + 11 + 10 = 32 bits.
pub const BITS: [u32; LEVELS] = [11, 11, 10];
/// Where each level's digit starts.
pub const SHIFT: [u32; LEVELS] = [21, 10, 0];
pub const LEVELS: usize = 3;

/// The order-preserving key of an f32 (negative values reversed, sign flipped).
#[inline]
pub fn key(value: f32) -> u32 {
    let bits = value.to_bits();
    if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

/// The f32 whose key this is.
#[inline]
pub fn from_key(key: u32) -> f32 {
    f32::from_bits(if key >> 31 == 1 {
        key & 0x7FFF_FFFF
    } else {
        !key
    })
}

/// The bits of `key` above level `level`'s digit.
#[inline]
pub fn prefix_of(key: u32, level: usize) -> u32 {
    ((key as u64) >> (SHIFT[level] + BITS[level])) as u32
}

/// Level `level`'s digit of `key`.
#[inline]
pub fn digit(key: u32, level: usize) -> usize {
    ((key >> SHIFT[level]) & ((1 << BITS[level]) - 1)) as usize
}

#[inline]
pub fn extend(prefix: u32, level: usize, digit: usize) -> u32 {
    (((prefix as u64) << BITS[level]) | digit as u64) as u32
}

/// 2^100: weights (shares of the total, at most one) become integers on this
/// grid, so sums of them are exact and do not depend on their order. Shares
/// below 2^-100 count as zero; the grid is far finer than any percentile can
/// tell apart.
pub const SCALE: f64 = 1_267_650_600_228_229_401_496_703_205_376.0;

/// A share of the total weight in fixed point (see [`SCALE`]).
#[inline]
pub fn fixed(share: f64) -> u128 {
    (share * SCALE) as u128
}

/// The linear ramp at either end of a path's stretch: half its weight, at
/// most `cap` (half an average weight).
#[inline]
pub fn ramp(weight: u128, cap: u128) -> u128 {
    (weight / 2).min(cap)
}

/// The value at cumulative position `p` given the last knot below it and
/// the first knot at or above it, each `(position, value)`; a missing knot
/// means `p` lies beyond the first or last one.
pub fn interpolate(p: u128, below: Option<(u128, f64)>, above: Option<(u128, f64)>) -> f64 {
    match (below, above) {
        (None, None) => 0.0,
        (None, Some((_, x))) | (Some((_, x)), None) => x,
        (Some((u0, x0)), Some((u1, x1))) => {
            let t = if u1 > u0 {
                p.saturating_sub(u0) as f64 / (u1 - u0) as f64
            } else {
                1.0
            };
            x0 + t.clamp(0.0, 1.0) * (x1 - x0)
        }
    }
}
