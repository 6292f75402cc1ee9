//! `msp dossier attachment`: one of a dossier's attachments, wherever it
//! is stored, to stdout or a file.

use std::path::Path;

use anyhow::Result;
use msp_core::backend::Backend;
use msp_core::ops::AttachmentBytes;
use msp_core::Config;

use crate::cli::ExitStatus;

/// Writes attachment `seq` of dossier `numero` to `output`, else stdout.
pub fn run(
    config: &Config,
    b: &dyn Backend,
    numero: &str,
    seq: u32,
    output: Option<&Path>,
) -> Result<ExitStatus> {
    let bytes = match msp_core::ops::attachment(b, &config.folders, numero, seq)?.1 {
        // Never through a link, as the console.
        AttachmentBytes::File(path) => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut msp_core::folders::open_own(&path)?, &mut bytes)
                .map_err(|e| msp_core::Error::io("cannot read", &path, e))?;
            bytes
        }
        AttachmentBytes::Read(bytes) => bytes,
    };
    match output {
        Some(path) => std::fs::write(path, &bytes)?,
        None => std::io::Write::write_all(&mut std::io::stdout(), &bytes)?,
    }
    Ok(ExitStatus::Success)
}
