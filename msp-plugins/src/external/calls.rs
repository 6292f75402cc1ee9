//! The host side's calls through a loaded library: [`ExternalPlugin`] as a
//! [`FlowPlugin`], its inputs sent as JSON and its answers read back.

use std::ffi::{c_char, CStr, CString};

use super::load::ExternalPlugin;
use super::protocol::{
    row_desc, rows_of, AttachmentNameInput, AttachmentOutput, DocumentDesc, DossierDesc,
    ParseInput, ParseOutput, PluginV1,
};
use crate::plugin::{DataDocument, FlowPlugin, ParseContext, PluginError, Records};
use crate::record::TableDef;

/// Takes a string returned by the library and frees it there.
pub(super) fn call(vtable: &PluginV1, ptr: *mut c_char) -> String {
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
            Ok(ParseOutput::Refused(r)) => Err(r.into()),
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
            Ok(AttachmentOutput::Refused(r)) => Err(r.into()),
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
