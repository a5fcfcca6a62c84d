//! JSON files: `summary.json` (everything the terminal shows,
//! machine-readable) and the strategy commands' results.

use super::Summary;

pub fn render(summary: &Summary) -> String {
    pretty(summary)
}

/// Pretty-printed JSON with a final newline.
pub fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("results serialise");
    text.push('\n');
    text
}
