//! Where results go, and how they get there: a command's files appear in
//! the output folder as one complete set, or the previous set stays.
//!
//! The files are written into a fresh private folder created exclusively
//! beside the output folder, which is then swapped with it in one rename
//! (`RENAME_EXCHANGE` on Linux); files of the user's in the folder are
//! carried across (hard links for files, renames for the rest), and the old
//! set is removed. A lock on the parent folder makes runs into the same
//! place take turns. Nothing is created or replaced through a link: new
//! names are created exclusively, the marker is read without following
//! links, and a default `output/<name>` that is a link is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::marker::{self, Found, Marker};

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

    /// Writes every file into `folder` as one set (see [`Destination`]), for
    /// callers with no scenario file: the folder's marker records none.
    pub fn write(&self, folder: &Path) -> Result<Vec<PathBuf>, OutputError> {
        let names: Vec<&str> = self.names().collect();
        Destination::plan(Some(folder), "", None, "files", false, &names)?
            .commit(self, &AtomicBool::new(false))
    }
}

/// Why results could not be written.
#[derive(Debug)]
pub enum OutputError {
    /// The folder is not one affsim may write as asked (a file, a link, the
    /// user's files, another scenario's results): exit code 2.
    Refused { message: String, help: String },
    /// The file system failed: exit code 1.
    Failed(String),
    /// Stopped while waiting for another run to finish writing.
    Interrupted,
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputError::Refused { message, help } => write!(f, "{message}\n  help: {help}"),
            OutputError::Failed(message) => f.write_str(message),
            OutputError::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for OutputError {}

fn refused(message: String, help: &str) -> OutputError {
    OutputError::Refused {
        message,
        help: help.to_string(),
    }
}

/// The output folder of one command, checked before any work is done and
/// written as one unit at the end.
#[derive(Debug)]
pub struct Destination {
    /// The folder as the user sees it (for messages).
    shown: PathBuf,
    /// The folder itself, a link given with `--out` resolved.
    folder: PathBuf,
    parent: PathBuf,
    name: OsString,
    /// The scenario file writing, absolute.
    scenario: Option<String>,
    /// Which command's set this is (`run`, `compare`, ...): a command
    /// replaces its own earlier files and keeps the other commands'.
    set: String,
    force: bool,
}

/// What to do with each entry of the folder when the new set goes in.
#[derive(Default, Debug)]
struct Plan {
    /// Earlier files of other commands, unchanged: kept and still listed.
    kept: BTreeMap<String, (String, String)>,
    /// Entries that are not affsim's, kept as they are.
    carried: BTreeSet<String>,
    /// Affsim's own earlier files that the new set replaces or drops.
    dropped: BTreeSet<String>,
}

impl Destination {
    /// Checks where results will go, before anything is simulated: `out`
    /// (else `output/<scenario name>`) must be a folder or not exist yet,
    /// the default folder must not be a link, and the folder must not hold
    /// another scenario's results or files of the user's at `names` (the
    /// names the command will certainly write), unless `force`.
    pub fn plan(
        out: Option<&Path>,
        scenario_name: &str,
        scenario_file: Option<&Path>,
        set: &str,
        force: bool,
        names: &[&str],
    ) -> Result<Destination, OutputError> {
        let shown = folder(out, scenario_name);
        let mut real = shown.clone();
        match std::fs::symlink_metadata(&shown) {
            Ok(meta) if meta.file_type().is_symlink() => {
                if out.is_none() {
                    return Err(refused(
                        format!(
                            "{} is a link; affsim does not write its default output folder through a link",
                            shown.display()
                        ),
                        "remove the link, or name the folder with --out (a link given there is followed)",
                    ));
                }
                real = std::fs::canonicalize(&shown).map_err(|_| {
                    refused(
                        format!("--out {} is a link to nothing", shown.display()),
                        "point the link at a folder, or choose another folder with --out",
                    )
                })?;
                if !real.is_dir() {
                    return Err(refused(
                        format!(
                            "--out {} is a link to a file, not a folder",
                            shown.display()
                        ),
                        "choose a folder with --out",
                    ));
                }
            }
            Ok(meta) if meta.is_dir() => {
                real = std::fs::canonicalize(&shown).map_err(|e| {
                    OutputError::Failed(format!("cannot open {}: {e}", shown.display()))
                })?;
            }
            Ok(meta) => {
                return Err(refused(
                    format!(
                        "{} is {}, not a folder",
                        shown.display(),
                        marker::describe(&meta)
                    ),
                    "choose a folder for the results with --out",
                ));
            }
            Err(_) => {
                if real.is_relative() {
                    let here = std::env::current_dir().map_err(|e| {
                        OutputError::Failed(format!("cannot find the current folder: {e}"))
                    })?;
                    real = here.join(real);
                }
                real = normalise(&real);
            }
        }
        let (Some(parent), Some(name)) = (real.parent(), real.file_name()) else {
            return Err(refused(
                format!("cannot write results into {}", shown.display()),
                "choose a folder for the results with --out, e.g. --out results",
            ));
        };
        let destination = Destination {
            parent: parent.to_path_buf(),
            name: name.to_os_string(),
            folder: real.clone(),
            shown,
            scenario: scenario_file
                .map(|file| std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf()))
                .map(|file| file.display().to_string()),
            set: set.to_string(),
            force,
        };
        destination.check_ancestors()?;
        // Under the lock: another run's swap must not be seen half-way.
        let _lock = match destination.parent.is_dir() {
            true => Some(destination.lock(&AtomicBool::new(false))?),
            false => None,
        };
        destination.survey(names)?;
        Ok(destination)
    }

