//! Return-flow archives (PROTOCOL §7): `<Numero>-<Flow>-<Increment>.zip`
//! holding `message.xml` (xsd/message.xsd, `Retour` branch) and optionally
//! one attachment, written under a temporary name then renamed.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use quick_xml::escape::partial_escape as escape;
use zip::write::SimpleFileOptions;

use crate::error::{Error, Result};
use crate::naming::return_name;

/// Namespace of the PEC message.
pub const PEC_NAMESPACE: &str = "http://finances.gouv.fr/dgme/pec/message/v1";

pub use msp_plugins::ReturnAttachment;

/// What one return archive says.
#[derive(Debug, Clone)]
pub struct ReturnMessage<'a> {
    /// NumeroTeledemarche.
    pub numero: &'a str,
    /// Flow code.
    pub flow: &'a str,
    /// Increment.
    pub increment: u32,
    /// Etat.
    pub status: u16,
    /// Commentaire.
    pub comment: &'a str,
    /// Optional attachment.
    pub attachment: Option<&'a ReturnAttachment>,
}

/// The `message.xml` of a return archive.
pub fn message_xml(m: &ReturnMessage<'_>) -> String {
    let pj = m
        .attachment
        .map(|a| {
            format!(
                "\n            <ns2:PieceJointe>\n              <ns2:Intitule>{}</ns2:Intitule>\n              <ns2:Fichier>{}</ns2:Fichier>\n            </ns2:PieceJointe>",
                escape(a.label.as_str()),
                escape(a.file.as_str())
            )
        })
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ns2:Message xmlns:ns2="{ns}">
  <ns2:Header>
    <ns2:Routing>
      <ns2:MessageId>{numero}-{flow}-{inc}</ns2:MessageId>
      <ns2:FlowType>{flow}</ns2:FlowType>
    </ns2:Routing>
  </ns2:Header>
  <ns2:Body>
    <ns2:Content>
      <ns2:Retour>
        <ns2:Enveloppe>
          <ns2:NumeroTeledemarche>{numero}</ns2:NumeroTeledemarche>
        </ns2:Enveloppe>
        <ns2:Instruction>
          <ns2:Maj>
            <ns2:Etat>{status}</ns2:Etat>
            <ns2:Commentaire>{comment}</ns2:Commentaire>{pj}
          </ns2:Maj>
        </ns2:Instruction>
      </ns2:Retour>
    </ns2:Content>
  </ns2:Body>
</ns2:Message>
"#,
        ns = PEC_NAMESPACE,
        numero = escape(m.numero),
        flow = escape(m.flow),
        inc = m.increment,
        status = m.status,
        comment = escape(m.comment),
    )
}

/// Writes the return archive into `output` (temporary name, sync, rename).
pub fn write_return(output: &Path, m: &ReturnMessage<'_>) -> Result<PathBuf> {
    let name = return_name(m.numero, m.flow, m.increment);
    let final_path = output.join(&name);
    let tmp = output.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let file = File::create(&tmp)?;
        let mut zip = zip::ZipWriter::new(file);
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("message.xml", opts)?;
        zip.write_all(message_xml(m).as_bytes())?;
        if let Some(a) = m.attachment {
            zip.start_file(a.file.as_str(), opts)?;
            zip.write_all(&a.bytes)?;
        }
        let file = zip.finish()?;
        file.sync_all()?;
        fs::rename(&tmp, &final_path)?;
        // Make the rename itself durable: the portal must find the archive.
        #[cfg(unix)]
        File::open(output)?.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io("cannot write the return archive", &final_path, e));
    }
    Ok(final_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_complete_archive_only() {
        let t = tempfile::tempdir().unwrap();
        let m = ReturnMessage {
            numero: "A-1",
            flow: "RCO-LA",
            increment: 1,
            status: 14,
            comment: "Reçue <bien> & traitée",
            attachment: None,
        };
        let p = write_return(t.path(), &m).unwrap();
        assert_eq!(p.file_name().unwrap(), "A-1-RCO-LA-1.zip");
        assert_eq!(
            fs::read_dir(t.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        let mut z = zip::ZipArchive::new(File::open(p).unwrap()).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name("message.xml").unwrap(), &mut s).unwrap();
        let doc = msp_plugins::xml::parse(s.as_bytes()).unwrap().root;
        assert_eq!(
            doc.text_at("Body/Content/Retour/Instruction/Maj/Etat"),
            Some("14")
        );
        assert_eq!(
            doc.text_at("Body/Content/Retour/Instruction/Maj/Commentaire"),
            Some("Reçue <bien> & traitée")
        );
    }
}
