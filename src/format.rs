//! Numbers as people read them: "$1,234", "$12.40", "41.3%", "1,400".

use crate::model::{Billing, Metric, Unit};

fn group_thousands(whole: u64) -> String {
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Dollars: cents below $100, whole dollars above.
pub fn money(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let sign = if value < -0.005 { "-" } else { "" };
    let abs = value.abs();
    if abs >= 1e9 {
        return format!("{sign}${:.2e}", abs);
    }
    if abs < 100.0 {
        let cents = (abs * 100.0).round() as u64;
        format!("{sign}${}.{:02}", group_thousands(cents / 100), cents % 100)
    } else {
        format!("{sign}${}", group_thousands(abs.round() as u64))
    }
}

/// A stated amount, such as a price, as written: to the cent when it has
/// cents ($149.99, where [`money`] would round to $150), else as [`money`].
pub fn amount(value: f64) -> String {
    let cents = (value.abs() * 100.0).round();
    if !value.is_finite() || value.abs() >= 1e9 || cents % 100.0 == 0.0 {
        return money(value);
    }
    let sign = if value < 0.0 { "-" } else { "" };
    let cents = cents as u64;
    format!("{sign}${}.{:02}", group_thousands(cents / 100), cents % 100)
}

/// A plan's price as people read it: "$19.99/mo", or "$199 one-time" for
/// a plan charged once.
pub fn plan_price(billing: Billing, price: f64) -> String {
    match billing {
        Billing::Monthly => format!("{}/mo", amount(price)),
        Billing::OneTime => format!("{} one-time", amount(price)),
    }
}

/// Whole dollars, for tables and axes.
pub fn money_whole(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let sign = if value < -0.5 { "-" } else { "" };
    if value.abs() >= 1e9 {
        return format!("{sign}${:.2e}", value.abs());
    }
    format!("{sign}${}", group_thousands(value.abs().round() as u64))
}

pub fn count(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    if value.abs() >= 1e12 {
        return format!("{:.2e}", value);
    }
    let sign = if value < -0.5 { "-" } else { "" };
    format!("{sign}{}", group_thousands(value.abs().round() as u64))
}

/// A metric's value in its own unit.
pub fn money_or_count(metric: Metric, value: f64) -> String {
    if metric.is_money() {
        money(value)
    } else {
        count(value)
    }
}

/// A probability as a percentage with sensible precision.
pub fn percent(p: f64) -> String {
    let pct = p * 100.0;
    if pct == 0.0 || pct == 100.0 {
        format!("{pct:.0}%")
    } else if pct < 0.1 {
        "<0.1%".into()
    } else if pct > 99.9 {
        ">99.9%".into()
    } else {
        format!("{pct:.1}%")
    }
}

/// A standard error in percentage points.
pub fn points(se: f64) -> String {
    let pct = se * 100.0;
    if pct < 0.05 {
        format!("{pct:.2}%")
    } else {
        format!("{pct:.1}%")
    }
}

/// A rate input (0.15) as "15%".
pub fn rate(value: f64) -> String {
    let pct = value * 100.0;
    if pct >= 10.0 {
        format!("{pct:.0}%")
    } else if pct >= 1.0 {
        format!("{pct:.1}%")
    } else {
        format!("{pct:.2}%")
    }
}

/// An uncertain input's value in its unit.
pub fn input_value(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Rate => rate(value),
        Unit::Dollars => money(value),
        Unit::Count => {
            if value.abs() >= 100.0 {
                count(value)
            } else {
                format!("{value:.2}")
            }
        }
        Unit::Months => format!("{value:.1} months"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_read_naturally() {
        assert_eq!(money(22.1889), "$22.19");
        assert_eq!(money(1234.4), "$1,234");
        assert_eq!(money(-3.0), "-$3.00");
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(count(1400.0), "1,400");
        assert_eq!(percent(0.413), "41.3%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(rate(0.15), "15%");
        assert_eq!(rate(0.035), "3.5%");
        // Prices as written: the story's Scale plan is $149.99, not $150.
        assert_eq!(amount(149.99), "$149.99");
        assert_eq!(amount(1499.5), "$1,499.50");
        assert_eq!(amount(150.0), "$150");
        assert_eq!(amount(19.99), "$19.99");
    }
}
