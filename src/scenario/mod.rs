//! Scenarios: parse a TOML file, apply `--set` overrides, validate, and
//! resolve it into a [`Model`]. Every failure is a [`ScenarioError`] that
//! points at the file, line and column (or the `--set` argument) at fault.

pub mod diagnostic;
pub mod field_help;
pub mod file;
pub mod input;
pub mod keypath;
pub mod resolve;
pub mod variant;

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

pub use diagnostic::{Origin, ScenarioError};
pub use file::ScenarioFile;
pub use keypath::{KeyPath, Segment};

use crate::model::Model;

/// A scenario ready to simulate, with the text it came from.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub path: String,
    pub file: ScenarioFile,
    pub model: Model,
}

/// Reads, overrides, validates and resolves the scenario at `path`.
#[allow(clippy::result_large_err)] // errors are rare and carry the text they point into
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let display = path.display().to_string();
    let bytes = crate::input_file::read(path).map_err(|error| ScenarioError {
        file: display.clone(),
        text: String::new(),
        origin: Origin::File { span: None },
        message: format!("cannot read the scenario {display}: {error}"),
        help: Some(format!(
            "check the path, or write a commented starter scenario there with `affsim init {display}`"
        )),
    })?;
    parse(&display, bytes, overrides)
}

/// Like [`load`], from bytes already in memory; `name` is used in messages.
#[allow(clippy::result_large_err)]
pub fn parse(name: &str, bytes: Vec<u8>, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    parse_with(name, bytes, overrides, None)
}

/// The strategy of the file's `[[variants]]` entry number `variant`: the
/// file with `overrides` applied (the caller adds the variant's `set` to
/// them) and the variant's `[[variants.content]]` entries appended to its
/// content, taking over from the variant's `from` month of `base` (the
/// scenario as written, with the history the comparison uses, which also
/// becomes the variant's; see [`variant::take_over`]). Errors point into
/// the file, at the variant.
#[allow(clippy::result_large_err)]
pub fn parse_variant(
    name: &str,
    bytes: Vec<u8>,
    overrides: &[String],
    variant: usize,
    base: &Model,
) -> Result<Scenario, ScenarioError> {
    parse_with(name, bytes, overrides, Some((variant, base)))
}

