//! Events the database could not take yet, as JSON-lines files in the data
//! folder, written with fsync before the events are let go of. Replay
//! deletes a file only after its events are committed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::SpendEvent;

/// The spool folder.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    lock: Mutex<()>,
}

impl Spool {
    /// A spool in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            lock: Mutex::new(()),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes events to a new file durably. Failing that, the events are
    /// logged in full so an operator can still recover them.
    pub fn append(&self, events: &[SpendEvent]) {
        if events.is_empty() {
            return;
        }
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(err) = self.write_file(events) {
            for event in events {
                let line = serde_json::to_string(event).unwrap_or_default();
                tracing::error!(error = %err, event = %line, "spend event could not be spooled");
            }
        }
    }

    fn write_file(&self, events: &[SpendEvent]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let name = format!(
            "spend-{}-{}.jsonl",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
            uuid::Uuid::new_v4().simple()
        );
        let partial = self.dir.join(format!(".{name}.partial"));
        let mut file = std::fs::File::create(&partial)?;
        for event in events {
            serde_json::to_writer(&mut file, event)?;
            file.write_all(b"\n")?;
        }
        file.sync_all()?;
        std::fs::rename(&partial, self.dir.join(name))?;
        Ok(())
    }

    /// Spooled files, oldest first.
    pub fn files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
            .collect();
        files.sort();
        files
    }

    /// The events of one file; unreadable lines are logged and skipped.
    pub fn read(&self, path: &Path) -> std::io::Result<Vec<SpendEvent>> {
        let text = std::fs::read_to_string(path)?;
        Ok(text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .filter_map(|line| match serde_json::from_str(line) {
                Ok(event) => Some(event),
                Err(err) => {
                    tracing::error!(error = %err, file = %path.display(), "unreadable spooled spend event");
                    None
                }
            })
            .collect())
    }

    /// Removes a replayed file.
    pub fn remove(&self, path: &Path) {
        if let Err(err) = std::fs::remove_file(path) {
            tracing::warn!(error = %err, file = %path.display(), "replayed spool file not removed");
        }
    }

    /// Moves a file the database refuses for good out of the replay loop.
    pub fn reject(&self, path: &Path) {
        let rejected = self.dir.join("rejected");
        let moved = std::fs::create_dir_all(&rejected).and_then(|()| {
            std::fs::rename(path, rejected.join(path.file_name().unwrap_or_default()))
        });
        if let Err(err) = moved {
            tracing::error!(error = %err, file = %path.display(), "rejected spool file not moved");
        }
    }
}
