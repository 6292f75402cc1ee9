//! Return-flow archives (PROTOCOL §7): `<Numero>-<Flow>-<Increment>.zip`
//! holding `message.xml` (xsd/message.xsd, `Retour` branch) and optionally
//! one attachment.
//!
//! Written as Maildir does: each archive is written under a temporary name
//! in the work folder (same file system as output), all of a batch are
//! made durable together (one `syncfs` on Linux, a sync per file
//! elsewhere), then renamed into output and the output folder synced once.
//! The portal never sees a partial archive nor a temporary file; what a
//! killed process left in work is removed by [`clean_leftovers`].
//! `message.xml` is stored (about 1 KiB: no compressor to set up per
//! archive); an attachment is deflated.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use quick_xml::escape::partial_escape as escape;
use zip::write::SimpleFileOptions;

use crate::backend::Party;
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
    /// Who it is from and to.
    pub routing: Routing<'a>,
}

/// Who a return message is from and to (PROTOCOL §7): it answers the
/// inbound message it follows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Routing<'a> {
    /// The town hall (`Sender`).
    pub town: Town<'a>,
    /// The inbound message's `Sender` (the portal's service that asked):
    /// the `Recipients` of the return, when the inbound message named one.
    pub recipient: Option<&'a Party>,
}

/// The town hall as a return message's `Sender`: its SIRET when the client
/// has one (`siret`), else its name (`commune`), else its INSEE code.
#[derive(Debug, Clone, Copy, Default)]
pub struct Town<'a> {
    /// The client's `siret`.
    pub siret: Option<&'a str>,
    /// The client's `commune`.
    pub commune: Option<&'a str>,
    /// The dossier's CodeINSEE.
    pub insee: &'a str,
}

impl<'a> Town<'a> {
    /// The town of a dossier routed to `client`.
    pub fn of(client: Option<&'a crate::config::ClientConfig>, insee: &'a str) -> Self {
        Town {
            siret: client.and_then(|c| c.siret.as_deref()),
            commune: client.and_then(|c| c.commune.as_deref()),
            insee,
        }
    }
}

impl<'a> ReturnMessage<'a> {
    /// What the archive of a recorded return flow says.
    pub fn of(
        ret: &'a crate::backend::ReturnFlow,
        attachment: Option<&'a ReturnAttachment>,
        routing: Routing<'a>,
    ) -> Self {
        ReturnMessage {
            numero: &ret.numero,
            flow: &ret.flow,
            increment: ret.increment,
            status: ret.status,
            comment: &ret.comment,
            attachment,
            routing,
        }
    }
}

/// A `Location` element: `xsi:type` Siret when it has one, then its
/// `Siret`, `Service`, `Guichet`.
fn location(siret: Option<&str>, service: Option<&str>, guichet: Option<&str>) -> String {
    let mut s = String::from(if siret.is_some() {
        "<ns2:Location xsi:type=\"ns2:Siret\">"
    } else {
        "<ns2:Location>"
    });
    for (name, v) in [("Siret", siret), ("Service", service), ("Guichet", guichet)] {
        if let Some(v) = v {
            s.push_str(&format!("<ns2:{name}>{}</ns2:{name}>", escape(v)));
        }
    }
    s.push_str("</ns2:Location>");
    s
}

/// The `Sender` and `Recipients` elements of a return message.
fn routing_xml(r: &Routing<'_>) -> String {
    let town = &r.town;
    let sender = match (town.siret, town.commune) {
        (Some(siret), _) => location(Some(siret), None, None),
        (None, Some(commune)) => location(None, Some(&format!("Mairie de {commune}")), None),
        (None, None) => location(None, Some(&format!("Mairie {}", town.insee)), None),
    };
    let mut s = format!("\n      <ns2:Sender>{sender}</ns2:Sender>");
    if let Some(p) = r.recipient.filter(|p| !p.is_empty()) {
        s.push_str(&format!(
            "\n      <ns2:Recipients>{}</ns2:Recipients>",
            location(
                p.siret.as_deref(),
                p.service.as_deref(),
                p.guichet.as_deref()
            )
        ));
    }
    s
}