#[allow(clippy::result_large_err)]
fn parse_with(
    name: &str,
    bytes: Vec<u8>,
    overrides: &[String],
    variant: Option<(usize, &Model)>,
) -> Result<Scenario, ScenarioError> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            return Err(ScenarioError {
                file: name.to_string(),
                origin: Origin::File {
                    span: Some(valid..valid + 1),
                },
                text,
                message: "the scenario is not UTF-8 text (is it a binary file?)".into(),
                help: Some(
                    "a scenario is a TOML text file; `affsim init FILE` writes a commented one"
                        .into(),
                ),
            });
        }
    };
    let error_at =
        |span: Option<Range<usize>>, message: String, help: Option<String>| ScenarioError {
            file: name.to_string(),
            text: text.clone(),
            origin: Origin::File { span },
            message,
            help,
        };
    if text.trim().is_empty() {
        return Err(error_at(
            Some(0..0),
            "the scenario file is empty".into(),
            Some("`affsim init FILE` writes a commented starter scenario to start from".into()),
        ));
    }
    let mut root = DeTable::parse(&text).map_err(|error| {
        let message = error.message().trim().to_string();
        if error.span().is_none() && message.contains("recursion limit") {
            return error_at(
                Some(deepest_line(&text)),
                "TOML syntax error: keys, tables or lists nested too deeply".into(),
                Some("a scenario nests a few levels at most, e.g. content[0].repeat.every_weeks; check this line".into()),
            );
        }
        let field = error
            .span()
            .and_then(|span| field_help::for_line(&text, span.start));
        error_at(
            error.span(),
            format!("TOML syntax error: {}", first_line(&message)),
            syntax_help(&message, field),
        )
    })?;

    // A variant's own content entries join the file's, after them (before
    // the overrides, which may address them: `content[3].visits`).
    let base_content = content_count(root.get_ref());
    if let Some((index, _)) = variant {
        append_variant_content(root.get_mut(), index);
    }
    let mut override_spans = Vec::new();
    for (index, argument) in overrides.iter().enumerate() {
        apply_override(root.get_mut(), argument, index, text.len()).map_err(|(message, span)| ScenarioError {
            file: name.to_string(),
            text: text.clone(),
            origin: Origin::Override { argument: argument.clone(), span },
            message,
            help: Some("write --set KEY=VALUE, e.g. --set simulation.paths=20000 or --set content[0].visits=\"1000..4000\"".into()),
        })?;
        override_spans.push(text.len() + index * OVERRIDE_STRIDE);
    }
    let locate = |span: Range<usize>| -> Origin {
        if span.start >= text.len() {
            let index = (span.start - text.len()) / OVERRIDE_STRIDE;
            let argument = overrides.get(index).cloned().unwrap_or_default();
            let base = text.len() + index * OVERRIDE_STRIDE;
            Origin::Override {
                span: Some(span.start - base..span.end.saturating_sub(base)),
                argument,
            }
        } else {
            Origin::File { span: Some(span) }
        }
    };

    let file =
        ScenarioFile::deserialize(toml::de::Deserializer::from(root.clone())).map_err(|error| {
            let (message, help) = match error.span().and_then(|span| text.get(span)) {
                Some(value) if is_bare_date(value) => (
                    format!("`{value}` is a TOML date, but affsim reads months as text"),
                    Some(format!(
                        "write months as \"2026-02\" (in quotes), e.g. start = \"{}\"",
                        &value[..7]
                    )),
                ),
                _ => explain_serde_error(error.message()),
            };
            let origin = error
                .span()
                .map(&locate)
                .unwrap_or(Origin::File { span: None });
            let too_large = help.as_deref().is_some_and(|h| h.contains("far too large"));
            let help = if (message.starts_with("invalid type")
                || message.starts_with("invalid value"))
                && !too_large
            {
                let field = match &origin {
                    Origin::File { span: Some(span) } => field_help::for_line(&text, span.start),
                    Origin::Override { argument, .. } => override_field_help(argument),
                    Origin::File { span: None } => None,
                };
                field.or(help)
            } else {
                help
            };
            ScenarioError {
                file: name.to_string(),
                text: text.clone(),
                origin,
                message,
                help,
            }
        })?;

    // The variants are checked here, not by `resolve`: they name fields of
    // the resolved scenario, and `variant` reads `resolve`'s errors.
    let model = resolve::resolve(&file)
        .and_then(|model| variant::check(&file).map(|()| model))
        .map_err(|invalid| {
            let span = span_of(root.get_ref(), &invalid.path).or_else(|| Some(root.span()));
            let invalid = match variant {
                Some((index, _)) => variant::name_in_variant(invalid, base_content, index),
                None => invalid,
            };
            let origin = span.map(&locate).unwrap_or(Origin::File { span: None });
            let (message, help) = match invalid.help {
                Some(help) => (invalid.message, Some(help)),
                None => split_fix(&invalid.message),
            };
            ScenarioError {
                file: name.to_string(),
                text: text.clone(),
                origin,
                message: format!("{}: {}", invalid.path, message),
                help,
            }
        })?;
    let mut model = model;
    if let Some((index, base)) = variant {
        for source in model.sources.iter_mut().skip(base_content) {
            source.own_streams = true;
        }
        model.observed = base.observed.clone();
        let section = &file.variants[index];
        let from = variant::VariantFrom::parse(section.from.as_deref())
            .expect("checked when the file was resolved");
        let path = KeyPath::root().key("variants").index(index);
        model = variant::take_over(base, model, from.month_index(base)).map_err(|message| {
            let at = if section.from.is_some() {
                path.key("from")
            } else {
                path.key("name")
            };
            let span = span_of(root.get_ref(), &at);
            let (message, help) = split_fix(&message);
            ScenarioError {
                file: name.to_string(),
                text: text.clone(),
                origin: span.map(&locate).unwrap_or(Origin::File { span: None }),
                message: format!("variant `{}`: {message}", section.name),
                help,
            }
        })?;
    }
    Ok(Scenario {
        path: name.to_string(),
        file,
        model,
    })
}

/// A bare TOML date or date-time (`2026-02-01`, `2026-02-01T09:00:00Z`):
/// TOML reads it as a date, which no field of a scenario takes.
fn is_bare_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
}

/// The span of the line that nests deepest (the most `.`, `[` and `{`): the
/// TOML reader's recursion limit has no location of its own.
fn deepest_line(text: &str) -> Range<usize> {
    let mut best = (0, 0..0);
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let depth = line
            .bytes()
            .filter(|b| matches!(b, b'.' | b'[' | b'{'))
            .count();
        if depth > best.0 {
            best = (depth, start..start + line.trim_end().len());
        }
        start += line.len();
    }
    best.1
}

