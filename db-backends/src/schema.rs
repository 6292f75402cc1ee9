//! The MSP tables, described once as data and turned into each engine's
//! DDL by its [`Dialect`](crate::sql::Dialect), plus the plugins' tables
//! (with their implicit leading `numero` column).

use msp_plugins::{Column, ColumnType, TableDef, DOSSIER_KEY};

/// Version of the MSP tables this build creates.
pub const MSP_VERSION: u32 = 4;

/// The component name of the MSP tables in `msp_schema_version`.
pub const MSP_COMPONENT: &str = "msp";

/// A table to create: columns, primary key, optional foreign key to the dossier.
#[derive(Debug, Clone)]
pub struct Table {
    /// Name.
    pub name: &'static str,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Primary key columns.
    pub primary_key: Vec<&'static str>,
    /// Whether `numero` references `msp_dossier(numero)`.
    pub references_dossier: bool,
}

use ColumnType::*;

fn req(name: &'static str, ty: ColumnType) -> Column {
    Column::required(name, ty)
}
fn opt(name: &'static str, ty: ColumnType) -> Column {
    Column::optional(name, ty)
}

/// The version table (created first, outside any migration).
pub fn version_table() -> Table {
    Table {
        name: "msp_schema_version",
        columns: vec![
            req("component", Text(64)),
            req("version", Integer),
            req("applied_at", Timestamp),
        ],
        primary_key: vec!["component"],
        references_dossier: false,
    }
}

/// The MSP tables of version 1.
pub fn msp_tables_v1() -> Vec<Table> {
    vec![
        dossier_table(),
        status_table(),
        return_table(),
        attachment_table(),
        received_table(),
        event_table(),
    ]
}

/// The dossier key column, first in every MSP table.
fn numero() -> Column {
    req(DOSSIER_KEY, Text(64))
}

/// `msp_dossier`: one row per dossier, its current status.
fn dossier_table() -> Table {
    Table {
        name: "msp_dossier",
        columns: vec![
            numero(),
            req("flow", Text(32)),
            req("insee", Text(5)),
            req("file_number", Integer),
            req("status", Integer),
            req("indicator", Integer),
            req("summary", Text(255)),
            req("status_seq", Integer),
            req("created_at", Timestamp),
            req("updated_at", Timestamp),
        ],
        primary_key: vec![DOSSIER_KEY],
        references_dossier: false,
    }
}

/// `msp_statut`: a dossier's status history.
fn status_table() -> Table {
    Table {
        name: "msp_statut",
        columns: vec![
            numero(),
            req("seq", Integer),
            req("status", Integer),
            req("indicator", Integer),
            opt("comment", Text(2000)),
            req("automatic", Boolean),
            req("superseded", Boolean),
            req("created_at", Timestamp),
            opt("transmitted_at", Timestamp),
            req("cancelled", Boolean),
            opt("return_increment", Integer),
        ],
        primary_key: vec![DOSSIER_KEY, "seq"],
        references_dossier: true,
    }
}

/// `msp_retour`: the return flows written for the portal.
fn return_table() -> Table {
    Table {
        name: "msp_retour",
        columns: vec![
            numero(),
            req("increment", Integer),
            req("status", Integer),
            req("comment", Text(2000)),
            req("file_name", Text(255)),
            opt("attachment_name", Text(255)),
            req("created_at", Timestamp),
            opt("written_at", Timestamp),
            opt("collected_at", Timestamp),
        ],
        primary_key: vec![DOSSIER_KEY, "increment"],
        references_dossier: true,
    }
}

/// `msp_piece_jointe`: the attachments (content inline, in parts, or in a folder).
fn attachment_table() -> Table {
    Table {
        name: "msp_piece_jointe",
        columns: vec![
            numero(),
            req("seq", Integer),
            req("file_number", Integer),
            req("code", Text(32)),
            req("label", Text(255)),
            req("file_name", Text(255)),
            req("size_bytes", Integer),
            req("sha256", Text(64)),
            opt("path", Text(1024)),
            opt("content", Blob),
            req("created_at", Timestamp),
        ],
        primary_key: vec![DOSSIER_KEY, "seq"],
        references_dossier: true,
    }
}

/// `msp_archive_recue`: the archives received, one per file number.
fn received_table() -> Table {
    Table {
        name: "msp_archive_recue",
        columns: vec![
            numero(),
            req("file_number", Integer),
            req("name", Text(255)),
            req("sha256", Text(64)),
            req("outcome", Text(16)),
            req("received_at", Timestamp),
        ],
        primary_key: vec![DOSSIER_KEY, "file_number"],
        references_dossier: true,
    }
}

/// `msp_evenement`: the dossier's journal.
fn event_table() -> Table {
    Table {
        name: "msp_evenement",
        columns: vec![
            numero(),
            req("seq", Integer),
            req("at", Timestamp),
            req("text", Text(2000)),
        ],
        primary_key: vec![DOSSIER_KEY, "seq"],
        references_dossier: true,
    }
}

/// One step of the MSP tables' history, applied in a transaction by
/// `init` when the database is at an older version.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The version this step brings the tables to.
    pub version: u32,
    /// What it does, for `msp db init`.
    pub description: &'static str,
    /// Tables to create.
    pub create: Vec<Table>,
    /// Columns to add to existing tables: (table, column).
    pub add_columns: Vec<(&'static str, Column)>,
    /// Indexes to create.
    pub indexes: Vec<Index>,
}

