//! Observed history from a CSV file (`affsim run --observed FILE.csv`).
//!
//! Two shapes are accepted, told apart by the header:
//!
//! * monthly figures, `month,metric,value` (one row per metric and month);
//! * a commissions export as affiliate dashboards produce it, one row per
//!   commission with a date, an amount and usually a status, which is summed
//!   into monthly `earned`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::calendar::Month;
use crate::model::{Metric, Observed};

/// What a history file held, ready to become `model.observed`.
#[derive(Clone, Debug)]
pub struct History {
    pub observed: Observed,
    /// Things the reader did silently that the user should know about.
    pub notes: Vec<String>,
}

/// Statuses that mean the commission will never be paid. Dashboards differ in
/// wording, so the common synonyms are all listed.
const EXCLUDED_STATUSES: [&str; 10] = [
    "void",
    "voided",
    "refunded",
    "refund",
    "rejected",
    "declined",
    "reversed",
    "cancelled",
    "canceled",
    "denied",
];

const DATE_COLUMNS: [&str; 11] = [
    "date",
    "created",
    "created_at",
    "created_date",
    "commission_date",
    "transaction_date",
    "conversion_date",
    "sale_date",
    "order_date",
    "date_created",
    "timestamp",
];

const AMOUNT_COLUMNS: [&str; 8] = [
    "amount",
    "commission",
    "commission_amount",
    "earnings",
    "amount_usd",
    "commission_usd",
    "payout",
    "net_commission",
];

const STATUS_COLUMNS: [&str; 3] = ["status", "state", "commission_status"];

/// Metrics a monthly history may give: per-month flows and stocks, not the
/// cumulative ones (they would count the same months twice).
const HISTORY_METRICS: [Metric; 7] = [
    Metric::Earned,
    Metric::Clicks,
    Metric::NewReferrals,
    Metric::ActiveReferrals,
    Metric::Paid,
    Metric::Mrr,
    Metric::Recurring,
];

/// Reads a history file for a simulation spanning `start..=end`.
pub fn read(path: &Path, start: Month, end: Month) -> Result<History, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text, &path.display().to_string(), start, end)
}

fn normalise(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-', '.'], "_")
}

/// Parses history text; `name` is used in messages as `name:line`.
pub fn parse(text: &str, name: &str, start: Month, end: Month) -> Result<History, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{name}:1: cannot read the header: {e}"))?
        .iter()
        .map(normalise)
        .collect();
    if header.iter().all(|h| h.is_empty()) {
        return Err(format!(
            "{name}:1: the file is empty; expected a header such as `month,metric,value` or `date,amount,status`"
        ));
    }
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let long = (find(&["month"]), find(&["metric"]), find(&["value"]));
    if let (Some(month), Some(metric), Some(value)) = long {
        return monthly(&mut reader, name, [month, metric, value], start, end);
    }
    if let (Some(date), Some(amount)) = (find(&DATE_COLUMNS), find(&AMOUNT_COLUMNS)) {
        return commissions(
            &mut reader,
            name,
            date,
            amount,
            find(&STATUS_COLUMNS),
            start,
            end,
        );
    }
    Err(format!(
        "{name}:1: cannot tell what this file holds from its header `{}`\n  help: use either monthly figures with the header `month,metric,value`, or a commissions export with a date column (e.g. `date`) and an amount column (e.g. `amount`), optionally `status`",
        header.join(",")
    ))
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

fn cell<'r>(
    record: &'r csv::StringRecord,
    index: usize,
    what: &str,
    at: &str,
) -> Result<&'r str, String> {
    match record.get(index) {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(format!("{at}: the {what} is missing")),
    }
}

/// Parses "$1,234.50", "1234.5", "-12", "USD 12", and the accountants'
/// "($3.00)" for a negative amount, as dashboards write clawbacks.
fn amount(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        return amount(inner).map(|v| -v.abs());
    }
    let cleaned: String = text
        .trim_start_matches("USD")
        .trim_end_matches("USD")
        .chars()
        .filter(|c| !matches!(c, '$' | ',' | ' '))
        .collect();
    let value: f64 = cleaned.parse().ok()?;
    value.is_finite().then_some(value)
}

/// The month of an ISO date ("2026-02-14", "2026-02-14T09:30:00Z",
/// "2026/02/14") or of a bare month ("2026-02").
fn month_of(text: &str) -> Option<Month> {
    let text = text.trim().replace('/', "-");
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?;
    let month = parts.next()?;
    if year.len() != 4 || month.is_empty() || month.len() > 2 {
        return None;
    }
    if let Some(rest) = parts.next() {
        let day: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let day: u32 = day.parse().ok()?;
        if !(1..=31).contains(&day) {
            return None;
        }
    }
    Month::new(year.parse().ok()?, month.parse().ok()?)
}

fn outside(at: &str, month: Month, start: Month, end: Month) -> String {
    format!(
        "{at}: {} is outside the simulation ({} to {})\n  help: observed months must lie inside the horizon; move simulation.start back or drop the row",
        month.long(),
        start.long(),
        end.long()
    )
}

