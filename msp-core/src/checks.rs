//! The configuration checks of `msp config check`, as a typed list: the
//! configuration, the external plugins, the web console's settings, the
//! folders, and for each client its flows, its database and its SFTP
//! server. The caller prints them (or shows them in the console); it
//! passes in what the core does not implement: the plugins it loaded, the
//! registry, a [`Connector`] to the databases and a [`RemoteConnector`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use msp_plugins::Registry;

use crate::backend::Connector;
use crate::config::{ClientConfig, Config, DEFAULT_LISTEN};
use crate::transport::RemoteConnector;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// As it should be.
    Ok,
    /// Works, but something deserves attention.
    Warn,
    /// Wrong: msp cannot work as configured.
    Fail,
}

impl Outcome {
    /// The four-character tag a line of `msp config check` starts with.
    pub fn tag(self) -> &'static str {
        match self {
            Outcome::Ok => "ok  ",
            Outcome::Warn => "WARN",
            Outcome::Fail => "FAIL",
        }
    }
}

/// What a check is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// The configuration file itself.
    Configuration,
    /// An external plugin the configuration names.
    Plugin,
    /// The web console's settings (`[web]`).
    WebConsole,
    /// The folders under the root.
    Folders,
    /// One client (by name): its flows, its database, its SFTP server.
    Client(String),
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What it is about.
    pub subject: Subject,
    /// How it came out.
    pub outcome: Outcome,
    /// The sentence that says it (English, without the tag).
    pub text: String,
}

impl Check {
    /// A check's result.
    pub fn new(subject: Subject, outcome: Outcome, text: String) -> Check {
        Check {
            subject,
            outcome,
            text,
        }
    }

    fn ok(subject: Subject, text: String) -> Check {
        Check::new(subject, Outcome::Ok, text)
    }

    fn warn(subject: Subject, text: String) -> Check {
        Check::new(subject, Outcome::Warn, text)
    }

    fn fail(subject: Subject, text: String) -> Check {
        Check::new(subject, Outcome::Fail, text)
    }
}

/// The line `msp config check` prints: the tag, a space, the text.
impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.outcome.tag(), self.text)
    }
}

/// What became of one external plugin the configuration names.
#[derive(Clone, Debug)]
pub enum PluginLoad {
    /// Loaded and registered.
    Loaded {
        /// The library's path, as configured.
        path: PathBuf,
        /// The flow it handles.
        flow: &'static str,
        /// Its application's name.
        application: &'static str,
        /// The application of the plugin it replaces for that flow, if any.
        replaces: Option<&'static str>,
    },
    /// Not loaded.
    Failed {
        /// The library's path, as configured.
        path: PathBuf,
        /// Why.
        error: String,
    },
}

/// What the checks look at.
pub struct Subjects<'a> {
    /// The configuration in force.
    pub config: &'a Config,
    /// The external plugins, as the caller loaded them, in order.
    pub plugins: &'a [PluginLoad],
    /// The registry with the built-in and the loaded plugins.
    pub registry: &'a Registry,
    /// Opens a client's database (without changing its schema).
    pub databases: &'a dyn Connector,
    /// Connects to a client's SFTP server.
    pub remotes: &'a dyn RemoteConnector,
    /// Opens the hub for a client's HubEE subscriptions.
    pub hub: &'a dyn crate::hubee::HubConnector,
}

/// Every check, in the order `msp config check` prints them.
pub fn run(subjects: &Subjects<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    run_each(subjects, &mut |c| checks.push(c));
    checks
}

/// Every check, each handed to `each` as soon as it is done (a database
/// or a server may take its time to answer).
pub fn run_each(subjects: &Subjects<'_>, each: &mut dyn FnMut(Check)) {
    let config = subjects.config;
    each(Check::ok(
        Subject::Configuration,
        format!(
            "configuration {} ({} client(s))",
            config.source,
            config.clients.len()
        ),
    ));
    for load in subjects.plugins {
        plugin(load, each);
    }
    web_console(config, each);
    folders(config, each);
    for client in &config.clients {
        client_checks(subjects, client, each);
    }
}

