use std::process::ExitCode;

fn main() -> ExitCode {
    affsim::cli::main()
}
