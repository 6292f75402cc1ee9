//! `msp man`: the manual pages. Each command's page comes from its
//! `--help` (clap_mangen); `msp(1)` adds what a manual has and `--help`
//! has not — EXIT STATUS, FILES, ENVIRONMENT, EXAMPLES, SEE ALSO — and
//! `msp.toml(5)` describes every key of the configuration file.

use std::io::Write;
use std::path::Path;

use roff::{bold, italic, roman, Roff};

/// A section: a heading and paragraphs, each a list of (term, text) or a
/// plain line (empty term).
struct Section {
    title: &'static str,
    items: &'static [(&'static str, &'static str)],
}

fn render_sections(roff: &mut Roff, sections: &[Section]) {
    for s in sections {
        roff.control("SH", [s.title]);
        for (term, text) in s.items {
            if term.is_empty() {
                roff.control("PP", []).text([roman(*text)]);
            } else {
                roff.control("TP", [])
                    .text([bold(*term)])
                    .text([roman(*text)]);
            }
        }
    }
}

const MSP_SECTIONS: &[Section] = &[
    Section {
        title: "EXIT STATUS",
        items: &[
            ("0", "All went well."),
            ("1", "Some archives were rejected (they are in the error folder with a French log), a status change was refused by the rules, or the user's mistake (no such dossier, an unknown flow or client, a path given where a name is expected), said with a hint. msp status: WARNING."),
            ("2", "Trouble: a database unreachable or locked, the disk, permissions, the configuration. The archives concerned stay in input and the next run retries them. msp status: CRITICAL."),
            ("130, 143", "A second SIGINT or SIGTERM stopped msp run or msp serve at once (the first lets them finish what they hold and exit as usual)."),
        ],
    },
    Section {
        title: "FILES",
        items: &[
            ("./msp.toml", "The configuration when --config is not given; without it, the embedded default (./msp-data, one SQLite database, any CodeINSEE). See msp.toml(5)."),
            ("/etc/msp/msp.toml", "The configuration of the Debian package."),
            ("ROOT/entree", "Input: the portal's archives (<Numero>-<Flow>-<FileNumber>.zip)."),
            ("ROOT/travail", "Work: archives being imported, return archives being written."),
            ("ROOT/sortie", "Output: the return archives for the portal."),
            ("ROOT/erreur", "Rejected archives, each with <archive>.log in French for the clerk."),
            ("ROOT/termine", "Imported archives."),
            ("ROOT/logs", "Synchronisation logs: sync-*.log for a run that did something, one line per run with nothing to do in empty-YYYYMMDD.log; operations.log (operators' actions, status changes and refusals, with their author); web-access.log (the console's requests)."),
            ("ROOT/pieces", "Attachments, with attachments = \"directory\"."),
            ("/etc/default/msp", "The packaged services' environment (password_env variables)."),
        ],
    },
    Section {
        title: "ENVIRONMENT",
        items: &[
            ("MSP_LOG", "A tracing filter for stderr (e.g. info, debug, msp_core=debug); overrides -v."),
            ("NO_COLOR", "Set and not empty: no colour on stderr."),
            ("password_env variables", "Each client's database password (and SFTP password) is read from the variable its password_env names. A command run by hand does not have the service's environment: set -a; . /etc/default/msp; set +a first, or use password_file."),
            ("ODBCSYSINI", "Where the driver manager reads odbcinst.ini and odbc.ini (default /etc)."),
        ],
    },
    Section {
        title: "EXAMPLES",
        items: &[
            ("msp run", "One synchronisation: import what waits in input, write the return archives, log."),
            ("msp run --every 60", "One every minute until stopped (SIGTERM or SIGINT: the archive in hand is finished, then exit 0)."),
            ("msp dossier list --untransmitted", "The dossiers whose status the portal does not know yet."),
            ("msp dossier status A-2-X3UGO4V7 16 --comment \"Pièce d'identité à fournir\"", "An agent's decision; the next run sends it to the portal."),
            ("msp errors list; msp errors show NAME; msp errors retry NAME", "The rejected archives, one's French log, and putting it back once its cause is fixed."),
            ("msp status --prometheus /var/lib/node_exporter/msp.prom --prometheus-mode 644", "Monitoring: exit 0/1/2 and a first line for Nagios, figures for Prometheus."),
            ("msp config check; msp config show", "Check the configuration and connect to every database; print it with its defaults, secrets masked."),
        ],
    },
    Section {
        title: "SEE ALSO",
        items: &[(
            "",
            "msp.toml(5), msp-run(1), msp-dossier(1), msp-errors(1), msp-status(1), msp-serve(1); README.md and docs/ of the msp sources.",
        )],
    },
];