    /// The folder as the user named it.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// The nearest existing ancestor must be a folder: a file on the way
    /// would only be found when writing.
    fn check_ancestors(&self) -> Result<(), OutputError> {
        let mut at = self.parent.as_path();
        loop {
            match std::fs::metadata(at) {
                Ok(meta) if meta.is_dir() => return Ok(()),
                Ok(meta) => {
                    return Err(refused(
                        format!(
                            "cannot write results into {}: {} is {}, not a folder",
                            self.shown.display(),
                            at.display(),
                            marker::describe(&meta)
                        ),
                        "choose another folder with --out",
                    ));
                }
                Err(_) => match at.parent() {
                    Some(up) => at = up,
                    None => return Ok(()),
                },
            }
        }
    }

    /// Reads the folder as it is now and decides what becomes of each
    /// entry when a set with files `names` goes in; refuses when that would
    /// overwrite something that is not this scenario's own results.
    fn survey(&self, names: &[&str]) -> Result<Plan, OutputError> {
        let mut plan = Plan::default();
        let entries = match std::fs::read_dir(&self.folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(plan),
            Err(error) => return Err(self.failed("cannot read", error)),
        };
        let shown = self.shown.display();
        let found = marker::read(&self.folder).map_err(|e| self.failed("cannot read", e))?;
        let mut clashes = Vec::new();
        let marker = match found {
            Found::Marker(marker) => marker,
            Found::Nothing => Marker::default(),
            Found::Foreign(kind) => {
                if !self.force {
                    return Err(refused(
                        format!(
                            "{shown}/{} is {kind}, not the marker affsim writes",
                            marker::NAME
                        ),
                        "remove it, choose another folder with --out, or pass --force to replace it",
                    ));
                }
                Marker::default()
            }
        };
        if let (Some(theirs), Some(ours)) = (&marker.scenario, &self.scenario)
            && theirs != ours
            && !self.force
        {
            return Err(refused(
                format!("{shown} holds the results of {theirs}, not of {ours}"),
                "two scenario files with the same `name` share a folder: rename `name` in one of them, choose another folder with --out, or pass --force to replace those results",
            ));
        }
        for entry in entries {
            let entry = entry.map_err(|e| self.failed("cannot read", e))?;
            let Ok(name) = entry.file_name().into_string() else {
                // Not a name affsim writes: the user's.
                plan.carried
                    .insert(entry.file_name().to_string_lossy().into_owned());
                continue;
            };
            if name == marker::NAME {
                continue;
            }
            let ours = match marker.files.get(&name) {
                Some((set, hash)) => {
                    let now = marker::hash_file(&entry.path()).ok().flatten();
                    (now.as_deref() == Some(hash.as_str())).then_some(set)
                }
                None => None,
            };
            let produced = names.contains(&name.as_str());
            match ours {
                Some(set) if produced || *set == self.set => {
                    plan.dropped.insert(name);
                }
                Some(_) => {
                    plan.kept.insert(name.clone(), marker.files[&name].clone());
                }
                None if produced && marker.legacy => {
                    plan.dropped.insert(name);
                }
                None if produced => {
                    let meta = entry
                        .metadata()
                        .map_err(|e| self.failed("cannot read", e))?;
                    if meta.is_dir() {
                        return Err(refused(
                            format!("{shown}/{name} is a folder, where affsim writes a file"),
                            "move that folder away, or choose another folder with --out",
                        ));
                    }
                    clashes.push(name);
                }
                None => {
                    plan.carried.insert(name);
                }
            }
        }
        if !clashes.is_empty() && !self.force {
            return Err(refused(
                format!(
                    "{shown} already holds {} that affsim did not write (or that changed since it did)",
                    clashes.join(", ")
                ),
                "choose another folder with --out, or pass --force to overwrite them",
            ));
        }
        Ok(plan)
    }