/// `text` with every character XML 1.0 forbids replaced by U+FFFD: a
/// comment a business application wrote into `msp_statut` never makes an
/// invalid message (the CLI and the console refuse such comments).
fn xml_text(text: &str) -> std::borrow::Cow<'_, str> {
    use msp_plugins::xml::is_xml_char;
    if text.chars().all(is_xml_char) {
        return text.into();
    }
    text.chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect::<String>()
        .into()
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
<ns2:Message xmlns:ns2="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <ns2:Header>
    <ns2:Routing>
      <ns2:MessageId>{numero}-{flow}-{inc}</ns2:MessageId>
      <ns2:FlowType>{flow}</ns2:FlowType>{routing}
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
        comment = escape(xml_text(m.comment).as_ref()),
        routing = routing_xml(&m.routing),
    )
}

/// A return archive written in work, not yet in output.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    file: File,
    final_path: PathBuf,
}

impl Staged {
    /// Where the archive will be in output.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }
}

/// Prefix of the temporary return files in work.
const TMP_PREFIX: &str = ".retour.";

/// Writes one return archive under a temporary name in `work` (not synced).
pub fn stage(work: &Path, output: &Path, m: &ReturnMessage<'_>) -> Result<Staged> {
    let name = return_name(m.numero, m.flow, m.increment);
    let final_path = output.join(&name);
    let tmp = work.join(format!("{TMP_PREFIX}{name}.{}.tmp", pid()));
    // Built in memory, written with one call. Its entries are dated now,
    // local time (a ZIP entry's date has no time zone; left alone it is
    // 1 January 1980).
    let dated = SimpleFileOptions::default().last_modified_time(zip_now());
    let bytes = (|| -> zip::result::ZipResult<Vec<u8>> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(2048)));
        let stored = dated.compression_method(zip::CompressionMethod::Stored);
        zip.start_file("message.xml", stored)?;
        zip.write_all(message_xml(m).as_bytes())?;
        if let Some(a) = m.attachment {
            let deflated = dated.compression_method(zip::CompressionMethod::Deflated);
            zip.start_file(a.file.as_str(), deflated)?;
            zip.write_all(&a.bytes)?;
        }
        Ok(zip.finish()?.into_inner())
    })()
    .map_err(|e| Error::trouble(format!("cannot build the return archive {name}: {e}")))?;
    let result = (|| -> std::io::Result<File> {
        let mut file = File::create(&tmp)?;
        file.write_all(&bytes)?;
        Ok(file)
    })();
    match result {
        Ok(file) => Ok(Staged {
            tmp,
            file,
            final_path,
        }),
        Err(e) => {
            let _ = crate::folders::remove_file(&tmp);
            Err(Error::io("cannot write the return archive", &tmp, e))
        }
    }
}

/// Now, local time, as a ZIP entry's date (to the even second); the ZIP
/// default (1 January 1980) should the clock be outside 1980-2107.
fn zip_now() -> zip::DateTime {
    use chrono::{Datelike, Timelike};
    let t = chrono::Local::now().naive_local();
    let small = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    u16::try_from(t.year())
        .ok()
        .and_then(|year| {
            zip::DateTime::from_date_and_time(
                year,
                small(t.month()),
                small(t.day()),
                small(t.hour()),
                small(t.minute()),
                small(t.second()),
            )
            .ok()
        })
        .unwrap_or_default()
}

