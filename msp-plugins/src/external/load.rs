//! The host side's loading: a shared library opened, its entry table found
//! (version 2, else version 1), and its description turned into an
//! [`ExternalPlugin`].

use std::collections::BTreeMap;
use std::ffi::c_char;
use std::path::Path;
use std::sync::Arc;

use super::calls::call;
use super::protocol::{Description, MigrationDesc, PluginV1, PluginV2, StepDesc, TableDesc};
use crate::plugin::FlowPlugin;
use crate::record::{Column, TableDef};

/// Version 2's return attachments: `attachment_name` and
/// `return_attachment`.
pub(super) type AttachmentFns = (
    extern "C" fn(*const c_char) -> *mut c_char,
    extern "C" fn(*const c_char) -> *mut c_char,
);

/// Host side: a plugin living in a shared library.
pub struct ExternalPlugin {
    _lib: libloading::Library,
    pub(super) vtable: PluginV1,
    /// Version 2's return attachments, when the library has them.
    pub(super) attachments: Option<AttachmentFns>,
    pub(super) flow: &'static str,
    pub(super) application: &'static str,
    pub(super) description: &'static str,
    pub(super) schema_version: u32,
    pub(super) tables: Vec<TableDef>,
    pub(super) comments: BTreeMap<u16, &'static str>,
    pub(super) migrations: Vec<crate::Migration>,
    pub(super) sample: Option<crate::SampleDocument>,
}

fn leak(s: String) -> &'static str {
    // Plugins are loaded once per process; their names live as long.
    Box::leak(s.into_boxed_str())
}

/// An error with its causes (libloading says `dlopen failed` and keeps the
/// loader's reason — file missing, wrong architecture, a missing library —
/// as the source).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

impl ExternalPlugin {
    /// Loads the library at `path` and reads its description.
    pub fn load(path: &Path) -> Result<Arc<dyn FlowPlugin>, String> {
        let shown = path.display();
        // SAFETY: loading runs the library's initialisers; the configuration
        // names libraries the administrator installed as msp plugins.
        #[allow(unsafe_code)]
        let lib = unsafe { libloading::Library::new(path) }
            .map_err(|e| format!("cannot load plugin {shown}: {}", with_causes(&e)))?;
        let (vtable, attachments) = entry(&lib, path)?;
        let json = call(&vtable, (vtable.describe)());
        let d: Description =
            serde_json::from_str(&json).map_err(|e| format!("{shown}: bad description: {e}"))?;
        let tables = tables_of(d.tables);
        Ok(Arc::new(ExternalPlugin {
            _lib: lib,
            vtable,
            attachments,
            flow: leak(d.flow),
            application: leak(d.application),
            description: leak(d.description),
            schema_version: d.schema_version,
            tables,
            comments: d.comments.into_iter().map(|(k, v)| (k, leak(v))).collect(),
            migrations: migrations_of(d.migrations),
            sample: d.sample.map(|(code, xml)| crate::SampleDocument {
                code: leak(code),
                xml: leak(xml),
            }),
        }))
    }
}

/// The library's table, as version 1's (its ABI version kept), with
/// version 2's return attachments when it exports `msp_plugin_v2`.
fn entry(
    lib: &libloading::Library,
    path: &Path,
) -> Result<(PluginV1, Option<AttachmentFns>), String> {
    let shown = path.display();
    // SAFETY: the symbols have the signatures `export_plugin!` gives
    // them; the tables are statics of the library, which we keep loaded.
    #[allow(unsafe_code)]
    let v2: Option<&PluginV2> = unsafe {
        lib.get::<extern "C" fn() -> *const PluginV2>(b"msp_plugin_v2\0")
            .ok()
            .and_then(|entry| entry().as_ref())
    };
    match v2 {
        Some(t) if t.abi_version == 2 => Ok((
            PluginV1 {
                abi_version: 2,
                describe: t.describe,
                parse: t.parse,
                free: t.free,
            },
            Some((t.attachment_name, t.return_attachment)),
        )),
        Some(t) => Err(format!(
            "{shown}: plugin ABI version {} under msp_plugin_v2 (this msp speaks 1 and 2)",
            t.abi_version
        )),
        None => entry_v1(lib, path).map(|v1| (v1, None)),
    }
}

/// The table of a library that exports only `msp_plugin_v1`.
fn entry_v1(lib: &libloading::Library, path: &Path) -> Result<PluginV1, String> {
    let shown = path.display();
    // SAFETY: as for version 2 (`entry`): the signature `export_plugin!`
    // gives the symbol, a static table of the library we keep loaded.
    #[allow(unsafe_code)]
    let v1: &PluginV1 = unsafe {
        let entry: libloading::Symbol<'_, extern "C" fn() -> *const PluginV1> =
            lib.get(b"msp_plugin_v1\0").map_err(|e| {
                format!(
                    "{shown} is not an msp plugin (neither msp_plugin_v2 nor msp_plugin_v1): {}",
                    with_causes(&e)
                )
            })?;
        entry()
            .as_ref()
            .ok_or_else(|| format!("{shown}: msp_plugin_v1 returned nothing"))?
    };
    if v1.abi_version != 1 {
        return Err(format!(
            "{shown}: plugin ABI version {} but this msp speaks 1 and 2",
            v1.abi_version
        ));
    }
    Ok(PluginV1 {
        abi_version: 1,
        describe: v1.describe,
        parse: v1.parse,
        free: v1.free,
    })
}

/// The described tables, their names leaked to `'static`.
fn tables_of(tables: Vec<TableDesc>) -> Vec<TableDef> {
    tables
        .into_iter()
        .map(|t| TableDef {
            name: leak(t.name),
            comment: leak(t.comment),
            columns: t
                .columns
                .into_iter()
                .map(|c| Column {
                    name: leak(c.name),
                    ty: c.ty,
                    nullable: c.nullable,
                })
                .collect(),
            key: t.key.into_iter().map(leak).collect(),
        })
        .collect()
}

/// The described migrations, their names leaked to `'static`.
fn migrations_of(migrations: Vec<MigrationDesc>) -> Vec<crate::Migration> {
    migrations
        .into_iter()
        .map(|m| crate::Migration {
            version: m.version,
            steps: m
                .steps
                .into_iter()
                .map(|step| match step {
                    StepDesc::AddTable(t) => crate::MigrationStep::AddTable(leak(t)),
                    StepDesc::AddColumn { table, column } => crate::MigrationStep::AddColumn {
                        table: leak(table),
                        column: leak(column),
                    },
                    StepDesc::AddIndex {
                        table,
                        name,
                        columns,
                    } => crate::MigrationStep::AddIndex {
                        table: leak(table),
                        name: leak(name),
                        columns: columns.into_iter().map(leak).collect(),
                    },
                })
                .collect(),
        })
        .collect()
}
