//! The end of every command that writes results: its files, then its report.

use std::io::Write;
use std::path::Path;

use super::progress::cancelled;
use super::{Failure, OutputArgs, input_error};
use crate::engine::STOP;
use crate::report::output::{Destination, OutputError, Outputs};

/// Checks the output folder before any work (see [`Destination::plan`]):
/// `set` names the command, `names` the files it will certainly write.
pub fn destination(
    output: &OutputArgs,
    scenario_name: &str,
    scenario_file: &Path,
    set: &str,
    names: &[&str],
) -> Result<Destination, Failure> {
    Destination::plan(
        output.out.as_deref(),
        scenario_name,
        Some(scenario_file),
        set,
        output.force,
        names,
    )
    .map_err(output_failure)
}

fn output_failure(error: OutputError) -> Failure {
    match error {
        OutputError::Refused { message, help } => input_error(message, &help),
        OutputError::Failed(message) => Failure::Runtime(message),
        OutputError::Interrupted => Failure::Interrupted,
    }
}

/// Unless interrupted, writes all files as one set, then prints the text
/// report or the JSON and the list of files.
pub fn deliver(
    output: &OutputArgs,
    destination: &Destination,
    outputs: &Outputs,
    json: &str,
    text: &str,
) -> Result<(), Failure> {
    if cancelled() {
        return Err(Failure::Interrupted);
    }
    let written = destination.commit(outputs, &STOP).map_err(output_failure)?;
    if output.json {
        print_stdout(json)?;
    } else if !output.quiet {
        let names: Vec<String> = written
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        print_stdout(&format!(
            "{text}\nWrote {} in {}\n",
            names.join(", "),
            destination.shown().display()
        ))?;
    }
    Ok(())
}

/// Writes to stdout, a failure (a full disk, a closed pipe) being a
/// runtime error rather than a panic or a silent loss.
pub fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::Runtime(format!("cannot write to standard output: {e}")))
}