fn monthly(
    reader: &mut csv::Reader<&[u8]>,
    name: &str,
    [month_at, metric_at, value_at]: [usize; 3],
    start: Month,
    end: Month,
) -> Result<History, String> {
    // metric -> month -> (value, line) so that duplicates can name both lines.
    let mut seen: BTreeMap<usize, BTreeMap<Month, (f64, u64)>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{name}: {e}"))?;
        let line = line_of(&record);
        let at = format!("{name}:{line}");
        if record.iter().all(str::is_empty) {
            continue;
        }
        let month_text = cell(&record, month_at, "month", &at)?;
        let month = month_of(month_text).ok_or_else(|| {
            format!("{at}: `{month_text}` is not a month; write it as YYYY-MM, e.g. 2026-02")
        })?;
        let metric_text = cell(&record, metric_at, "metric", &at)?;
        let metric: Metric = metric_text.parse().map_err(|e| format!("{at}: {e}"))?;
        if !HISTORY_METRICS.contains(&metric) {
            let names: Vec<&str> = HISTORY_METRICS.iter().map(|m| m.key()).collect();
            return Err(format!(
                "{at}: `{metric_text}` cannot be used as observed history; use one of {}",
                names.join(", ")
            ));
        }
        let value_text = cell(&record, value_at, "value", &at)?;
        let value =
            amount(value_text).ok_or_else(|| format!("{at}: `{value_text}` is not a number"))?;
        if !metric.is_money() && value < 0.0 {
            return Err(format!("{at}: {} cannot be negative", metric.phrase()));
        }
        if month < start || month > end {
            return Err(outside(&at, month, start, end));
        }
        let by_month = seen.entry(metric.index()).or_default();
        if let Some((_, first)) = by_month.get(&month) {
            return Err(format!(
                "{at}: {} for {} is given twice (first on line {first})",
                metric.key(),
                month.long()
            ));
        }
        by_month.insert(month, (value, line));
    }
    if seen.is_empty() {
        return Err(format!("{name}: the file has a header but no rows"));
    }
    // `Observed` holds every series from one start month with no gaps, so the
    // file must too; a silent zero or interpolation would invent data.
    let first = seen
        .values()
        .filter_map(|m| m.keys().next().copied())
        .min()
        .expect("non-empty");
    let mut series = Vec::new();
    for (index, by_month) in &seen {
        let metric = Metric::ALL[*index];
        let mut values = Vec::new();
        let mut expected = first;
        for (month, (value, line)) in by_month {
            if *month != expected {
                return Err(format!(
                    "{name}:{line}: {} has no value for {} (every observed series must run month by month from {}, the first month in the file)",
                    metric.key(),
                    expected.long(),
                    first.long()
                ));
            }
            values.push(*value);
            expected = expected.plus(1);
        }
        series.push((metric, values));
    }
    Ok(History {
        observed: Observed {
            start: first,
            series,
        },
        notes: Vec::new(),
    })
}

