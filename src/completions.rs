//! `affsim completions SHELL` and `affsim man`: generated from the clap
//! definitions, so they always list the options the binary has.

use clap::Args;

use clap::Command;

use crate::app::Failure;
use crate::app::deliver::print_stdout;

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Prints the completion script of `command` (the whole command line, from
/// `cli`) for `shell` to stdout. Generated into memory first: the generator
/// panics on a failed write, and a full stdout is a clean error here.
pub fn completions(shell: clap_complete::Shell, mut command: Command) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "affsim", &mut script);
    print_stdout(&String::from_utf8_lossy(&script))
}

/// Prints the manual page (roff) to stdout: the top-level page followed by
/// one section per subcommand, so `man ./affsim.1` shows every option.
pub fn man(command: Command) -> Result<(), Failure> {
    let mut page = Vec::new();
    render_man(command, &mut page)
        .map_err(|e| Failure::Runtime(format!("cannot render the manual: {e}")))?;
    print_stdout(&String::from_utf8_lossy(&page))
}

/// The manual page as roff.
pub fn render_man(command: Command, out: &mut dyn std::io::Write) -> std::io::Result<()> {
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
