//! Reading the files a user names (the scenario, an observed history):
//! regular files only, read whole up to a cap. A FIFO, a device or a folder
//! is refused at once instead of hanging or reading forever, and a file too
//! large to be a scenario or a dashboard export is refused with its size.

use std::io::Read;
use std::path::Path;

/// The largest input affsim reads. Scenarios are a few kilobytes and a
/// year of commission rows a few megabytes; anything near this is the
/// wrong file.
pub const MAX_BYTES: u64 = 64 << 20;

/// Reads the regular file at `path` (following links, which are the
/// user's own), or says in one phrase why not, e.g. "it is a FIFO (named
/// pipe), not a regular file".
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO for reading blocks until a writer appears; without
    // O_NONBLOCK a FIFO named as a scenario would hang before the check
    // below could refuse it. Regular files ignore the flag.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(|error| error.to_string())?;
    let meta = file.metadata().map_err(|error| error.to_string())?;
    if !meta.is_file() {
        return Err(format!("it is {}, not a regular file", kind(&meta)));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_BYTES) as usize);
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| error.to_string())?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "it is larger than {} MiB, too large to be a scenario or a history export",
            MAX_BYTES >> 20
        ));
    }
    Ok(bytes)
}

/// What a non-regular file is, in words.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let file_type = meta.file_type();
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_devices_are_refused() {
        let dir = std::env::temp_dir();
        assert_eq!(
            read(&dir).unwrap_err(),
            "it is a folder, not a regular file"
        );
        #[cfg(unix)]
        assert_eq!(
            read(Path::new("/dev/null")).unwrap_err(),
            "it is a device, not a regular file"
        );
    }
}
