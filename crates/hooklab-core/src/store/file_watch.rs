//! Whether the database file at the path is still the one the writer has open. Deleted or
//! replaced while serving, SQLite would go on committing into the orphaned file and every
//! acknowledged event would vanish on restart; the writer checks before each batch and refuses
//! to acknowledge anything once the file is gone.

use std::path::{Path, PathBuf};

/// The identity (device and inode) of the file the writer opened.
pub(crate) struct FileWatch {
    path: PathBuf,
    opened: Option<(u64, u64)>,
    gone: bool,
}

impl FileWatch {
    /// Remembers which file is at `path` now (right after the writer opened it).
    pub(crate) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            opened: identity(path),
            gone: false,
        }
    }

    /// True while the file at the path is the one opened. Once it is not, stays false (the
    /// writer's connection still points at the old file); `first` tells the caller to raise it.
    pub(crate) fn check(&mut self) -> Check {
        if self.gone {
            return Check::StillGone;
        }
        if self.opened.is_none() || identity(&self.path) == self.opened {
            return Check::Same;
        }
        self.gone = true;
        Check::JustGone
    }
}

/// What [`FileWatch::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    Same,
    JustGone,
    StillGone,
}

#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_path: &Path) -> Option<(u64, u64)> {
    None
}