/// Every key of the configuration file: (key, what it is and its default).
const TOML_SECTIONS: &[Section] = &[
    Section {
        title: "TOP LEVEL",
        items: &[
            ("root = \"PATH\"", "The folder of msp's folders (entree, travail, sortie, erreur, termine, logs, pieces, envoye) and of relative SQLite databases. Default msp-data, relative to the file's folder."),
            ("plugins = [\"PATH\", ...]", "Shared libraries of démarches built outside msp. Default none."),
            ("settle_seconds = N", "Leave archives modified less than N seconds ago for the next run (transports that write under the final name). Default 0."),
            ("group = \"NAME\"", "Folders given to this group (2750) and files 0640, so that a transport or a backup of that group can read them. Default none: 0700 and 0600. Unix only: on Windows the folders keep the NTFS permissions they inherit (give them with icacls), and a group is refused."),
        ],
    },
    Section {
        title: "[directories]",
        items: &[("input, work, output, error, done, logs, attachments, sent = \"PATH\"", "Overrides of each folder (relative to root). Defaults entree, travail, sortie, erreur, termine, logs, pieces, envoye.")],
    },
    Section {
        title: "[limits]",
        items: &[
            ("max_total_bytes = N", "Total uncompressed size of an archive. Default 209715200 (200 MiB)."),
            ("max_entries = N", "Entries per archive. Default 500."),
            ("max_ratio = N", "Uncompressed/compressed ratio of one entry... Default 100."),
            ("ratio_threshold_bytes = N", "...checked once the entry is larger than this. Default 1048576."),
        ],
    },
    Section {
        title: "[[client]] (one per town hall or business database)",
        items: &[
            ("name = \"TEXT\"", "The town's name in messages and --client. Required."),
            ("insee = [\"CODE\", ...]", "The CodeINSEE values routed to this client; \"*\" accepts any. Required."),
            ("database = \"URL\"", "sqlite://FILE (relative to root), postgres://..., mysql://... (feature mysql) or odbc:CONNECTION-STRING. Required."),
            ("password_env = \"VAR\" | password_file = \"PATH\"", "The database password, never in the file."),
            ("dialect = \"NAME\"", "For odbc: databases: postgres, mysql, sqlite, sqlserver, oracle, access."),
            ("attachments = \"database\" | \"directory\"", "Where attachments are kept. Default database."),
            ("busy_timeout_ms = N", "How long to wait for a lock or a connection. Default 5000."),
            ("flows = [\"CODE\", ...]", "The démarches this client handles. Default every registered flow."),
            ("siret = \"14 DIGITS\"", "The town hall's SIRET: the Sender of its return messages."),
            ("commune = \"NAME\", departement = \"NAME\"", "As the town's documents print them (the census attestation), and the return's Sender without a SIRET."),
        ],
    },
    Section {
        title: "[client.sftp] (optional, per client)",
        items: &[
            ("host, port (22), user", "The portal's SFTP server."),
            ("key_file | password_env | password_file", "How msp authenticates."),
            ("known_hosts = \"PATH\"", "The server's host key must be there. Required."),
            ("push_dir = \"DIR\"", "Where return archives are uploaded (temporary name, then renamed). Required."),
            ("pull_dir = \"DIR\"", "Where inbound archives are taken from. Default none (push only)."),
            ("after_push = \"move\" | \"remove\"", "What becomes of an uploaded return: moved to envoye (default) or removed."),
            ("timeout_seconds = N", "For the connection and each operation. Default 30."),
        ],
    },
    Section {
        title: "[retention] (no key: kept forever)",
        items: &[
            ("done_days = N", "Imported archives, never while their dossier is open."),
            ("error_days = N", "Rejected archives and their logs."),
            ("logs_days = N", "Synchronisation logs (operations.log is kept)."),
            ("sent_days = N", "Return archives uploaded by SFTP."),
        ],
    },
    Section {
        title: "[status] (msp status thresholds)",
        items: &[
            ("last_run_minutes = N", "WARNING when the last synchronisation is older. Default 15."),
            ("input_age_minutes = N", "WARNING when an archive waits in input longer. Default 30."),
            ("untransmitted_hours = N", "WARNING when a status is not transmitted for longer. Default 24."),
            ("uncollected_hours = N", "WARNING when the portal leaves a return in output longer. Default 48."),
        ],
    },
    Section {
        title: "[web] (msp serve)",
        items: &[
            ("listen = \"ADDRESS:PORT\"", "Default 127.0.0.1:8080. Another address requires users."),
            ("secure_cookies = true", "Cookies only over HTTPS (behind a TLS proxy)."),
            ("session_minutes = N", "How long a session lasts without use."),
            ("trusted_proxies = [\"IP\", ...]", "Proxies whose X-Forwarded-For is believed."),
            ("[[web.user]] name, password_hash", "The console's users, written by msp user add (argon2). Keep the file readable by msp only: msp config check warns otherwise."),
        ],
    },
    Section {
        title: "SEE ALSO",
        items: &[("", "msp(1), msp-config(1); msp config show prints the configuration in force.")],
    },
];

