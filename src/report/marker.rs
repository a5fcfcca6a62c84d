//! The output folder's marker, `.affsim`: which scenario file wrote the
//! folder, and each file affsim wrote there with the command that wrote it
//! and its SHA-256. A file that no longer matches its hash was changed by
//! someone else and is theirs; a different scenario file needs `--force`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The marker's name inside the output folder.
pub const NAME: &str = ".affsim";

/// The first line of every marker this version writes.
const HEADER: &str = "affsim output folder, format 2";

/// The whole text of the markers earlier versions wrote: they listed no
/// files, so the files they cover cannot be checked.
const LEGACY: &str = "This folder holds affsim results; affsim may overwrite them.";

/// Markers are a few hundred bytes; anything larger is not one.
const MAX_BYTES: u64 = 1 << 20;

/// What a folder's marker says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Marker {
    /// The scenario file that wrote the folder, as an absolute path.
    pub scenario: Option<String>,
    /// File name → (command that wrote it, SHA-256 in hex).
    pub files: BTreeMap<String, (String, String)>,
    /// Written by an earlier version, which listed nothing.
    pub legacy: bool,
}

/// What sits at a folder's marker name.
#[derive(Debug)]
pub enum Found {
    Nothing,
    Marker(Marker),
    /// Something affsim did not write: a folder, a link, a FIFO, or a file
    /// that is not a marker. Described in a few words.
    Foreign(String),
}

impl Marker {
    pub fn render(&self) -> String {
        let mut text = format!(
            "{HEADER}\n# Written by affsim: the files it wrote here and their SHA-256.\n# A file that no longer matches is yours; affsim will not overwrite it without --force.\n"
        );
        if let Some(scenario) = &self.scenario {
            text.push_str(&format!("scenario {scenario}\n"));
        }
        for (name, (set, hash)) in &self.files {
            text.push_str(&format!("file {set} {hash} {name}\n"));
        }
        text
    }

    fn parse(text: &str) -> Option<Marker> {
        if text.trim() == LEGACY {
            return Some(Marker {
                legacy: true,
                ..Marker::default()
            });
        }
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let mut marker = Marker::default();
        for line in lines {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            if let Some(path) = line.strip_prefix("scenario ") {
                marker.scenario = Some(path.to_string());
            } else if let Some(rest) = line.strip_prefix("file ") {
                let mut parts = rest.splitn(3, ' ');
                let (set, hash, name) = (parts.next()?, parts.next()?, parts.next()?);
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                marker
                    .files
                    .insert(name.to_string(), (set.to_string(), hash.to_string()));
            } else {
                return None;
            }
        }
        Some(marker)
    }
}

/// Reads the marker in `folder` without following a link at its name.
pub fn read(folder: &Path) -> std::io::Result<Found> {
    let path = folder.join(NAME);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(error) => return Err(error),
    };
    if !meta.is_file() {
        return Ok(Found::Foreign(describe(&meta).into()));
    }
    let Some(mut file) = open_no_follow(&path)? else {
        return Ok(Found::Foreign("a link".into()));
    };
    let mut bytes = Vec::new();
    (&mut file).take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    let parsed = std::str::from_utf8(&bytes)
        .ok()
        .filter(|_| bytes.len() as u64 <= MAX_BYTES)
        .and_then(Marker::parse);
    Ok(match parsed {
        Some(marker) => Found::Marker(marker),
        None => Found::Foreign("a file that is not affsim's marker".into()),
    })
}

/// Opens a regular file for reading, refusing to follow a link at its name
/// (`None`) and never blocking on a FIFO.
pub fn open_no_follow(path: &Path) -> std::io::Result<Option<std::fs::File>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    match options.open(path) {
        Ok(file) => Ok(file.metadata()?.is_file().then_some(file)),
        #[cfg(unix)]
        Err(error) if error.raw_os_error() == Some(libc::ELOOP) => Ok(None),
        Err(error) => Err(error),
    }
}

/// SHA-256 of bytes, in hex.
pub fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of the regular file at `path` (not through a link), or `None`
/// when there is none.
pub fn hash_file(path: &Path) -> std::io::Result<Option<String>> {
    let Some(mut file) = open_no_follow(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some(hash(&bytes)))
}

/// A folder entry's kind in words.
pub fn describe(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_symlink() {
        "a link"
    } else if kind.is_dir() {
        "a folder"
    } else if kind.is_file() {
        "a file"
    } else {
        "a special file (FIFO, device or socket)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_strangers_are_not_markers() {
        let mut marker = Marker {
            scenario: Some("/home/me/q4 blog.toml".into()),
            ..Marker::default()
        };
        marker
            .files
            .insert("summary.json".into(), ("run".into(), hash(b"{}")));
        assert_eq!(Marker::parse(&marker.render()), Some(marker));
        assert!(Marker::parse("hello\n").is_none());
        assert!(Marker::parse(&format!("{HEADER}\nfile run xyz a.txt\n")).is_none());
        assert!(Marker::parse(&format!("{LEGACY}\n")).unwrap().legacy);
        assert_eq!(
            hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
