//! `summary.json`: everything the terminal shows, machine-readable.

use super::Summary;

pub fn render(summary: &Summary) -> String {
    let mut text = serde_json::to_string_pretty(summary).expect("summary serialises");
    text.push('\n');
    text
}
