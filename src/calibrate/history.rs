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
    let name = path.display().to_string();
    let bytes = crate::input_file::read(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let text = utf8(bytes, &name)?;
    parse(&text, &name, start, end)
}

/// The text of a history file, or an error at the line of its first byte
/// that is not UTF-8 (a Latin-1 `é` from an old spreadsheet, say).
fn utf8(bytes: Vec<u8>, name: &str) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let at = error.utf8_error().valid_up_to();
        let line_start = bytes[..at]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        format!(
            "{name}:{line}: byte 0x{:02X} (column {}) is not UTF-8 text\n  help: save the file as UTF-8 (in a spreadsheet: \"CSV UTF-8\"), or remove the character",
            bytes[at],
            at - line_start + 1
        )
    })
}

/// The largest value an observed month may hold, as in `[observed]`.
const MAX_OBSERVED: f64 = 1e12;

fn normalise(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-', '.'], "_")
}

/// Parses history text; `name` is used in messages as `name:line`.
pub fn parse(text: &str, name: &str, start: Month, end: Month) -> Result<History, String> {
    // Flexible so that a row with too many fields reaches `record` below,
    // which says where it is and why (an unquoted `1,234`), instead of the
    // csv crate's bare "found record with 4 fields".
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

/// The next row and its `file:line`, refusing rows with more fields than
/// the header: a comma inside an unquoted value (`1,234`, or a decimal
/// comma `3,00`) would otherwise shift every later field and be read as
/// another number or status without a word. Blank rows are skipped.
fn rows<'r>(
    reader: &'r mut csv::Reader<&[u8]>,
    name: &'r str,
) -> impl Iterator<Item = Result<(csv::StringRecord, String), String>> + 'r {
    let fields = reader.headers().map_or(0, |h| h.len());
    reader.records().filter_map(move |record| {
        let record = match record {
            Ok(record) => record,
            Err(error) => return Some(Err(format!("{name}: {error}"))),
        };
        let at = format!("{name}:{}", line_of(&record));
        if record.iter().all(str::is_empty) {
            return None;
        }
        if record.len() > fields {
            let row: Vec<&str> = record.iter().collect();
            return Some(Err(format!(
                "{at}: this row has {} fields but the header has {fields} (`{}`)\n  help: a comma inside a value splits it in two: quote the value, e.g. \"1,234.56\", or write it without the comma; a decimal comma (3,00) is written 3.00",
                record.len(),
                shorten(&row.join(","), 60)
            )));
        }
        Some(Ok((record, at)))
    })
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
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

/// Parses an amount as dashboards write it: "$1,234.50", "1234.5", "-12",
/// "USD 12", and the accountants' "($3.00)" for a negative amount. Commas
/// are read only as thousands separators (groups of three digits);
/// anything else with a comma is ambiguous and refused with the reason,
/// notably a decimal comma ("12,50", "1.234,56"), so that no amount is
/// silently read as another. `nan` and `inf` are not amounts.
fn amount(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        return amount(inner).map(|v| -v.abs());
    }
    let text = text
        .trim_start_matches("USD")
        .trim_end_matches("USD")
        .trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    let digits = rest.strip_prefix('$').unwrap_or(rest).trim_start();
    let digits = match digits.strip_prefix('-') {
        Some(inner) if !negative => return amount(inner).map(|v| -v),
        _ => digits,
    };
    let plain = thousands(digits)?;
    if !plain.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || !plain
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
    {
        return Err("not a number".into());
    }
    let value: f64 = plain.parse().map_err(|_| "not a number".to_string())?;
    if !value.is_finite() {
        return Err("too large".into());
    }
    Ok(if negative { -value } else { value })
}

