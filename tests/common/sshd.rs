//! A real OpenSSH server for the SFTP tests: Debian's `sshd` on 127.0.0.1
//! and a free port, with a generated host key and user key, started as a
//! child process (and killed when dropped).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running sshd and what a client needs to reach it.
pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub user: String,
    child: Option<Child>,
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs")
        .success();
    assert!(ok, "ssh-keygen {}", path.display());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sshd {
    /// Starts sshd, or says why it cannot (SKIPPED; a failure in CI, where
    /// `.ci/run` installs openssh-server).
    pub fn start() -> Option<Sshd> {
        let sshd = Path::new("/usr/sbin/sshd");
        if !sshd.exists() || Command::new("ssh-keygen").arg("-?").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "sshd and ssh-keygen must be installed in CI (openssh-server)"
            );
            eprintln!(
                "SKIPPED SFTP tests: /usr/sbin/sshd or ssh-keygen not installed (openssh-server)"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("user_key"));
        keygen(&d.join("other_key"));
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        for sub in ["remote/retours", "remote/demandes"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        let mut s = Sshd {
            port: free_port(),
            dir,
            user,
            child: None,
        };
        // Privilege separation needs /run/sshd (root only).
        let _ = std::fs::create_dir_all("/run/sshd");
        s.write_known_hosts(&s.dir.path().join("known_hosts"), "host_key.pub");
        s.restart();
        Some(s)
    }

    fn config(&self) -> PathBuf {
        let d = self.dir.path();
        let path = d.join("sshd_config");
        std::fs::write(
            &path,
            format!(
                "Port {}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\nLogLevel ERROR\n",
                self.port,
                d.join("host_key").display(),
                d.join("sshd.pid").display(),
                d.join("authorized_keys").display(),
            ),
        )
        .unwrap();
        path
    }

    /// Starts (again) the server on the same port with the same keys.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.config())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server and its open connections (kill -9).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // Each accepted connection is a child process of the listener.
            let _ = Command::new("pkill")
                .args(["-9", "-P", &c.id().to_string()])
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A known_hosts file naming this server with the key in `pub_file`.
    pub fn write_known_hosts(&self, path: &Path, pub_file: &str) {
        let key = std::fs::read_to_string(self.dir.path().join(pub_file)).unwrap();
        let mut fields = key.split_whitespace();
        let (alg, b64) = (fields.next().unwrap(), fields.next().unwrap());
        std::fs::write(path, format!("[127.0.0.1]:{} {alg} {b64}\n", self.port)).unwrap();
    }

    pub fn remote(&self, sub: &str) -> PathBuf {
        self.dir.path().join("remote").join(sub)
    }

    /// The `[client.sftp]` block, with a key file and a known_hosts file.
    pub fn client_block(&self, key: &str, known_hosts: &Path) -> String {
        format!(
            "[client.sftp]\nhost = \"127.0.0.1\"\nport = {}\nuser = \"{}\"\nkey_file = \"{}\"\nknown_hosts = \"{}\"\npush_dir = \"{}\"\npull_dir = \"{}\"\ntimeout_seconds = 5\n",
            self.port,
            self.user,
            self.dir.path().join(key).display(),
            known_hosts.display(),
            self.remote("retours").display(),
            self.remote("demandes").display(),
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}
