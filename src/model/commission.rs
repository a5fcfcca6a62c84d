//! Commission rules: what each charge earns, tiers, and when cash is paid.

use serde::Serialize;

use super::Param;
use crate::calendar::Month;

/// The rate earned on renewals. Renewal k is the k-th charge after the first
/// order (k >= 1).
#[derive(Clone, Debug, Serialize)]
pub struct RecurringRule {
    /// Consecutive steps: `(renewals, rate)`; `None` covers all later renewals.
    pub steps: Vec<(Option<u32>, Param)>,
    /// Renewals after this many earn nothing (`None`: for life).
    pub for_renewals: Option<u32>,
}

impl RecurringRule {
    /// The rate on renewal `k` (1-based), ignoring tiers.
    pub fn rate(&self, drawn: &[f64], k: usize) -> f64 {
        if let Some(limit) = self.for_renewals
            && k > limit as usize
        {
            return 0.0;
        }
        let mut covered = 0usize;
        for (length, rate) in &self.steps {
            match length {
                Some(length) => {
                    covered += *length as usize;
                    if k <= covered {
                        return rate.get(drawn);
                    }
                }
                None => return rate.get(drawn),
            }
        }
        0.0
    }

    /// The number of renewals after which the rate no longer changes with age.
    pub fn settles_after(&self) -> usize {
        let steps: usize = self
            .steps
            .iter()
            .filter_map(|(n, _)| n.map(|n| n as usize))
            .sum();
        steps.max(self.for_renewals.map_or(0, |n| n as usize))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TierPeriod {
    /// Counts new paying referrals in the current calendar month.
    Month,
    /// Counts all new paying referrals since the start.
    Total,
}

/// Higher rates once enough referrals are made. When several tiers are
/// reached, the one with the largest `after` applies.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Tier {
    pub after: u64,
    pub period: TierPeriod,
    pub first_order_rate: Option<Param>,
    /// Replaces the whole recurring schedule while the tier applies.
    pub recurring_rate: Option<Param>,
}

/// When earned commission turns into cash.
#[derive(Clone, Debug, Serialize)]
pub struct PayoutSchedule {
    /// As written in the scenario, e.g. "net-30".
    pub label: String,
    /// Whole months between the end of the month a balance becomes payable
    /// and the month the cash arrives.
    pub lag_months: u32,
    /// The day of the month the cash arrives.
    pub day: PayoutDay,
}

/// The day of its month a payout arrives. The model counts whole months
/// (docs/MODEL.md §6): cash arrives inside the month the paid series books
/// it in, so a day past the month's end (net-30 in February) is its last day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutDay {
    /// The last day of the month (monthly payouts).
    MonthEnd,
    /// This day of the month, or the month's last day when it has fewer.
    Day(u32),
}

impl PayoutSchedule {
    /// The calendar day of `month` on which this schedule's cash arrives.
    pub fn day_in(&self, month: Month) -> u32 {
        match self.day {
            PayoutDay::MonthEnd => month.days(),
            PayoutDay::Day(day) => day.min(month.days()),
        }
    }

    /// When the cash arrives, in words: "on the last day of the month the
    /// commission clears".
    pub fn describe(&self) -> String {
        match (self.day, self.lag_months) {
            (PayoutDay::MonthEnd, 0) => "on the last day of the month the commission clears".into(),
            (PayoutDay::MonthEnd, lag) => format!(
                "on the last day of the {} month after the commission clears",
                ordinal(lag)
            ),
            (PayoutDay::Day(day), lag) => {
                let after = if lag == 1 {
                    "the month after the commission clears".to_string()
                } else {
                    format!("the {} month after the commission clears", ordinal(lag))
                };
                let shorter = if day > 28 {
                    " (its last day when shorter)"
                } else {
                    ""
                };
                format!("on the {} of {after}{shorter}", ordinal(day))
            }
        }
    }
}

/// 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st, ...
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A payout date as one sortable number, month index times 32 plus the day:
/// the engine keeps each path's first payout this way (u16::MAX = none).
pub fn payout_date_code(month_index: usize, day: u32) -> u16 {
    (month_index * 32 + day as usize) as u16
}

/// The month index and day of a [`payout_date_code`].
pub fn payout_date(code: u16) -> (usize, u32) {
    (code as usize / 32, code as u32 % 32)
}

impl PayoutSchedule {
    /// Parses "monthly", "net-15" / "net 30" / "net60", or "13th of next month".
    pub fn parse(text: &str) -> Result<PayoutSchedule, String> {
        let lower = text.trim().to_ascii_lowercase();
        let label = text.trim().to_string();
        if lower == "monthly" {
            return Ok(PayoutSchedule {
                label,
                lag_months: 0,
                day: PayoutDay::MonthEnd,
            });
        }
        if let Some(days) = lower.strip_prefix("net") {
            let days = days.trim_start_matches(['-', ' ']);
            if let Ok(days) = days.parse::<u32>()
                && (1..=120).contains(&days)
            {
                let lag = days.div_ceil(30);
                return Ok(PayoutSchedule {
                    label,
                    lag_months: lag,
                    day: PayoutDay::Day(days - 30 * (lag - 1)),
                });
            }
        }
        if let Some(day) = lower.strip_suffix("of next month") {
            let digits: String = day.chars().take_while(|c| c.is_ascii_digit()).collect();
            if let Ok(day) = digits.parse::<u32>()
                && (1..=28).contains(&day)
            {
                return Ok(PayoutSchedule {
                    label,
                    lag_months: 1,
                    day: PayoutDay::Day(day),
                });
            }
        }
        Err(format!(
            "unknown payout schedule `{text}`; use \"monthly\", \"net-15\", \"net-30\", \"net-60\" \
             or a day such as \"13th of next month\""
        ))
    }
}

/// Whole months a commission is held: the month it is earned in counts as held
/// until its end, and every started 30 days adds a month.
pub fn hold_months(hold_days: u32) -> u32 {
    hold_days.div_ceil(30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse() {
        let net30 = PayoutSchedule::parse("NET-30").unwrap();
        assert_eq!((net30.lag_months, net30.day), (1, PayoutDay::Day(30)));
        let net45 = PayoutSchedule::parse("net 45").unwrap();
        assert_eq!((net45.lag_months, net45.day), (2, PayoutDay::Day(15)));
        let thirteenth = PayoutSchedule::parse("13th of next month").unwrap();
        assert_eq!(
            (thirteenth.lag_months, thirteenth.day),
            (1, PayoutDay::Day(13))
        );
        assert_eq!(PayoutSchedule::parse("monthly").unwrap().lag_months, 0);
        assert!(PayoutSchedule::parse("fortnightly").is_err());
        assert_eq!(hold_months(0), 0);
        assert_eq!(hold_months(30), 1);
        assert_eq!(hold_months(31), 2);
    }

    #[test]
    fn schedule_steps_then_settles() {
        let rule = RecurringRule {
            steps: vec![(Some(2), Param::Fixed(0.4)), (None, Param::Fixed(0.2))],
            for_renewals: Some(12),
        };
        let rates: Vec<f64> = (1..=14).map(|k| rule.rate(&[], k)).collect();
        assert_eq!(&rates[..3], &[0.4, 0.4, 0.2]);
        assert_eq!(rates[11], 0.2);
        assert_eq!(rates[12], 0.0);
        assert_eq!(rule.settles_after(), 12);
    }
}