/// `1,234,567.89` without its thousands separators; a comma that is not one
/// is an error saying why.
fn thousands(text: &str) -> Result<String, String> {
    if !text.contains(',') {
        return Ok(text.to_string());
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    if fraction.is_some_and(|f| f.contains(',')) {
        return Err("a decimal comma (as in 1.234,56); write it 1234.56".into());
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped = (1..=3).contains(&groups[0].len())
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3);
    if grouped {
        return Ok(format!(
            "{}{}",
            groups.concat(),
            fraction.map(|f| format!(".{f}")).unwrap_or_default()
        ));
    }
    if groups.len() == 2 && fraction.is_none() && (1..=2).contains(&groups[1].len()) {
        return Err(format!(
            "a decimal comma; write it {}.{}",
            groups[0], groups[1]
        ));
    }
    Err("its commas are not thousands separators".into())
}

/// An amount that must lie in `[observed]`'s range, or an error at `at`.
fn observed_value(text: &str, what: &str, at: &str) -> Result<f64, String> {
    let value = amount(text)
        .map_err(|why| format!("{at}: `{}` is not {what}: {why}", shorten(text, 40)))?;
    if !(-MAX_OBSERVED..=MAX_OBSERVED).contains(&value) {
        return Err(format!(
            "{at}: `{}` is out of range\n  help: observed values lie between 0 and 1e12, as in [observed]",
            shorten(text, 40)
        ));
    }
    Ok(value)
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
    for row in rows(reader, name) {
        let (record, at) = row?;
        let line = line_of(&record);
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
        let value = observed_value(value_text, "a number", &at)?;
        if value < 0.0 {
            return Err(format!(
                "{at}: {} cannot be negative\n  help: observed values lie between 0 and 1e12, as in [observed]",
                metric.phrase()
            ));
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
    let (mut excluded, mut before, mut read) = (0usize, 0usize, 0usize);
    for row in rows(reader, name) {
        let (record, at) = row?;
        read += 1;
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
        let value = observed_value(amount_text, "an amount of money", &at)?;
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
    // Each month is one observed value: the range [observed] accepts.
    for (month, total) in &by_month {
        if !(0.0..=MAX_OBSERVED).contains(total) {
            return Err(format!(
                "{name}: the commissions of {} add up to {}, outside what a month can have earned\n  help: observed monthly earnings lie between 0 and 1e12, as in [observed]; check that file's amounts and statuses",
                month.long(),
                if total.is_finite() {
                    format!("{total:.2}")
                } else {
                    "more than affsim can count".into()
                }
            ));
        }
    }
    let Some(last) = by_month.keys().next_back().copied() else {
        return Err(format!(
            "{name}: no commission inside the simulation ({} to {}) to learn from ({read} rows read)",
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
        "Read {read} commission rows from {name}: monthly earned {} to {}; the last month in the file is taken as complete.",
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
    fn commas_inside_values_are_never_misread() {
        // An unquoted thousands separator splits the amount: refused at its
        // line with a hint to quote, never read as $1.
        let err = parse_q4("month,metric,value\n2026-02,earned,1,234\n").unwrap_err();
        assert!(
            err.starts_with("h.csv:2: this row has 4 fields but the header has 3"),
            "{err}"
        );
        assert!(err.contains("quote the value"), "{err}");
        // A decimal comma shifts the status: refused, not counted as $3.
        let err = parse_q4("date,amount,status\n2026-02-03,3,00,voided\n").unwrap_err();
        assert!(err.starts_with("h.csv:2: this row has 4 fields"), "{err}");
        // Quoted, the same amounts read exactly or are refused with a hint.
        let history =
            parse_q4("date,amount\n2026-02-03,\"$1,234.56\"\n2026-02-04,\"1,000\"\n").unwrap();
        assert_eq!(
            history.observed.series,
            vec![(Metric::Earned, vec![2234.56])]
        );
        let err = parse_q4("date,amount\n2026-02-03,\"3,00\"\n").unwrap_err();
        assert!(err.contains("a decimal comma; write it 3.00"), "{err}");
        let err = parse_q4("date,amount\n2026-02-03,\"1.234,56\"\n").unwrap_err();
        assert!(err.contains("decimal comma"), "{err}");
        let err = parse_q4("date,amount\n2026-02-03,\"12,34,5\"\n").unwrap_err();
        assert!(err.contains("not thousands separators"), "{err}");
        for text in ["nan", "inf", "-inf", "infinity", "1e400"] {
            let err = parse_q4(&format!("date,amount\n2026-02-03,{text}\n")).unwrap_err();
            assert!(err.starts_with("h.csv:2:"), "{text}: {err}");
        }
    }

    #[test]
    fn values_outside_what_observed_accepts_are_refused() {
        let err = parse_q4("month,metric,value\n2026-02,earned,-5\n").unwrap_err();
        assert!(
            err.starts_with("h.csv:2: commission earned cannot be negative"),
            "{err}"
        );
        let err = parse_q4("month,metric,value\n2026-02,earned,1e308\n").unwrap_err();
        assert!(err.starts_with("h.csv:2: `1e308` is out of range"), "{err}");
        // Rows in range whose sum is not a month's earnings.
        let err = parse_q4("date,amount\n2026-02-03,9e11\n2026-02-04,9e11\n").unwrap_err();
        assert!(err.contains("Feb 2026 add up to"), "{err}");
        let err = parse_q4("date,amount\n2026-02-03,-5\n").unwrap_err();
        assert!(err.contains("Feb 2026 add up to -5.00"), "{err}");
    }

    #[test]
    fn invalid_utf8_is_located() {
        let err = utf8(
            b"month,metric,value\n2026-02,earned,47\ncaf\xe9,x,1\n".to_vec(),
            "h.csv",
        )
        .unwrap_err();
        assert!(
            err.starts_with("h.csv:3: byte 0xE9 (column 4) is not UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_months_are_refused_in_any_spelling() {
        let err =
            parse_q4("month,metric,value\n2026-02,earned,47\n2026/02,earned,47\n").unwrap_err();
        assert!(
            err.contains("h.csv:3:") && err.contains("given twice"),
            "{err}"
        );
    }

    #[test]
    fn unknown_headers_are_refused_clearly() {
        let err = parse_q4("when,how much\n2026-02,3\n").unwrap_err();
        assert!(err.starts_with("h.csv:1: cannot tell"), "{err}");
        let err = parse_q4("").unwrap_err();
        assert!(err.starts_with("h.csv:1:"), "{err}");
    }
}
