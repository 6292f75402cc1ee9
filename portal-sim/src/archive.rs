//! One inbound archive: its parts, the flows' valid archives, and the
//! options that shape it (style, routing, the citizen's commune) or break it.

use crate::documents::{
    aec_document, commune_of, ile_document, rco_document, set_element, xml_escape, Citizen,
};
use crate::seq::Seq;

/// Text encoding of the XML files in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (declared).
    Utf8,
    /// UTF-8 with a byte-order mark.
    Utf8Bom,
    /// ISO-8859-1 (declared).
    Latin1,
}

/// The shape of the archives (PROTOCOL §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// As the real portal sends them (the default).
    #[default]
    Portal,
    /// As the 2013 seed describes them (`-ent.xml`, no PDF document, the
    /// short PEC header).
    Seed,
}

/// What a broken archive has wrong (`portal-sim --broken`), to try msp's
/// error workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Broken {
    /// Not a ZIP archive at all (a truncated download).
    NotZip,
    /// The header file is missing.
    MissingHeader,
    /// The data document the envelope announces is missing.
    MissingDocument,
    /// The CodeINSEE is not a commune code.
    BadInsee,
    /// An entry named with `../` (path traversal).
    Traversal,
    /// The data document breaks a rule of its démarche (a census of a
    /// six-year-old, a certificate dated in the future, a voter too young).
    BreaksRule,
}

/// An attachment of the archive.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Code (JI, JD).
    pub code: String,
    /// Intitule.
    pub label: String,
    /// File name in the archive (and in the envelope).
    pub file: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// A minimal one-page PDF.
pub const TINY_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// One inbound archive, every part of which a test may change before
/// writing it.
#[derive(Debug, Clone)]
pub struct Archive {
    /// NumeroTeledemarche (file name).
    pub numero: String,
    /// Flow code (file name).
    pub flow: String,
    /// FileNumber (file name).
    pub file_number: u32,
    /// FlowType written in message.xml.
    pub message_flow: String,
    /// NumeroTeledemarche written in message.xml.
    pub message_numero: String,
    /// CodeINSEE in message.xml.
    pub insee: String,
    /// CodeINSEE in the -ent.xml.
    pub ent_insee: String,
    /// Document/Code.
    pub document_code: String,
    /// Data document file name.
    pub document_file: String,
    /// Data document content (UTF-8 text; re-encoded per `encoding`).
    pub document: String,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Encoding of the XML files.
    pub encoding: Encoding,
    /// Prefix and namespace of message.xml's PEC elements.
    pub message_namespace: (String, String),
    /// Namespace of the business envelope elements.
    pub business_namespace: String,
    /// Entries not to write into the ZIP (e.g. `message.xml`).
    pub omit: Vec<String>,
    /// Extra entries (name, bytes), written as given.
    pub extra: Vec<(String, Vec<u8>)>,
    /// Replaces message.xml's bytes entirely.
    pub message_override: Option<Vec<u8>>,
    /// Date of the Teledemarche.
    pub date: String,
    /// Whether the envelopes announce the data document (`Document`).
    pub announce_document: bool,
    /// The archive's shape.
    pub style: Style,
    /// Documents that are not XML (the form's PDF), announced as
    /// `Document`s: (code, file name, bytes).
    pub pdf_documents: Vec<(String, String, Vec<u8>)>,
    /// Written as a file that is not a ZIP ([`Broken::NotZip`]).
    pub not_zip: bool,
}

impl Archive {
    /// A valid RCO-LA archive with a generated citizen (seeded by the number).
    pub fn rco(numero: &str, file_number: u32) -> Self {
        let citizen = Citizen::generate(&mut Self::seq_for(numero));
        let document = rco_document(&citizen, "2026-11-02T11:42:48");
        Self::with_document(numero, "RCO-LA", file_number, "10870-XML", document)
    }

