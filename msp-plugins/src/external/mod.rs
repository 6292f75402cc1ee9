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
//! today also loads in an msp that only knows version 1. A plugin author writes an ordinary [`FlowPlugin`](crate::FlowPlugin)
//! in a `cdylib` crate and adds [`export_plugin!`](crate::export_plugin);
//! every exported function catches panics, which would otherwise abort msp.
//!
//! This module holds the crate's only `unsafe` code: loading the library
//! and calling through its function pointers.
//!
//! The rooms: `protocol` holds the C tables and the JSON exchanged through
//! them, `export` the plugin side ([`export_plugin!`](crate::export_plugin)
//! and the functions it calls), `load` the host side's loading of a
//! library, `calls` the host side's calls through it ([`ExternalPlugin`] as
//! a [`FlowPlugin`](crate::FlowPlugin)).

mod calls;
mod export;
mod load;
mod protocol;

pub use export::{
    attachment_name_with_plugin, describe_plugin, free_string, parse_with_plugin,
    return_attachment_with_plugin, to_c_string,
};
pub use load::ExternalPlugin;
pub use protocol::{
    AttachmentNameInput, AttachmentOutput, ColumnDesc, Description, DocumentDesc, DossierDesc,
    MigrationDesc, ParseInput, ParseOutput, PluginV1, PluginV2, Refusal, RowDesc, StepDesc,
    TableDesc, ABI_VERSION,
};
