//! Traffic: how many people see a piece of content in a month.

use serde::Serialize;

use super::Param;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    Blog,
    Video,
    Newsletter,
    Other,
}

impl ContentKind {
    pub fn parse(text: &str) -> Option<ContentKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "blog" | "post" | "article" => Some(ContentKind::Blog),
            "video" | "youtube" => Some(ContentKind::Video),
            "newsletter" | "email" => Some(ContentKind::Newsletter),
            "other" => Some(ContentKind::Other),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Traffic {
    /// A page or video: visits ramp up linearly to a peak over `ramp_months`,
    /// then halve every `half_life_months` (never, when absent).
    Page {
        /// The peak month's visits, or with `lifetime` the expected total
        /// over the page's life (the peak follows, see [`peak_from_lifetime`]).
        visits: Param,
        lifetime: bool,
        ramp_months: u32,
        half_life_months: Option<Param>,
    },
    /// A newsletter section: subscribers grow geometrically, each send is
    /// opened at `open_rate`; "visits" are opens.
    Newsletter {
        subscribers: Param,
        growth: Param,
        sends_per_month: f64,
        open_rate: Param,
    },
}

impl Traffic {
    /// Expected visits (or opens) `age` months after publication (age 0 is the
    /// publication month).
    pub fn expected(&self, drawn: &[f64], age: u32) -> f64 {
        let age_f = age as f64;
        match *self {
            Traffic::Page {
                ramp_months,
                half_life_months,
                ..
            } => {
                let ramp = ramp_months.max(1) as f64;
                let ramp_share = ((age_f + 1.0) / ramp).min(1.0);
                let months_past_peak = (age_f - (ramp - 1.0)).max(0.0);
                let decay = half_life_months.map_or(1.0, |half_life| {
                    0.5f64.powf(months_past_peak / half_life.get(drawn))
                });
                self.peak(drawn) * ramp_share * decay
            }
            Traffic::Newsletter {
                subscribers,
                growth,
                sends_per_month,
                open_rate,
            } => {
                subscribers.get(drawn)
                    * (1.0 + growth.get(drawn)).powf(age_f)
                    * sends_per_month
                    * open_rate.get(drawn)
            }
        }
    }
}

/// The peak month's visits of a page whose expected visits over its whole
/// life total `lifetime`: with ramp `r` and monthly decay `d = 0.5^(1/h)`,
/// the months sum to `peak · ((r + 1)/2 + d/(1 − d))` (docs/MODEL.md §3).
pub fn peak_from_lifetime(lifetime: f64, ramp_months: u32, half_life: f64) -> f64 {
    lifetime / lifetime_per_peak(ramp_months, half_life)
}

/// Expected visits over a page's whole life per visit of its peak month.
pub fn lifetime_per_peak(ramp_months: u32, half_life: f64) -> f64 {
    let ramp = ramp_months.max(1) as f64;
    let decay = 0.5f64.powf(1.0 / half_life);
    (ramp + 1.0) / 2.0 + decay / (1.0 - decay)
}

impl Traffic {
    /// A page's peak month's visits (given, or worked out from its lifetime
    /// visits); a newsletter's subscribers at publication.
    pub fn peak(&self, drawn: &[f64]) -> f64 {
        match *self {
            Traffic::Page {
                visits,
                lifetime: false,
                ..
            } => visits.get(drawn),
            Traffic::Page {
                visits,
                lifetime: true,
                ramp_months,
                half_life_months,
            } => {
                // A lifetime needs a half-life (checked when the scenario
                // is read); without one the total would be unbounded.
                let half_life = half_life_months.map_or(f64::INFINITY, |h| h.get(drawn));
                peak_from_lifetime(visits.get(drawn), ramp_months, half_life)
            }
            Traffic::Newsletter { subscribers, .. } => subscribers.get(drawn),
        }
    }

    /// The uncertain size of one copy: visits (peak or lifetime) or
    /// subscribers.
    pub fn size(&self) -> Param {
        match *self {
            Traffic::Page { visits, .. } => visits,
            Traffic::Newsletter { subscribers, .. } => subscribers,
        }
    }
}

impl Traffic {
    /// Writes `expected(age)` for every age `0..table.len()`, without a
    /// power function per entry (the engine calls this once per path).
    pub fn fill_expected(&self, drawn: &[f64], table: &mut [f64]) {
        match *self {
            Traffic::Page {
                ramp_months,
                half_life_months,
                ..
            } => {
                let peak = self.peak(drawn);
                let ramp = ramp_months.max(1) as f64;
                let monthly_decay =
                    half_life_months.map_or(1.0, |h| 0.5f64.powf(1.0 / h.get(drawn)));
                let mut decay = 1.0;
                for (age, slot) in table.iter_mut().enumerate() {
                    let age = age as f64;
                    if age > ramp - 1.0 {
                        decay *= monthly_decay;
                    }
                    *slot = peak * ((age + 1.0) / ramp).min(1.0) * decay;
                }
            }
            Traffic::Newsletter { .. } => {
                let base = self.expected(drawn, 0);
                let growth = match *self {
                    Traffic::Newsletter { growth, .. } => 1.0 + growth.get(drawn),
                    Traffic::Page { .. } => unreachable!(),
                };
                let mut value = base;
                for slot in table.iter_mut() {
                    *slot = value;
                    value *= growth;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_ramp_then_decay() {
        let page = Traffic::Page {
            visits: Param::Fixed(3000.0),
            lifetime: false,
            ramp_months: 3,
            half_life_months: Some(Param::Fixed(6.0)),
        };
        let visits: Vec<f64> = (0..10).map(|age| page.expected(&[], age)).collect();
        assert!((visits[0] - 1000.0).abs() < 1e-9);
        assert!((visits[2] - 3000.0).abs() < 1e-9);
        assert!((visits[8] - 1500.0).abs() < 1e-9);
        let mut table = vec![0.0; 40];
        page.fill_expected(&[], &mut table);
        for (age, value) in table.iter().enumerate() {
            assert!((value - page.expected(&[], age as u32)).abs() < 1e-9 * value.max(1.0));
        }
        let newsletter = Traffic::Newsletter {
            subscribers: Param::Fixed(1400.0),
            growth: Param::Fixed(0.03),
            sends_per_month: 4.0,
            open_rate: Param::Fixed(0.4),
        };
        newsletter.fill_expected(&[], &mut table);
        for (age, value) in table.iter().enumerate() {
            assert!((value - newsletter.expected(&[], age as u32)).abs() < 1e-9 * value.max(1.0));
        }
    }

    #[test]
    fn lifetime_visits_sum_over_the_ages() {
        for (ramp, half_life) in [(1, 6.0), (3, 4.0), (12, 0.5)] {
            let page = Traffic::Page {
                visits: Param::Fixed(50_000.0),
                lifetime: true,
                ramp_months: ramp,
                half_life_months: Some(Param::Fixed(half_life)),
            };
            let mut table = vec![0.0; 2000];
            page.fill_expected(&[], &mut table);
            let total: f64 = table.iter().sum();
            assert!(
                (total - 50_000.0).abs() < 1e-6 * 50_000.0,
                "{ramp} {half_life}: {total}"
            );
            let peak = page.peak(&[]);
            assert!((table[ramp as usize - 1] - peak).abs() < 1e-9 * peak);
        }
    }
}