/// A secondary index (the hot-path queries of a synchronisation use only
/// primary keys and these).
#[derive(Debug, Clone)]
pub struct Index {
    /// Name (unique in the database).
    pub name: &'static str,
    /// Table.
    pub table: &'static str,
    /// Columns, in order.
    pub columns: Vec<&'static str>,
}

/// The indexes of version 2: pending statuses, untransmitted dossiers,
/// unwritten and uncollected return flows are found without reading the
/// history.
pub fn indexes_v2() -> Vec<Index> {
    vec![
        Index {
            name: "msp_statut_pending",
            table: "msp_statut",
            columns: vec!["indicator", "superseded", "cancelled"],
        },
        Index {
            name: "msp_dossier_indicator",
            table: "msp_dossier",
            columns: vec!["indicator"],
        },
        Index {
            name: "msp_retour_written",
            table: "msp_retour",
            columns: vec!["written_at"],
        },
        Index {
            name: "msp_retour_collected",
            table: "msp_retour",
            columns: vec!["collected_at"],
        },
    ]
}

/// Every migration of the MSP tables, oldest first; the last one's version
/// is [`MSP_VERSION`]. A change to the MSP tables adds a step here (and to
/// [`msp_tables_v1`]'s successor), never edits a released one.
pub fn msp_migrations() -> Vec<Migration> {
    vec![
        Migration {
            version: 1,
            description: "MSP tables created",
            create: msp_tables_v1(),
            add_columns: Vec::new(),
            indexes: Vec::new(),
        },
        Migration {
            version: 2,
            description: "indexes for pending statuses and return flows",
            create: Vec::new(),
            add_columns: Vec::new(),
            indexes: indexes_v2(),
        },
        Migration {
            version: 3,
            description: "attachments larger than 1 MiB stored in parts (msp_piece_morceau)",
            create: vec![parts_table_v3()],
            add_columns: Vec::new(),
            indexes: Vec::new(),
        },
        Migration {
            version: 4,
            description: "what each inbound message said of itself (msp_archive_recue: MessageId, sender, recipient, acknowledgements, e-mail, password)",
            create: Vec::new(),
            add_columns: received_columns_v4()
                .into_iter()
                .map(|c| ("msp_archive_recue", c))
                .collect(),
            indexes: Vec::new(),
        },
    ]
}

/// The columns version 4 adds to `msp_archive_recue`: what the inbound
/// `message.xml` said of itself (PROTOCOL §3.1; README, "What msp
/// accepts from the portal"). All optional: the seed's shape says little,
/// and rows of earlier versions have none. Widths are the envelope's
/// (`msp_core::envelope::widths`): longer texts are cut before they get here.
pub fn received_columns_v4() -> Vec<Column> {
    vec![
        opt("message_id", Text(255)),
        opt("numero_demarche", Text(64)),
        opt("sender_siret", Text(64)),
        opt("sender_service", Text(255)),
        opt("sender_guichet", Text(255)),
        opt("recipient_siret", Text(64)),
        opt("recipient_service", Text(255)),
        opt("recipient_guichet", Text(255)),
        opt("ack_required", Text(64)),
        opt("ack_types", Text(255)),
        opt("security_datetime", Text(64)),
        opt("email", Text(255)),
        opt("password", Text(255)),
    ]
}

/// Size of one part of an attachment stored in the database: far below
/// the smallest packet limit of the engines' default settings (MariaDB's
/// `max_allowed_packet`, 16 MiB), and what a reader holds at once.
pub const PART_BYTES: usize = 1024 * 1024;

/// The parts of the attachments larger than [`PART_BYTES`]: their
/// `msp_piece_jointe.content` is NULL and their bytes are here, `part` 1,
/// 2, ... in order (README, "For business applications").
pub fn parts_table_v3() -> Table {
    Table {
        name: "msp_piece_morceau",
        columns: vec![
            req(DOSSIER_KEY, Text(64)),
            req("seq", Integer),
            req("part", Integer),
            req("content", Blob),
        ],
        primary_key: vec![DOSSIER_KEY, "seq", "part"],
        references_dossier: true,
    }
}

/// The MSP tables (built once).
pub fn msp_tables() -> &'static [Table] {
    static TABLES: std::sync::OnceLock<Vec<Table>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = msp_tables_v1();
        for m in msp_migrations() {
            for (table, col) in m.add_columns {
                if let Some(t) = t.iter_mut().find(|t| t.name == table) {
                    t.columns.push(col);
                }
            }
        }
        t.push(parts_table_v3());
        t.push(version_table());
        t
    })
}

/// A plugin table with its leading `numero` column and key.
pub fn plugin_table(def: &TableDef) -> Table {
    let mut columns = vec![Column::required(DOSSIER_KEY, Text(64))];
    columns.extend(def.columns.iter().cloned());
    let mut primary_key = vec![DOSSIER_KEY];
    primary_key.extend(def.key.iter().copied());
    Table {
        name: def.name,
        columns,
        primary_key,
        references_dossier: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_consecutive_and_end_at_the_current_version() {
        let m = msp_migrations();
        for (i, step) in m.iter().enumerate() {
            assert_eq!(step.version, i as u32 + 1);
        }
        assert_eq!(m.last().map(|s| s.version), Some(MSP_VERSION));
    }
}
