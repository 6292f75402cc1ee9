//! Step 4, on a preparing thread: the plugin's rows. The plugin parses the
//! data documents the envelope checks sorted out; its rows are checked
//! against the tables it declares. A document the citizen got wrong is bad
//! input; a plugin that breaks its own declarations is trouble naming it.

use std::sync::Arc;

use msp_plugins::{FlowPlugin, ParseContext, Records, TableDef};

use crate::envelope::{self, Message};
use crate::error::{Error, Reason, Result};
use crate::naming::ArchiveName;

/// The result of [`parse`]: the envelope's and the plugin's.
pub(super) struct Parsed {
    /// Index of the client the archive is routed to.
    pub client: usize,
    /// The envelope.
    pub message: Message,
    /// The plugin's rows.
    pub records: Records,
    /// The plugin.
    pub plugin: Arc<dyn FlowPlugin>,
    /// The plugin's tables, as the rows were checked against them.
    pub tables: Vec<TableDef>,
}

/// Document validation of PROTOCOL §3 (step 6), once the envelope is
/// checked ([`envelope::validate`]): the plugin's rows, and their check
/// against the plugin's tables.
pub(super) fn parse(
    plugin: Arc<dyn FlowPlugin>,
    name: &ArchiveName,
    envelope: envelope::Validated,
) -> Result<Parsed> {
    let envelope::Validated {
        client,
        message,
        documents,
    } = envelope;
    let env = &message.envelope;
    let insee = env.insee.as_deref().unwrap_or_default();
    let ctx = ParseContext {
        numero: name.numero.clone(),
        file_number: name.file_number,
        insee: insee.to_string(),
        submitted_at: env.submitted_at(),
    };
    let bug = |what: String| {
        Error::trouble(format!(
            "plugin {} ({}) is faulty: {what} (fix the plugin; the archive is kept and retried)",
            plugin.flow_code(),
            plugin.application()
        ))
    };
    let records = plugin.parse(&ctx, &documents).map_err(|e| {
        if e.fault {
            bug(e.rule)
        } else {
            let french = e.french();
            let err = Error::bad_input(Reason::Document, e.to_string());
            match french {
                Some(f) => err.with_french(f),
                None => err,
            }
        }
    })?;
    let tables = plugin.tables();
    for row in &records.rows {
        // A row that does not match what the plugin declared is the
        // plugin's bug, never the citizen's: trouble naming the plugin (the
        // archive is kept for when the plugin is fixed).
        let table = tables.iter().find(|t| t.name == row.table).ok_or_else(|| {
            bug(format!(
                "it made a row for table {}, which it does not declare",
                row.table
            ))
        })?;
        table.check_row(row).map_err(|p| {
            if p.plugin_bug {
                bug(p.message)
            } else {
                Error::bad_input(Reason::Document, p.message)
            }
        })?;
    }
    Ok(Parsed {
        client,
        message,
        records,
        plugin,
        tables,
    })
}
