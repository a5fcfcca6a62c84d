//! How a scenario states a number it is unsure of.
//!
//! Every numeric model input accepts three spellings:
//! a plain number (`0.15`), a 90% interval (`"800..3000"`, `"2%..6%"`) whose
//! distribution follows from what the field measures (lognormal for amounts,
//! beta for rates), or an explicit distribution table
//! (`{ dist = "beta", mean = 0.04, sd = 0.01 }`).

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum InputSpec {
    Fixed(f64),
    /// A 90% interval: 5% of the mass below `low`, 5% above `high`.
    Interval {
        low: f64,
        high: f64,
    },
    Dist(DistSpec),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DistKind {
    Uniform,
    Normal,
    Lognormal,
    Beta,
    Gamma,
    Triangular,
    Pert,
}

/// An explicit distribution. Which fields are required depends on `dist`;
/// resolution checks the combination and says which ones are missing.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DistSpec {
    pub dist: Option<DistKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p5: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95: Option<f64>,
}

const EXPECTED: &str = "a number, a 90% interval such as \"800..3000\", \
     or a distribution such as { dist = \"beta\", mean = 0.04, sd = 0.01 }";

/// Parses `"low..high"`; each end may carry a `%` (then it is divided by 100)
/// and `_`/`,` digit separators.
pub fn parse_interval(text: &str) -> Result<(f64, f64), String> {
    let (low, high) = text
        .split_once("..")
        .ok_or_else(|| format!("`{text}` is not a number or an interval; expected {EXPECTED}"))?;
    let end = |part: &str| match parse_any_number(part) {
        None => Err(format!(
            "`{}` in the interval `{text}` is not a number; write it like \"800..3000\"",
            part.trim()
        )),
        Some(value) if !value.is_finite() => Err(format!(
            "the interval `{text}` has an end that is not a finite number; write both ends as numbers, e.g. \"800..3000\""
        )),
        Some(value) => Ok(value),
    };
    Ok((end(low)?, end(high)?))
}

/// Parses a number written as a string: `"3%"` (divided by 100), `"1,400"`,
/// `"2_000"`, `"0.04"`; `None` when it is not a finite number.
pub fn parse_number(text: &str) -> Option<f64> {
    parse_any_number(text).filter(|value| value.is_finite())
}

/// Like [`parse_number`], letting `inf` and `nan` through.
fn parse_any_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let (digits, divisor) = match text.strip_suffix('%') {
        Some(digits) => (digits.trim(), 100.0),
        None => (text, 1.0),
    };
    let cleaned: String = digits.chars().filter(|c| *c != '_' && *c != ',').collect();
    cleaned.parse::<f64>().ok().map(|value| value / divisor)
}

/// A string input: an interval `"low..high"`, or one number such as `"3%"`.
fn parse_text(text: &str) -> Result<InputSpec, String> {
    if text.contains("..") {
        let (low, high) = parse_interval(text)?;
        return Ok(InputSpec::Interval { low, high });
    }
    parse_number(text)
        .map(InputSpec::Fixed)
        .ok_or_else(|| format!("`{text}` is not a number or an interval; expected {EXPECTED}"))
}

impl<'de> Deserialize<'de> for InputSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<InputSpec, D::Error> {
        struct InputVisitor;

        impl<'de> Visitor<'de> for InputVisitor {
            type Value = InputSpec;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTED)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<InputSpec, E> {
                Ok(InputSpec::Fixed(v as f64))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<InputSpec, E> {
                Ok(InputSpec::Fixed(v as f64))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<InputSpec, E> {
                Ok(InputSpec::Fixed(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<InputSpec, E> {
                parse_text(v).map_err(E::custom)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<InputSpec, A::Error> {
                DistSpec::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(InputSpec::Dist)
            }
        }

        deserializer.deserialize_any(InputVisitor)
    }
}

impl InputSpec {
    pub fn is_uncertain(&self) -> bool {
        !matches!(self, InputSpec::Fixed(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_accept_percent_and_separators() {
        assert_eq!(parse_interval("800..3000").unwrap(), (800.0, 3000.0));
        assert_eq!(parse_interval("1,400..2_000").unwrap(), (1400.0, 2000.0));
        let (low, high) = parse_interval("2%..6%").unwrap();
        assert!((low - 0.02).abs() < 1e-12 && (high - 0.06).abs() < 1e-12);
        assert!(parse_interval("abc").is_err());
        assert!(parse_interval("1..x").is_err());
        assert!(parse_interval("1..inf").is_err());
    }

    #[test]
    fn a_quoted_number_may_be_a_percentage() {
        assert_eq!(parse_text("3%").unwrap(), InputSpec::Fixed(0.03));
        assert_eq!(parse_text(" 1,400 ").unwrap(), InputSpec::Fixed(1400.0));
        assert_eq!(
            parse_text("3%..6%").unwrap(),
            InputSpec::Interval {
                low: 0.03,
                high: 0.06
            }
        );
        assert!(parse_text("three percent").is_err());
        assert!(parse_text("NaN").is_err());
    }
}