    /// A valid AEC-LA archive (birth certificate request), its data document
    /// the published one ([`aec_document`]).
    pub fn aec(numero: &str, file_number: u32) -> Self {
        let citizen = Citizen::generate(&mut Self::seq_for(numero));
        Self::with_document(
            numero,
            "AEC-LA",
            file_number,
            "ActeEtatCivil-XML",
            aec_document(&citizen),
        )
    }

    /// A valid ILE-LA archive (voter registration).
    pub fn ile(numero: &str, file_number: u32) -> Self {
        let citizen = Citizen::generate(&mut Self::seq_for(numero));
        Self::with_document(
            numero,
            "ILE-LA",
            file_number,
            "10871-XML",
            ile_document(&citizen),
        )
    }

    /// A valid archive of any of the three flows.
    pub fn of_flow(flow: &str, numero: &str, file_number: u32) -> Self {
        match flow {
            "AEC-LA" => Self::aec(numero, file_number),
            "ILE-LA" => Self::ile(numero, file_number),
            _ => Self::rco(numero, file_number),
        }
    }

    /// The generator of a dossier's citizen, seeded by its number.
    fn seq_for(numero: &str) -> Seq {
        Seq::new(
            numero
                .bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64)),
        )
    }

    /// A valid archive of `flow` around a given data document, as the
    /// portal shapes it (`.styled(Style::Seed)`: as the 2013 seed does).
    pub fn with_document(
        numero: &str,
        flow: &str,
        file_number: u32,
        code: &str,
        document: String,
    ) -> Self {
        let att = |code: &str, n: u32| Attachment {
            code: code.to_string(),
            label: format!("justificatif {n}.pdf"),
            file: format!("{numero}-{flow}-pj-{}-{n}-0.pdf", code.to_ascii_lowercase()),
            bytes: TINY_PDF.to_vec(),
        };
        // Built in the seed's shape, then given the portal's.
        Archive {
            numero: numero.to_string(),
            flow: flow.to_string(),
            file_number,
            message_flow: flow.to_string(),
            message_numero: numero.to_string(),
            insee: "75056".into(),
            ent_insee: "75056".into(),
            document_code: code.to_string(),
            document_file: format!("{numero}-{flow}-doc-{code}-1-0.xml"),
            document,
            attachments: vec![att("JI", 1), att("JD", 2)],
            encoding: Encoding::Utf8,
            message_namespace: (
                "ns2".into(),
                "http://finances.gouv.fr/dgme/pec/message/v1".into(),
            ),
            business_namespace: "urn:msp:metier:v1".into(),
            omit: Vec::new(),
            extra: Vec::new(),
            message_override: None,
            date: "2026-11-02T10:50:54.240+01:00".into(),
            announce_document: true,
            style: Style::Seed,
            pdf_documents: Vec::new(),
            not_zip: false,
        }
        .styled(Style::Portal)
    }

    /// Gives the archive the shape of `style`: file names, the header
    /// file's name, the PDF document and the envelope's extras.
    pub fn set_style(&mut self, style: Style) {
        let (numero, flow, n) = (self.numero.clone(), self.flow.clone(), self.file_number);
        let suffix = match style {
            Style::Portal => n,
            Style::Seed => 0,
        };
        self.style = style;
        self.document_file = format!("{numero}-{flow}-doc-{}-1-{suffix}.xml", self.document_code);
        for (i, a) in self.attachments.iter_mut().enumerate() {
            let code = a.code.to_ascii_lowercase();
            a.file = match (style, i) {
                // A name with spaces, as the portal writes some.
                (Style::Portal, 1) => format!(
                    "{numero}-{flow}-pj-{code} justificatif de domicile-{}-{suffix}.pdf",
                    i + 1
                ),
                _ => format!("{numero}-{flow}-pj-{code}-{}-{suffix}.pdf", i + 1),
            };
        }
        self.pdf_documents = match style {
            Style::Portal => vec![(
                "recapPDF".into(),
                format!("{numero}-{flow}-doc-recapPDF-1-{suffix}.pdf"),
                TINY_PDF.to_vec(),
            )],
            Style::Seed => Vec::new(),
        };
        if style == Style::Portal {
            self.business_namespace =
                "http://finances.gouv.fr/dgme/gf/composants/teledemarchexml/donnee/metier".into();
        } else {
            self.business_namespace = "urn:msp:metier:v1".into();
        }
    }

    /// The same archive in another shape.
    pub fn styled(mut self, style: Style) -> Self {
        self.set_style(style);
        self
    }

    /// Sets the CodeINSEE in both envelopes.
    pub fn routed_to(mut self, insee: &str) -> Self {
        self.insee = insee.to_string();
        self.ent_insee = insee.to_string();
        self
    }

    /// The citizen lives in the commune `insee` (their address: its postal
    /// code and name, [`commune_of`]), as a request to that town hall
    /// would have it. Paris (75056) is the generated documents' own.
    pub fn living_in(mut self, insee: &str) -> Self {
        if insee == "75056" {
            return self;
        }
        let (postal, name) = commune_of(insee);
        let upper = name.to_uppercase();
        for (from, to) in [
            // RCO-LA's AdresseDomicile
            (
                "<CodePostal>75004</CodePostal><Localite>PARIS</Localite><CodeINSEE>75056</CodeINSEE>".to_string(),
                format!("<CodePostal>{postal}</CodePostal><Localite>{}</Localite><CodeINSEE>{insee}</CodeINSEE>", xml_escape(&upper)),
            ),
            // AEC-LA's AdresseFrancaise
            (
                "<CodePostal>75004</CodePostal>\r\n\t\t\t\t<Ville>PARIS</Ville>".to_string(),
                format!("<CodePostal>{postal}</CodePostal>\r\n\t\t\t\t<Ville>{}</Ville>", xml_escape(&upper)),
            ),
            // ILE-LA's Adresse
            (
                "<CodePostal>75004</CodePostal><Commune>Paris</Commune>".to_string(),
                format!("<CodePostal>{postal}</CodePostal><Commune>{}</Commune>", xml_escape(&name)),
            ),
        ] {
            self.document = self.document.replace(&from, &to);
        }
        self
    }

    /// The archive with what `kind` says wrong with it.
    pub fn broken(mut self, kind: Broken) -> Self {
        match kind {
            Broken::NotZip => self.not_zip = true,
            Broken::MissingHeader => self.omit.push(self.ent_name()),
            Broken::MissingDocument => self.omit.push(self.document_file.clone()),
            Broken::BadInsee => self = self.routed_to("7505X"),
            Broken::Traversal => self.extra.push((
                "../../etc/cron.d/evil".into(),
                b"* * * * * root id\n".to_vec(),
            )),
            Broken::BreaksRule => {
                let (element, value) = match self.flow.as_str() {
                    "RCO-LA" => ("DateNaissance", "01/01/2020"),
                    "AEC-LA" => ("DateActe", "2999-01-01"),
                    _ => ("DateNaissance", "2020-01-01"),
                };
                self.document = set_element(&self.document, element, value);
            }
        }
        self
    }

    /// `<Numero>-<Flow>-<FileNumber>.zip`.
    pub fn file_name(&self) -> String {
        format!("{}-{}-{}.zip", self.numero, self.flow, self.file_number)
    }

    /// The header file's name: `<Numero>-<Flow>-ent-<FileNumber>.xml` as
    /// the portal names it, `<Numero>-<Flow>-ent.xml` in the seed's style.
    pub fn ent_name(&self) -> String {
        match self.style {
            Style::Portal => format!("{}-{}-ent-{}.xml", self.numero, self.flow, self.file_number),
            Style::Seed => format!("{}-{}-ent.xml", self.numero, self.flow),
        }
    }
}
