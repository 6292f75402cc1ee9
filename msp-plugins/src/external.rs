//! Plugins loaded at run time from a shared library (`plugins = [...]` in
//! the configuration), for démarches written outside this repository.
//!
//! Rust has no stable ABI, so the boundary is a small C ABI carrying JSON:
//! the library exports `msp_plugin_v2`, returning a table of functions —
//! `describe` (flow, application, tables, comments), `parse` (documents in,
//! rows, a refusal or a failure out), `attachment_name` and
//! `return_attachment` (the document a return archive carries, such as an
//! attestation) and `free` (the library frees the strings it allocated).
//! Version 1 (`msp_plugin_v1`: no return attachments) is still loaded, and
//! [`export_plugin!`](crate::export_plugin) exports both, so a library built
//! today also loads in an msp that only knows version 1. A plugin author writes an ordinary [`FlowPlugin`]
//! in a `cdylib` crate and adds [`export_plugin!`](crate::export_plugin);
//! every exported function catches panics, which would otherwise abort msp.
//!
//! This module holds the crate's only `unsafe` code: loading the library
//! and calling through its function pointers.

use std::collections::BTreeMap;
use std::ffi::{c_char, CStr, CString};
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::plugin::{DataDocument, FlowPlugin, ParseContext, PluginError, Records};
use crate::record::{Column, ColumnType, Row, TableDef, Value};
use crate::xml::Element;

/// The newest ABI version this msp speaks (it also loads version 1).
pub const ABI_VERSION: u32 = 2;

/// The table of ABI version 1 (symbol `msp_plugin_v1`).
#[repr(C)]
pub struct PluginV1 {
    /// 1.
    pub abi_version: u32,
    /// Returns the [`Description`] as JSON (freed with `free`).
    pub describe: extern "C" fn() -> *mut c_char,
    /// Takes a [`ParseInput`] as JSON, returns a [`ParseOutput`] as JSON.
    pub parse: extern "C" fn(input: *const c_char) -> *mut c_char,
    /// Frees a string returned by `describe` or `parse`.
    pub free: extern "C" fn(s: *mut c_char),
}

/// The table of ABI version 2 (symbol `msp_plugin_v2`): version 1's, then
/// the return attachments.
#[repr(C)]
pub struct PluginV2 {
    /// 2.
    pub abi_version: u32,
    /// As in version 1.
    pub describe: extern "C" fn() -> *mut c_char,
    /// As in version 1 (a [`ParseOutput::Failed`] may come back).
    pub parse: extern "C" fn(input: *const c_char) -> *mut c_char,
    /// As in version 1.
    pub free: extern "C" fn(s: *mut c_char),
    /// Takes an [`AttachmentNameInput`] as JSON, returns a JSON string or
    /// `null` (the file name, or none).
    pub attachment_name: extern "C" fn(input: *const c_char) -> *mut c_char,
    /// Takes a [`DossierDesc`] as JSON, returns an [`AttachmentOutput`] as
    /// JSON.
    pub return_attachment: extern "C" fn(input: *const c_char) -> *mut c_char,
}

/// What `attachment_name` takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentNameInput {
    /// NumeroTeledemarche.
    pub numero: String,
    /// The status of the return flow.
    pub status: u16,
}

/// A dossier, as exchanged (what [`crate::DossierData`] holds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DossierDesc {
    /// NumeroTeledemarche.
    pub numero: String,
    /// Flow code.
    pub flow: String,
    /// CodeINSEE.
    pub insee: String,
    /// The status being transmitted.
    pub status: u16,
    /// When it was recorded.
    pub status_at: NaiveDateTime,
    /// The dossier's rows in the plugin's tables.
    pub rows: Vec<RowDesc>,
    /// The client's `commune` setting. Optional on the wire (absent when
    /// unset, and from hosts that predate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    /// The client's `departement` setting; optional likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departement: Option<String>,
}

