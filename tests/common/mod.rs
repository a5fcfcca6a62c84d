//! Helpers shared by the tests: decoding PNGs and reading pixels, reading
//! `--memory-report`, a command's `--json` output.
#![allow(dead_code)] // each test file uses its own subset

use plotters::style::RGBColor;

pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Image {
    pub fn decode(bytes: &[u8]) -> Image {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut buffer = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buffer).expect("PNG data");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buffer.truncate(info.buffer_size());
        Image {
            width: info.width as usize,
            height: info.height as usize,
            rgb: buffer,
        }
    }

    pub fn is(&self, x: usize, y: usize, colour: RGBColor) -> bool {
        let i = (y * self.width + x) * 3;
        self.rgb[i..i + 3] == [colour.0, colour.1, colour.2]
    }

    /// Rows in column `x` painted exactly `colour`.
    pub fn rows(&self, x: usize, colour: RGBColor) -> Vec<usize> {
        (0..self.height)
            .filter(|y| self.is(x, *y, colour))
            .collect()
    }

    pub fn count(&self, colour: RGBColor) -> usize {
        self.rgb
            .chunks(3)
            .filter(|p| *p == [colour.0, colour.1, colour.2])
            .count()
    }

    pub fn inked(&self) -> usize {
        self.rgb.chunks(3).filter(|p| *p != [255, 255, 255]).count()
    }

    /// Pixels painted exactly `colour`, as `(x, y)`.
    pub fn pixels(&self, colour: RGBColor) -> Vec<(usize, usize)> {
        (0..self.height)
            .flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|(x, y)| self.is(*x, *y, colour))
            .collect()
    }
}

/// `(estimated, peak)` bytes from the stderr of a run with `--memory-report`.
pub fn memory_report(stderr: &[u8]) -> (f64, f64) {
    let stderr = String::from_utf8_lossy(stderr);
    let numbers: Vec<f64> = stderr
        .split_whitespace()
        .filter_map(|word| word.parse::<f64>().ok())
        .collect();
    (numbers[0], numbers[1])
}

/// The story's scenario, as shipped.
pub fn q4() -> affsim::model::Model {
    affsim::scenario::load(std::path::Path::new("scenarios/q4.toml"), &[])
        .expect("q4 loads")
        .model
}

/// A scenario's model from its text (named `name` in errors), with `sets`
/// overrides; the error rendered as the CLI prints it.
pub fn parse_model(
    name: &str,
    text: &str,
    sets: &[String],
) -> Result<affsim::model::Model, String> {
    affsim::scenario::parse(name, text.as_bytes().to_vec(), sets)
        .map(|scenario| scenario.model)
        .map_err(|error| error.render(false))
}

/// A test scenario's model from its text; a bad scenario fails the test
/// with the error as the CLI prints it.
pub fn model(text: &str) -> affsim::model::Model {
    parse_model("test.toml", text, &[]).unwrap_or_else(|error| panic!("{error}"))
}

/// The model's own paths and seed, simulated with no history applied.
pub fn simulate(model: &affsim::model::Model) -> affsim::sim::Simulation {
    affsim::engine::run(model, &affsim::engine::RunOptions::default()).expect("not cancelled")
}

/// `paths` prior paths of `model` from `seed`, with no history applied.
pub fn run(model: &affsim::model::Model, paths: usize, seed: u64) -> affsim::sim::Simulation {
    affsim::engine::run(
        model,
        &affsim::engine::RunOptions {
            paths: Some(paths),
            seed: Some(seed),
            ..affsim::engine::RunOptions::default()
        },
    )
    .expect("not cancelled")
}

/// For calibration checks: `replications` true input sets drawn from the
/// prior, and one history simulated under each. Both come from paths far
/// beyond any prior run's, so they share no random stream with the paths
/// they are compared with.
pub fn truths_and_histories(
    model: &affsim::model::Model,
    replications: usize,
    seed: u64,
) -> (affsim::sim::Simulation, affsim::sim::Simulation) {
    use affsim::engine::{self, RunOptions};
    let truths = engine::run(
        model,
        &RunOptions {
            paths: Some(replications),
            seed: Some(seed),
            first_path: 1_000_000_000,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let histories = engine::run(
        model,
        &RunOptions {
            paths: Some(replications),
            seed: Some(seed),
            parameters: Some(&truths.parameters),
            first_path: 2_000_000_000,
            ..RunOptions::default()
        },
    )
    .unwrap();
    (truths, histories)
}

/// What `affsim ARGS --no-charts --json --out <a temporary folder>` prints,
/// parsed; the command must succeed.
pub fn cli_json(args: &[&str]) -> serde_json::Value {
    let out = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("affsim")
        .unwrap()
        .args(args)
        .args(["--no-charts", "--json", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
