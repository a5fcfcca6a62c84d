//! Where results go, and writing them so that a failed or interrupted run
//! never leaves a half-written file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A file-system-safe folder name from a scenario name: letters, digits,
/// `-`, `_` and `.` kept, everything else turned into `-`; never `..`.
pub fn folder_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    let collapsed = trimmed
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if collapsed.is_empty() {
        "scenario".into()
    } else {
        collapsed
    }
}

/// The output folder: `--out` when given, else `output/<scenario name>`.
pub fn folder(out: Option<&Path>, scenario_name: &str) -> PathBuf {
    match out {
        Some(out) => out.to_path_buf(),
        None => Path::new("output").join(folder_name(scenario_name)),
    }
}

/// Files a run writes, gathered in memory and written together at the end.
#[derive(Default)]
pub struct Outputs {
    files: Vec<(String, Vec<u8>)>,
}

impl Outputs {
    pub fn add(&mut self, name: &str, bytes: Vec<u8>) {
        self.files.push((name.to_string(), bytes));
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|(name, _)| name.as_str())
    }

    /// Writes every file into `folder` through a temporary file and a rename.
    pub fn write(&self, folder: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(folder)?;
        let mut written = Vec::new();
        for (name, bytes) in &self.files {
            let target = folder.join(name);
            let temporary = folder.join(format!(".{name}.affsim-tmp"));
            {
                let mut file = std::fs::File::create(&temporary)?;
                file.write_all(bytes)?;
                file.sync_all()?;
            }
            std::fs::rename(&temporary, &target)?;
            written.push(target);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_cannot_escape() {
        assert_eq!(folder_name("../../x"), "x");
        assert_eq!(folder_name("Q4 Blog + Video"), "q4-blog-video");
        assert_eq!(folder_name("..."), "scenario");
        assert_eq!(folder_name("/etc/passwd"), "etc-passwd");
    }
}
