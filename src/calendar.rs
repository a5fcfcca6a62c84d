//! Calendar months: the simulation's unit of time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar month such as 2026-10, stored as months since year 0 so that
/// arithmetic and ordering are plain integer operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        if !(1..=12).contains(&month) || !(1900..=2999).contains(&year) {
            return None;
        }
        Some(Month(year * 12 + month as i32 - 1))
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// 1 = January.
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    pub fn plus(self, months: i32) -> Month {
        Month(self.0 + months)
    }

    /// Months from `earlier` to `self` (negative when `self` is earlier).
    pub fn since(self, earlier: Month) -> i32 {
        self.0 - earlier.0
    }

    /// Days in the month: 28 to 31.
    pub fn days(self) -> u32 {
        match self.month() {
            2 if self.year() % 4 == 0 && (self.year() % 100 != 0 || self.year() % 400 == 0) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// "Oct 2026": the form used in sentences.
    pub fn long(self) -> String {
        format!("{} {}", MONTH_NAMES[self.month() as usize - 1], self.year())
    }

    /// "Oct 26": the form used on chart axes.
    pub fn short(self) -> String {
        format!(
            "{} {:02}",
            MONTH_NAMES[self.month() as usize - 1],
            self.year().rem_euclid(100)
        )
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for Month {
    type Err = String;

    fn from_str(text: &str) -> Result<Month, String> {
        let bad = || format!("`{text}` is not a month; write it as YYYY-MM, e.g. \"2026-10\"");
        let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.is_empty() || month.len() > 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Month, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_formats_and_counts() {
        let oct: Month = "2026-10".parse().unwrap();
        assert_eq!(oct.to_string(), "2026-10");
        assert_eq!(oct.long(), "Oct 2026");
        assert_eq!(oct.short(), "Oct 26");
        let feb: Month = "2026-02".parse().unwrap();
        assert_eq!(oct.since(feb), 8);
        assert_eq!(feb.plus(11).to_string(), "2027-01");
        assert!("2026-13".parse::<Month>().is_err());
        assert!("26-01".parse::<Month>().is_err());
        assert!("October".parse::<Month>().is_err());
        let days = |text: &str| text.parse::<Month>().unwrap().days();
        assert_eq!(
            [
                days("2026-01"),
                days("2026-02"),
                days("2028-02"),
                days("2100-02"),
                days("2000-02"),
                days("2026-04")
            ],
            [31, 28, 29, 28, 29, 30]
        );
    }
}