fn pid() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// Makes staged archives durable, renames them into output and syncs the
/// output folder. Returns the final paths, in order; on error none is
/// reported written (those already renamed are complete archives and are
/// written again, with the same content, by the next run).
pub fn publish(staged: Vec<Staged>, output: &Path) -> Result<Vec<PathBuf>> {
    if staged.is_empty() {
        return Ok(Vec::new());
    }
    let cleanup = |staged: &[Staged]| {
        for s in staged {
            let _ = crate::folders::remove_file(&s.tmp);
        }
    };
    if let Err(e) = sync_files(&staged) {
        cleanup(&staged);
        return Err(Error::io(
            "cannot make the return archives durable",
            &staged[0].tmp,
            e,
        ));
    }
    let mut out = Vec::with_capacity(staged.len());
    for (i, s) in staged.iter().enumerate() {
        if let Err(e) = crate::folders::rename_replacing(&s.tmp, &s.final_path) {
            cleanup(&staged[i..]);
            return Err(Error::io("cannot rename into output", &s.final_path, e));
        }
        out.push(s.final_path.clone());
    }
    // Make the renames durable: the portal must find the archives.
    #[cfg(unix)]
    File::open(output)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("cannot sync", output, e))?;
    // NTFS has no directory fsync: its journal keeps the renames.
    #[cfg(not(unix))]
    let _ = output;
    Ok(out)
}

#[cfg(target_os = "linux")]
fn sync_files(staged: &[Staged]) -> std::io::Result<()> {
    // One flush of the file system for the whole batch.
    rustix::fs::syncfs(&staged[0].file).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn sync_files(staged: &[Staged]) -> std::io::Result<()> {
    for s in staged {
        s.file.sync_all()?;
    }
    Ok(())
}

/// Writes one return archive into `output` through `work` (stage, sync,
/// rename).
pub fn write_return(work: &Path, output: &Path, m: &ReturnMessage<'_>) -> Result<PathBuf> {
    let staged = stage(work, output, m)?;
    let mut paths = publish(vec![staged], output)?;
    Ok(paths.remove(0))
}

/// Removes temporary return files left by processes that are gone: in
/// work (`.retour.NAME.PID.tmp`) and, from older versions, in output
/// (`.NAME.PID.tmp`). Returns the names removed.
pub fn clean_leftovers(work: &Path, output: &Path) -> Vec<String> {
    let mut removed = Vec::new();
    for dir in [work, output] {
        removed.extend(remove_abandoned(dir, |name| {
            let stem = name
                .strip_suffix(".tmp")
                .filter(|_| name.starts_with('.'))?;
            if dir == work && !name.starts_with(TMP_PREFIX) {
                return None;
            }
            stem.rsplit('.').next()?.parse().ok()
        }));
    }
    removed
}

/// Removes the temporary files of `dir` whose name `pid_of` reads a pid
/// from, when that process is gone (never this process's own). Returns the
/// names removed. The one rule for every `NAME.<pid>.tmp`-like file msp
/// writes aside (return archives, the last-run record, downloads).
pub(crate) fn remove_abandoned(dir: &Path, pid_of: impl Fn(&str) -> Option<u32>) -> Vec<String> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = pid_of(&name) else { continue };
        if pid != self::pid()
            && !process_alive(pid, &entry.path())
            && crate::folders::remove_file(entry.path()).is_ok()
        {
            removed.push(name);
        }
    }
    removed
}

