//! What each scenario field accepts, in words, for error messages: a user
//! who wrote a field wrongly reads what to write instead, without another
//! file at hand (docs/SCENARIO.md says the same at length).

const RATE: &str = "a rate: a fraction such as 0.15, a percentage in quotes such as \"15%\", \
     a 90% interval in quotes such as \"10%..20%\", or a distribution table";
const AMOUNT: &str = "an amount: a number such as 3000, a 90% interval in quotes such as \
     \"2000..5000\", or a distribution table";
const WHOLE: &str = "a whole number, unquoted";
const MONTH: &str = "a month in quotes, \"YYYY-MM\", e.g. \"2026-10\"";
const TEXT: &str = "text in quotes";
const METRIC: &str = "a metric in quotes: \"mrr\", \"earned\", \"recurring\", \"paid\", \
     \"cumulative_earned\", \"cumulative_paid\", \"active_referrals\" or \"new_referrals\"";
const SERIES: &str = "a list of monthly figures, e.g. [47, 112, 186]";

/// What the field named `key` (its last segment: `ctr`, not
/// `content[0].ctr`) accepts, or `None` for an unknown name.
pub fn accepts(key: &str) -> Option<&'static str> {
    Some(match key {
        "signup_rate"
        | "paid_rate"
        | "first_order_rate"
        | "recurring_rate"
        | "upgrade_rate"
        | "refund_rate"
        | "ctr"
        | "open_rate"
        | "click_rate"
        | "upgrade_probability"
        | "churn"
        | "rate" => RATE,
        "subscriber_growth" => {
            "a monthly growth rate from -0.9 to 1: 0.03, \"3%\", or a 90% interval in quotes \
             such as \"1%..5%\" (\"-2%..3%\" for a list that may shrink)"
        }
        "noise" => {
            "a coefficient of variation of monthly traffic: 0 (Poisson only) or more, e.g. 0.3 \
             for swings of about 30%; a range in quotes if unsure"
        }
        "visits" | "lifetime_visits" | "subscribers" | "price" | "bounty" | "half_life_months" => {
            AMOUNT
        }
        "paths" => "a whole number of simulated futures, unquoted, e.g. 100000",
        "seed" => "a whole number, unquoted, e.g. 2026",
        "precision" => {
            "a standard error for the first target's chance, from 0.0001 to 0.25, unquoted, \
             e.g. 0.005 (half a percentage point); instead of `paths`"
        }
        "calibration" => "\"sequential\" (month by month, the default) or \"whole-path\"",
        "months" => "a whole number of months from 1 to 600, unquoted",
        "trial_months" | "ramp_months" | "recurring_months" | "every_months" | "every_weeks"
        | "count" | "renewals" => WHOLE,
        "hold_days" => "a whole number of days, unquoted, e.g. 30",
        "after" => "a whole number of new paying referrals, unquoted, e.g. 10",
        "start" | "end" | "publish" | "month" => MONTH,
        "until" => "a month in quotes (\"2026-09\") or \"end\"",
        "from" => {
            "a month in quotes, \"YYYY-MM\" (the month a variant's changes start), or \"start\""
        }
        "copy_spread" => {
            "a share from 0 to 1, unquoted, e.g. 0.5 (how much each copy's size varies on its own)"
        }
        "per_month" => {
            "a number of copies published each month, unquoted (may be fractional, e.g. 0.5)"
        }
        "name" | "description" | "label" | "note" | "upgrade_to" | "program" => TEXT,
        "kind" => "\"blog\", \"video\", \"newsletter\" or \"other\"",
        "headline" | "metric" => METRIC,
        "per" => "\"month\" or \"total\"",
        "billing" => "\"monthly\" (a subscription) or \"one-time\" (charged once, e.g. a course)",
        "payout_schedule" => {
            "\"monthly\", \"net-15\", \"net-30\", \"net-60\" or a day such as \"15th of next month\""
        }
        "payout_minimum" => "dollars, unquoted, e.g. 50",
        "at_least" => "a number (dollars, or a count), unquoted, e.g. 500",
        "share" => {
            "a fraction from 0 to 1, unquoted, e.g. 0.85 (of a program's new paying customers for a \
             plan; of an entry's clicks in its `programs`)"
        }
        "mix_concentration" => "a number above 0, unquoted, e.g. 40 (larger = surer of the mix)",
        "sends_per_month" => "a number of sends from 0 to 31, unquoted, e.g. 4",
        "churn_sbg" => "a table such as { alpha = 1.0, beta = \"8..16\" }",
        "churn_weibull" => "a table such as { scale_months = 18, shape = 0.8 }",
        "repeat" => {
            "a table such as { every_months = 1, count = 6 } or { every_weeks = 2, until = \"end\" }"
        }
        "recurring_schedule" => "a list such as [{ renewals = 2, rate = 0.4 }, { rate = 0.2 }]",
        "earned" | "clicks" | "new_referrals" | "active_referrals" | "paid" => SERIES,
        "set" => "a list of overrides in quotes, e.g. [\"content[1].visits=0\"]",
        "dist" => {
            "a distribution name in quotes: \"uniform\", \"normal\", \"lognormal\", \"beta\", \
             \"gamma\", \"triangular\" or \"pert\""
        }
        "min" | "max" | "mode" | "mean" | "sd" | "median" | "sigma" | "alpha" | "beta"
        | "shape" | "scale" | "p5" | "p95" | "scale_months" => {
            "a number, unquoted (a distribution's parameter; alpha and beta of churn_sbg and \
             churn_weibull's parameters may also be ranges in quotes)"
        }
        "simulation" => "a table: [simulation] with start = \"YYYY-MM\"",
        "funnel" => "a table: [funnel] with signup_rate and paid_rate",
        "programs" => {
            "[[programs]] tables, each with a name, rates and [[programs.plans]]; in a content \
             entry, a list such as [{ name = \"Global API\", share = 0.7 }, { name = \"Other\", \
             share = 0.3 }]"
        }
        "plans" => {
            "[[programs.plans]] tables, each with a name, price and churn (none for a bounty-only program)"
        }
        "tiers" => "[[programs.tiers]] tables, each with after and a rate",
        "content" => "[[content]] tables, each with a name, publish and its traffic",
        "targets" => "[[targets]] tables, each with metric, at_least and month",
        "observed" => "a table: [observed] with start and monthly figures",
        "variants" => "[[variants]] tables, each with a name and set",
        _ => return None,
    })
}