impl ScenarioError {
    /// An error in one of the `set` overrides of the `[[variants]]` entry
    /// named `variant`, pointed at that string in the scenario file instead
    /// of at a `--set` argument the user never typed.
    pub fn in_variant(self, variant: &str, set: &[String]) -> ScenarioError {
        let Origin::Override { argument, span } = &self.origin else {
            return self;
        };
        let Some(index) = set.iter().position(|entry| entry == argument) else {
            return self;
        };
        let Ok(root) = DeTable::parse(&self.text) else {
            return self;
        };
        let named = |item: &Spanned<DeValue<'_>>| {
            item.get_ref()
                .as_table()
                .and_then(|table| table.get("name"))
                .and_then(|name| name.get_ref().as_str())
                == Some(variant)
        };
        let Some(variant) = root
            .get_ref()
            .get("variants")
            .and_then(|variants| variants.get_ref().as_array())
            .and_then(|variants| variants.iter().position(named))
        else {
            return self;
        };
        let path = KeyPath::root()
            .key("variants")
            .index(variant)
            .key("set")
            .index(index);
        let Some(literal) = span_of(root.get_ref(), &path) else {
            return self;
        };
        // Inside a plain quoted string the argument's bytes are the file's,
        // one quote further on; with escapes, point at the whole string.
        let quoted = self.text.get(literal.clone()).is_some_and(|written| {
            written.len() == argument.len() + 2 && &written[1..written.len() - 1] == argument
        });
        let span = match span {
            Some(span) if quoted => literal.start + 1 + span.start..literal.start + 1 + span.end,
            _ => literal,
        };
        ScenarioError {
            origin: Origin::File { span: Some(span) },
            ..self
        }
    }
}

fn content_count(root: &DeTable<'_>) -> usize {
    root.get("content")
        .and_then(|content| content.get_ref().as_array())
        .map_or(0, |entries| entries.len())
}

/// Appends the `[[variants.content]]` tables of variant `index` to the
/// file's `[[content]]`, spans and all.
fn append_variant_content(root: &mut DeTable<'_>, index: usize) {
    let added: Vec<_> = root
        .get("variants")
        .and_then(|variants| variants.get_ref().as_array())
        .and_then(|variants| variants.get(index))
        .and_then(|variant| variant.get_ref().as_table())
        .and_then(|variant| variant.get("content"))
        .and_then(|content| content.get_ref().as_array())
        .map(|entries| entries.iter().cloned().collect())
        .unwrap_or_default();
    if added.is_empty() {
        return;
    }
    let entry = root
        .entry(Spanned::new(0..0, std::borrow::Cow::Borrowed("content")))
        .or_insert_with(|| Spanned::new(0..0, DeValue::Array(DeArray::new())));
    if let DeValue::Array(entries) = entry.get_mut() {
        for item in added {
            entries.push(item);
        }
    }
}

/// Override values get spans far past the file's end, one window per
/// argument, so an error's span says which argument it came from.
const OVERRIDE_STRIDE: usize = 1 << 20;

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message)
}

/// Help for a TOML syntax error; `field` says what the field on the
/// error's line accepts, when it is known.
fn syntax_help(message: &str, field: Option<String>) -> Option<String> {
    let lower = message.to_lowercase();
    if lower.contains("duplicate key") {
        return Some("each key may appear once per table; remove or rename one".into());
    }
    if lower.contains("invalid string")
        || lower.contains("unterminated")
        || lower.contains("expected `\"`")
    {
        return Some("close the string with a matching quote".into());
    }
    if let Some(field) = field {
        return Some(field);
    }
    if lower.contains("expected `=`") {
        return Some("write each setting as key = value, e.g. paths = 20000".into());
    }
    if lower.contains("unclosed table") || lower.contains("expected `]`") {
        return Some(
            "close the table header: [simulation], or [[programs]] for a list entry".into(),
        );
    }
    let details = message.lines().skip(1).collect::<Vec<_>>().join(" ");
    let details = details.trim();
    Some(if details.is_empty() {
        "docs/SCENARIO.md describes the format; `affsim init FILE` writes a commented example"
            .into()
    } else {
        details.to_string()
    })
}

/// What the field a `--set KEY=VALUE` argument names accepts.
fn override_field_help(argument: &str) -> Option<String> {
    let key = argument.split_once('=').map_or(argument, |(key, _)| key);
    let last = key.rsplit('.').next().unwrap_or(key);
    let name = last.split('[').next().unwrap_or(last).trim();
    field_help::accepts(name).map(|what| format!("`{name}` takes {what}"))
}

