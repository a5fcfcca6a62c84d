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

    /// Writes every file into `folder`, all or nothing as far as the file
    /// system allows: every file is first written in full to a temporary file
    /// beside its target (and synced), and only when all of them are written
    /// are they renamed over their targets, each rename being atomic. A failure
    /// before the renames removes the temporary files and leaves the folder as
    /// it was; names that are not plain file names are refused up front.
    pub fn write(&self, folder: &Path) -> std::io::Result<Vec<PathBuf>> {
        for (name, _) in &self.files {
            if !is_plain_file_name(name) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("refusing to write `{name}`: not a plain file name"),
                ));
            }
        }
        std::fs::create_dir_all(folder)?;
        for (name, _) in &self.files {
            let target = folder.join(name);
            if let Ok(meta) = std::fs::symlink_metadata(&target)
                && meta.is_dir()
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} is a folder, not a file", target.display()),
                ));
            }
        }
        let mut temporaries: Vec<(PathBuf, PathBuf)> = Vec::new();
        let cleanup = |temporaries: &[(PathBuf, PathBuf)]| {
            for (temporary, _) in temporaries {
                let _ = std::fs::remove_file(temporary);
            }
        };
        for (name, bytes) in &self.files {
            let target = folder.join(name);
            let temporary = folder.join(format!(".{name}.affsim-tmp"));
            temporaries.push((temporary.clone(), target));
            let written = (|| {
                let mut file = std::fs::File::create(&temporary)?;
                file.write_all(bytes)?;
                file.sync_all()
            })();
            if let Err(error) = written {
                cleanup(&temporaries);
                return Err(error);
            }
        }
        let mut written = Vec::new();
        for (i, (temporary, target)) in temporaries.iter().enumerate() {
            if let Err(error) = std::fs::rename(temporary, target) {
                cleanup(&temporaries[i..]);
                return Err(error);
            }
            written.push(target.clone());
        }
        // Make the renames themselves durable where the platform allows it.
        if let Ok(dir) = std::fs::File::open(folder) {
            let _ = dir.sync_all();
        }
        Ok(written)
    }
}

/// A name that stays inside the folder: no separators, not `.` or `..`.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && Path::new(name).file_name() == Some(std::ffi::OsStr::new(name))
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

    #[test]
    fn only_plain_file_names_are_written() {
        assert!(is_plain_file_name("summary.json"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "/etc/passwd", "x\0"] {
            assert!(!is_plain_file_name(bad), "{bad:?}");
        }
        let dir = std::env::temp_dir().join(format!("affsim-output-test-{}", std::process::id()));
        let mut outputs = Outputs::default();
        outputs.add("ok.txt", b"fine".to_vec());
        outputs.add("../escape.txt", b"bad".to_vec());
        assert!(outputs.write(&dir).is_err());
        assert!(!dir.exists(), "nothing is created when a name is refused");
    }
}