/// Whether any check failed.
pub fn any_failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.outcome == Outcome::Fail)
}

fn plugin(load: &PluginLoad, each: &mut dyn FnMut(Check)) {
    match load {
        PluginLoad::Loaded {
            path,
            flow,
            application,
            replaces,
        } => {
            each(Check::ok(
                Subject::Plugin,
                format!("plugin {flow} ({application}) from {}", path.display()),
            ));
            if let Some(builtin) = replaces {
                each(Check::warn(
                    Subject::Plugin,
                    format!(
                        "plugin {} replaces the built-in plugin {builtin} for {flow}",
                        path.display()
                    ),
                ));
            }
        }
        PluginLoad::Failed { error, .. } => {
            each(Check::fail(Subject::Plugin, format!("plugin: {error}")))
        }
    }
}

/// `[web]`: an address to listen on, users when it is not the loopback,
/// their hashes not readable by every account.
fn web_console(config: &Config, each: &mut dyn FnMut(Check)) {
    let web = &config.web;
    let listen = web.listen.as_deref().map(|l| (l, l.parse::<SocketAddr>()));
    let open_to_others = matches!(listen, Some((_, Ok(a))) if !a.ip().is_loopback());
    if let Some((l, Err(_))) = listen {
        each(Check::fail(
            Subject::WebConsole,
            format!("web console: [web] listen = \"{l}\" is not an address and port (e.g. 127.0.0.1:8080)"),
        ));
    } else if open_to_others && web.users.is_empty() {
        each(Check::fail(
            Subject::WebConsole,
            format!(
                "web console: [web] listen = {} is not the loopback and no user is configured (msp user add NAME)",
                web.listen.as_deref().unwrap_or_default()
            ),
        ));
    } else {
        if !web.users.is_empty() {
            if let Some(warning) = hashes_readable_by_others(Path::new(&config.source)) {
                each(Check::warn(
                    Subject::WebConsole,
                    format!("web console: {warning}"),
                ));
            }
        }
        each(Check::ok(
            Subject::WebConsole,
            format!(
                "web console (msp serve): {}, {}",
                web.listen.as_deref().unwrap_or(DEFAULT_LISTEN),
                match web.users.len() {
                    0 => "no user: no sign-in, loopback only".to_string(),
                    n => format!("{n} user(s), sign-in required"),
                }
            ),
        ));
    }
}

fn folders(config: &Config, each: &mut dyn FnMut(Check)) {
    let problems = config.check_folders();
    if problems.is_empty() {
        each(Check::ok(
            Subject::Folders,
            format!("folders under {}", config.root.display()),
        ));
    }
    for p in problems {
        each(Check::fail(Subject::Folders, p));
    }
}

/// A client's flows (registered), database (answers) and SFTP server
/// (authenticates, both folders listed).
fn client_checks(subjects: &Subjects<'_>, client: &ClientConfig, each: &mut dyn FnMut(Check)) {
    let subject = || Subject::Client(client.name.clone());
    let codes = subjects.registry.codes();
    for f in client.flows.iter().flatten() {
        if !codes.contains(&f.as_str()) {
            each(Check::fail(
                subject(),
                format!(
                    "client {}: flow {f} is not registered (registered: {})",
                    client.name,
                    codes.join(", ")
                ),
            ));
        }
    }
    each(
        match subjects.databases.connect(client, &subjects.config.root) {
            Ok(b) => Check::ok(
                subject(),
                format!(
                    "client {} ({}): connected to {}",
                    client.name,
                    client.insee.join(", "),
                    b.describe()
                ),
            ),
            Err(e) => Check::fail(subject(), of_client(&client.name, &e)),
        },
    );
    if let Some(sftp) = &client.sftp {
        let problems = crate::transport::check(subjects.remotes, sftp);
        if problems.is_empty() {
            each(Check::ok(
                subject(),
                format!(
                    "client {}: {} authenticated, push_dir {}{}",
                    client.name,
                    sftp.label(),
                    sftp.push_dir,
                    sftp.pull_dir
                        .as_ref()
                        .map(|d| format!(", pull_dir {d}"))
                        .unwrap_or_default()
                ),
            ));
        }
        for p in problems {
            each(Check::fail(
                subject(),
                format!("client {}: {p}", client.name),
            ));
        }
    }
    check_hubee(subjects, client, each);
}

