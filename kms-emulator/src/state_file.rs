//! The optional state file: the resources as JSON, loaded at start and rewritten atomically
//! (write a temporary file, then rename it over the old one) after every change.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use crate::error::StartError;
use crate::store::Store;

/// The format marker written into every state file.
const FORMAT: &str = "kms-emulator-state/1";

#[derive(Serialize, Deserialize)]
struct StateDocument {
    format: String,
    store: Store,
}

/// Where the state is saved.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    // Serialises writers, so the snapshot taken last is also the one renamed into place last.
    write_lock: Mutex<()>,
}

impl StateFile {
    /// A state file at `path` (nothing is read or written yet).
    pub fn new(path: PathBuf) -> Self {
        StateFile {
            path,
            write_lock: Mutex::new(()),
        }
    }

    /// The resources saved at `path`; an absent file is an empty account.
    pub fn load(&self) -> Result<Store, StartError> {
        let failure = |reason: String| StartError::StateFile {
            path: self.path.display().to_string(),
            reason,
        };
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Store::default())
            }
            Err(error) => return Err(failure(error.to_string())),
        };
        let document: StateDocument =
            serde_json::from_str(&text).map_err(|error| failure(error.to_string()))?;
        if document.format != FORMAT {
            return Err(failure(format!(
                "unknown format {:?}, expected {FORMAT:?}",
                document.format
            )));
        }
        Ok(document.store)
    }

    /// Saves a snapshot of `store`.
    pub fn save(&self, store: &RwLock<Store>) -> std::io::Result<()> {
        let _writer = self
            .write_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let snapshot = store.read().unwrap_or_else(PoisonError::into_inner).clone();
        let document = StateDocument {
            format: FORMAT.to_owned(),
            store: snapshot,
        };
        let text = serde_json::to_vec_pretty(&document).map_err(std::io::Error::other)?;
        let temporary = temporary_path(&self.path);
        {
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(&text)?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, &self.path)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AccessPoint;

    #[test]
    fn saves_and_loads_and_refuses_garbage() {
        let directory =
            std::env::temp_dir().join(format!("kms-emulator-state-test-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join("state.json");
        let state_file = StateFile::new(path.clone());
        assert_eq!(state_file.load().unwrap(), Store::default());

        let mut store = Store::default();
        store.access_points.insert(
            "aap".into(),
            AccessPoint {
                name: "aap".into(),
                authentication_method: "ClientKey".into(),
                policies: vec!["p".into()],
                description: String::new(),
                sequence: 1,
            },
        );
        state_file.save(&RwLock::new(store.clone())).unwrap();
        assert_eq!(state_file.load().unwrap(), store);

        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(
            state_file.load(),
            Err(StartError::StateFile { .. })
        ));
        std::fs::remove_dir_all(&directory).unwrap();
    }
}