    fn failed(&self, what: &str, error: std::io::Error) -> OutputError {
        OutputError::Failed(format!("{what} {}: {error}", self.shown.display()))
    }

    /// Writes `outputs` as the folder's new set, or leaves the folder as it
    /// was. Waits for another run writing beside it (giving up if `cancel`
    /// is set while waiting). Returns the paths written.
    pub fn commit(
        &self,
        outputs: &Outputs,
        cancel: &AtomicBool,
    ) -> Result<Vec<PathBuf>, OutputError> {
        for (name, _) in &outputs.files {
            if !is_plain_file_name(name) || name == marker::NAME {
                return Err(refused(
                    format!("refusing to write `{name}`: not a plain file name"),
                    "this is a bug in affsim; please report it",
                ));
            }
        }
        std::fs::create_dir_all(&self.parent).map_err(|e| {
            OutputError::Failed(format!("cannot create {}: {e}", self.parent.display()))
        })?;
        let _lock = self.lock(cancel)?;
        self.remove_stale();
        let names: Vec<&str> = outputs.names().collect();
        let plan = self.survey(&names)?;
        let staging = self.staging();
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&staging).map_err(|e| {
            OutputError::Failed(format!("cannot create {}: {e}", staging.display()))
        })?;
        let result = self.fill_and_swap(outputs, &plan, &staging);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    }

    fn fill_and_swap(
        &self,
        outputs: &Outputs,
        plan: &Plan,
        staging: &Path,
    ) -> Result<Vec<PathBuf>, OutputError> {
        let write_failed = |e: std::io::Error| {
            OutputError::Failed(format!(
                "cannot write results to {}: {e}",
                self.shown.display()
            ))
        };
        let mut marker = Marker {
            scenario: self.scenario.clone(),
            files: plan.kept.clone(),
            legacy: false,
        };
        for (name, bytes) in &outputs.files {
            create_new(&staging.join(name), bytes).map_err(write_failed)?;
            marker
                .files
                .insert(name.clone(), (self.set.clone(), marker::hash(bytes)));
        }
        create_new(&staging.join(marker::NAME), marker.render().as_bytes())
            .map_err(write_failed)?;
        // Files are carried across as hard links (the same file, not a
        // copy); what cannot be linked is moved across after the swap.
        let exists = self.folder.exists();
        if exists {
            for name in plan.kept.keys().chain(&plan.carried) {
                let _ = std::fs::hard_link(self.folder.join(name), staging.join(name));
            }
        }
        set_permissions(staging, exists.then_some(self.folder.as_path()));
        sync_dir(staging);
        pause_for_tests("before-swap");
        let old = if exists {
            swap(staging, &self.folder).map_err(write_failed)?
        } else {
            rename_no_replace(staging, &self.folder).map_err(write_failed)?;
            None
        };
        pause_for_tests("after-swap");
        if let Some(old) = old {
            // Whatever was not carried across yet (folders of the user's,
            // anything added while this run wrote) follows the swap.
            let replaced: BTreeSet<&str> = outputs.names().chain([marker::NAME]).collect();
            if let Ok(entries) = std::fs::read_dir(&old) {
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    let ours = name
                        .to_str()
                        .is_some_and(|n| replaced.contains(n) || plan.dropped.contains(n));
                    let target = self.folder.join(&name);
                    if !ours && std::fs::symlink_metadata(&target).is_err() {
                        let _ = std::fs::rename(entry.path(), target);
                    }
                }
            }
            let _ = std::fs::remove_dir_all(&old);
        }
        sync_dir(&self.parent);
        Ok(outputs.names().map(|name| self.shown.join(name)).collect())
    }

    /// A fresh name beside the folder for the new set.
    fn staging(&self) -> PathBuf {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        self.parent.join(format!(
            "{}{}-{}-{nanos}",
            self.staging_prefix(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ))
    }

    fn staging_prefix(&self) -> String {
        format!(".{}.affsim-new-", self.name.to_string_lossy())
    }

    /// Sets left behind by a run that was killed while writing (it held the
    /// lock, so no live run owns them): entries of the user's that a swap
    /// had not carried back yet return to the folder; the rest goes.
    fn remove_stale(&self) {
        let prefix = self.staging_prefix();
        let Ok(entries) = std::fs::read_dir(&self.parent) else {
            return;
        };
        for entry in entries.flatten() {
            if !entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
                || !entry.file_type().is_ok_and(|t| t.is_dir())
            {
                continue;
            }
            let stale = entry.path();
            let listed = match marker::read(&stale) {
                Ok(Found::Marker(marker)) => marker.files,
                _ => BTreeMap::new(),
            };
            if self.folder.is_dir()
                && let Ok(inner) = std::fs::read_dir(&stale)
            {
                for item in inner.flatten() {
                    let name = item.file_name();
                    let affsims = name
                        .to_str()
                        .is_some_and(|n| n == marker::NAME || listed.contains_key(n));
                    let target = self.folder.join(&name);
                    if !affsims && std::fs::symlink_metadata(&target).is_err() {
                        let _ = std::fs::rename(item.path(), target);
                    }
                }
            }
            let _ = std::fs::remove_dir_all(stale);
        }
    }

    /// Takes the parent folder's lock, waiting for another run's commit
    /// (and saying so when the wait is long).
    fn lock(&self, cancel: &AtomicBool) -> Result<std::fs::File, OutputError> {
        let handle = std::fs::File::open(&self.parent).map_err(|e| {
            OutputError::Failed(format!("cannot open {}: {e}", self.parent.display()))
        })?;
        let started = Instant::now();
        let mut said = false;
        loop {
            match handle.try_lock() {
                Ok(()) => return Ok(handle),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(error)) => {
                    return Err(OutputError::Failed(format!(
                        "cannot lock {}: {error}",
                        self.parent.display()
                    )));
                }
            }
            if cancel.load(Ordering::SeqCst) {
                return Err(OutputError::Interrupted);
            }
            if !said && started.elapsed() > Duration::from_secs(1) {
                said = true;
                let _ = writeln!(
                    std::io::stderr(),
                    "waiting for another affsim run to finish writing into {}…",
                    self.parent.display()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `a/./b/../c` as `a/c`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Creates `path` exclusively (never through a link or over a file) and
/// writes `bytes` to disk.
fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn sync_dir(path: &Path) {
    if let Ok(dir) = std::fs::File::open(path) {
        let _ = dir.sync_all();
    }
}

/// The new folder gets the old one's permissions, or a new folder's
/// (0777 less the umask) when there was none: it was private only while
/// being written.
fn set_permissions(staging: &Path, old: Option<&Path>) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match old.and_then(|old| std::fs::metadata(old).ok()) {
            Some(meta) => meta.permissions().mode() & 0o7777,
            None => 0o777 & !umask(),
        };
        let _ = std::fs::set_permissions(staging, std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (staging, old);
}

/// The process's umask, read without changing it (Linux ≥ 4.7).
#[cfg(unix)]
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Umask:"))?;
            u32::from_str_radix(line.split_whitespace().nth(1)?, 8).ok()
        })
        .unwrap_or(0o022)
}

/// Puts `staging` in place of `folder` in one step and returns where the
/// old folder now is. Where the file system cannot exchange two names, the
/// old folder is renamed aside first (a moment without a folder, never a
/// mix).
fn swap(staging: &Path, folder: &Path) -> std::io::Result<Option<PathBuf>> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staging, CWD, folder, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(Some(staging.to_path_buf())),
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let aside = staging.with_extension("old");
    std::fs::rename(folder, &aside)?;
    if let Err(error) = std::fs::rename(staging, folder) {
        let _ = std::fs::rename(&aside, folder);
        return Err(error);
    }
    Ok(Some(aside))
}

/// Renames `from` to `to`, failing if anything appeared at `to`.
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {}
            Err(error) => return Err(error.into()),
        }
    }
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} appeared while writing", to.display()),
        ));
    }
    std::fs::rename(from, to)
}

/// Test hook: with `AFFSIM_TEST_PAUSE=before-swap` (or `after-swap`) the
/// commit stops there for a minute, so that a test can kill the process at
/// the worst moment. Unset in normal use.
fn pause_for_tests(point: &str) {
    if std::env::var("AFFSIM_TEST_PAUSE").is_ok_and(|p| p == point) {
        let _ = writeln!(std::io::stderr(), "paused {point}");
        std::thread::sleep(Duration::from_secs(60));
    }
}

/// A name that stays inside the folder: no separators, not `.` or `..`.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0', '\n'])
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
