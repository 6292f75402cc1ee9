//! Command-line interface.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use msp_core::backend::{Backend, Connector, Dossier};
use msp_core::lifecycle;
use msp_core::status::Action;
use msp_core::{Config, ErrorKind, Synchronizer};
use msp_plugins::Registry;
use serde_json::{json, Value};

/// Integrator between the "Ma démarche en ligne" portal and town-hall
/// business applications.
/// Prints a line that may hold outside data (citizen names, file names,
/// agents' comments): control and bidirectional characters escaped
/// (`msp_core::display::line`), so it can neither drive the terminal nor
/// forge lines.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", msp_core::display::line(&format!($($arg)*)))
    };
}

#[derive(Parser, Debug)]
#[command(name = "msp", version, about)]
pub struct Cli {
    /// Configuration file (default: ./msp.toml if present, else the embedded
    /// default: ./msp-data with one SQLite database, any CodeINSEE).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// More output on stderr (-v: info, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Nothing on stdout but what was asked for (JSON), and on stderr only
    /// rejections and trouble; no progress bar.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one synchronisation: import the archives waiting in input, write
    /// the return flows, log.
    #[command(
        after_help = "Exit status:\n  0  all went well\n  1  some archives were rejected (in the error folder with their French log), or a status change was refused\n  2  trouble (database, disk, permissions, configuration): the archives concerned stay in input for the next run"
    )]
    Run {
        /// Only this flow (repeatable); default: every registered flow.
        #[arg(long = "flow", value_name = "CODE")]
        flows: Vec<String>,
        /// Run continuously: a synchronisation every SECONDS until stopped.
        #[arg(long, value_name = "SECONDS")]
        every: Option<u64>,
        /// Only this client (repeatable, by name): several processes or
        /// hosts can serve disjoint sets of towns at once.
        #[arg(long = "client", value_name = "NAME")]
        clients: Vec<String>,
        /// The summary as one JSON object on stdout (see the README).
        #[arg(long)]
        json: bool,
    },
    /// Health for monitoring: the last synchronisation, input, rejected
    /// archives, statuses not transmitted, returns not collected. Exit 0 OK,
    /// 1 warning, 2 critical.
    #[command(
        after_help = "Exit status (as Nagios plugins):\n  0  OK\n  1  WARNING (archives rejected, input waiting too long, no recent synchronisation...)\n  2  CRITICAL (the last synchronisation met trouble, a database does not answer...)"
    )]
    Status {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the figures in Prometheus text format to FILE (for
        /// node_exporter's textfile collector).
        #[arg(long, value_name = "FILE")]
        prometheus: Option<PathBuf>,
        /// The Prometheus file's mode, in octal: 644 lets a node_exporter
        /// running as another account read it (it holds counts only, no
        /// personal data). Default 600, as every file msp writes.
        #[arg(long, value_name = "OCTAL", default_value = "600", value_parser = parse_mode, requires = "prometheus")]
        prometheus_mode: u32,
    },
    /// The error folder: rejected archives and their French logs.
    Errors {
        #[command(subcommand)]
        command: ErrorsCommand,
    },
    /// Apply `[retention]` now: remove what is past its time (never what an
    /// open dossier still needs).
    Purge {
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Database administration.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Dossiers: list, show, change their status, cancel the last one, save an attachment.
    Dossier {
        #[command(subcommand)]
        command: DossierCommand,
    },
    /// The web console (French) for the town hall: dashboard with
    /// "Synchroniser maintenant", dossiers and their statuses, rejected
    /// archives. Listens on 127.0.0.1:8080 by default; any other address
    /// requires users (`msp user add`).
    Serve {
        /// Address to listen on (default: `[web] listen`, else
        /// 127.0.0.1:8080; port 0 picks a free one).
        #[arg(long, value_name = "ADDRESS")]
        listen: Option<String>,
    },
    /// The web console's users (argon2 hashes in the configuration file).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// List the registered plugins (flows).
    Plugins,
    /// Configuration checks.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the shell completion script (bash, zsh, fish, elvish,
    /// powershell) on stdout.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout (`msp man | man -l -`), or
    /// write it and one page per subcommand into a folder.
    Man {
        /// Write msp.1, msp-run.1, ... into this folder.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum ErrorsCommand {
    /// The rejected archives, oldest first, with their reason.
    List {
        /// JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A rejected archive's log (French, for the clerk).
    Show {
        /// The archive's file name.
        name: String,
    },
    /// Put rejected archives back into input once their cause is fixed
    /// (traced in logs/operations.log); the next run imports them.
    Retry {
        /// The archives' file names, as `msp errors list` shows them.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        names: Vec<String>,
        /// Every rejected archive.
        #[arg(long)]
        all: bool,
    },
    /// Remove rejected archives (and their logs) older than DAYS.
    Purge {
        /// Age in days.
        #[arg(long, value_name = "DAYS")]
        older_than: u32,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a user, or change their password (asked twice at a terminal,
    /// else read from the first line of stdin).
    Add {
        /// Login name.
        name: String,
        /// Read the password from the first line of stdin even at a terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a user.
    Remove {
        /// Login name.
        name: String,
    },
    /// List the users.
    List,
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Validate the configuration file, the folders, and connect to every
    /// client database, saying exactly what is wrong.
    Check,
    /// Print the configuration in force as TOML: every key with its default
    /// filled in, folders resolved, database passwords and the console's
    /// password hashes masked.
    Show,
}

#[derive(Subcommand, Debug)]
enum DbCommand {
    /// Create or upgrade the MSP tables and every plugin's tables in every
    /// client database (idempotent).
    Init,
}

#[derive(Subcommand, Debug)]
enum DossierCommand {
    /// List dossiers.
    List {
        /// JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// Only this flow (repeatable).
        #[arg(long = "flow", value_name = "CODE")]
        flows: Vec<String>,
        /// Only dossiers at this status (repeatable).
        #[arg(long = "status", value_name = "CODE")]
        statuses: Vec<u16>,
        /// Only dossiers whose current status is not transmitted yet.
        #[arg(long)]
        untransmitted: bool,
        /// Only this client's dossiers (by name; repeatable).
        #[arg(long = "client", value_name = "NAME")]
        clients: Vec<String>,
    },
    /// Change a dossier's status (PROTOCOL §5 rules); the next `msp run`
    /// sends it to the portal.
    Status {
        /// NumeroTeledemarche.
        numero: String,
        /// The new status: 15, 16, 17, 19, 20 or 100.
        code: u16,
        /// Comment for the citizen (default: the flow's text for the status).
        #[arg(long)]
        comment: Option<String>,
    },
    /// Cancel the current status while it is not transmitted (19, or a
    /// manual 100), restoring the one before it.
    Cancel {
        /// NumeroTeledemarche.
        numero: String,
    },
    /// Write one of a dossier's attachments (by its number in `dossier
    /// show`) to stdout or a file, wherever it is stored.
    Attachment {
        /// NumeroTeledemarche.
        numero: String,
        /// The attachment's number.
        seq: u32,
        /// Write into FILE instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Show one dossier with its history and return flows.
    Show {
        /// NumeroTeledemarche.
        numero: String,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also the dossier's rows in its plugin's business tables.
        #[arg(long)]
        rows: bool,
        /// Show the portal's follow-up password of each message
        /// (`MotDePasse`, masked otherwise): a secret, for the clerk who
        /// needs it.
        #[arg(long)]
        password: bool,
    },
}

/// The exit status of a command that failed, decided in one place: a
/// user's mistake (no such dossier, an unknown flow, a path given for a
/// name) or a refusal by the rules is 1, with its hint; anything else is
/// trouble, 2 (the code that pages the on-call person).
fn exit_status_of(e: &anyhow::Error) -> i32 {
    use msp_core::ErrorKind::{NotFound, Refused, Usage};
    match e.downcast_ref::<msp_core::Error>().map(|e| e.kind) {
        Some(NotFound | Usage | Refused) => 1,
        _ => 2,
    }
}

/// An error about a client, named once: `client Belfort: ...` (the error
/// may name it already).
pub(crate) fn of_client(name: &str, e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let prefix = format!("client {name}: ");
    if text.starts_with(&prefix) {
        text
    } else {
        format!("{prefix}{text}")
    }
}

/// JSON output, every time in one convention: RFC 3339 with the local
/// offset, to the second (`2026-12-05T10:42:07+01:00`), whether the value
/// was recorded as a local time without zone (the database's) or in UTC.
pub(crate) fn json_text(value: &impl serde::Serialize) -> Result<String> {
    let mut v = serde_json::to_value(value)?;
    with_offsets(&mut v);
    Ok(serde_json::to_string_pretty(&v)?)
}

fn with_offsets(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(t) = rfc3339_local(s) {
                *s = t;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(with_offsets),
        // A dossier's business rows are the citizen's data as stored: a
        // text that looks like a time is left as it is.
        Value::Object(o) => o
            .iter_mut()
            .filter(|(k, _)| k.as_str() != "rows")
            .for_each(|(_, v)| with_offsets(v)),
        _ => {}
    }
}

/// A timestamp (`yyyy-mm-ddThh:mm:ss`, a fraction, an offset or `Z`
/// optional) in RFC 3339 with the local offset; anything else `None`.
fn rfc3339_local(s: &str) -> Option<String> {
    use chrono::{DateTime, Local, NaiveDateTime, SecondsFormat, TimeZone};
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let local = match DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&Local),
        Err(_) => {
            let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
            Local.from_local_datetime(&naive).earliest()?
        }
    };
    Some(local.to_rfc3339_opts(SecondsFormat::Secs, false))
}

/// Parses the command line.
pub fn parse() -> Cli {
    Cli::parse()
}

/// Runs a command and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    // ODBC drivers log every diagnostic (even informational ones) at warn:
    // keep them for -vv.
    let filter = match cli.verbose {
        0 => "warn,odbc_api=error",
        1 => "info,odbc_api=error",
        _ => "debug",
    };
    // Colour only for a person at a terminal (https://no-color.org).
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_ansi(colour)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MSP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("msp: error: {e:#}");
            exit_status_of(&e)
        }
    }
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    let config = match path {
        Some(p) => Config::load(p)?,
        None if Path::new("msp.toml").is_file() => Config::load(Path::new("msp.toml"))?,
        None => Config::embedded_default(),
    };
    Ok(config)
}

/// The built-in plugins and those the configuration names (`plugins = [...]`).
fn registry_for(config: &Config) -> Result<Registry> {
    let mut registry = msp_builtin::registry();
    for path in &config.plugins {
        let plugin =
            msp_plugins::external::ExternalPlugin::load(path).map_err(anyhow::Error::msg)?;
        if let Some(builtin) = registry.get(plugin.flow_code()) {
            // Said every time: replacing a built-in démarche is rarely meant.
            eprintln!(
                "warning: the plugin {} handles {}, which the built-in plugin {} handles too: the external one replaces it",
                path.display(),
                plugin.flow_code(),
                builtin.application()
            );
        }
        registry.add(plugin);
    }
    Ok(registry)
}

fn execute(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Completions { shell } => return completions(shell),
        Command::Man { dir } => return manual(dir.as_deref()),
        _ => {}
    }
    if let Command::Config {
        command: ConfigCommand::Check,
    } = cli.command
    {
        return config_check(cli.config.as_deref());
    }
    if let Command::Config {
        command: ConfigCommand::Show,
    } = cli.command
    {
        let config = load_config(cli.config.as_deref())?;
        println!(
            "# the configuration in force, from {} (defaults filled in, secrets masked)\n{}",
            config.source,
            config.shown()?
        );
        return Ok(0);
    }
    if let Command::User { command } = cli.command {
        return user(cli.config.as_deref(), command);
    }
    let config = load_config(cli.config.as_deref())?;
    let registry = registry_for(&config)?;
    if !matches!(cli.command, Command::Plugins) {
        msp_core::ops::apply_permissions(&config)?;
    }
    let quiet = cli.quiet;
    match cli.command {
        Command::Plugins => plugins(&registry),
        Command::Config { .. }
        | Command::User { .. }
        | Command::Completions { .. }
        | Command::Man { .. } => {
            unreachable!("handled above")
        }
        Command::Serve { listen } => {
            msp_web::serve(msp_web::Options {
                connector: Arc::new(db_backends::AutoInit::new(&registry)),
                remotes: Arc::new(msp_sftp::SftpConnector),
                config,
                registry,
                listen,
            })?;
            Ok(0)
        }
        Command::Run {
            flows,
            every,
            clients,
            json,
        } => sync(
            &config,
            &registry,
            &flows,
            &clients,
            every,
            Output { json, quiet },
        ),
        Command::Status {
            json,
            prometheus,
            prometheus_mode,
        } => {
            let prometheus = prometheus.as_deref().map(|p| (p, prometheus_mode));
            crate::operate::status(&config, &registry, json, prometheus)
        }
        Command::Errors { command } => match command {
            ErrorsCommand::List { json } => crate::operate::errors_list(&config, json),
            ErrorsCommand::Show { name } => crate::operate::errors_show(&config, &name),
            ErrorsCommand::Retry { names, all } => {
                crate::operate::errors_retry(&config, &names, all)
            }
            ErrorsCommand::Purge {
                older_than,
                dry_run,
            } => crate::operate::errors_purge(&config, older_than, dry_run),
        },
        Command::Purge { dry_run, json } => {
            crate::operate::purge(&config, &registry, dry_run, json)
        }
        Command::Db {
            command: DbCommand::Init,
        } => db_init(&config, &registry),
        Command::Dossier { command } => dossier(&config, &registry, command),
    }
}

/// `msp user ...`: edits the configuration file itself.
fn user(path: Option<&Path>, command: UserCommand) -> Result<i32> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if Path::new("msp.toml").is_file() => PathBuf::from("msp.toml"),
        None => bail!(
            "the users are kept in the configuration file: pass --config FILE or create ./msp.toml (the embedded default has no file to write into)"
        ),
    };
    let config = Config::load(&path)?;
    match command {
        UserCommand::List => {
            if config.web.users.is_empty() {
                println!("no user in {}", path.display());
            }
            for u in &config.web.users {
                println!("{}", u.name);
            }
        }
        UserCommand::Remove { name } => {
            if !msp_web::auth::remove_user(&path, &name)? {
                bail!("no user {name} in {}", path.display());
            }
            println!("user {name} removed from {}", path.display());
        }
        UserCommand::Add {
            name,
            password_stdin,
        } => {
            use std::io::IsTerminal;
            let password = if password_stdin || !std::io::stdin().is_terminal() {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                let first = rpassword::prompt_password(format!("Password for {name}: "))?;
                let again = rpassword::prompt_password("Again: ")?;
                if first != again {
                    bail!("the two passwords differ: nothing changed");
                }
                first
            };
            let new = msp_web::auth::add_user(&path, &name, &password)?;
            println!(
                "user {name} {} in {} (argon2 hash); msp serve asks them to sign in",
                if new { "added" } else { "given a new password" },
                path.display()
            );
            if let Some(warning) = hashes_readable_by_others(&path) {
                eprintln!("warning: {warning}");
            }
        }
    }
    Ok(0)
}

