//! `affsim completions SHELL` and `affsim man`: generated from the clap
//! definitions, so they always list the options the binary has.

use clap::{Args, CommandFactory};

use crate::app::Failure;
use crate::cli::Cli;

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Prints the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "affsim", &mut std::io::stdout());
    Ok(())
}

/// Prints the manual page (roff) to stdout: the top-level page followed by
/// one section per subcommand, so `man ./affsim.1` shows every option.
pub fn man() -> Result<(), Failure> {
    let mut page = Vec::new();
    render_man(&mut page)
        .map_err(|e| Failure::Runtime(format!("cannot render the manual: {e}")))?;
    use std::io::Write;
    let _ = std::io::stdout().write_all(&page);
    Ok(())
}

/// The manual page as roff.
pub fn render_man(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_subcommands_section(out)?;
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let name = sub.get_name();
        let sub = sub.clone().bin_name(format!("affsim {name}"));
        writeln!(out, ".SH \"AFFSIM {}\"", name.to_uppercase())?;
        let sub_man = clap_mangen::Man::new(sub);
        sub_man.render_synopsis_section(out)?;
        sub_man.render_description_section(out)?;
        sub_man.render_options_section(out)?;
    }
    man.render_extra_section(out)?;
    man.render_version_section(out)?;
    Ok(())
}