/// Whether the process that named a temporary file after its pid may still
/// be writing it (without /proc: whether the file is younger than an hour).
#[cfg(target_os = "linux")]
pub(crate) fn process_alive(pid: u32, _file: &Path) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Windows: whether the process is running (a kill -9 of msp.exe leaves
/// its temporary files to the next run at once).
#[cfg(windows)]
pub(crate) fn process_alive(pid: u32, _file: &Path) -> bool {
    crate::win_fs::process_alive(pid)
}

#[cfg(not(any(target_os = "linux", windows)))]
pub(crate) fn process_alive(_pid: u32, file: &Path) -> bool {
    // Without /proc: a temporary file older than an hour is abandoned.
    fs::metadata(file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age.as_secs() < 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_of_dead_processes_are_removed() {
        let t = tempfile::tempdir().unwrap();
        let (work, output) = (t.path().join("w"), t.path().join("o"));
        fs::create_dir_all(&work).unwrap();
        fs::create_dir_all(&output).unwrap();
        // PID 4194304 is above Linux's maximum: never alive.
        fs::write(work.join(".retour.A-1-RCO-LA-2.zip.4194304.tmp"), b"x").unwrap();
        fs::write(output.join(".A-1-RCO-LA-3.zip.4194304.tmp"), b"x").unwrap();
        let mine = format!(".retour.A-1-RCO-LA-4.zip.{}.tmp", std::process::id());
        fs::write(work.join(&mine), b"x").unwrap();
        fs::write(work.join("other.tmp"), b"x").unwrap();
        let mut removed = clean_leftovers(&work, &output);
        removed.sort();
        assert_eq!(
            removed,
            [
                ".A-1-RCO-LA-3.zip.4194304.tmp",
                ".retour.A-1-RCO-LA-2.zip.4194304.tmp"
            ]
        );
        assert!(work.join(mine).exists(), "a live process's file stays");
        assert!(work.join("other.tmp").exists());
    }

    #[test]
    fn the_return_answers_the_inbound_sender_from_the_town() {
        let portal = Party {
            siret: Some("13002526500013".into()),
            service: Some("SPL".into()),
            guichet: Some("M&DEL".into()),
        };
        let m = |town: Town<'static>, recipient| {
            let r = ReturnMessage {
                numero: "A-1",
                flow: "RCO-LA",
                increment: 2,
                status: 16,
                comment: "",
                attachment: None,
                routing: Routing { town, recipient },
            };
            message_xml(&r)
        };
        let siret = Town {
            siret: Some("21900010600011"),
            commune: Some("Belfort"),
            insee: "90010",
        };
        let xml = m(siret, Some(&portal));
        assert!(xml.contains(
            "<ns2:FlowType>RCO-LA</ns2:FlowType>\n      <ns2:Sender><ns2:Location xsi:type=\"ns2:Siret\"><ns2:Siret>21900010600011</ns2:Siret></ns2:Location></ns2:Sender>\n      <ns2:Recipients><ns2:Location xsi:type=\"ns2:Siret\"><ns2:Siret>13002526500013</ns2:Siret><ns2:Service>SPL</ns2:Service><ns2:Guichet>M&amp;DEL</ns2:Guichet></ns2:Location></ns2:Recipients>"
        ), "{xml}");
        assert!(xml.contains("<ns2:MessageId>A-1-RCO-LA-2</ns2:MessageId>"));
        let named = Town {
            siret: None,
            ..siret
        };
        let xml = m(named, None);
        assert!(xml.contains("<ns2:Sender><ns2:Location><ns2:Service>Mairie de Belfort</ns2:Service></ns2:Location></ns2:Sender>"), "{xml}");
        assert!(
            !xml.contains("Recipients"),
            "no inbound sender, no recipient: {xml}"
        );
        let bare = Town {
            siret: None,
            commune: None,
            insee: "90010",
        };
        let xml = m(bare, Some(&Party::default()));
        assert!(
            xml.contains("<ns2:Service>Mairie 90010</ns2:Service>"),
            "{xml}"
        );
        assert!(!xml.contains("Recipients"), "{xml}");
    }

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
            routing: Routing::default(),
        };
        let (work, output) = (t.path().join("w"), t.path().join("o"));
        fs::create_dir_all(&work).unwrap();
        fs::create_dir_all(&output).unwrap();
        let staged = stage(&work, &output, &m).unwrap();
        assert_eq!(
            fs::read_dir(&output).unwrap().count(),
            0,
            "nothing in output before publish"
        );
        let p = publish(vec![staged], &output).unwrap().remove(0);
        assert_eq!(p.file_name().unwrap(), "A-1-RCO-LA-1.zip");
        assert_eq!(fs::read_dir(&output).unwrap().count(), 1);
        assert_eq!(
            fs::read_dir(&work).unwrap().count(),
            0,
            "no temporary file left"
        );
        let mut z = zip::ZipArchive::new(File::open(p).unwrap()).unwrap();
        // Dated today, not 1 January 1980.
        let today = chrono::Local::now().date_naive();
        let dated = z.by_name("message.xml").unwrap().last_modified().unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(
            dated.year().into(),
            dated.month().into(),
            dated.day().into(),
        )
        .unwrap();
        assert!((today - day).num_days().abs() <= 1, "{dated}");
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