/// Why a configuration file holding password hashes is too open: readable
/// by every account of the machine (an offline guess needs only the hash).
fn hashes_readable_by_others(path: &Path) -> Option<String> {
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

/// A file mode in octal (`644`, `0640`): read, write for the owner, group
/// and others at most (no execute, set-ID or sticky bit).
fn parse_mode(s: &str) -> std::result::Result<u32, String> {
    let mode =
        u32::from_str_radix(s, 8).map_err(|_| format!("{s:?} is not an octal mode such as 644"))?;
    if mode & !0o666 != 0 {
        return Err(format!("{s}: only read and write bits (at most 666)"));
    }
    if mode & 0o600 != 0o600 {
        return Err(format!(
            "{s}: the owner (msp) must keep read and write (6xx)"
        ));
    }
    Ok(mode)
}

/// `msp completions SHELL`.
fn completions(shell: clap_complete::Shell) -> Result<i32> {
    use clap::CommandFactory;
    clap_complete::generate(shell, &mut Cli::command(), "msp", &mut std::io::stdout());
    Ok(0)
}

/// `msp man [--dir DIR]`.
fn manual(dir: Option<&Path>) -> Result<i32> {
    use clap::CommandFactory;
    crate::manual::manual(Cli::command(), dir)
}

/// `msp plugins`.
fn plugins(registry: &Registry) -> Result<i32> {
    // Columns as wide as their longest entry (flow codes may be long).
    let code = width(registry.iter().map(|p| p.flow_code()), 8);
    let app = width(registry.iter().map(|p| p.application()), 9);
    let tables: Vec<_> = registry.iter().flat_map(|p| p.tables()).collect();
    let table = width(tables.iter().map(|t| t.name), 22);
    for p in registry.iter() {
        println!(
            "{:<code$} {:<app$} {}",
            p.flow_code(),
            p.application(),
            p.description()
        );
        for t in p.tables() {
            println!("{:code$} table {:<table$} {}", "", t.name, t.comment);
        }
    }
    Ok(0)
}

/// How `msp run` reports.
#[derive(Clone, Copy)]
struct Output {
    json: bool,
    quiet: bool,
}

/// `msp run`: one synchronisation, or one every `every` seconds.
fn sync(
    config: &Config,
    registry: &Registry,
    flows: &[String],
    clients: &[String],
    every: Option<u64>,
    output: Output,
) -> Result<i32> {
    let names = |v: &mut dyn Iterator<Item = &str>| v.collect::<Vec<_>>().join(", ");
    let unknown: Vec<&str> = clients
        .iter()
        .map(String::as_str)
        .filter(|n| !config.clients.iter().any(|c| c.name == *n))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "unknown client {} (configured: {})",
            unknown.join(", "),
            names(&mut config.clients.iter().map(|c| c.name.as_str()))
        );
    }
    let mut selected = registry.clone();
    if !flows.is_empty() {
        let unknown = selected.restrict(flows);
        if !unknown.is_empty() {
            bail!(
                "unknown flow {} (registered: {})",
                unknown.join(", "),
                registry.codes().join(", ")
            );
        }
    }
    // Tables are created for every registered plugin, whatever --flow says.
    let connector = db_backends::AutoInit::new(registry);
    let bar = crate::operate::Bar::default();
    // SIGTERM, SIGINT: stop after the archives in hand (README, Operating
    // msp); a second one stops at once.
    use crate::operate::stop;
    if let Err(e) = stop::install(output.quiet) {
        eprintln!("warning: SIGTERM and SIGINT will end msp at once: {e}");
    }
    let once = || {
        let sync = Synchronizer::new(config, &selected, &connector)
            .only_clients(clients.to_vec())
            .with_remotes(&msp_sftp::SftpConnector)
            .with_stop(&stop::REQUESTED);
        if output.quiet {
            sync.run_once()
        } else {
            sync.with_progress(&bar).run_once()
        }
    };
    let stopped = |report: Option<&msp_core::RunReport>| {
        if output.quiet {
            return;
        }
        match report.and_then(|r| r.stopped) {
            Some(left) => eprintln!(
                "msp: stopped on {} after the archives in hand: {left} archive(s) left in input for the next synchronisation",
                stop::signal_name()
            ),
            None => eprintln!("msp: stopped on {}", stop::signal_name()),
        }
    };
    let Some(seconds) = every else {
        let report = once()?;
        report_run(&report, output);
        if stop::requested() {
            stopped(Some(&report));
        }
        return Ok(report.exit_code());
    };
    // Continuous mode: each round connects afresh, so a database that was
    // down is tried again; trouble never stops the loop, a signal does
    // (exit 0: stopped as asked; each run's outcome is in its log).
    loop {
        let report = match once() {
            // One line for a round with nothing to do, not a table.
            Ok(report) if report.empty && !output.json => {
                if !output.quiet {
                    say!("nothing to do (log: {})", report.log_path.display());
                }
                Some(report)
            }
            Ok(report) => {
                report_run(&report, output);
                Some(report)
            }
            Err(e) => {
                eprintln!("msp: synchronisation failed, retried in {seconds} s: {e}");
                None
            }
        };
        if stop::sleep(std::time::Duration::from_secs(seconds.max(1))) {
            stopped(report.as_ref());
            return Ok(0);
        }
    }
}