/// The key assigned on the line of `text` that holds byte `offset`
/// (`ctr` for `ctr = 3%`), if that line is a `key = value` line.
pub fn key_on_line(text: &str, offset: usize) -> Option<&str> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let end = text[start..].find('\n').map_or(text.len(), |at| start + at);
    let line = &text[start..end];
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches(['"', '\'']);
    let key = key.rsplit('.').next().unwrap_or(key).trim();
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then_some(key)
}

/// The value written on the line of `text` that holds byte `offset`, after
/// its `=` and without a trailing comment.
pub fn value_on_line(text: &str, offset: usize) -> Option<&str> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let end = text[start..].find('\n').map_or(text.len(), |at| start + at);
    let (_, value) = text[start..end].split_once('=')?;
    let value = value.split('#').next().unwrap_or(value).trim();
    (!value.is_empty()).then_some(value)
}

/// Help for a value that does not parse or has the wrong type, on the
/// line holding byte `offset`: an unquoted percentage gets quotes, a known
/// field says what it accepts.
pub fn for_line(text: &str, offset: usize) -> Option<String> {
    let key = key_on_line(text, offset)?;
    if let Some(value) = value_on_line(text, offset)
        && let Some(number) = value.strip_suffix('%')
        && number.trim().parse::<f64>().is_ok()
    {
        let fraction = number.trim().parse::<f64>().unwrap_or(0.0) / 100.0;
        return Some(format!(
            "write a percentage in quotes: {key} = \"{value}\" (or {fraction})"
        ));
    }
    accepts(key).map(|what| format!("`{key}` takes {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_and_value_of_a_line() {
        let text = "name = \"q\"\n[funnel]\nsignup_rate = 3%  # note\n";
        let at = text.find("3%").unwrap();
        assert_eq!(key_on_line(text, at), Some("signup_rate"));
        assert_eq!(value_on_line(text, at), Some("3%"));
        assert_eq!(key_on_line(text, text.find("[funnel]").unwrap()), None);
        assert_eq!(key_on_line("a.b.ctr = 1", 9), Some("ctr"));
    }

    #[test]
    fn an_unquoted_percentage_is_shown_quoted() {
        let text = "subscriber_growth = 3%\n";
        assert_eq!(
            for_line(text, 20).as_deref(),
            Some("write a percentage in quotes: subscriber_growth = \"3%\" (or 0.03)")
        );
        let text = "paths = \"many\"\n";
        assert_eq!(
            for_line(text, 8).as_deref(),
            Some("`paths` takes a whole number of simulated futures, unquoted, e.g. 100000")
        );
    }

    #[test]
    fn every_documented_field_has_help() {
        let reference = include_str!("../../docs/SCENARIO.md");
        for line in reference.lines().filter(|l| l.starts_with("| `")) {
            for key in line
                .split('|')
                .nth(1)
                .unwrap_or("")
                .split('`')
                .skip(1)
                .step_by(2)
            {
                let key = key.split_whitespace().next().unwrap_or(key);
                if key.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !key.is_empty() {
                    assert!(accepts(key).is_some(), "no help for `{key}`");
                }
            }
        }
    }
}
