//! The command line as clap reads it: the commands, their arguments and
//! their help texts (also the manual pages' and the completions' source).
//! Nothing here runs a command.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

// No doc comment on `Cli`: its `about` is the package's description
// (Cargo.toml), and a doc comment would add a long help.
#[derive(Parser, Debug)]
#[command(name = "msp", version, about)]
pub struct Cli {
    /// Configuration file (default: ./msp.toml if present, else the embedded
    /// default: ./msp-data with one SQLite database, any CodeINSEE).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// More output on stderr (-v: info, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Nothing on stdout but what was asked for (JSON), and on stderr only
    /// rejections and trouble; no progress bar.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
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
    /// The Windows Task Scheduler task that runs `msp run` every few
    /// minutes: its XML, its registration (schtasks), its removal.
    Schedule {
        #[command(subcommand)]
        command: ScheduleCommand,
    },
    /// The Windows service that runs `msp run --every` (started with
    /// Windows, stopped by the Service Control Manager after the archives
    /// in hand): its installation, its removal.
    Service {
        #[command(subcommand)]
        command: ServiceCommand,
    },
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
pub(crate) enum ErrorsCommand {
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
pub(crate) enum UserCommand {
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
pub(crate) enum ScheduleCommand {
    /// Print the task's XML (Task Scheduler schema 1.2), on any system.
    Xml {
        #[command(flatten)]
        task: TaskArgs,
    },
    /// Windows: write the task's XML beside msp's folders and register it
    /// with `schtasks /create /xml` (replacing a task of that name), then
    /// read it back with `schtasks /query /xml`.
    Install {
        #[command(flatten)]
        task: TaskArgs,
    },
    /// Windows: remove the task (`schtasks /delete`).
    Remove {
        /// The task's name.
        #[arg(long, default_value = "msp")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum ServiceCommand {
    /// Windows: register the service (automatic start, restarted after a
    /// failure) and start it.
    Install {
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Windows: stop the service (after the archives in hand) and remove it.
    Remove {
        /// The service's name.
        #[arg(long, default_value = "msp")]
        name: String,
    },
    /// What the Service Control Manager starts (not for a console).
    #[command(hide = true)]
    Run {
        #[command(flatten)]
        service: ServiceArgs,
        /// The folder the service works in (msp.toml, msp-data).
        #[arg(long, value_name = "FOLDER")]
        dir: std::path::PathBuf,
    },
}

/// The service's name, pace and account.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ServiceArgs {
    /// The service's name.
    #[arg(long, default_value = "msp")]
    pub(crate) name: String,
    /// Seconds between two synchronisations (as `msp run --every`).
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub(crate) every: u64,
    /// The account the service runs as (`DOMAIN\msp`, `.\msp`; its
    /// password is asked). Default: LocalSystem (no access to network
    /// shares: a UNC input folder needs an account).
    #[arg(long, value_name = "ACCOUNT")]
    pub(crate) account: Option<String>,
}

/// What the scheduled task runs, how often and as whom.
#[derive(clap::Args, Debug)]
pub(crate) struct TaskArgs {
    /// The task's name in the Task Scheduler.
    #[arg(long, default_value = "msp")]
    pub(crate) name: String,
    /// Minutes between two runs (1 to 1440).
    #[arg(long, value_name = "MINUTES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub(crate) every: u32,
    /// The account the task runs as (`DOMAIN\msp`, `.\msp`): schtasks
    /// asks for its password. Default: the SYSTEM account (no password, but
    /// no access to network shares: a UNC input folder needs an account).
    #[arg(long, value_name = "ACCOUNT")]
    pub(crate) account: Option<String>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum ConfigCommand {
    /// Validate the configuration file, the folders, and connect to every
    /// client database, saying exactly what is wrong.
    Check,
    /// Print the configuration in force as TOML: every key with its default
    /// filled in, folders resolved, database passwords and the console's
    /// password hashes masked.
    Show,
}

#[derive(Subcommand, Debug)]
pub(crate) enum DbCommand {
    /// Create or upgrade the MSP tables and every plugin's tables in every
    /// client database (idempotent).
    Init,
}

#[derive(Subcommand, Debug)]
pub(crate) enum DossierCommand {
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