fn commissions(
    reader: &mut csv::Reader<&[u8]>,
    name: &str,
    date_at: usize,
    amount_at: usize,
    status_at: Option<usize>,
    start: Month,
    end: Month,
) -> Result<History, String> {
    let mut by_month: BTreeMap<Month, f64> = BTreeMap::new();
    let (mut excluded, mut before, mut rows) = (0usize, 0usize, 0usize);
    for record in reader.records() {
        let record = record.map_err(|e| format!("{name}: {e}"))?;
        let line = line_of(&record);
        let at = format!("{name}:{line}");
        if record.iter().all(str::is_empty) {
            continue;
        }
        rows += 1;
        if let Some(status_at) = status_at {
            let status = normalise(record.get(status_at).unwrap_or(""));
            if EXCLUDED_STATUSES.contains(&status.as_str()) {
                excluded += 1;
                continue;
            }
        }
        let date_text = cell(&record, date_at, "date", &at)?;
        let month = month_of(date_text).ok_or_else(|| {
            format!("{at}: `{date_text}` is not a date; write dates as YYYY-MM-DD, e.g. 2026-02-14")
        })?;
        let amount_text = cell(&record, amount_at, "amount", &at)?;
        let value = amount(amount_text)
            .ok_or_else(|| format!("{at}: `{amount_text}` is not an amount of money"))?;
        // Commissions from before the simulation belong to referrals the
        // scenario does not model; they are left out rather than refused.
        if month < start {
            before += 1;
            continue;
        }
        if month > end {
            return Err(outside(&at, month, start, end));
        }
        *by_month.entry(month).or_default() += value;
    }
    let Some(last) = by_month.keys().next_back().copied() else {
        return Err(format!(
            "{name}: no commission inside the simulation ({} to {}) to learn from ({rows} rows read)",
            start.long(),
            end.long()
        ));
    };
    // A month with no commission row earned nothing, so months are filled
    // with zeros from the simulation start (when the content went live) to
    // the last month in the export.
    let months = last.since(start) as usize + 1;
    let earned: Vec<f64> = (0..months)
        .map(|t| {
            let value = by_month.get(&start.plus(t as i32)).copied().unwrap_or(0.0);
            // Cents summed in binary floating point drift; round them back.
            (value * 100.0).round() / 100.0
        })
        .collect();
    let mut notes = vec![format!(
        "Read {rows} commission rows from {name}: monthly earned {} to {}; the last month in the file is taken as complete.",
        start.long(),
        last.long()
    )];
    if excluded > 0 {
        notes.push(format!(
            "{excluded} voided, refunded or rejected commissions were left out."
        ));
    }
    if before > 0 {
        notes.push(format!(
            "{before} commissions dated before {} were left out (before the simulation starts).",
            start.long()
        ));
    }
    Ok(History {
        observed: Observed {
            start,
            series: vec![(Metric::Earned, earned)],
        },
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> Month {
        text.parse().unwrap()
    }

    fn parse_q4(text: &str) -> Result<History, String> {
        parse(text, "h.csv", month("2026-02"), month("2026-12"))
    }

    #[test]
    fn reads_monthly_figures() {
        let history = parse_q4(
            "month,metric,value\n2026-02,earned,47\n2026-03,earned,$112.00\n2026-04,earned,186\n2026-02,new_referrals,8\n",
        )
        .unwrap();
        assert_eq!(history.observed.start, month("2026-02"));
        assert_eq!(
            history.observed.series,
            vec![
                (Metric::NewReferrals, vec![8.0]),
                (Metric::Earned, vec![47.0, 112.0, 186.0]),
            ]
        );
    }

    #[test]
    fn monthly_figures_report_bad_rows_with_their_line() {
        let err =
            parse_q4("month,metric,value\n2026-02,earned,47\n2026-03,earned,lots\n").unwrap_err();
        assert!(err.starts_with("h.csv:3: `lots` is not a number"), "{err}");
        let err =
            parse_q4("month,metric,value\n2026-02,earned,47\n2026-02,earned,48\n").unwrap_err();
        assert!(err.contains("h.csv:3:") && err.contains("line 2"), "{err}");
        let err =
            parse_q4("month,metric,value\n2026-02,earned,47\n2026-04,earned,48\n").unwrap_err();
        assert!(
            err.contains("h.csv:3:") && err.contains("Mar 2026"),
            "{err}"
        );
        let err = parse_q4("month,metric,value\n2026-02,mood,47\n").unwrap_err();
        assert!(err.starts_with("h.csv:2: unknown metric"), "{err}");
        let err = parse_q4("month,metric,value\n2025-12,earned,47\n").unwrap_err();
        assert!(err.starts_with("h.csv:2: Dec 2025 is outside"), "{err}");
        let err = parse_q4("month,metric,value\nFeb,earned,47\n").unwrap_err();
        assert!(err.starts_with("h.csv:2: `Feb` is not a month"), "{err}");
    }

    #[test]
    fn sums_a_commissions_export_by_month() {
        let history = parse_q4(
            "Date,Customer,Amount,Status\n\
             2026-02-10,a,$20.00,paid\n\
             2026-02-21,b,27.00,approved\n\
             2026-02-22,c,$99.00,voided\n\
             2026-04-02T10:00:00Z,d,186,pending\n\
             2026-04-09,e,($3.00),paid\n\
             2026-04-09,f,12,Refunded\n\
             2026-01-30,g,5,paid\n",
        )
        .unwrap();
        assert_eq!(history.observed.start, month("2026-02"));
        assert_eq!(
            history.observed.series,
            vec![(Metric::Earned, vec![47.0, 0.0, 183.0])]
        );
        assert!(history.notes.iter().any(|n| n.contains("2 voided")));
        assert!(
            history
                .notes
                .iter()
                .any(|n| n.contains("1 commissions dated before"))
        );
    }

    #[test]
    fn commissions_export_errors_name_the_line() {
        let err = parse_q4("date,amount\n2026-02-10,20\n14/02/2026,5\n").unwrap_err();
        assert!(
            err.starts_with("h.csv:3: `14/02/2026` is not a date"),
            "{err}"
        );
        let err = parse_q4("date,amount\n2026-02-10,twenty\n").unwrap_err();
        assert!(
            err.starts_with("h.csv:2: `twenty` is not an amount"),
            "{err}"
        );
        let err = parse_q4("date,amount\n2027-02-10,20\n").unwrap_err();
        assert!(err.starts_with("h.csv:2: Feb 2027 is outside"), "{err}");
        let err = parse_q4("date,amount,status\n2026-02-10,20,voided\n").unwrap_err();
        assert!(err.contains("no commission inside the simulation"), "{err}");
    }

    #[test]
    fn unknown_headers_are_refused_clearly() {
        let err = parse_q4("when,how much\n2026-02,3\n").unwrap_err();
        assert!(err.starts_with("h.csv:1: cannot tell"), "{err}");
        let err = parse_q4("").unwrap_err();
        assert!(err.starts_with("h.csv:1:"), "{err}");
    }
}