/// Each HubEE subscription of a client: a token obtained and the
/// notifications waiting counted (read, never consumed).
fn check_hubee(subjects: &Subjects<'_>, client: &ClientConfig, each: &mut dyn FnMut(Check)) {
    let Some(hubee) = &subjects.config.hubee else {
        return;
    };
    for sub in &client.hubee {
        let counted = subjects
            .hub
            .connect(hubee, sub)
            .and_then(|mut hub| hub.notifications());
        each(match counted {
            Ok(n) => Check::ok(
                Subject::Client(client.name.clone()),
                format!(
                    "client {}: {} authenticated (flow {}), {}{} notification(s) waiting",
                    client.name,
                    sub.label(),
                    sub.flow,
                    n.len(),
                    if n.len() >= 25 { " or more" } else { "" }
                ),
            ),
            Err(e) => Check::fail(
                Subject::Client(client.name.clone()),
                format!("client {}: {}: {e}", client.name, sub.label()),
            ),
        });
    }
}

/// An error about a client, named once: `client Belfort: ...` (the error
/// may name it already).
pub fn of_client(name: &str, e: &dyn fmt::Display) -> String {
    let text = e.to_string();
    let prefix = format!("client {name}: ");
    if text.starts_with(&prefix) {
        text
    } else {
        format!("{prefix}{text}")
    }
}

/// Why a configuration file holding password hashes is too open: readable
/// by every account of the machine (an offline guess needs only the hash).
pub fn hashes_readable_by_others(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o004 != 0).then(|| {
            format!(
                "{} holds the console's password hashes and every account of this machine can read it (mode {mode:04o}): chmod 600 {} (640 with the msp group)",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_the_tag_then_the_text() {
        let ok = Check::new(Subject::Folders, Outcome::Ok, "folders under /x".into());
        assert_eq!(ok.to_string(), "ok   folders under /x");
        let warn = Check::new(Subject::Plugin, Outcome::Warn, "w".into());
        assert_eq!(warn.to_string(), "WARN w");
        assert!(!any_failed(&[ok, warn]));
    }

    #[test]
    fn a_client_is_named_once() {
        assert_eq!(of_client("Belfort", &"down"), "client Belfort: down");
        assert_eq!(
            of_client("Belfort", &"client Belfort: down"),
            "client Belfort: down"
        );
    }

    #[test]
    fn a_listen_value_that_is_no_address_fails() {
        let mut config = Config::embedded_default();
        config.web.listen = Some("nonsense".into());
        let mut checks = Vec::new();
        web_console(&config, &mut |c| checks.push(c));
        assert!(any_failed(&checks), "{checks:?}");
        assert_eq!(checks[0].subject, Subject::WebConsole);
        assert!(checks[0].text.contains("\"nonsense\" is not an address"));
    }

    #[test]
    fn a_replaced_plugin_is_a_warning_a_missing_one_a_failure() {
        let mut checks = Vec::new();
        let loaded = PluginLoad::Loaded {
            path: PathBuf::from("/usr/lib/msp/libx.so"),
            flow: "AEC-LA",
            application: "X",
            replaces: Some("Avenir"),
        };
        plugin(&loaded, &mut |c| checks.push(c));
        let failed = PluginLoad::Failed {
            path: PathBuf::from("/nowhere.so"),
            error: "cannot load".into(),
        };
        plugin(&failed, &mut |c| checks.push(c));
        let lines: Vec<String> = checks.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "ok   plugin AEC-LA (X) from /usr/lib/msp/libx.so",
                "WARN plugin /usr/lib/msp/libx.so replaces the built-in plugin Avenir for AEC-LA",
                "FAIL plugin: cannot load",
            ]
        );
    }
}
