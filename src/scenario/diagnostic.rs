//! Errors in a scenario, rendered like a compiler's: file:line:column, the
//! offending text underlined, and what would fix it.

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// Where the offending text lives.
#[derive(Clone, Debug)]
pub enum Origin {
    /// In the scenario file; `span` is a byte range of its text.
    File { span: Option<Range<usize>> },
    /// In a `--set KEY=VALUE` argument; `span` is a byte range of the argument.
    Override {
        argument: String,
        span: Option<Range<usize>>,
    },
}

#[derive(Clone, Debug)]
pub struct ScenarioError {
    pub file: String,
    pub text: String,
    pub origin: Origin,
    pub message: String,
    pub help: Option<String>,
}

impl ScenarioError {
    /// 1-based line and column of the error in the file, when it has one.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        match &self.origin {
            Origin::File { span: Some(span) } => Some(line_column(&self.text, span.start)),
            _ => None,
        }
    }

    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut groups = Vec::new();
        let message = shorten_quoted(&self.message);
        let title = Level::ERROR.primary_title(&message);
        let group = match &self.origin {
            Origin::File { span: Some(span) } => {
                let span = clamp_span(&self.text, span.clone());
                title.element(
                    Snippet::source(&self.text)
                        .path(&self.file)
                        .fold(true)
                        .annotation(AnnotationKind::Primary.span(span).label(self.label())),
                )
            }
            Origin::Override { argument, span } => {
                let span = span.clone().unwrap_or(0..argument.len());
                title.element(
                    Snippet::source(argument.as_str()).path("--set").annotation(
                        AnnotationKind::Primary
                            .span(clamp_span(argument, span))
                            .label(self.label()),
                    ),
                )
            }
            // No text to show (the file could not be read): the message
            // names the file, the help follows at once, and no empty frame
            // is drawn.
            Origin::File { span: None } => {
                let message = if message.contains(self.file.as_str()) {
                    message
                } else {
                    format!("{}: {message}", self.file)
                };
                let mut text = renderer
                    .render(&[Group::with_title(Level::ERROR.primary_title(message))])
                    .to_string();
                if let Some(help) = self.help.as_deref() {
                    let help = shorten_quoted(help);
                    let help = Group::with_title(Level::HELP.secondary_title(&help));
                    text.push('\n');
                    text.push_str(&renderer.render(&[help]).to_string());
                }
                return text;
            }
        };
        groups.push(group);
        let help = self.help.as_deref().map(shorten_quoted);
        if let Some(help) = &help {
            groups.push(Group::with_title(Level::HELP.secondary_title(help)));
        }
        renderer.render(&groups).to_string()
    }

    fn label(&self) -> &str {
        "here"
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for ScenarioError {}

/// Longest quoted key or value (between backticks) a message repeats whole.
const QUOTED_MAX: usize = 60;

/// The message with every `quoted` key or value longer than [`QUOTED_MAX`]
/// characters cut short with `…`: a 1 MB unknown key is shown by its start,
/// and the code frame below says where it is.
pub fn shorten_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(4096));
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 && part.chars().count() > QUOTED_MAX {
            out.extend(part.chars().take(QUOTED_MAX - 1));
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// 1-based (line, column) of a byte offset, counting columns in characters.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = past_end_to_last_line(text, offset);
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// An offset at (or past) the end of a file that ends with a newline names
/// no real line; point at the end of the last line instead, as the rendered
/// snippet does.
fn past_end_to_last_line(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    if offset == text.len() && text.ends_with('\n') {
        let trimmed = text.trim_end_matches(['\n', '\r']);
        if trimmed.is_empty() { 0 } else { trimmed.len() }
    } else {
        offset
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn clamp_span(text: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, past_end_to_last_line(text, span.start));
    let mut end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    // A span covering a whole multi-line table is noise: keep its first line.
    if let Some(newline) = text[start..end].find('\n')
        && newline > 0
    {
        end = start + newline;
    }
    start..end
}

/// "did you mean `churn`?" for a misspelt name, when one is close enough:
/// similar by Jaro-Winkler, or one or two typos away (a swap counts as one).
pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let wrong_lower = wrong.to_lowercase();
    candidates
        .into_iter()
        .filter_map(|c| {
            let lower = c.to_lowercase();
            let score = strsim::jaro_winkler(&wrong_lower, &lower);
            let typos = strsim::osa_distance(&wrong_lower, &lower);
            let allowed = (lower.chars().count() / 4).clamp(1, 2);
            (score > 0.8 || typos <= allowed).then_some((typos, score, c))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        // The end of a file with a final newline is the end of its last line.
        assert_eq!(line_column("ab\ncd\n", 6), (2, 3));
        assert_eq!(line_column("ab\ncd\r\n\n", 8), (2, 3));
        assert_eq!(line_column("\n\n", 2), (1, 1));
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("chrun", ["churn", "price"]).as_deref(),
            Some("did you mean `churn`?")
        );
        assert_eq!(did_you_mean("zzz", ["churn", "price"]), None);
        assert_eq!(
            did_you_mean("crt", ["name", "ctr", "noise"]).as_deref(),
            Some("did you mean `ctr`?")
        );
    }
}
