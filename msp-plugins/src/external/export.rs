//! The plugin side: what [`export_plugin!`](crate::export_plugin) exports
//! from a `cdylib`, and the functions its exported symbols call (JSON in,
//! JSON out, around an ordinary [`FlowPlugin`]).

use std::ffi::{c_char, CString};

use super::protocol::{
    row_desc, rows_of, AttachmentNameInput, AttachmentOutput, ColumnDesc, Description, DossierDesc,
    MigrationDesc, ParseInput, ParseOutput, StepDesc, TableDesc,
};
use crate::plugin::{DataDocument, FlowPlugin, ParseContext};

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
        Err(e) => ParseOutput::Refused(e.into()),
    }
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
        Err(e) => AttachmentOutput::Refused(e.into()),
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
