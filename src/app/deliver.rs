//! The end of every command that writes results: its files, then its report.

use std::io::Write;
use std::path::Path;

use super::progress::cancelled;
use super::{Failure, OutputArgs, input_error};
use crate::report::output::Outputs;

const MARKER: &str = ".affsim";

/// Refuses to overwrite files in a folder affsim has not written to before.
fn guard_foreign_files(folder: &Path, outputs: &Outputs, force: bool) -> Result<(), Failure> {
    if force || folder.join(MARKER).exists() {
        return Ok(());
    }
    let clashes: Vec<&str> = outputs
        .names()
        .filter(|name| folder.join(name).exists())
        .collect();
    if clashes.is_empty() {
        return Ok(());
    }
    Err(input_error(
        format!(
            "{} already holds {} that affsim did not write",
            folder.display(),
            clashes.join(", ")
        ),
        "choose another folder with --out, or pass --force to overwrite them",
    ))
}

fn mark_folder(folder: &Path) {
    let _ = std::fs::write(
        folder.join(MARKER),
        "This folder holds affsim results; affsim may overwrite them.\n",
    );
}

/// Unless interrupted, writes all files (refusing to overwrite foreign ones),
/// then prints the text report or the JSON and the list of files.
pub fn deliver(
    output: &OutputArgs,
    folder: &Path,
    outputs: &Outputs,
    json: &str,
    text: &str,
) -> Result<(), Failure> {
    if cancelled() {
        return Err(Failure::Interrupted);
    }
    guard_foreign_files(folder, outputs, output.force)?;
    let written = outputs.write(folder).map_err(|e| {
        Failure::Runtime(format!("cannot write results to {}: {e}", folder.display()))
    })?;
    mark_folder(folder);
    let mut stdout = std::io::stdout().lock();
    if output.json {
        let _ = stdout.write_all(json.as_bytes());
    } else if !output.quiet {
        let _ = stdout.write_all(text.as_bytes());
        let names: Vec<String> = written
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        let _ = writeln!(
            stdout,
            "\nWrote {} in {}",
            names.join(", "),
            folder.display()
        );
    }
    Ok(())
}