/// Turns serde's wording into ours, with a suggestion for misspelt fields.
fn explain_serde_error(message: &str) -> (String, Option<String>) {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let help = diagnostic::did_you_mean(field, candidates.iter().copied())
            .or_else(|| Some(format!("fields allowed here: {}", candidates.join(", "))));
        return (format!("unknown field `{field}`"), help);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        let help = match field {
            "programs" => "add a [[programs]] table with its name, commission rates and [[programs.plans]]; `affsim init FILE` writes a complete example".to_string(),
            "plans" => "add at least one [[programs.plans]] table after this program, with name, price and churn".to_string(),
            "simulation" => "add a [simulation] table with at least `start = \"YYYY-MM\"`".to_string(),
            "name" => "add `name = \"...\"` (at the top of the file for the scenario's name)".to_string(),
            _ => format!("add `{field} = ...` to this table; see docs/SCENARIO.md"),
        };
        return (format!("missing field `{field}`"), Some(help));
    }
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        let readable = readable_types(message);
        let help = if message.contains("as i128") || message.contains("as u64") {
            "this whole number is far too large; see the field's allowed range in docs/SCENARIO.md"
        } else {
            "check the value's type: numbers are unquoted, names, months and intervals are quoted"
        };
        return (readable, Some(help.into()));
    }
    split_fix(message)
}

/// Splits "what is wrong; use/write what fixes it" into message and help.
fn split_fix(message: &str) -> (String, Option<String>) {
    for marker in ["; use ", "; write "] {
        if let Some(at) = message.find(marker) {
            let fix = &message[at + 2..];
            return (message[..at].to_string(), Some(fix.to_string()));
        }
    }
    (message.to_string(), None)
}

/// serde names Rust types; users know TOML's.
fn readable_types(message: &str) -> String {
    let mut text = message.to_string();
    if let Some(at) = text.find(" as i128") {
        text.replace_range(at..at + " as i128".len(), "");
    }
    for (rust, toml) in [
        ("expected i64", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list (or [[...]] tables)"),
        ("invalid type: map,", "invalid type: table,"),
        ("invalid type: sequence,", "invalid type: list,"),
    ] {
        text = text.replace(rust, toml);
    }
    if let Some(at) = text.find("expected struct ") {
        let name = &text[at + "expected struct ".len()..];
        let name = name
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        let words = match name {
            "SimulationSection" => "the [simulation] table",
            "FunnelSection" => "the [funnel] table",
            "ProgramSection" => "a [[programs]] table",
            "PlanSection" => "a [[programs.plans]] table",
            "ContentSection" => "a [[content]] table",
            "TargetSection" => "a [[targets]] table",
            "ObservedSection" => "the [observed] table",
            "SbgSection" => "a table like { alpha = 1.0, beta = 12.0 }",
            "WeibullSection" => "a table like { scale_months = 18, shape = 0.8 }",
            "RepeatSection" => "a table like { every_months = 1, count = 6 }",
            "ScheduleStep" => "a table like { renewals = 3, rate = 0.4 }",
            "TierSection" => "a table like { after = 10, recurring_rate = 0.3 }",
            _ => "a table",
        };
        text = format!("{}expected {words}", &text[..at]);
    }
    text
}

/// The span of the value at `path`, or of its nearest existing parent.
fn span_of(root: &DeTable<'_>, path: &KeyPath) -> Option<Range<usize>> {
    let mut best: Option<Range<usize>> = None;
    let mut table = Some(root);
    let mut array: Option<&DeArray<'_>> = None;
    for segment in &path.0 {
        let value: &Spanned<DeValue<'_>> = match segment {
            Segment::Key(key) => match table.and_then(|t| t.get(key.as_str())) {
                Some(value) => value,
                None => {
                    // A missing key: point at the table's first key as the table's place.
                    return best.or_else(|| table.and_then(|t| t.keys().next().map(|k| k.span())));
                }
            },
            Segment::Index(index) => match array.and_then(|a| a.get(*index)) {
                Some(value) => value,
                None => return best,
            },
        };
        best = Some(value.span());
        table = value.get_ref().as_table();
        array = value.get_ref().as_array();
        if let Some(table) = table
            && let Some(key) = table.keys().next()
            && value.span().is_empty()
        {
            best = Some(key.span());
        }
    }
    best
}

