//! Each command's options, as the command line gives them: `cli` puts these
//! groups together into its subcommands (their doc comments are the help
//! text), and the app layer reads them. A new option is one field here.

use std::path::PathBuf;

use clap::Args;

/// Where results go and how they are shown: shared by every command that writes files.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Folder for results (default: output/<scenario name>)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the JSON result to stdout instead of the text report
    #[arg(long)]
    pub json: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw charts
    #[arg(long)]
    pub no_charts: bool,
    /// Chart size in pixels
    #[arg(long, value_name = "WxH", default_value = "1600x900", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Also write SVG copies of the charts
    #[arg(long)]
    pub svg: bool,
    /// Worker threads (default: all cores); results do not depend on it
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite files in the output folder that affsim did not write
    #[arg(long)]
    pub force: bool,
}

/// Options shared by the commands that run the model many times.
#[derive(Args, Debug, Clone)]
pub struct ManyRunArgs {
    /// Paths per run (default: 20,000, or fewer if the scenario asks for fewer; sensitivity with a history makes one run of 2.5 times that, 50,000)
    #[arg(long, value_name = "N")]
    pub paths: Option<u64>,
    /// Random seed (overrides simulation.seed)
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// The target to answer: its number (1 = the first [[targets]]) or its label; default:
    /// every target in compare's table, the first in charts, sweep and sensitivity
    #[arg(long, value_name = "N|LABEL")]
    pub target: Option<String>,
    /// Observed history (replaces the scenarios' [observed]), as for `affsim run`
    #[arg(long, value_name = "FILE.csv")]
    pub observed: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// Scenario files: exactly these, or one file with its [[variants]]
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// With several files, also compare each file's own [[variants]]
    #[arg(long)]
    pub variants: bool,
    /// Override a field in every compared scenario
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    #[command(flatten)]
    pub run: ManyRunArgs,
}

#[derive(Args, Debug, Clone)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The key to vary and its range, e.g. --vary funnel.paid_rate=0.2:0.6:9 (repeat once for a grid)
    #[arg(long, value_name = "KEY=LOW:HIGH:STEPS", required = true)]
    pub vary: Vec<String>,
    /// Find the smallest value at which the first target's chance reaches a goal, written P>=X, e.g. --goal "P>=0.8"
    #[arg(long, value_name = "GOAL")]
    pub goal: Option<String>,
    /// Sweep this [[variants]] strategy (from its month; keys may address its content as
    /// content[N] after the file's) against the scenario as written
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    #[command(flatten)]
    pub run: ManyRunArgs,
}

#[derive(Args, Debug, Clone)]
pub struct SensitivityArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// With a history, every input's chances are read off curves fitted to one conditioned run (50,000 paths unless --paths says); --exact instead holds each input at its P10 and P90 in runs of their own, each conditioned on the history (about 10x slower)
    #[arg(long)]
    pub exact: bool,
    #[command(flatten)]
    pub run: ManyRunArgs,
}

#[derive(Args, Debug, Clone)]
pub struct ScenarioArgs {
    /// The scenario file (TOML), e.g. my.toml (`affsim init my.toml` writes a starter)
    pub scenario: PathBuf,
    /// Override a scenario field, e.g. --set simulation.paths=20000 --set content[0].visits="1000..4000"
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Number of simulated futures (overrides simulation.paths)
    #[arg(long, value_name = "N")]
    pub paths: Option<u64>,
    /// Random seed (overrides simulation.seed); the same seed gives the same numbers
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Keep adding batches of paths until every target's standard error is below this (e.g. 0.002)
    #[arg(long, value_name = "SE", conflicts_with = "paths")]
    pub precision: Option<f64>,
    /// Print the memory estimate and the peak memory used to stderr
    #[arg(long, hide = true)]
    pub memory_report: bool,
    /// Memory a run may use to keep its paths (e.g. 512MiB, 4GiB); larger runs switch to
    /// streaming mode, which re-simulates the paths instead of storing them (same results,
    /// a few times slower)
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_bytes)]
    pub memory_limit: u64,
    /// Observed history to calibrate on (replaces the scenario's [observed]): a CSV of
    /// `month,metric,value` rows, or a commissions export with date, amount and status columns
    #[arg(long, value_name = "FILE.csv")]
    pub observed: Option<PathBuf>,
}

/// A chart size written `WIDTHxHEIGHT`.
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or("write the size as WIDTHxHEIGHT, e.g. 1600x900")?;
    let w: u32 = w
        .trim()
        .parse()
        .map_err(|_| "the width is not a whole number")?;
    let h: u32 = h
        .trim()
        .parse()
        .map_err(|_| "the height is not a whole number")?;
    if !(200..=8000).contains(&w) || !(150..=8000).contains(&h) {
        return Err("the size must be between 200x150 and 8000x8000".into());
    }
    Ok((w, h))
}

/// A size in bytes: a number with an optional unit, B, KiB, MiB, GiB, TiB
/// (powers of 1024; K, M, G, T too) or kB, MB, GB, TB (powers of 1000).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| "write the size as a number and a unit, e.g. 512MiB or 4GiB".to_string())?;
    let scale: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "K" | "KiB" | "k" => 1024.0,
        "M" | "MiB" => 1024.0 * 1024.0,
        "G" | "GiB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TiB" => 1024.0f64.powi(4),
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        other => {
            return Err(format!(
                "unknown unit `{other}`: use B, KiB, MiB, GiB, TiB (or kB, MB, GB, TB)"
            ));
        }
    };
    let bytes = number * scale;
    if !(1.0..1e18).contains(&bytes) {
        return Err("the size must be at least one byte".to_string());
    }
    Ok(bytes as u64)
}