/// The `msp.toml(5)` page.
fn toml_page() -> Roff {
    let mut roff = Roff::new();
    roff.control("TH", ["MSP.TOML", "5", "", "msp", "File formats"]);
    roff.control("SH", ["NAME"])
        .text([roman("msp.toml - the configuration of msp")]);
    roff.control("SH", ["DESCRIPTION"]).text([
        roman("A TOML file: "),
        bold("--config FILE"),
        roman(", else "),
        italic("./msp.toml"),
        roman(", else the embedded default. Relative paths are relative to the file's folder, SQLite databases and [directories] to root. Unknown keys are errors. "),
        bold("msp config show"),
        roman(" prints the configuration in force with its defaults."),
    ]);
    render_sections(&mut roff, TOML_SECTIONS);
    roff
}

/// Writes the pages into `dir` (`msp.1`, `msp-run.1`..., `msp.toml.5`), or
/// `msp(1)` to stdout.
pub fn manual(cmd: clap::Command, dir: Option<&Path>) -> anyhow::Result<()> {
    // No `help` subcommand: it has no page of its own.
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            // Every command's page (msp-run.1, ...), then msp.1 with its
            // sections, and msp.toml.5.
            clap_mangen::generate_to(cmd.clone(), dir)?;
            let mut f = std::fs::File::create(dir.join("msp.1"))?;
            render_msp(&cmd, &mut f)?;
            std::fs::write(dir.join("msp.toml.5"), toml_page().render())?;
        }
        None => render_msp(&cmd, &mut std::io::stdout())?,
    }
    Ok(())
}

fn render_msp(cmd: &clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    man.render_subcommands_section(w)?;
    let mut roff = Roff::new();
    render_sections(&mut roff, MSP_SECTIONS);
    w.write_all(roff.render().as_bytes())?;
    man.render_version_section(w)
}