/// Applies one `KEY=VALUE` override to the parsed document.
fn apply_override<'i>(
    root: &mut DeTable<'i>,
    argument: &'i str,
    index: usize,
    text_len: usize,
) -> Result<(), (String, Option<Range<usize>>)> {
    let Some((key, value_text)) = argument.split_once('=') else {
        return Err((format!("`{argument}` is not KEY=VALUE"), None));
    };
    let path = KeyPath::parse(key).map_err(|message| (message, Some(0..key.len())))?;
    let value_start = key.len() + 1;
    let base = text_len + index * OVERRIDE_STRIDE + value_start;
    let value: Spanned<DeValue<'i>> = match DeValue::parse(value_text) {
        Ok(value) => rebase(value, base),
        // A bare word is a string: `--set name=q4-blog`.
        Err(_) => Spanned::new(
            base..base + value_text.len(),
            DeValue::String(value_text.trim().to_string().into()),
        ),
    };
    let value_span = Some(value_start..argument.len());
    // Each key gets its own place in the argument, so that an error about
    // a key (a misspelt field) points at the key, not at the value.
    let argument_base = text_len + index * OVERRIDE_STRIDE;
    let mut key_spans = key_name_spans(key)
        .into_iter()
        .map(|span| argument_base + span.start..argument_base + span.end);
    let mut table: &mut DeTable<'i> = root;
    let segments = &path.0;
    let mut i = 0;
    loop {
        let last = i + 1 == segments.len();
        let Segment::Key(key) = &segments[i] else {
            return Err((
                format!("`{key}` indexes something that is not a list"),
                Some(0..key.len()),
            ));
        };
        let key_span = key_spans.next().unwrap_or(base..base);
        if last {
            table.insert(Spanned::new(key_span, key.clone().into()), value);
            return Ok(());
        }
        let entry = table
            .entry(Spanned::new(key_span, std::borrow::Cow::Owned(key.clone())))
            .or_insert_with(|| Spanned::new(base..base, DeValue::Table(DeTable::new())));
        let mut node = entry.get_mut();
        i += 1;
        while let Segment::Index(position) = &segments[i] {
            let DeValue::Array(items) = node else {
                return Err((
                    format!(
                        "`{}` is not a list, so it cannot be indexed",
                        KeyPath(segments[..i].to_vec())
                    ),
                    Some(0..key.len()),
                ));
            };
            let count = items.len();
            let Some(item) = items.get_mut(*position) else {
                return Err((
                    format!(
                        "`{}` has {count} entries, so index {position} does not exist (indexes start at 0)",
                        KeyPath(segments[..i].to_vec())
                    ),
                    Some(0..key.len()),
                ));
            };
            if i + 1 == segments.len() {
                // Replace the whole item, span included, so that errors in
                // the new value point at the --set argument, not the file.
                *item = value;
                return Ok(());
            }
            node = item.get_mut();
            i += 1;
        }
        let DeValue::Table(inner) = node else {
            return Err((
                format!(
                    "`{}` is a value, not a table",
                    KeyPath(segments[..i].to_vec())
                ),
                value_span,
            ));
        };
        table = inner;
    }
}

/// Byte ranges of the names in a key path (`content[0].ctr` gives the
/// ranges of `content` and `ctr`), in order; numeric parts are indexes.
fn key_name_spans(key: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for part in key.split('.') {
        let name = part.split('[').next().unwrap_or(part);
        let leading = name.len() - name.trim_start().len();
        let name = name.trim();
        if !name.is_empty() && name.parse::<usize>().is_err() {
            spans.push(offset + leading..offset + leading + name.len());
        }
        offset += part.len() + 1;
    }
    spans
}

/// Shifts every span in a parsed override value by `base`.
fn rebase<'i>(value: Spanned<DeValue<'i>>, base: usize) -> Spanned<DeValue<'i>> {
    let span = value.span();
    let inner = match value.into_inner() {
        DeValue::Array(items) => {
            DeValue::Array(items.into_iter().map(|item| rebase(item, base)).collect())
        }
        DeValue::Table(table) => {
            let mut rebased = DeTable::new();
            for (key, item) in table {
                let key_span = key.span();
                rebased.insert(
                    Spanned::new(key_span.start + base..key_span.end + base, key.into_inner()),
                    rebase(item, base),
                );
            }
            DeValue::Table(rebased)
        }
        other => other,
    };
    Spanned::new(span.start + base..span.end + base, inner)
}
