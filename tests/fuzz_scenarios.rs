//! Fuzzing the scenario reader on stable: random and mutated scenario text
//! (byte flips, cut-offs, key swaps, number replacements, stray fragments)
//! and random `--set` overrides, fed to `affsim::scenario::parse`.
//!
//! Property: never a panic; either a valid scenario (which then simulates a
//! few paths without NaN) or an error that says where: a line and column in
//! the file, or the `--set` argument at fault.
//!
//! `cargo test --test fuzz_scenarios` runs 256 cases per property in seconds;
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz_scenarios` runs a
//! long campaign (docs/FUZZING.md).

use std::path::Path;

use affsim::engine::{self, RunOptions};
use affsim::model::Metric;
use affsim::scenario::{self, Origin};
use proptest::prelude::*;

/// The real scenarios, and the catalogue's valid base, as seeds.
fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in ["scenarios", "tests/bad_inputs"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "toml")
                    && (dir == "scenarios" || p.file_name().is_some_and(|n| n == "valid-base.toml"))
            })
            .collect();
        paths.sort();
        seeds.extend(paths.iter().map(|p| std::fs::read(p).unwrap()));
    }
    assert!(seeds.len() >= 2, "seed scenarios are missing");
    seeds
}

/// Numbers and other values that a mutation may put in place of a number.
const REPLACEMENTS: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "+inf",
    "0",
    "-0.0",
    "-1",
    "1",
    "0.5",
    "1.5",
    "2",
    "1e300",
    "-1e300",
    "1e-300",
    "5e-324",
    "99999999999999999999",
    "9223372036854775807",
    "-9223372036854775808",
    "1_000_000_000_000",
    "0x10",
    "\"x\"",
    "\"1..0\"",
    "\"0..1\"",
    "\"nan..1\"",
    "\"1e300..1e301\"",
    "\"-5..5\"",
    "\"2%..150%\"",
    "true",
    "[]",
    "{}",
    "{ dist = \"beta\", mean = 0.5, sd = 0.5 }",
    "{ dist = \"normal\", mean = 1e300, sd = 1e300 }",
    "{ dist = \"gamma\", mean = 1e-300, sd = 1e300 }",
    "{ dist = \"uniform\", min = 0, max = 1e300 }",
    "{ dist = \"pert\", min = 0, mode = 0, max = 0 }",
    "{ dist = \"lognormal\", p5 = 1e-300, p95 = 1e300 }",
    "2026-02",
    "\"2026-02\"",
    "\"9999-12\"",
    "\"0000-01\"",
];

/// Fragments a mutation may insert anywhere.
const FRAGMENTS: &[&str] = &[
    "[",
    "]]",
    "\"",
    "'''",
    "=",
    "\n[[programs]]\n",
    "\n[[programs.plans]]\nname = \"X\"\nprice = 1\nchurn = 1\n",
    "\n[[content]]\n",
    "\n[simulation]\n",
    "{",
    "nan",
    "\u{0}",
    "é",
    "\u{202e}",
    "\r",
    "\t",
    "#",
    "\\",
    ".",
    "months = 600\n",
    "repeat = { every_weeks = 1, until = \"end\" }\n",
    "trial_months = 24\n",
];

#[derive(Clone, Debug)]
enum Mutation {
    FlipByte { at: usize, xor: u8 },
    Truncate { at: usize },
    DeleteLine { line: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    SwapKeys { a: usize, b: usize },
    ReplaceNumber { which: usize, with: usize },
    Insert { at: usize, fragment: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let any = any::<usize>();
    prop_oneof![
        1 => (any, 1u8..=255).prop_map(|(at, xor)| Mutation::FlipByte { at, xor }),
        1 => any.prop_map(|at| Mutation::Truncate { at }),
        1 => any.prop_map(|line| Mutation::DeleteLine { line }),
        1 => any.prop_map(|line| Mutation::DuplicateLine { line }),
        1 => (any, any).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        1 => (any, any).prop_map(|(a, b)| Mutation::SwapKeys { a, b }),
        3 => (any, 0..REPLACEMENTS.len()).prop_map(|(which, with)| Mutation::ReplaceNumber { which, with }),
        1 => (any, 0..FRAGMENTS.len()).prop_map(|(at, fragment)| Mutation::Insert { at, fragment }),
    ]
}

fn lines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Byte ranges of numbers: a digit run (with `.`, `_`, `e`) not inside a word.
fn numbers(text: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let starts = text[i].is_ascii_digit()
            && (i == 0 || !(text[i - 1].is_ascii_alphanumeric() || text[i - 1] == b'_'));
        if starts {
            let mut j = i;
            while j < text.len()
                && (text[j].is_ascii_digit() || matches!(text[j], b'.' | b'_' | b'e' | b'E'))
            {
                j += 1;
            }
            spans.push((i, j));
            i = j;
        } else {
            i += 1;
        }
    }
    spans
}

/// Lines of the form `key = value`, with the key's byte range in the line.
fn key_of(line: &[u8]) -> Option<(usize, usize)> {
    let start = line.iter().position(|b| !b.is_ascii_whitespace())?;
    let len = line[start..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    let rest = &line[start + len..];
    (len > 0 && rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'='))
        .then_some((start, start + len))
}

fn apply(text: &mut Vec<u8>, mutation: &Mutation) {
    let n = text.len().max(1);
    match *mutation {
        Mutation::FlipByte { at, xor } => {
            if !text.is_empty() {
                text[at % n] ^= xor;
            }
        }
        Mutation::Truncate { at } => text.truncate(at % n),
        Mutation::DeleteLine { line } => {
            let mut all = lines(text);
            if !all.is_empty() {
                let len = all.len();
                all.remove(line % len);
                *text = all.concat();
            }
        }
        Mutation::DuplicateLine { line } => {
            let mut all = lines(text);
            if !all.is_empty() {
                let len = all.len();
                let copy = all[line % len].clone();
                all.insert(line % len, copy);
                *text = all.concat();
            }
        }
        Mutation::SwapLines { a, b } => {
            let mut all = lines(text);
            if !all.is_empty() {
                let len = all.len();
                all.swap(a % len, b % len);
                *text = all.concat();
            }
        }
        Mutation::SwapKeys { a, b } => {
            let mut all = lines(text);
            let keyed: Vec<usize> = (0..all.len())
                .filter(|i| key_of(&all[*i]).is_some())
                .collect();
            if keyed.len() >= 2 {
                let (i, j) = (keyed[a % keyed.len()], keyed[b % keyed.len()]);
                let (ki, kj) = (key_of(&all[i]).unwrap(), key_of(&all[j]).unwrap());
                let key_i = all[i][ki.0..ki.1].to_vec();
                let key_j = all[j][kj.0..kj.1].to_vec();
                all[i].splice(ki.0..ki.1, key_j);
                all[j].splice(kj.0..kj.1, key_i);
                *text = all.concat();
            }
        }
        Mutation::ReplaceNumber { which, with } => {
            let spans = numbers(text);
            if !spans.is_empty() {
                let (start, end) = spans[which % spans.len()];
                text.splice(start..end, REPLACEMENTS[with].bytes());
            }
        }
        Mutation::Insert { at, fragment } => {
            let at = at % (text.len() + 1);
            text.splice(at..at, FRAGMENTS[fragment].bytes());
        }
    }
}

/// Key paths and values for random `--set` overrides.
const OVERRIDE_KEYS: &[&str] = &[
    "name",
    "simulation.paths",
    "simulation.months",
    "simulation.end",
    "simulation.seed",
    "simulation.headline",
    "simulation",
    "funnel.signup_rate",
    "funnel.trial_months",
    "programs[0].recurring_rate",
    "programs[0].plans[0].price",
    "programs[0].plans[1].share",
    "programs[0].plans[9].share",
    "programs[0].plans.0.churn",
    "programs[0]",
    "programs",
    "content[0].visits",
    "content[0].ctr",
    "content[1].name",
    "content[7].ctr",
    "targets[0].at_least",
    "targets[0].month",
    "observed.earned",
    "observed.earned[0]",
    "a.b.c",
    "name.x",
    "name[0]",
    "..",
    "programs[",
    "programs[x]",
    "programs[0]].x",
    "",
];

fn override_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..REPLACEMENTS.len()).prop_map(|i| REPLACEMENTS[i].to_string()),
        "[ -~]{0,12}",
    ]
}

fn run_a_few_paths(scenario: &scenario::Scenario) {
    let sim = engine::run(
        &scenario.model,
        &RunOptions {
            paths: Some(3),
            ..Default::default()
        },
    )
    .expect("not cancelled");
    for (i, value) in sim.series.iter().enumerate() {
        assert!(
            value.is_finite(),
            "non-finite {} in month {} of a valid scenario",
            Metric::ALL[(i / sim.months) % Metric::COUNT].key(),
            i % sim.months
        );
    }
}

fn check(name: &str, bytes: Vec<u8>, overrides: &[String]) -> Result<(), TestCaseError> {
    match scenario::parse(name, bytes.clone(), overrides) {
        Ok(scenario) => run_a_few_paths(&scenario),
        Err(error) => {
            let located = match &error.origin {
                Origin::Override { .. } => true,
                Origin::File { .. } => error.line_column().is_some(),
            };
            prop_assert!(
                located,
                "error without a location: {}\n--- input ---\n{}\n--- overrides ---\n{:?}",
                error.message,
                String::from_utf8_lossy(&bytes),
                overrides
            );
            prop_assert!(!error.message.trim().is_empty(), "an empty error message");
            let rendered = error.render(false);
            // The renderer neutralises control and bidi characters, so the
            // message may not appear verbatim; the title line must.
            prop_assert!(rendered.starts_with("error: "), "{rendered}");
            if let Some((line, column)) = error.line_column() {
                let location = format!("{name}:{line}:{column}");
                prop_assert!(rendered.contains(&location), "{rendered} lacks {location}");
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_never_panic_and_errors_are_located(
        seed in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let mut text = seeds[seed % seeds.len()].clone();
        for mutation in &mutations {
            apply(&mut text, mutation);
        }
        check("fuzz.toml", text, &[])?;
    }

    #[test]
    fn random_overrides_never_panic_and_errors_are_located(
        seed in any::<usize>(),
        overrides in prop::collection::vec(
            ((0..OVERRIDE_KEYS.len()), override_value()).prop_map(|(k, v)| format!("{}={v}", OVERRIDE_KEYS[k])),
            1..4,
        ),
    ) {
        let seeds = seeds();
        check("fuzz.toml", seeds[seed % seeds.len()].clone(), &overrides)?;
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check("fuzz.toml", bytes, &[])?;
    }

    #[test]
    fn random_toml_like_text_never_panics(text in "([a-z_]{1,8} = (\"[ -~]{0,8}\"|[0-9.e+-]{1,6}|\\[\\]|\\{\\})\n|\\[\\[?[a-z.]{1,12}\\]\\]?\n){0,12}") {
        check("fuzz.toml", text.into_bytes(), &[])?;
    }
}
