//! The web console under test: `msp serve` started on a free port of the
//! loopback in an installation, and a small HTTP client that keeps its
//! session cookie the way a browser does.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use super::{Env, Run};

/// A running `msp serve`, stopped when dropped.
pub struct Console {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Console {
    /// Starts `msp serve --listen 127.0.0.1:0` in `env` and waits for the
    /// line saying where it listens.
    pub fn start(env: &Env) -> Console {
        Console::start_with(env, &[])
    }

    /// [`Console::start`] with extra environment variables (test hooks
    /// such as `MSP_WEB_TIMEOUT_MS`).
    pub fn start_with(env: &Env, vars: &[(&str, &str)]) -> Console {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_msp"));
        cmd.current_dir(env.path())
            .env("LANG", "C.UTF-8")
            .envs(vars.iter().copied());
        Console::spawn(cmd)
    }

    /// `cmd` (an `msp` in its installation's folder: this build's, or
    /// `msp.exe` under Wine) started as `serve --listen 127.0.0.1:0`.
    pub fn spawn(mut cmd: Command) -> Console {
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("msp serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("msp serve said: {line:?}"))
            .trim_end_matches('/')
            .to_string();
        Console { child, base }
    }

    /// `127.0.0.1:PORT`, for raw TCP connections.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    /// The process id of `msp serve` (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its exit code once it ended, waiting at most `timeout` (`None`: still
    /// running).
    pub fn exit_code(&mut self, timeout: std::time::Duration) -> Option<i32> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code().unwrap_or(-1));
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// Runs the real binary with `args` in `env`, `stdin` written to its
/// standard input (`msp user add NAME --password-stdin`).
pub fn msp_with_stdin(env: &Env, args: &[&str], stdin: &str) -> Run {
    use std::io::Write;
    let out = Command::new(env!("CARGO_BIN_EXE_msp"))
        .args(args)
        .current_dir(env.path())
        .env_remove("MSP_LOG")
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(stdin.as_bytes())?;
            child.wait_with_output()
        })
        .expect("msp runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, headers we look at, body.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookie: Vec<String>,
    pub content_type: String,
    pub disposition: Option<String>,
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A browser-like client: keeps the session cookie, never follows
/// redirects (tests look at them).
pub struct Client {
    agent: ureq::Agent,
    base: String,
    pub cookie: Option<String>,
    /// Sent as the Host header instead of the real one, when set.
    pub host: Option<String>,
}

impl Client {
    pub fn new(console: &Console) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            agent,
            base: console.base.clone(),
            cookie: None,
            host: None,
        }
    }

    fn answer(&mut self, r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut r = r.expect("the console answers");
        let h = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = h("location");
        let content_type = h("content-type").unwrap_or_default();
        let disposition = h("content-disposition");
        let set_cookie: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        for c in &set_cookie {
            let pair = c.split(';').next().unwrap_or_default();
            if pair.starts_with("msp_session=") {
                self.cookie = Some(pair.to_string()).filter(|p| p != "msp_session=");
            }
        }
        let headers: Vec<(String, String)> = r
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap();
        Answer {
            status,
            location,
            set_cookie,
            content_type,
            disposition,
            headers,
            body,
        }
    }

    /// GET `path`.
    pub fn get(&mut self, path: &str) -> Answer {
        self.get_with(path, &[])
    }

    /// GET `path` with extra headers.
    pub fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c);
        }
        if let Some(h) = &self.host {
            req = req.header("Host", h);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.call();
        self.answer(r)
    }

    /// POST a form to `path`.
    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.post_with(path, form, &[])
    }

    /// POST a form with extra headers.
    pub fn post_with(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self.agent.post(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send_form(form.iter().copied());
        self.answer(r)
    }

    /// The CSRF token of the forms of `path`'s page.
    pub fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        csrf_of(&page.text())
    }
}

/// Whether `html` says `text`, its apostrophe written as it is or as
/// `&#39;` (how the console's templates escape it).
pub fn says(html: &str, text: &str) -> bool {
    html.contains(text) || html.contains(&text.replace('\'', "&#39;"))
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in {html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}