/// What `return_attachment` returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum AttachmentOutput {
    /// No document for this status.
    None,
    /// A document.
    Some {
        /// `Intitule`.
        label: String,
        /// File name in the archive.
        file: String,
        /// Content.
        bytes: Vec<u8>,
    },
    /// The dossier's data does not allow it.
    Refused {
        /// Element.
        element: String,
        /// Rule.
        rule: String,
        /// The rule in French, for the clerk (absent from plugins built
        /// before it existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule_fr: Option<String>,
    },
    /// The plugin failed.
    Failed {
        /// What happened.
        message: String,
    },
}

/// A column, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnDesc {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: ColumnType,
    /// Nullable.
    pub nullable: bool,
}

/// A table, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableDesc {
    /// Name.
    pub name: String,
    /// Comment.
    pub comment: String,
    /// Columns.
    pub columns: Vec<ColumnDesc>,
    /// Key columns besides `numero`.
    pub key: Vec<String>,
}

/// What `describe` returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Description {
    /// Flow code.
    pub flow: String,
    /// Business application.
    pub application: String,
    /// One line.
    pub description: String,
    /// Table layout version.
    pub schema_version: u32,
    /// Tables.
    pub tables: Vec<TableDesc>,
    /// Default comments by status.
    pub comments: BTreeMap<u16, String>,
    /// Migrations of its tables (added in ABI version 2; absent before).
    #[serde(default)]
    pub migrations: Vec<MigrationDesc>,
    /// A sample data document: (code, text) (added in ABI version 2).
    #[serde(default)]
    pub sample: Option<(String, String)>,
}

/// A migration, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MigrationDesc {
    /// The version it leads to.
    pub version: u32,
    /// Its steps.
    pub steps: Vec<StepDesc>,
}

/// A migration step, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StepDesc {
    /// A table added.
    AddTable(String),
    /// An optional column added.
    AddColumn {
        /// Table.
        table: String,
        /// Column.
        column: String,
    },
    /// An index added.
    AddIndex {
        /// Table.
        table: String,
        /// Index name.
        name: String,
        /// Columns.
        columns: Vec<String>,
    },
}

/// A data document, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentDesc {
    /// Document/Code.
    pub code: String,
    /// File name.
    pub file_name: String,
    /// Root element.
    pub root: Element,
}

/// What `parse` takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParseInput {
    /// NumeroTeledemarche.
    pub numero: String,
    /// FileNumber.
    pub file_number: u32,
    /// CodeINSEE.
    pub insee: String,
    /// Teledemarche/Date.
    pub submitted_at: Option<NaiveDateTime>,
    /// The documents.
    pub documents: Vec<DocumentDesc>,
}

/// A row, as exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowDesc {
    /// Table.
    pub table: String,
    /// (column, value).
    pub values: Vec<(String, Value)>,
}

/// What `parse` returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ParseOutput {
    /// Rows and summary.
    Ok {
        /// Rows.
        rows: Vec<RowDesc>,
        /// Summary.
        summary: String,
    },
    /// A refusal.
    Refused {
        /// Element.
        element: String,
        /// Rule.
        rule: String,
        /// The rule in French, for the clerk (absent from plugins built
        /// before it existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule_fr: Option<String>,
    },
    /// The plugin failed (a panic, a bug): not the document's fault.
    Failed {
        /// What happened.
        message: String,
    },
}

/// Plugin side: the description of a [`FlowPlugin`].
pub fn describe_plugin(p: &dyn FlowPlugin) -> Description {
    Description {
        flow: p.flow_code().into(),
        application: p.application().into(),
        description: p.description().into(),
        schema_version: p.schema_version(),
        tables: p
            .tables()
            .iter()
            .map(|t| TableDesc {
                name: t.name.into(),
                comment: t.comment.into(),
                columns: t
                    .columns
                    .iter()
                    .map(|c| ColumnDesc {
                        name: c.name.into(),
                        ty: c.ty,
                        nullable: c.nullable,
                    })
                    .collect(),
                key: t.key.iter().map(|k| k.to_string()).collect(),
            })
            .collect(),
        comments: crate::STATUSES
            .iter()
            .map(|s| (*s, p.default_comment(*s).to_string()))
            .collect(),
        migrations: p
            .migrations()
            .into_iter()
            .map(|m| MigrationDesc {
                version: m.version,
                steps: m
                    .steps
                    .into_iter()
                    .map(|step| match step {
                        crate::MigrationStep::AddTable(t) => StepDesc::AddTable(t.into()),
                        crate::MigrationStep::AddColumn { table, column } => StepDesc::AddColumn {
                            table: table.into(),
                            column: column.into(),
                        },
                        crate::MigrationStep::AddIndex {
                            table,
                            name,
                            columns,
                        } => StepDesc::AddIndex {
                            table: table.into(),
                            name: name.into(),
                            columns: columns.into_iter().map(String::from).collect(),
                        },
                    })
                    .collect(),
            })
            .collect(),
        sample: p.sample().map(|s| (s.code.into(), s.xml.into())),
    }
}

