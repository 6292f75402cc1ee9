//! The clients' databases, each opened once: several towns may share one
//! database, and a process that serves many requests (the console) keeps
//! what it opened. The binary's commands and the console go through it, so
//! both open, share and report unreachable databases the same way.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::backend::{Backend, Connector};
use crate::config::ClientConfig;
use crate::error::Error;

/// The databases opened so far, by URL.
#[derive(Default)]
pub struct Databases {
    open: Mutex<HashMap<String, Arc<dyn Backend>>>,
}

/// The databases of some clients: those that answered, once each, and the
/// clients whose database did not, with why.
pub struct Opened {
    /// The databases that answered, in the clients' order, each once.
    pub open: Vec<Arc<dyn Backend>>,
    /// The clients whose database did not answer: the client's name and
    /// the error.
    pub unreachable: Vec<(String, Error)>,
}

impl Databases {
    /// No database opened yet.
    pub fn new() -> Self {
        Databases::default()
    }

    /// The databases of `clients` (a relative SQLite path is under `root`),
    /// opened through `connector` the first time and kept; a database that
    /// fails is tried again next time.
    pub fn of<'a>(
        &self,
        connector: &dyn Connector,
        root: &Path,
        clients: impl IntoIterator<Item = &'a ClientConfig>,
    ) -> Opened {
        let mut opened = Opened {
            open: Vec::new(),
            unreachable: Vec::new(),
        };
        let mut seen = std::collections::HashSet::new();
        for client in clients {
            if !seen.insert(client.database.as_str()) {
                continue;
            }
            let known = self.lock().get(&client.database).cloned();
            if let Some(b) = known {
                opened.open.push(b);
                continue;
            }
            match connector.connect(client, root) {
                Ok(b) => {
                    self.lock().insert(client.database.clone(), b.clone());
                    opened.open.push(b);
                }
                Err(e) => opened.unreachable.push((client.name.clone(), e)),
            }
        }
        opened
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<dyn Backend>>> {
        // A panic while holding the map leaves it whole: keep using it.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::Config;

    /// Fails for one URL, and counts its calls.
    struct Counting(AtomicUsize);

    impl Connector for Counting {
        fn connect(&self, client: &ClientConfig, _root: &Path) -> crate::Result<Arc<dyn Backend>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(Error::temporary(format!("{} is down", client.database)))
        }
    }

    #[test]
    fn a_shared_database_is_tried_once_and_each_failure_names_its_client() {
        let config = Config::from_toml(
            r#"
            [[client]]
            name = "Paris"
            insee = ["75056"]
            database = "sqlite://shared.db"
            [[client]]
            name = "Lyon"
            insee = ["69123"]
            database = "sqlite://shared.db"
            "#,
            Path::new("/tmp"),
            "test".into(),
        )
        .unwrap();
        let connector = Counting(AtomicUsize::new(0));
        let opened = Databases::new().of(&connector, Path::new("/tmp"), &config.clients);
        assert!(opened.open.is_empty());
        assert_eq!(connector.0.load(Ordering::SeqCst), 1);
        assert_eq!(opened.unreachable.len(), 1);
        assert_eq!(opened.unreachable[0].0, "Paris");
        assert!(opened.unreachable[0]
            .1
            .message
            .contains("shared.db is down"));
    }
}
