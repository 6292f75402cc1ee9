//! `msp dossier list`: the dossiers of every database that answers, as a
//! table or JSON.

use anyhow::Result;
use msp_core::backend::Dossier;
use msp_core::Config;
use msp_plugins::Registry;
use serde_json::Value;

use super::{warn_unreachable, Databases};
use crate::cli::ExitStatus;
use crate::render::json::{dossier_json, json_text};
use crate::render::text::{say, width};

/// Which dossiers are listed.
pub struct Filter {
    /// Only these flows (none: all).
    pub flows: Vec<String>,
    /// Only at these statuses (none: all).
    pub statuses: Vec<u16>,
    /// Only those whose current status is not transmitted yet.
    pub untransmitted: bool,
    /// Only these clients' (by name; none: all).
    pub clients: Vec<String>,
}

/// `msp dossier list`: exit 1 when a database did not answer.
pub fn run(
    config: &Config,
    registry: &Registry,
    databases: &Databases,
    filter: Filter,
    json: bool,
) -> Result<ExitStatus> {
    if let Some(s) = filter
        .statuses
        .iter()
        .find(|s| msp_core::status::label_fr(**s) == "statut inconnu")
    {
        return Err(msp_core::Error::usage(format!(
            "{s} is not a status (statuses: 14, 15, 16, 17, 19, 20, 100)"
        ))
        .into());
    }
    let known = registry.all_codes();
    if let Some(f) = filter.flows.iter().find(|f| !known.contains(&f.as_str())) {
        return Err(msp_core::Error::usage(format!(
            "unknown flow {f} (flows: {})",
            known.join(", ")
        ))
        .into());
    }
    let all = listed(config, databases, &filter)?;
    print(&all, json)?;
    warn_unreachable(databases);
    Ok(if databases.unreachable.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Rejected
    })
}

/// The dossiers `filter` keeps, by number.
fn listed(config: &Config, databases: &Databases, filter: &Filter) -> Result<Vec<Dossier>> {
    // Towns sharing a database: their dossiers by CodeINSEE.
    let insee_ok = |d: &Dossier| {
        filter.clients.is_empty()
            || config
                .client_for(&d.insee)
                .is_some_and(|c| filter.clients.contains(&c.name))
    };
    let mut all: Vec<Dossier> = Vec::new();
    for b in &databases.open {
        all.extend(b.dossiers(&filter.flows)?);
    }
    all.retain(|d| {
        insee_ok(d)
            && (filter.statuses.is_empty() || filter.statuses.contains(&d.status))
            && (!filter.untransmitted || d.indicator == 0)
    });
    all.sort_by(|a, b| a.numero.cmp(&b.numero));
    Ok(all)
}

/// A JSON array, or a table with a column per field.
fn print(all: &[Dossier], json: bool) -> Result<()> {
    if json {
        let v: Vec<Value> = all.iter().map(dossier_json).collect();
        println!("{}", json_text(&v)?);
        return Ok(());
    }
    let num = width(all.iter().map(|d| d.numero.as_str()), 20);
    let flow = width(all.iter().map(|d| d.flow.as_str()), 7);
    println!(
        "{:<num$} {:<flow$} {:<5} {:>4} {:>6} {:>3}  summary",
        "numero", "flow", "insee", "file", "status", "ind"
    );
    for d in all {
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
    Ok(())
}
