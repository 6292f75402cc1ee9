//! `msp run`: one synchronisation, or one every `--every` seconds until a
//! signal stops it.

mod progress;
mod report;
pub mod stop;

use anyhow::{bail, Result};
use msp_core::{Config, RunReport, Synchronizer};
use msp_plugins::Registry;

use self::progress::Bar;
use self::report::report_run;
use crate::cli::ExitStatus;
use crate::render::text::say;

/// How `msp run` reports.
#[derive(Clone, Copy)]
pub struct Output {
    /// The summary as one JSON object on stdout.
    pub json: bool,
    /// Nothing on stdout but what was asked for; no progress bar.
    pub quiet: bool,
}

/// What `msp run` was asked.
pub struct Request {
    /// Only these flows (none: every registered flow).
    pub flows: Vec<String>,
    /// Only these clients (none: every client).
    pub clients: Vec<String>,
    /// A synchronisation every so many seconds, until stopped.
    pub every: Option<u64>,
    /// How it reports.
    pub output: Output,
}

/// `msp run`: one synchronisation, or one every `every` seconds.
pub fn run(config: &Config, registry: &Registry, request: Request) -> Result<ExitStatus> {
    known_clients(config, &request.clients)?;
    let round = Round {
        config,
        selected: selected_flows(registry, &request.flows)?,
        // Tables are created for every registered plugin, whatever --flow says.
        connector: db_backends::AutoInit::new(registry),
        bar: Bar::default(),
        clients: &request.clients,
        quiet: request.output.quiet,
    };
    // SIGTERM, SIGINT: stop after the archives in hand (README, Operating
    // msp); a second one stops at once.
    if let Err(e) = stop::install(request.output.quiet) {
        eprintln!("warning: SIGTERM and SIGINT will end msp at once: {e}");
    }
    match request.every {
        None => once(&round, request.output),
        Some(seconds) => Ok(every(&round, seconds, request.output)),
    }
}

/// `--client` names only configured clients.
fn known_clients(config: &Config, clients: &[String]) -> Result<()> {
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
    Ok(())
}

/// The registry restricted to `--flow`, which names only registered flows.
fn selected_flows(registry: &Registry, flows: &[String]) -> Result<Registry> {
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
    Ok(selected)
}

/// What each synchronisation is run with.
struct Round<'a> {
    config: &'a Config,
    selected: Registry,
    connector: db_backends::AutoInit,
    bar: Bar,
    clients: &'a [String],
    quiet: bool,
}

impl Round<'_> {
    /// One synchronisation.
    fn synchronise(&self) -> msp_core::Result<RunReport> {
        let sync = Synchronizer::new(self.config, &self.selected, &self.connector)
            .only_clients(self.clients.to_vec())
            .with_remotes(&msp_sftp::SftpConnector)
            .with_hub(&msp_hubee::Connector)
            .with_stop(&stop::REQUESTED);
        if self.quiet {
            sync.run_once()
        } else {
            sync.with_progress(&self.bar).run_once()
        }
    }

    /// Says that a signal stopped the run (not with -q).
    fn stopped(&self, report: Option<&RunReport>) {
        if self.quiet {
            return;
        }
        match report.and_then(|r| r.stopped) {
            Some(left) => eprintln!(
                "msp: stopped on {} after the archives in hand: {left} archive(s) left in input for the next synchronisation",
                stop::signal_name()
            ),
            None => eprintln!("msp: stopped on {}", stop::signal_name()),
        }
    }
}

/// One synchronisation; its outcome is the exit status.
fn once(round: &Round<'_>, output: Output) -> Result<ExitStatus> {
    let report = round.synchronise()?;
    report_run(&report, output);
    if stop::requested() {
        round.stopped(Some(&report));
    }
    Ok(ExitStatus::of_run(&report))
}

/// Continuous mode: each round connects afresh, so a database that was
/// down is tried again; trouble never stops the loop, a signal does
/// (exit 0: stopped as asked; each run's outcome is in its log).
fn every(round: &Round<'_>, seconds: u64, output: Output) -> ExitStatus {
    loop {
        let report = match round.synchronise() {
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
            round.stopped(report.as_ref());
            return ExitStatus::Success;
        }
    }
}
