//! `msp plugins`: the registered plugins (flows) and their tables.

use anyhow::Result;
use msp_plugins::Registry;

use crate::cli::ExitStatus;
use crate::render::text::width;

/// `msp plugins`.
pub fn run(registry: &Registry) -> Result<ExitStatus> {
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
    Ok(ExitStatus::Success)
}
