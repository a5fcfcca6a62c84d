//! The layers of src/ import one way: each module may use only modules on its
//! own layer or below. A `crate::` path pointing up the order below fails
//! this test, naming the file and line. docs/ARCHITECTURE.md explains what
//! each layer owns; a new top-level module must be placed in `LAYERS`.

use std::path::Path;

/// Bottom to top; modules on one line share a layer.
const LAYERS: &[&[&str]] = &[
    &["calendar", "input_file"],
    &["model"],
    &["format"],
    &["scenario"],
    &["sim"],
    &["engine"],
    &["stats"],
    &["calibrate"],
    &["streaming"],
    &["strategy"],
    &["report"],
    &["plot"],
    &["app", "init"],
    &["cli", "completions"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The module a file belongs to: `src/engine/path.rs` → `engine`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap();
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

/// The top-level modules a line names through `crate::`, including grouped
/// imports (`use crate::{engine, stats::Band};`).
fn crate_references(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(item.trim().to_string());
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            found.push(item.trim().to_string());
        } else {
            found.push(rest.to_string());
        }
    }
    found
        .iter()
        .map(|path| {
            path.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("")
                .to_string()
        })
        .filter(|name| !name.is_empty() && name != "self")
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of `text` (the file `name`, of `module` on layer `own`) that
/// use a module above it or one with no layer.
fn upward_uses(name: &str, module: &str, own: usize, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        // Unit tests at the end of a file may reach for test helpers anywhere.
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        if line.trim_start().starts_with("//") {
            continue;
        }
        for used in crate_references(line) {
            match layer(&used) {
                Some(theirs) if theirs > own => problems.push(format!(
                    "{name}:{}: `{module}` uses `{used}`, which is above it",
                    number + 1
                )),
                Some(_) => {}
                None => problems.push(format!(
                    "{name}:{}: `{module}` uses `{used}`, which has no layer",
                    number + 1
                )),
            }
        }
    }
    problems
}

#[test]
fn every_import_points_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer(&module) else {
            problems.push(format!(
                "{}: module `{module}` has no layer; add it to LAYERS in tests/layers.rs and to docs/ARCHITECTURE.md",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        problems.extend(upward_uses(
            &file.display().to_string(),
            &module,
            own,
            &text,
        ));
    }
    assert!(
        problems.is_empty(),
        "imports pointing up the layers:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn grouped_imports_are_read() {
    assert_eq!(
        crate_references("use crate::{engine::{self, Simulation}, stats};"),
        ["engine", "stats"]
    );
    assert_eq!(
        crate_references("let x = crate::plot::target::subject(model);"),
        ["plot"]
    );
}

#[test]
fn an_import_pointing_up_is_caught() {
    let engine = layer("engine").unwrap();
    let text = "//! uses crate::plot in a comment only\nuse crate::{model, plot::target};\nfn f() { crate::sim::outcome(); }\n#[cfg(test)]\nuse crate::app;\n";
    assert_eq!(
        upward_uses("x.rs", "engine", engine, text),
        ["x.rs:2: `engine` uses `plot`, which is above it"]
    );
}

/// Both storage modes answer through one interface (`sim::Answers`, picked
/// by `stats::answers`, and the storage-blind methods of `Simulation`): no
/// other file reads what streaming mode found, so no layer above branches
/// on how the paths were held. Only `sim` (the data), `streaming` and `engine`
/// (which fill it) and `stats::answers` (which picks) may name it.
#[test]
fn only_sim_and_stats_answers_see_the_storage_mode() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = ["sim/", "streaming/", "engine/mod.rs", "stats/answers.rs"];
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if allowed.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.contains("streamed_answers") {
                found.push(format!("src/{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "read the run through sim::Answers or Simulation's methods instead:\n{}",
        found.join("\n")
    );
}
