//! Command-line interface: the arguments (`args`, clap only), the log, and
//! how msp ends ([`ExitStatus`], decided in one place). It knows no command:
//! `commands` runs them and depends on this module, never the other way.

mod args;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
#[cfg(windows)]
pub(crate) use args::ServiceArgs;
pub(crate) use args::{
    Command, ConfigCommand, DbCommand, DossierCommand, ErrorsCommand, ScheduleCommand,
    ServiceCommand, TaskArgs, UserCommand,
};

/// How msp ends, decided in one place (README, `msp --help`, msp(1)).
/// A second SIGTERM or SIGINT during `msp run` ends the process at once
/// with 143 or 130 instead (`commands::run::stop`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// 0: all went well; `msp status`: OK.
    Success,
    /// 1: some archives were rejected, a status change was refused, or the
    /// user's mistake (no such dossier, an unknown flow or client), said
    /// with a hint; `msp status`: WARNING.
    Rejected,
    /// 2: trouble (database, disk, permissions, configuration), the code
    /// that pages the on-call person; `msp status`: CRITICAL.
    Trouble,
}

impl ExitStatus {
    /// The status of a command that failed: a user's mistake (no such
    /// dossier, an unknown flow, a path given for a name) or a refusal by
    /// the rules is `Rejected`, with its hint; anything else is trouble.
    pub fn of_error(e: &anyhow::Error) -> ExitStatus {
        use msp_core::ErrorKind::{NotFound, Refused, Usage};
        match e.downcast_ref::<msp_core::Error>().map(|e| e.kind) {
            Some(NotFound | Usage | Refused) => ExitStatus::Rejected,
            _ => ExitStatus::Trouble,
        }
    }

    /// The status of a synchronisation (`RunReport::exit_code`).
    pub fn of_run(report: &msp_core::RunReport) -> ExitStatus {
        ExitStatus::of_code(report.exit_code())
    }

    /// The status of `msp status`: as Nagios plugins count.
    pub fn of_health(level: msp_core::ops::Level) -> ExitStatus {
        ExitStatus::of_code(level.code())
    }

    fn of_code(code: i32) -> ExitStatus {
        match code {
            0 => ExitStatus::Success,
            1 => ExitStatus::Rejected,
            _ => ExitStatus::Trouble,
        }
    }

    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Rejected => 1,
            ExitStatus::Trouble => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// Parses the command line.
pub fn parse() -> Cli {
    Cli::parse()
}

/// The log on stderr: warnings, more with -v and -vv, or as `MSP_LOG` says.
pub fn init_log(verbose: u8) {
    // ODBC drivers log every diagnostic (even informational ones) at warn:
    // keep them for -vv.
    let filter = match verbose {
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
}

#[cfg(test)]
mod tests {
    use super::ExitStatus;

    #[test]
    fn exit_codes_are_those_documented() {
        let codes = [
            ExitStatus::Success,
            ExitStatus::Rejected,
            ExitStatus::Trouble,
        ]
        .map(ExitStatus::code);
        assert_eq!(codes, [0, 1, 2]);
        assert_eq!(
            ExitStatus::Success.max(ExitStatus::Rejected),
            ExitStatus::Rejected
        );
    }

    #[test]
    fn a_user_s_mistake_is_rejected_anything_else_trouble() {
        let usage = anyhow::Error::from(msp_core::Error::usage("unknown flow"));
        assert_eq!(ExitStatus::of_error(&usage), ExitStatus::Rejected);
        let other = anyhow::anyhow!("disk full");
        assert_eq!(ExitStatus::of_error(&other), ExitStatus::Trouble);
        let trouble = anyhow::Error::from(msp_core::Error::trouble("locked"));
        assert_eq!(ExitStatus::of_error(&trouble), ExitStatus::Trouble);
    }
}
