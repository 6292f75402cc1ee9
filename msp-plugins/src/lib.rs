//! The msp plugin contract.
//!
//! A démarche (flow) is a plugin: it names its flow code and business
//! application, declares engine-neutral tables ([`record::TableDef`]), and
//! turns the archive's data documents — already read safely into an
//! [`xml::Element`] tree — into [`record::Row`]s. It never sees a database
//! connection: the core writes the rows through whichever backend the client
//! is configured with. Refusals are [`PluginError`]s naming the element and
//! the rule, which end in the error log beside the rejected archive.
//!
//! Built-in plugins register with [`register!`]; [`Registry::builtin`]
//! collects them. Plugins built outside this repository are shared libraries
//! made with [`export_plugin!`] and loaded by [`external::ExternalPlugin`].
// `unsafe` is denied everywhere but in `external` (loading plugin libraries).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod external;
pub mod fields;
pub mod kit;
pub mod plugin;
pub mod record;
pub mod registry;
pub mod xml;

pub use plugin::{
    check_migrations, default_comment, DataDocument, DossierData, FlowPlugin, Migration,
    MigrationStep, ParseContext, PluginError, Records, ReturnAttachment, SampleDocument, STATUSES,
};
pub use record::{Column, ColumnType, Row, RowProblem, TableDef, Value, DOSSIER_KEY};
pub use registry::{Registration, Registry};

#[doc(hidden)]
pub use inventory;
#[doc(hidden)]
pub use serde_json;