/// `msp db init`.
fn db_init(config: &Config, registry: &Registry) -> Result<i32> {
    config.folders.ensure()?;
    let schemas = db_backends::plugin_schemas(registry);
    let mut failed = false;
    for client in &config.clients {
        match db_backends::open(config, client).and_then(|b| b.init(&schemas).map(|s| (b, s))) {
            Ok((b, steps)) if steps.is_empty() => {
                println!("{}: {} is up to date", client.name, b.describe())
            }
            Ok((b, steps)) => {
                for s in steps {
                    println!("{}: {}: {s}", client.name, b.describe());
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", client.name);
                failed = true;
            }
        }
    }
    Ok(if failed { 2 } else { 0 })
}

/// `msp dossier ...`.
fn dossier(config: &Config, registry: &Registry, command: DossierCommand) -> Result<i32> {
    let connector = db_backends::AutoInit::new(registry);
    // Only the clients asked for (`list --client`), each named exactly.
    let wanted: Vec<&msp_core::config::ClientConfig> = match &command {
        DossierCommand::List { clients, .. } if !clients.is_empty() => {
            for name in clients {
                if !config.clients.iter().any(|c| &c.name == name) {
                    return Err(msp_core::Error::usage(format!(
                        "no client {name} in the configuration (clients: {})",
                        config
                            .clients
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .into());
                }
            }
            config
                .clients
                .iter()
                .filter(|c| clients.contains(&c.name))
                .collect()
        }
        _ => config.clients.iter().collect(),
    };
    // One backend per database: several towns may share one. A database
    // that does not answer is said, and the others still serve.
    let mut seen = std::collections::HashSet::new();
    let mut backends: Vec<Arc<dyn Backend>> = Vec::new();
    let mut unreachable: Vec<String> = Vec::new();
    for c in wanted.iter().filter(|c| seen.insert(c.database.clone())) {
        match connector.connect(c, &config.root) {
            Ok(b) => backends.push(b),
            Err(e) => unreachable.push(of_client(&c.name, &e)),
        }
    }
    if backends.is_empty() && !unreachable.is_empty() {
        anyhow::bail!("{}", unreachable.join("; "));
    }
    let warn_unreachable = || {
        for u in &unreachable {
            eprintln!("warning: not answering, its dossiers are not included: {u}");
        }
    };
    match command {
        DossierCommand::List {
            json,
            flows,
            statuses,
            untransmitted,
            clients,
        } => {
            if let Some(s) = statuses
                .iter()
                .find(|s| msp_core::status::label_fr(**s) == "statut inconnu")
            {
                return Err(msp_core::Error::usage(format!(
                    "{s} is not a status (statuses: 14, 15, 16, 17, 19, 20, 100)"
                ))
                .into());
            }
            let known = registry.all_codes();
            if let Some(f) = flows.iter().find(|f| !known.contains(&f.as_str())) {
                return Err(msp_core::Error::usage(format!(
                    "unknown flow {f} (flows: {})",
                    known.join(", ")
                ))
                .into());
            }
            // Towns sharing a database: their dossiers by CodeINSEE.
            let insee_ok = |d: &Dossier| {
                clients.is_empty()
                    || config
                        .client_for(&d.insee)
                        .is_some_and(|c| clients.contains(&c.name))
            };
            let code = dossier_list(&backends, &flows, &statuses, untransmitted, json, insee_ok)?;
            warn_unreachable();
            Ok(if unreachable.is_empty() {
                code
            } else {
                code.max(1)
            })
        }
        DossierCommand::Status {
            numero,
            code,
            comment,
        } => {
            let b = holder(&backends, &numero, &unreachable)?;
            change(config, b.as_ref(), &numero, Action::Set(code), comment)
        }
        DossierCommand::Cancel { numero } => {
            let b = holder(&backends, &numero, &unreachable)?;
            change(config, b.as_ref(), &numero, Action::Cancel, None)
        }
        DossierCommand::Attachment {
            numero,
            seq,
            output,
        } => {
            let b = holder(&backends, &numero, &unreachable)?;
            let bytes =
                match msp_core::ops::attachment(b.as_ref(), &config.folders, &numero, seq)?.1 {
                    // Never through a link, as the console.
                    msp_core::ops::AttachmentBytes::File(path) => {
                        let mut bytes = Vec::new();
                        std::io::Read::read_to_end(
                            &mut msp_core::folders::open_own(&path)?,
                            &mut bytes,
                        )
                        .map_err(|e| msp_core::Error::io("cannot read", &path, e))?;
                        bytes
                    }
                    msp_core::ops::AttachmentBytes::Read(bytes) => bytes,
                };
            match output {
                Some(path) => std::fs::write(&path, &bytes)?,
                None => std::io::Write::write_all(&mut std::io::stdout(), &bytes)?,
            }
            Ok(0)
        }
        DossierCommand::Show {
            numero,
            json,
            rows,
            password,
        } => {
            for b in &backends {
                if let Some(d) = b.dossier(&numero)? {
                    let tables = match (rows, registry.get(&d.flow)) {
                        (false, _) => None,
                        (true, Some(p)) => Some(p.tables()),
                        (true, None) => {
                            return Err(msp_core::Error::config(format!(
                                "no plugin for flow {} here: its business rows cannot be read",
                                d.flow
                            ))
                            .into())
                        }
                    };
                    return show(b.as_ref(), &d, json, tables.as_deref(), password).map(|_| 0);
                }
            }
            warn_unreachable();
            Err(not_found_dossier(&numero, &unreachable).into())
        }
    }
}

/// No dossier `numero` in the databases that answered: the user's mistake
/// (exit 1, with the hint), or — when a database did not answer — trouble,
/// since it may be there.
fn not_found_dossier(numero: &str, unreachable: &[String]) -> msp_core::Error {
    if unreachable.is_empty() {
        msp_core::Error::not_found(format!(
            "no dossier {numero} (msp dossier list shows them; the number is NumeroTeledemarche, e.g. A-2-XXXXXXX)"
        ))
    } else {
        msp_core::Error::trouble(format!(
            "no dossier {numero} in the databases that answered; it may be in one that did not: {}",
            unreachable.join("; ")
        ))
    }
}

/// `msp dossier list`.
fn dossier_list(
    backends: &[Arc<dyn Backend>],
    flows: &[String],
    statuses: &[u16],
    untransmitted: bool,
    json: bool,
    keep: impl Fn(&Dossier) -> bool,
) -> Result<i32> {
    let mut all: Vec<Dossier> = Vec::new();
    for b in backends {
        all.extend(b.dossiers(flows)?);
    }
    all.retain(|d| {
        keep(d)
            && (statuses.is_empty() || statuses.contains(&d.status))
            && (!untransmitted || d.indicator == 0)
    });
    all.sort_by(|a, b| a.numero.cmp(&b.numero));
    if json {
        let v: Vec<Value> = all.iter().map(dossier_json).collect();
        println!("{}", json_text(&v)?);
        return Ok(0);
    }
    let num = width(all.iter().map(|d| d.numero.as_str()), 20);
    let flow = width(all.iter().map(|d| d.flow.as_str()), 7);
    println!(
        "{:<num$} {:<flow$} {:<5} {:>4} {:>6} {:>3}  summary",
        "numero", "flow", "insee", "file", "status", "ind"
    );
    for d in &all {
        say!(
            "{:<num$} {:<flow$} {:<5} {:>4} {:>6} {:>3}  {}",
            d.numero,
            d.flow,
            d.insee,
            d.file_number,
            d.status,
            d.indicator,
            d.summary
        );
    }
    Ok(0)
}

/// `msp config check`: every problem on its own line, exit 2 if any.
fn config_check(path: Option<&Path>) -> Result<i32> {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(e) => {
            println!("FAIL configuration: {e:#}");
            return Ok(2);
        }
    };
    // What the check creates (folders, a SQLite database) gets the modes
    // every other command gives it.
    msp_core::ops::set_umask(&config);
    println!(
        "ok   configuration {} ({} client(s))",
        config.source,
        config.clients.len()
    );
    let mut failed = false;
    let mut registry = msp_builtin::registry();
    for path in &config.plugins {
        match msp_plugins::external::ExternalPlugin::load(path) {
            Ok(p) => {
                println!(
                    "ok   plugin {} ({}) from {}",
                    p.flow_code(),
                    p.application(),
                    path.display()
                );
                if let Some(builtin) = registry.get(p.flow_code()) {
                    println!(
                        "WARN plugin {} replaces the built-in plugin {} for {}",
                        path.display(),
                        builtin.application(),
                        p.flow_code()
                    );
                }
                registry.add(p);
            }
            Err(e) => {
                failed = true;
                println!("FAIL plugin: {e}");
            }
        }
    }
    let registry = &registry;
    let web = &config.web;
    let listen = web
        .listen
        .as_deref()
        .map(|l| (l, l.parse::<std::net::SocketAddr>()));
    let open_to_others = matches!(listen, Some((_, Ok(a))) if !a.ip().is_loopback());
    if let Some((l, Err(_))) = listen {
        failed = true;
        println!(
            "FAIL web console: [web] listen = \"{l}\" is not an address and port (e.g. 127.0.0.1:8080)"
        );
    } else if open_to_others && web.users.is_empty() {
        failed = true;
        println!(
            "FAIL web console: [web] listen = {} is not the loopback and no user is configured (msp user add NAME)",
            web.listen.as_deref().unwrap_or_default()
        );
    } else {
        if !web.users.is_empty() {
            if let Some(warning) = hashes_readable_by_others(Path::new(&config.source)) {
                println!("WARN web console: {warning}");
            }
        }
        println!(
            "ok   web console (msp serve): {}, {}",
            web.listen.as_deref().unwrap_or(msp_web::DEFAULT_LISTEN),
            match web.users.len() {
                0 => "no user: no sign-in, loopback only".to_string(),
                n => format!("{n} user(s), sign-in required"),
            }
        );
    }
    let problems = config.check_folders();
    if problems.is_empty() {
        println!("ok   folders under {}", config.root.display());
    }
    for p in problems {
        failed = true;
        println!("FAIL {p}");
    }
    let codes = registry.codes();
    for client in &config.clients {
        if let Some(flows) = &client.flows {
            for f in flows {
                if !codes.contains(&f.as_str()) {
                    failed = true;
                    println!(
                        "FAIL client {}: flow {f} is not registered (registered: {})",
                        client.name,
                        codes.join(", ")
                    );
                }
            }
        }
        match db_backends::open(&config, client) {
            Ok(b) => println!(
                "ok   client {} ({}): connected to {}",
                client.name,
                client.insee.join(", "),
                b.describe()
            ),
            Err(e) => {
                failed = true;
                println!("FAIL {}", of_client(&client.name, &e));
            }
        }
        if let Some(sftp) = &client.sftp {
            let problems = msp_core::transport::check(&msp_sftp::SftpConnector, sftp);
            if problems.is_empty() {
                println!(
                    "ok   client {}: {} authenticated, push_dir {}{}",
                    client.name,
                    sftp.label(),
                    sftp.push_dir,
                    sftp.pull_dir
                        .as_ref()
                        .map(|d| format!(", pull_dir {d}"))
                        .unwrap_or_default()
                );
            }
            for p in problems {
                failed = true;
                println!("FAIL client {}: {p}", client.name);
            }
        }
    }
    Ok(if failed { 2 } else { 0 })
}

/// The backend that holds dossier `numero`.
fn holder(
    backends: &[Arc<dyn Backend>],
    numero: &str,
    unreachable: &[String],
) -> Result<Arc<dyn Backend>> {
    match msp_core::backend::find_dossier(backends, numero)? {
        Some((b, _)) => Ok(b),
        None => Err(not_found_dossier(numero, unreachable).into()),
    }
}

/// Applies an agent's change; a refusal by the rules exits with 1.
fn change(
    config: &Config,
    b: &dyn Backend,
    numero: &str,
    action: Action,
    comment: Option<String>,
) -> Result<i32> {
    let who = format!("cli ({})", msp_core::ops::unix_account());
    match lifecycle::change_audited(b, &config.folders, &who, numero, action, comment) {
        Ok(line) => {
            say!("{numero}: done; the next `msp run` sends it to the portal (journal: « {line} »)");
            Ok(0)
        }
        Err(e) if e.kind == ErrorKind::Refused => {
            eprintln!("msp: refused: {e}");
            Ok(1)
        }
        Err(e) => Err(e.into()),
    }
}

fn dossier_json(d: &Dossier) -> Value {
    json!({
        "numero": d.numero,
        "flow": d.flow,
        "insee": d.insee,
        "status": d.status,
        "indicator": d.indicator,
        "file_number": d.file_number,
        "summary": d.summary,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    })
}

/// What `dossier show` says of an inbound message: its id, who sent it to
/// whom, the acknowledgements it asked for, the citizen's e-mail and the
/// follow-up password (masked unless asked for).
fn message_lines(m: &msp_core::backend::InboundMessage, reveal_password: bool) -> Vec<String> {
    let party = msp_core::backend::Party::describe;
    let mut out = Vec::new();
    if let Some(id) = &m.message_id {
        out.push(format!("MessageId {id}"));
    }
    if let Some(n) = &m.numero_demarche {
        out.push(format!("NumeroDemarche {n}"));
    }
    if !m.sender.is_empty() {
        out.push(format!("from {}", party(&m.sender)));
    }
    if !m.recipient.is_empty() {
        out.push(format!("to {}", party(&m.recipient)));
    }
    if m.ack_required.is_some() || m.ack_types.is_some() {
        out.push(format!(
            "acknowledgement required {} ({})",
            m.ack_required.as_deref().unwrap_or("-"),
            m.ack_types.as_deref().unwrap_or("no type")
        ));
    }
    if let Some(t) = &m.security_datetime {
        out.push(format!("sent {t}"));
    }
    if let Some(e) = &m.email {
        out.push(format!("citizen's e-mail {e}"));
    }
    if let Some(p) = &m.password {
        out.push(if reveal_password {
            format!("follow-up password {}", p.reveal())
        } else {
            format!(
                "follow-up password {} (--password shows it)",
                msp_core::backend::MASKED
            )
        });
    }
    out
}

fn show(
    b: &dyn Backend,
    d: &Dossier,
    as_json: bool,
    tables: Option<&[msp_plugins::TableDef]>,
    reveal_password: bool,
) -> Result<()> {
    let mut business: Vec<msp_plugins::Row> = Vec::new();
    for t in tables.unwrap_or_default() {
        business.extend(b.rows(t, &d.numero)?);
    }
    let history = b.history(&d.numero)?;
    let returns = b.returns(&d.numero)?;
    let received = b.received(&d.numero)?;
    let attachments = b.attachments(&d.numero)?;
    let events = b.events(&d.numero)?;
    if as_json {
        let mut v = dossier_json(d);
        v["history"] = json!(history
            .iter()
            .map(|h| json!({
                "seq": h.seq, "status": h.status, "indicator": h.indicator, "comment": h.comment,
                "automatic": h.automatic, "superseded": h.superseded, "cancelled": h.cancelled,
                "at": h.at, "transmitted_at": h.transmitted_at, "return_increment": h.return_increment,
            }))
            .collect::<Vec<_>>());
        v["returns"] = json!(returns
            .iter()
            .map(|r| json!({
                "increment": r.increment, "status": r.status, "comment": r.comment, "file": r.file,
                "attachment": r.attachment,
                "created_at": r.created_at, "written_at": r.written_at, "collected_at": r.collected_at,
            }))
            .collect::<Vec<_>>());
        v["archives"] = serde_json::to_value(&received)?;
        if reveal_password {
            for (i, a) in received.iter().enumerate() {
                if let Some(p) = &a.message.password {
                    v["archives"][i]["message"]["password"] = json!(p.reveal());
                }
            }
        }
        v["attachments"] = serde_json::to_value(&attachments)?;
        v["events"] = serde_json::to_value(&events)?;
        v["database"] = json!(b.describe());
        if tables.is_some() {
            v["rows"] = json!(business
                .iter()
                .map(|r| json!({
                    "table": r.table,
                    "values": r.values.iter().map(|(k, v)| (k.to_string(), value_json(v))).collect::<serde_json::Map<_, _>>(),
                }))
                .collect::<Vec<_>>());
        }
        println!("{}", json_text(&v)?);
        return Ok(());
    }
    say!("Dossier {} ({}), CodeINSEE {}", d.numero, d.flow, d.insee);
    say!("  {}", d.summary);
    say!(
        "  status {} (indicator {}), file number {}",
        d.status,
        d.indicator,
        d.file_number
    );
    say!("  created {}, updated {}", d.created_at, d.updated_at);
    say!("History:");
    for h in &history {
        say!(
            "  #{} {} ind {}{}{} at {}{}",
            h.seq,
            h.status,
            h.indicator,
            if h.automatic { " automatic" } else { "" },
            if h.cancelled {
                " cancelled"
            } else if h.superseded {
                " superseded"
            } else {
                ""
            },
            h.at,
            h.comment
                .as_deref()
                .map(|c| format!(" — {c}"))
                .unwrap_or_default()
        );
    }
    say!("Return flows:");
    for r in &returns {
        say!(
            "  {} status {} {} written {} collected {}",
            r.increment,
            r.status,
            r.file,
            r.written_at.map_or("-".into(), |t| t.to_string()),
            r.collected_at.map_or("-".into(), |t| t.to_string())
        );
    }
    say!("Archives received:");
    for a in &received {
        say!(
            "  file {} {} ({}) at {}",
            a.file_number,
            a.name,
            a.outcome,
            a.received_at
        );
        for line in message_lines(&a.message, reveal_password) {
            say!("    {line}");
        }
    }
    say!("Attachments:");
    for a in &attachments {
        say!(
            "  {} {} {} ({} bytes){}",
            a.seq,
            a.code,
            a.file_name,
            a.size,
            a.path
                .as_deref()
                .map(|p| format!(" at {p}"))
                .unwrap_or(" in the database".into())
        );
    }
    say!("Events:");
    for e in &events {
        say!("  {} {}", e.at, e.text);
    }
    if tables.is_some() {
        say!("Business rows:");
        for r in &business {
            say!("  {}", r.table);
            let w = r.values.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            for (k, v) in &r.values {
                let text = match value_json(v) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                say!("    {k:<w$} {text}");
            }
        }
    }
    Ok(())
}

/// A business value as JSON: text, number, boolean, ISO date, null; a blob
/// as its size.
fn value_json(v: &msp_plugins::Value) -> Value {
    use msp_plugins::Value as V;
    match v {
        V::Null => Value::Null,
        V::Text(s) => json!(s),
        V::Integer(i) => json!(i),
        V::Boolean(b) => json!(b),
        V::Date(d) => json!(d.format("%Y-%m-%d").to_string()),
        V::Timestamp(t) => json!(t.format("%Y-%m-%dT%H:%M:%S").to_string()),
        V::Blob(b) => json!(format!("({} bytes)", b.len())),
    }
}

/// Prints a run's outcome as `output` asks.
fn report_run(r: &msp_core::RunReport, output: Output) {
    if output.json {
        println!("{}", json_text(&r.to_json()).unwrap_or_default());
    } else if !output.quiet {
        print_report(r);
    }
    if output.quiet {
        for (name, message) in &r.rejected {
            eprintln!("rejected {name}: {}", msp_core::display::line(message));
        }
        for t in &r.troubles {
            eprintln!("trouble: {}", msp_core::sync::trouble_line(t));
        }
        if let Some((oldest, hours)) = r.held_back_long.first() {
            eprintln!(
                "waiting for more than a day: {} archive(s), the oldest {oldest} for {hours} h",
                r.held_back_long.len()
            );
        }
    }
}

/// A column as wide as its longest entry, at least `min` characters.
fn width<'a>(entries: impl Iterator<Item = &'a str>, min: usize) -> usize {
    entries
        .map(|e| e.chars().count())
        .max()
        .unwrap_or(0)
        .max(min)
}

fn print_report(r: &msp_core::RunReport) {
    let w = width(r.flows.keys().map(String::as_str), 8);
    println!(
        "{:<w$} {:>8} {:>11} {:>10} {:>8} {:>7} {:>6}",
        "flow", "imported", "complements", "duplicates", "rejected", "returns", "errors"
    );
    for (flow, c) in &r.flows {
        println!(
            "{:<w$} {:>8} {:>11} {:>10} {:>8} {:>7} {:>6}",
            flow, c.imported, c.complements, c.duplicates, c.rejected, c.returns_written, c.errors
        );
    }
    for name in &r.recovered {
        println!("recovered from an interrupted run: {name}");
    }
    for (name, message) in &r.rejected {
        say!("rejected {name}: {message}");
    }
    for t in &r.refused {
        println!("refused status change: {t}");
    }
    for u in &r.unrecognised {
        println!("not recognised, left in input: {} ({})", u.file, u.reason);
    }
    if r.collected > 0 {
        println!(
            "return archives collected by the portal since the last run: {}",
            r.collected
        );
    }
    for t in &r.troubles {
        println!("trouble: {}", msp_core::sync::trouble_line(t));
    }
    if let Some((oldest, hours)) = r.held_back_long.first() {
        println!(
            "waiting for more than a day: {} archive(s) held back by trouble, the oldest {oldest} for {hours} h",
            r.held_back_long.len()
        );
    }
    println!("log: {}", r.log_path.display());
}
