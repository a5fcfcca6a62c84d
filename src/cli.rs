//! The command line: the commands (clap), dispatch to the [`app`] layer, and
//! exit codes. Each command's option groups are in [`app::options`]; what a
//! command does is in `app`.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::app::{self, CompareArgs, Failure, RunArgs, ScenarioArgs, SensitivityArgs, SweepArgs};

#[derive(Parser, Debug)]
#[command(
    name = "affsim",
    version,
    about = "Monte Carlo simulator for affiliate commission income",
    long_about = "Monte Carlo simulator for affiliate commission income.\n\n\
        Describe your content, funnel, programs and targets in a TOML scenario; affsim simulates \
        many possible futures and tells you the odds of reaching your targets, month by month.",
    after_help = "Examples:\n  \
        affsim init my.toml                      write a commented starter scenario\n  \
        affsim check my.toml                     validate it, every default filled in\n  \
        affsim run my.toml                       simulate it: odds, bands, charts in output/my/\n  \
        affsim run my.toml --set funnel.paid_rate=\"20%..40%\"   try another value without editing\n  \
        affsim compare my.toml                   compare the file's [[variants]]\n  \
        affsim sweep my.toml --vary funnel.paid_rate=0.2:0.6:5 --goal \"P>=0.8\"\n  \
        affsim sensitivity my.toml               which assumption matters most\n\n\
        Shell completions: affsim completions bash (or zsh, fish, powershell). Manual page: affsim man"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario: odds of each target, monthly bands, summary.json, bands.csv and charts
    Run(RunArgs),
    /// Validate a scenario and print it resolved, with defaults filled in
    Check(ScenarioArgs),
    /// Compare strategies (several files, or a file's [[variants]]) with common random numbers
    Compare(CompareArgs),
    /// Sweep one or two inputs over a range; with --goal, find the value that reaches a chance
    Sweep(SweepArgs),
    /// Rank the uncertain inputs by how much they move the first target's chance
    Sensitivity(SensitivityArgs),
    /// Write a commented starter scenario to edit into your own (never overwrites a file)
    Init(crate::init::InitArgs),
    /// Print a shell completion script, e.g. affsim completions bash > ~/.local/share/bash-completion/completions/affsim
    Completions(crate::completions::CompletionsArgs),
    /// Print the manual page (roff), e.g. affsim man > affsim.1 && man ./affsim.1
    Man,
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Input(_) => 2,
            Failure::Runtime(_) => 1,
            Failure::Interrupted => 130,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    app::progress::stop_on_ctrl_c();
    let result = match cli.command {
        Command::Run(args) => app::run::run(&args),
        Command::Check(args) => app::run::check(&args),
        Command::Compare(args) => app::strategy::compare(&args),
        Command::Sweep(args) => app::strategy::sweep(&args),
        Command::Sensitivity(args) => app::strategy::sensitivity(&args),
        Command::Init(args) => crate::init::run(&args),
        Command::Completions(args) => crate::completions::completions(args.shell, Cli::command()),
        Command::Man => crate::completions::man(Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // A failing stderr cannot be reported anywhere; the exit code
            // still says what happened.
            let mut stderr = std::io::stderr();
            let _ = match &failure {
                Failure::Input(message) => writeln!(stderr, "{}", message.trim_end()),
                Failure::Runtime(message) => writeln!(stderr, "error: {}", message.trim_end()),
                Failure::Interrupted => writeln!(
                    stderr,
                    "interrupted: stopped before writing any file; earlier results are untouched"
                ),
            };
            ExitCode::from(failure.exit_code())
        }
    }
}
