use super::*;
use std::collections::BTreeMap;

/// A server in memory whose downloads of some names fail.
#[derive(Default)]
struct Fake {
    files: BTreeMap<String, Vec<u8>>,
    failing: Vec<String>,
    /// A failure closes the connection.
    dies: bool,
    dead: bool,
}

impl Remote for Fake {
    fn list(&mut self, dir: &str) -> Result<Vec<RemoteEntry>> {
        if self.dead {
            return Err(Error::trouble("session closed"));
        }
        Ok(self
            .files
            .iter()
            .filter_map(|(p, b)| {
                Some(RemoteEntry {
                    name: p.strip_prefix(&format!("{dir}/"))?.to_string(),
                    size: b.len() as u64,
                    modified: Some(SystemTime::UNIX_EPOCH),
                })
            })
            .collect())
    }
    fn stat(&mut self, path: &str) -> Result<Option<RemoteEntry>> {
        Ok(self.files.get(path).map(|b| RemoteEntry {
            name: path.rsplit('/').next().unwrap_or(path).to_string(),
            size: b.len() as u64,
            modified: Some(SystemTime::UNIX_EPOCH),
        }))
    }
    fn download(&mut self, path: &str, to: &mut dyn Write) -> Result<u64> {
        if self.failing.iter().any(|f| path.ends_with(f.as_str())) {
            self.dead = self.dies;
            return Err(Error::trouble(format!("downloading {path}: Timeout")));
        }
        let b = &self.files[path];
        to.write_all(b).map_err(|e| Error::trouble(e.to_string()))?;
        Ok(b.len() as u64)
    }
    fn upload(&mut self, _: &Path, _: &str) -> Result<()> {
        unreachable!()
    }
    fn rename(&mut self, _: &str, _: &str) -> Result<()> {
        unreachable!()
    }
    fn remove(&mut self, path: &str) -> Result<()> {
        self.files.remove(path);
        Ok(())
    }
}

fn setup(names: &[&str], failing: &[&str]) -> (tempfile::TempDir, Config, SftpConfig, Fake) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::from_toml(
        "[[client]]\nname = \"m\"\ninsee = [\"*\"]\ndatabase = \"sqlite://m.db\"\n[client.sftp]\nhost = \"h\"\nuser = \"u\"\nknown_hosts = \"kh\"\npassword_env = \"X\"\npush_dir = \"out\"\npull_dir = \"in\"\n",
        dir.path(),
        "test".into(),
    )
    .unwrap();
    let sftp = config.clients[0].sftp.clone().unwrap();
    let mut fake = Fake::default();
    for n in names {
        fake.files.insert(format!("in/{n}"), n.as_bytes().to_vec());
    }
    fake.failing = failing.iter().map(|s| s.to_string()).collect();
    (dir, config, sftp, fake)
}

#[test]
fn a_failed_download_leaves_that_archive_and_the_others_are_fetched() {
    let (_dir, config, sftp, mut fake) = setup(&["a.zip", "b.zip", "c.zip"], &["b.zip"]);
    let moved = pull(&config, &sftp, &mut fake).unwrap();
    assert_eq!(moved.count, 2);
    assert_eq!(moved.failed.len(), 1);
    assert!(moved.failed[0].message.contains("in/b.zip"));
    assert_eq!(fake.files.keys().collect::<Vec<_>>(), vec!["in/b.zip"]);
    let mut input: Vec<String> = fs::read_dir(&config.folders.input)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    input.sort();
    assert_eq!(input, vec!["a.zip", "c.zip"], "no temporary file left");
}

#[test]
fn a_lost_connection_stops_the_pull_as_one_cause() {
    let names = ["a.zip", "b.zip", "c.zip", "d.zip"];
    let (_dir, config, sftp, mut fake) = setup(&names, &["b.zip"]);
    fake.dies = true;
    let moved = pull(&config, &sftp, &mut fake).unwrap();
    assert_eq!(moved.failed.len(), 1, "one cause, not one per archive");
    assert_eq!(moved.count, 1, "a.zip came before");
    assert_eq!(fake.files.len(), 3, "the rest waits for the next run");
}

#[test]
fn one_process_at_a_time_moves_a_client_s_archives() {
    let dir = tempfile::tempdir().unwrap();
    let held = lock_client(dir.path(), "Paris").unwrap();
    assert!(held.is_some());
    assert!(lock_client(dir.path(), "Paris").unwrap().is_none());
    assert!(lock_client(dir.path(), "Lyon").unwrap().is_some());
    drop(held);
    assert!(lock_client(dir.path(), "Paris").unwrap().is_some());
}
