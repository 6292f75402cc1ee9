//! A small simulator of the portal: builds inbound archives the way
//! "Ma démarche en ligne" drops them (message.xml, the header file, data
//! document, attachments), valid by default, and lets tests break any part
//! of them.
//!
//! By default ([`Style::Portal`]) an archive is shaped like the ones the
//! real portal sends (PROTOCOL §3.1): the header file named
//! `-ent-<FileNumber>.xml`, the form's summary PDF listed as a `Document`
//! (`recapPDF`), `-<n>-<FileNumber>` suffixes, a name with spaces, the full
//! PEC header (sender, recipients, acknowledgements, security, an e-mail
//! `Body` before the message's own, `NumeroDemarche`, `MotDePasse`,
//! `Email`), one-line files with `standalone="yes"`, entries streamed with
//! data descriptors in another order than the envelope's.
//! [`Style::Seed`] keeps the 2013 seed's shape.
//!
//! ```no_run
//! let mut a = portal_sim::Archive::rco("A-2-DEMO001", 1);
//! a.insee = "69123".into();
//! a.write_to(std::path::Path::new("msp-data/entree")).unwrap();
//! ```
//!
//! The rooms: `seq` the seeded generator, `documents` the citizens and the
//! data documents of the three flows, `archive` an archive and the options
//! that shape or break it, `envelopes` the texts of message.xml and the
//! header file, `packing` the ZIP and its writing, `hubee` the HubEE
//! simulator (`portal-sim hubee`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod archive;
mod documents;
mod envelopes;
pub mod hubee;
mod packing;
mod seq;

pub use archive::{Archive, Attachment, Broken, Encoding, Style, TINY_PDF};
pub use documents::{
    aec_document, aec_legacy_document, commune_of, ile_document, rco_document, set_element,
    xml_escape, Citizen,
};
pub use envelopes::PORTAL_PASSWORD;
pub use packing::write_zip_bomb;
pub use seq::Seq;
