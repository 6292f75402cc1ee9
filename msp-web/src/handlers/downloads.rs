//! Downloads of a dossier's files: a return, an attachment, an archive
//! received, each looked up in the database (never a path from the
//! request).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use msp_core::backend::{Backend, Dossier};
use msp_core::{ops, Config, Error, Result};

use super::{plain_name, present};
use crate::pages;
use crate::respond::error_page;
use crate::safe;
use crate::state::{blocking, App, Visitor};

/// The type a browser is told for an attachment, from its extension.
fn attachment_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("xml") => "application/xml",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// What a download sends.
enum Payload {
    /// A file opened by [`safe::open_plain`] (never through a link),
    /// streamed (never read whole into memory).
    File(std::fs::File),
    /// Bytes built or read from the database.
    Bytes(Vec<u8>),
}

/// A download: the file name the browser saves, its type, its content.
struct Download {
    name: String,
    content_type: &'static str,
    payload: Payload,
}

/// The number in a download's address (`/pieces/2`); anything else is a
/// page that does not exist.
fn number(n: &str, what: &str, numero: &str) -> Result<u32> {
    n.parse()
        .map_err(|_| Error::not_found(format!("Le dossier {numero} n'a pas de {what} « {n} ».")))
}

/// Sends a download under its name (ASCII fallback and UTF-8 name,
/// without bidirectional controls).
async fn send(d: Download) -> Result<Response> {
    let name = safe::download_name(&d.name);
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-~".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = pages::encode(&name);
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut r = match d.payload {
        Payload::Bytes(b) => b.into_response(),
        Payload::File(file) => {
            let len = file.metadata().map(|m| m.len()).ok();
            let file = tokio::fs::File::from_std(file);
            let mut r = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file))
                .into_response();
            if let Some(len) = len {
                r.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            }
            r
        }
    };
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(d.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// What a download's lookup starts from: the dossier asked for, found in
/// its database, and the number in the address.
struct Asked {
    app: Arc<App>,
    /// The configuration as it was for the request.
    config: Arc<Config>,
    backend: Arc<dyn Backend>,
    dossier: Dossier,
    numero: String,
    /// The return's increment, the attachment's sequence or the archive's
    /// file number.
    n: u32,
}

/// The three downloads' one way: off the server's threads, the number in
/// the address (`what`: "retour", "pièce", "archive") read, the dossier's
/// database found, and `find` looks the file up; then the download is
/// sent, or the page of the error.
async fn download(
    app: Arc<App>,
    v: Visitor,
    (numero, n): (String, String),
    what: &'static str,
    find: fn(Asked) -> Result<Download>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let found = blocking(move || {
        let n = number(&n, what, &numero)?;
        let (backend, dossier) = a.holder(&config, &numero)?;
        find(Asked {
            app: a,
            config,
            backend,
            dossier,
            numero,
            n,
        })
    })
    .await
    .and_then(|r| r);
    let sent = match found {
        Ok(d) => send(d).await,
        Err(e) => Err(e),
    };
    sent.unwrap_or_else(|e| error_page(&app, &v, &e))
}

/// A return archive written for the portal: the file while it is in output
/// or sent, otherwise the message rebuilt from the record.
pub(crate) async fn download_return(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path(asked): Path<(String, String)>,
) -> Response {
    download(app, v, asked, "retour", find_return).await
}

/// An attachment: its file in the attachments folder, or its bytes in the
/// database.
pub(crate) async fn download_attachment(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path(asked): Path<(String, String)>,
) -> Response {
    download(app, v, asked, "pièce", find_attachment).await
}

/// An archive received, while it is in the folder of archives processed.
pub(crate) async fn download_archive(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
    Path(asked): Path<(String, String)>,
) -> Response {
    download(app, v, asked, "archive", find_archive).await
}

/// The return `asked.n` of the dossier.
fn find_return(asked: Asked) -> Result<Download> {
    let Asked {
        app: a,
        backend: b,
        dossier: d,
        numero,
        n: increment,
        ..
    } = asked;
    let mut r = b
        .returns(&numero)?
        .into_iter()
        .find(|r| r.increment == increment && r.written_at.is_some())
        .ok_or_else(|| {
            Error::not_found(format!(
                "Le dossier {numero} n'a pas de retour n° {increment} écrit."
            ))
        })?;
    let config = a.config();
    if plain_name(&r.file) {
        for dir in [&config.folders.output, &config.sent] {
            let path = dir.join(&r.file);
            if present(&path) {
                // A symbolic link there is refused, named.
                return Ok(Download {
                    payload: Payload::File(safe::open_plain(&path)?),
                    name: r.file,
                    content_type: "application/zip",
                });
            }
        }
    }
    // Collected by the portal: what it said, rebuilt from the record.
    if r.flow.is_empty() {
        r.flow = d.flow.clone();
    }
    let recipient = msp_core::lifecycle::inbound_sender(b.as_ref(), &numero)?;
    let routing = msp_core::returns::Routing {
        town: msp_core::returns::Town::of(config.client_for(&d.insee), &d.insee),
        recipient: recipient.as_ref(),
    };
    let m = msp_core::returns::ReturnMessage::of(&r, None, routing);
    let xml = msp_core::returns::message_xml(&m);
    let stem = r.file.trim_end_matches(".zip").to_string();
    Ok(Download {
        name: format!("{stem}-message.xml"),
        content_type: "application/xml",
        payload: Payload::Bytes(xml.into_bytes()),
    })
}

/// The attachment `asked.n` of the dossier.
fn find_attachment(asked: Asked) -> Result<Download> {
    let Asked {
        config,
        backend: b,
        numero,
        n: seq,
        ..
    } = asked;
    // Only a file inside the attachments folder, or the database's bytes.
    let (att, bytes) = ops::attachment(b.as_ref(), &config.folders, &numero, seq)?;
    // The stored path itself a link (even to a file inside the folder):
    // refused, named.
    if let Some(p) = att.path.as_deref().map(std::path::Path::new) {
        if safe::is_link(p) {
            return Err(safe::link_refused(p));
        }
    }
    let payload = match bytes {
        ops::AttachmentBytes::File(file) => Payload::File(safe::open_plain(&file)?),
        ops::AttachmentBytes::Read(bytes) => Payload::Bytes(bytes),
    };
    Ok(Download {
        content_type: attachment_type(&att.file_name),
        name: att.file_name,
        payload,
    })
}

/// The archive received `asked.n` of the dossier.
fn find_archive(asked: Asked) -> Result<Download> {
    let Asked {
        config,
        backend: b,
        numero,
        n: file_number,
        ..
    } = asked;
    let r = b
        .received(&numero)?
        .into_iter()
        .find(|r| r.file_number == file_number)
        .filter(|r| plain_name(&r.name))
        .ok_or_else(|| {
            Error::not_found(format!(
                "Le dossier {numero} n'a pas d'archive n° {file_number}."
            ))
        })?;
    let path = config.folders.done.join(&r.name);
    if !present(&path) {
        return Err(Error::not_found(format!(
            "L'archive {} n'est plus dans le dossier des archives traitées (purgée).",
            r.name
        )));
    }
    // A symbolic link there is refused, named.
    let file = safe::open_plain(&path)?;
    Ok(Download {
        name: r.name,
        content_type: "application/zip",
        payload: Payload::File(file),
    })
}