/// Plugin side: runs `parse` on JSON input.
pub fn parse_with_plugin(p: &dyn FlowPlugin, input: &str) -> ParseOutput {
    let input: ParseInput = match serde_json::from_str(input) {
        Ok(i) => i,
        Err(e) => {
            return ParseOutput::Failed {
                message: format!("the host's input is not understood: {e}"),
            }
        }
    };
    let ctx = ParseContext {
        numero: input.numero,
        file_number: input.file_number,
        insee: input.insee,
        submitted_at: input.submitted_at,
    };
    let docs: Vec<DataDocument> = input
        .documents
        .into_iter()
        .map(|d| DataDocument {
            code: d.code,
            file_name: d.file_name,
            root: d.root,
        })
        .collect();
    match p.parse(&ctx, &docs) {
        Ok(r) => ParseOutput::Ok {
            rows: r.rows.into_iter().map(row_desc).collect(),
            summary: r.summary,
        },
        Err(e) if e.fault => ParseOutput::Failed { message: e.rule },
        Err(e) => ParseOutput::Refused {
            element: e.element,
            rule: e.rule,
            rule_fr: e.rule_fr,
        },
    }
}

fn row_desc(row: Row) -> RowDesc {
    RowDesc {
        table: row.table.into(),
        values: row
            .values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

/// Rows as exchanged, back into rows of `tables` (names are the tables'
/// own `'static` ones); an unknown table or column is named.
fn rows_of(tables: &[TableDef], rows: Vec<RowDesc>) -> Result<Vec<Row>, String> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let table = tables.iter().find(|t| t.name == r.table).ok_or_else(|| {
            format!(
                "it made a row for table {}, which it does not declare",
                r.table
            )
        })?;
        let mut row = Row::new(table.name);
        for (k, v) in r.values {
            let col = table
                .column(&k)
                .ok_or_else(|| format!("table {} has no column {k}", table.name))?;
            row = row.set(col.name, v);
        }
        out.push(row);
    }
    Ok(out)
}

/// Plugin side: runs `attachment_name` on JSON input; JSON out.
pub fn attachment_name_with_plugin(p: &dyn FlowPlugin, input: &str) -> String {
    let name = serde_json::from_str::<AttachmentNameInput>(input)
        .ok()
        .and_then(|i| p.attachment_name(&i.numero, i.status));
    serde_json::to_string(&name).unwrap_or_else(|_| "null".into())
}

/// Plugin side: runs `return_attachment` on JSON input.
pub fn return_attachment_with_plugin(p: &dyn FlowPlugin, input: &str) -> AttachmentOutput {
    let d: DossierDesc = match serde_json::from_str(input) {
        Ok(d) => d,
        Err(e) => {
            return AttachmentOutput::Failed {
                message: format!("the host's input is not understood: {e}"),
            }
        }
    };
    let rows = match rows_of(&p.tables(), d.rows) {
        Ok(r) => r,
        Err(message) => return AttachmentOutput::Failed { message },
    };
    let dossier = crate::DossierData {
        numero: d.numero,
        flow: d.flow,
        insee: d.insee,
        status: d.status,
        status_at: d.status_at,
        rows,
        commune: d.commune,
        departement: d.departement,
    };
    match p.return_attachment(&dossier) {
        Ok(None) => AttachmentOutput::None,
        Ok(Some(a)) => AttachmentOutput::Some {
            label: a.label,
            file: a.file,
            bytes: a.bytes,
        },
        Err(e) if e.fault => AttachmentOutput::Failed { message: e.rule },
        Err(e) => AttachmentOutput::Refused {
            element: e.element,
            rule: e.rule,
            rule_fr: e.rule_fr,
        },
    }
}

/// A refusal as an external plugin sent it (its French words optional).
fn refused(element: String, rule: String, rule_fr: Option<String>) -> PluginError {
    PluginError {
        rule_fr,
        ..PluginError::new(element, rule)
    }
}

/// Plugin side: a JSON string for the host (freed by [`free_string`]).
pub fn to_c_string(s: String) -> *mut c_char {
    CString::new(s.replace('\0', ""))
        .unwrap_or_default()
        .into_raw()
}

/// Plugin side: frees a string made by [`to_c_string`].
///
/// # Safety
/// `s` must come from [`to_c_string`] in this same library and be freed
/// only once (the host's contract).
#[allow(unsafe_code)]
pub unsafe fn free_string(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: see the function's contract.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// Exports a [`FlowPlugin`] type (with `Default`) from a `cdylib` crate as
/// `msp_plugin_v2` and `msp_plugin_v1` (for hosts that know only version 1).
#[macro_export]
macro_rules! export_plugin {
    ($ty:ty) => {
        extern "C" fn __msp_describe() -> *mut ::std::ffi::c_char {
            let out = ::std::panic::catch_unwind(|| {
                let p = <$ty as ::std::default::Default>::default();
                $crate::serde_json::to_string(&$crate::external::describe_plugin(&p))
                    .unwrap_or_default()
            })
            .unwrap_or_default();
            $crate::external::to_c_string(out)
        }
        extern "C" fn __msp_parse(input: *const ::std::ffi::c_char) -> *mut ::std::ffi::c_char {
            let text = if input.is_null() {
                String::new()
            } else {
                // SAFETY: the host passes a NUL-terminated string it owns for the call.
                #[allow(unsafe_code)]
                unsafe { ::std::ffi::CStr::from_ptr(input) }
                    .to_string_lossy()
                    .into_owned()
            };
            let out = ::std::panic::catch_unwind(|| {
                let p = <$ty as ::std::default::Default>::default();
                $crate::external::parse_with_plugin(&p, &text)
            })
            .unwrap_or_else(|_| $crate::external::ParseOutput::Failed {
                message: "panicked while reading the document".into(),
            });
            $crate::external::to_c_string($crate::serde_json::to_string(&out).unwrap_or_default())
        }
        extern "C" fn __msp_free(s: *mut ::std::ffi::c_char) {
            // SAFETY: the host hands back, once, a string `describe` or `parse` returned.
            #[allow(unsafe_code)]
            let _ = ::std::panic::catch_unwind(|| unsafe { $crate::external::free_string(s) });
        }
        fn __msp_input(input: *const ::std::ffi::c_char) -> String {
            if input.is_null() {
                return String::new();
            }
            // SAFETY: the host passes a NUL-terminated string it owns for the call.
            #[allow(unsafe_code)]
            unsafe { ::std::ffi::CStr::from_ptr(input) }
                .to_string_lossy()
                .into_owned()
        }
        extern "C" fn __msp_attachment_name(
            input: *const ::std::ffi::c_char,
        ) -> *mut ::std::ffi::c_char {
            let text = __msp_input(input);
            let out = ::std::panic::catch_unwind(|| {
                let p = <$ty as ::std::default::Default>::default();
                $crate::external::attachment_name_with_plugin(&p, &text)
            })
            .unwrap_or_else(|_| "null".into());
            $crate::external::to_c_string(out)
        }
        extern "C" fn __msp_return_attachment(
            input: *const ::std::ffi::c_char,
        ) -> *mut ::std::ffi::c_char {
            let text = __msp_input(input);
            let out = ::std::panic::catch_unwind(|| {
                let p = <$ty as ::std::default::Default>::default();
                $crate::external::return_attachment_with_plugin(&p, &text)
            })
            .unwrap_or_else(|_| $crate::external::AttachmentOutput::Failed {
                message: "panicked while making the return document".into(),
            });
            $crate::external::to_c_string($crate::serde_json::to_string(&out).unwrap_or_default())
        }
        static __MSP_PLUGIN: $crate::external::PluginV1 = $crate::external::PluginV1 {
            abi_version: 1,
            describe: __msp_describe,
            parse: __msp_parse,
            free: __msp_free,
        };
        static __MSP_PLUGIN_V2: $crate::external::PluginV2 = $crate::external::PluginV2 {
            abi_version: 2,
            describe: __msp_describe,
            parse: __msp_parse,
            free: __msp_free,
            attachment_name: __msp_attachment_name,
            return_attachment: __msp_return_attachment,
        };
        /// The entry point of ABI version 1 (hosts that know no other).
        #[no_mangle]
        pub extern "C" fn msp_plugin_v1() -> *const $crate::external::PluginV1 {
            &__MSP_PLUGIN
        }
        /// The entry point msp looks up first.
        #[no_mangle]
        pub extern "C" fn msp_plugin_v2() -> *const $crate::external::PluginV2 {
            &__MSP_PLUGIN_V2
        }
    };
}

/// Host side: a plugin living in a shared library.
pub struct ExternalPlugin {
    _lib: libloading::Library,
    vtable: PluginV1,
    /// Version 2's return attachments, when the library has them.
    attachments: Option<(
        extern "C" fn(*const c_char) -> *mut c_char,
        extern "C" fn(*const c_char) -> *mut c_char,
    )>,
    flow: &'static str,
    application: &'static str,
    description: &'static str,
    schema_version: u32,
    tables: Vec<TableDef>,
    comments: BTreeMap<u16, &'static str>,
    migrations: Vec<crate::Migration>,
    sample: Option<crate::SampleDocument>,
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
        // SAFETY: the symbols have the signatures `export_plugin!` gives
        // them; the tables are statics of the library, which we keep loaded.
        #[allow(unsafe_code)]
        let v2: Option<&PluginV2> = unsafe {
            lib.get::<extern "C" fn() -> *const PluginV2>(b"msp_plugin_v2\0")
                .ok()
                .and_then(|entry| entry().as_ref())
        };
        let (vtable, attachments) = match v2 {
            Some(t) if t.abi_version == 2 => (
                PluginV1 {
                    abi_version: 2,
                    describe: t.describe,
                    parse: t.parse,
                    free: t.free,
                },
                Some((t.attachment_name, t.return_attachment)),
            ),
            Some(t) => {
                return Err(format!(
                    "{shown}: plugin ABI version {} under msp_plugin_v2 (this msp speaks 1 and 2)",
                    t.abi_version
                ))
            }
            None => {
                // SAFETY: as above, for version 1.
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
                (
                    PluginV1 {
                        abi_version: 1,
                        describe: v1.describe,
                        parse: v1.parse,
                        free: v1.free,
                    },
                    None,
                )
            }
        };
        let json = call(&vtable, (vtable.describe)());
        let d: Description =
            serde_json::from_str(&json).map_err(|e| format!("{shown}: bad description: {e}"))?;
        let tables = d
            .tables
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
            .collect();
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
            migrations: d
                .migrations
                .into_iter()
                .map(|m| crate::Migration {
                    version: m.version,
                    steps: m
                        .steps
                        .into_iter()
                        .map(|step| match step {
                            StepDesc::AddTable(t) => crate::MigrationStep::AddTable(leak(t)),
                            StepDesc::AddColumn { table, column } => {
                                crate::MigrationStep::AddColumn {
                                    table: leak(table),
                                    column: leak(column),
                                }
                            }
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
                .collect(),
            sample: d.sample.map(|(code, xml)| crate::SampleDocument {
                code: leak(code),
                xml: leak(xml),
            }),
        }))
    }
}

/// Takes a string returned by the library and frees it there.
fn call(vtable: &PluginV1, ptr: *mut c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: the library returned a NUL-terminated string it allocated;
    // we copy it and hand it back to the library's own `free`.
    #[allow(unsafe_code)]
    let s = unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned();
    (vtable.free)(ptr);
    s
}

impl FlowPlugin for ExternalPlugin {
    fn flow_code(&self) -> &'static str {
        self.flow
    }
    fn application(&self) -> &'static str {
        self.application
    }
    fn description(&self) -> &'static str {
        self.description
    }
    fn schema_version(&self) -> u32 {
        self.schema_version
    }
    fn tables(&self) -> Vec<TableDef> {
        self.tables.clone()
    }
    fn migrations(&self) -> Vec<crate::Migration> {
        self.migrations.clone()
    }
    fn sample(&self) -> Option<crate::SampleDocument> {
        self.sample
    }
    fn parse(
        &self,
        ctx: &ParseContext,
        documents: &[DataDocument],
    ) -> Result<Records, PluginError> {
        let input = ParseInput {
            numero: ctx.numero.clone(),
            file_number: ctx.file_number,
            insee: ctx.insee.clone(),
            submitted_at: ctx.submitted_at,
            documents: documents
                .iter()
                .map(|d| DocumentDesc {
                    code: d.code.clone(),
                    file_name: d.file_name.clone(),
                    root: d.root.clone(),
                })
                .collect(),
        };
        let json = serde_json::to_string(&input)
            .map_err(|e| PluginError::fault(format!("cannot encode its input: {e}")))?;
        let c = CString::new(json)
            .map_err(|e| PluginError::fault(format!("its input has a NUL byte: {e}")))?;
        let out = call(&self.vtable, (self.vtable.parse)(c.as_ptr()));
        match serde_json::from_str::<ParseOutput>(&out) {
            Ok(ParseOutput::Ok { rows, summary }) => Ok(Records {
                rows: rows_of(&self.tables, rows).map_err(PluginError::fault)?,
                summary,
            }),
            Ok(ParseOutput::Refused {
                element,
                rule,
                rule_fr,
            }) => Err(refused(element, rule, rule_fr)),
            Ok(ParseOutput::Failed { message }) => Err(PluginError::fault(message)),
            Err(e) => Err(PluginError::fault(format!(
                "it answered something unreadable: {e}"
            ))),
        }
    }
    fn attachment_name(&self, numero: &str, status: u16) -> Option<String> {
        let (name, _) = self.attachments?;
        let input = serde_json::to_string(&AttachmentNameInput {
            numero: numero.into(),
            status,
        })
        .ok()?;
        let c = CString::new(input).ok()?;
        serde_json::from_str(&call(&self.vtable, name(c.as_ptr()))).unwrap_or(None)
    }
    fn return_attachment(
        &self,
        dossier: &crate::DossierData,
    ) -> Result<Option<crate::ReturnAttachment>, PluginError> {
        let Some((_, make)) = self.attachments else {
            return Ok(None);
        };
        let input = serde_json::to_string(&DossierDesc {
            numero: dossier.numero.clone(),
            flow: dossier.flow.clone(),
            insee: dossier.insee.clone(),
            status: dossier.status,
            status_at: dossier.status_at,
            rows: dossier.rows.iter().cloned().map(row_desc).collect(),
            commune: dossier.commune.clone(),
            departement: dossier.departement.clone(),
        })
        .map_err(|e| PluginError::fault(format!("cannot encode its input: {e}")))?;
        let c = CString::new(input)
            .map_err(|e| PluginError::fault(format!("its input has a NUL byte: {e}")))?;
        match serde_json::from_str(&call(&self.vtable, make(c.as_ptr()))) {
            Ok(AttachmentOutput::None) => Ok(None),
            Ok(AttachmentOutput::Some { label, file, bytes }) => {
                Ok(Some(crate::ReturnAttachment { label, file, bytes }))
            }
            Ok(AttachmentOutput::Refused {
                element,
                rule,
                rule_fr,
            }) => Err(refused(element, rule, rule_fr)),
            Ok(AttachmentOutput::Failed { message }) => Err(PluginError::fault(message)),
            Err(e) => Err(PluginError::fault(format!(
                "it answered something unreadable: {e}"
            ))),
        }
    }
    fn default_comment(&self, status: u16) -> &'static str {
        self.comments
            .get(&status)
            .copied()
            .unwrap_or_else(|| crate::default_comment(status))
    }
}
