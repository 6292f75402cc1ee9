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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;

/// A deterministic pseudo-random generator (xorshift), so fixtures are
/// reproducible from a seed.
#[derive(Debug, Clone)]
pub struct Seq(u64);

impl Seq {
    /// From a seed.
    pub fn new(seed: u64) -> Self {
        Seq(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// One element of a slice.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next_u64() % items.len() as u64) as usize]
    }
    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
    /// An index below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// `len` bytes that do not compress (a large attachment).
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

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

/// The password of the portal's follow-up page that a portal-style
/// envelope carries (`Teledemarche/MotDePasse`): tests look for it in every
/// output msp writes, where it must never be.
pub const PORTAL_PASSWORD: &str = "Kx9-secret-Vq2";

/// The citizen of a census request.
#[derive(Debug, Clone)]
pub struct Citizen {
    /// NomFamille.
    pub family_name: String,
    /// PrenomUsuel.
    pub first_name: String,
    /// Sexe (1 or 2).
    pub sex: String,
    /// DateNaissance, dd/mm/yyyy.
    pub birth_date: String,
    /// Birth commune.
    pub birth_commune: String,
    /// Birth commune INSEE code.
    pub birth_insee: String,
}

impl Citizen {
    /// A plausible citizen from a seed, aged 16 or 17 in November 2026.
    pub fn generate(seq: &mut Seq) -> Self {
        let female = seq.next_u64().is_multiple_of(2);
        let first = if female {
            seq.pick(&[
                "Chloé", "Léa", "Zoé", "Maëlle", "Inès", "Anaïs", "Hélène", "Noémie",
            ])
        } else {
            seq.pick(&[
                "Noël", "Loïc", "Jérôme", "Gaël", "Théo", "Mathéo", "Raphaël", "Benoît",
            ])
        };
        let (commune, insee) = match seq.range(0, 4) {
            0 => ("NANTES", "44109"),
            1 => ("PARIS", "75056"),
            2 => ("LYON", "69123"),
            _ => ("AJACCIO", "2A004"),
        };
        Citizen {
            family_name: seq
                .pick(&[
                    "DUBOIS",
                    "LEFÈVRE",
                    "MÜLLER",
                    "GARÇON",
                    "BÉRANGER",
                    "DUPONT",
                    "N'GUYEN",
                    "CÔTÉ",
                ])
                .to_string(),
            first_name: first.to_string(),
            sex: if female { "2" } else { "1" }.to_string(),
            birth_date: format!(
                "{:02}/{:02}/{}",
                seq.range(1, 29),
                seq.range(1, 13),
                seq.range(2006, 2010)
            ),
            birth_commune: commune.to_string(),
            birth_insee: insee.to_string(),
        }
    }
}

/// An RCO-LA data document (10870-XML) for a citizen.
pub fn rco_document(c: &Citizen, submitted: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<RecensementCitoyen><Convention></Convention><Formalite><Identifiant/><FormaliteType>DECL</FormaliteType><DateSoumission>{submitted}</DateSoumission><FormaliteMotifCode>RECENSEMENT</FormaliteMotifCode><FormaliteMotifCode></FormaliteMotifCode><FormaliteModeCode>AJOUT</FormaliteModeCode></Formalite><Personne><Civilite>{civ}</Civilite><Sexe>{sex}</Sexe><NomFamille>{nom}</NomFamille><NomUsage></NomUsage><PrenomUsuel>{prenom}</PrenomUsuel><Prenom></Prenom><DateNaissance>{naissance}</DateNaissance><PaysNaissance>FRA</PaysNaissance><Nationalite>FRA</Nationalite><CodeINSEENaissance>{insee}</CodeINSEENaissance><LieuNaissance><Code>COMMUNE</Code><Nom>{commune}</Nom></LieuNaissance><LieuNaissance><Code>AUTRE</Code><Nom></Nom></LieuNaissance><AdresseDomicile><PointDeRemise></PointDeRemise><Complement></Complement><NumeroVoie>18</NumeroVoie><Extension></Extension><TypeVoie>PLACE</TypeVoie><NomVoie>DE L'ÉGLISE</NomVoie><LieuDit></LieuDit><CodePostal>75004</CodePostal><Localite>PARIS</Localite><CodeINSEE>75056</CodeINSEE></AdresseDomicile><AdresseResidence><NumeroVoie></NumeroVoie><NomVoie></NomVoie><CodePostal></CodePostal><Localite></Localite></AdresseResidence><SituationFamille><SituationMatrimoniale>Célibataire</SituationMatrimoniale><NombreEnfants>0</NombreEnfants><Pupille></Pupille><NombreFrereSoeur>1</NombreFrereSoeur></SituationFamille><MethodeContact><URI>contact@exemple.fr</URI><CanalCode>EMAIL</CanalCode></MethodeContact><MethodeContact><URI>0123456789</URI><CanalCode>TEL</CanalCode></MethodeContact></Personne><FiliationPere><NomFamille>{nom}</NomFamille><PrenomUsuel>Jérôme</PrenomUsuel><Prenom></Prenom><DateNaissance>03/01/1970</DateNaissance><PaysNaissance>FRA</PaysNaissance><Nationalite>FRA</Nationalite><CodeINSEENaissance></CodeINSEENaissance><LieuNaissance><Code>COMMUNE</Code><Nom>PARIS</Nom></LieuNaissance></FiliationPere><FiliationMere><NomFamille></NomFamille><PrenomUsuel></PrenomUsuel><Prenom></Prenom><DateNaissance></DateNaissance><PaysNaissance></PaysNaissance><Nationalite></Nationalite><CodeINSEENaissance></CodeINSEENaissance><LieuNaissance><Code>COMMUNE</Code><Nom></Nom></LieuNaissance></FiliationMere></RecensementCitoyen>"#,
        civ = if c.sex == "2" { "MME" } else { "M" },
        sex = c.sex,
        nom = xml_escape(&c.family_name),
        prenom = xml_escape(&c.first_name),
        naissance = c.birth_date,
        insee = c.birth_insee,
        commune = c.birth_commune,
    )
}

/// An AEC-LA data document as the national hub publishes it
/// (`ActeEtatCivil-XML`, root `EnveloppeMetierType`): a full copy of the
/// citizen's birth certificate, requested by the citizen, with the
/// published file's messiness (tabs, CRLF, blank lines, an empty element,
/// an entity).
pub fn aec_document(c: &Citizen) -> String {
    let (y, m, d) = (
        &c.birth_date[6..10],
        &c.birth_date[3..5],
        &c.birth_date[0..2],
    );
    let civ = if c.sex == "2" { "MADAME" } else { "MONSIEUR" };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\r\n<EnveloppeMetierType canal_utilise=\"0\">\r\n\t<DemandeActe>\r\n\t\t<TypeActe>\r\n\t\t\t<Code>NAISSANCE</Code>\r\n\t\t\t<Libelle>Acte de naissance</Libelle>\r\n\t\t</TypeActe>\r\n\t\t<NatureActe>\r\n\t\t\t<Code>COPIE-INTEGRALE</Code>\r\n\t\t\t<Libelle>Copie intégrale</Libelle>\r\n\t\t</NatureActe>\r\n\t\t<DateActe>{y}-{m}-{d}</DateActe>\r\n\t\t<LieuActe>\r\n\t\t\t\t\t\t<CodePostal></CodePostal>\r\n\t\t\t<Ville>{commune}</Ville>\r\n\t\t\t<CodeINSEE>{insee}</CodeINSEE>\r\n\t\t</LieuActe>\r\n\t\t<NombreExemplaires>2</NombreExemplaires>\r\n\t\t<MotifDemande>\r\n\t\t\t<Libelle>Autre</Libelle>\r\n\t\t\t<Commentaire>Demande de passeport</Commentaire>\r\n\t\t</MotifDemande>\r\n\t\t<Demandeur>\r\n\t\t\t<QualiteDemandeur>\r\n\t\t\t\t<Code>PersonneConcernee</Code>\r\n\t\t\t\t<Libelle>La personne concern&#233;e par l&apos;acte</Libelle>\r\n\t\t\t</QualiteDemandeur>\r\n\t\t\t<Civilite>{civ}</Civilite>\r\n\t\t\t<Nom>{nom}</Nom>\r\n\t        <Prenom>{prenom}</Prenom>\r\n\t\t\t<AdresseFrancaise>\r\n\t\t\t\t<Voie>18 PLACE DE L&apos;ÉGLISE</Voie>\r\n\t\t\t\t<CodePostal>75004</CodePostal>\r\n\t\t\t\t<Ville>PARIS</Ville>\r\n\t\t\t</AdresseFrancaise>\r\n\t\t\t<Courriel>contact@exemple.fr</Courriel>\r\n\t\t\t\t\t</Demandeur>\r\n\t\t<Titulaire>\r\n\t\t\t<Civilite>{civ}</Civilite>\r\n\t\t\t<NomNaissance>{nom}</NomNaissance>\r\n\t\t\t<Prenoms>{prenom}</Prenoms>\r\n\t\t\t<DateDeNaissance>{y}-{m}-{d}</DateDeNaissance>\r\n            <LieuDeNaissance>{commune}</LieuDeNaissance>\r\n\t\t\t\r\n\t</Titulaire>\r\n\t</DemandeActe>\r\n</EnveloppeMetierType>\r\n\r\n",
        nom = xml_escape(&c.family_name),
        prenom = xml_escape(&c.first_name),
        commune = xml_escape(&c.birth_commune),
        insee = c.birth_insee,
    )
}

/// An AEC-LA data document in our earlier model (root `DemandeActe`,
/// xsd/doc-aec.xsd), for a birth certificate of the citizen: msp still
/// reads it.
pub fn aec_legacy_document(c: &Citizen) -> String {
    let (d, m, y) = (
        &c.birth_date[0..2],
        &c.birth_date[3..5],
        &c.birth_date[6..10],
    );
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<DemandeActe xmlns="urn:msp:doc:aec:v1"><TypeActe>NAISSANCE</TypeActe><NatureActe>EXTRAIT_AVEC_FILIATION</NatureActe><NombreExemplaires>2</NombreExemplaires><Motif>Demande de passeport</Motif><QualiteDemandeur>TITULAIRE</QualiteDemandeur><Titulaire><Nom>{nom}</Nom><Prenoms>{prenom}</Prenoms><Sexe>{sexe}</Sexe><DateEvenement>{y}-{m}-{d}</DateEvenement><LieuEvenement><Commune>{commune}</Commune><CodeINSEE>{insee}</CodeINSEE><Pays>FR</Pays></LieuEvenement><Pere><Nom>{nom}</Nom><Prenoms>Éric</Prenoms><DateNaissance>1970-09-03</DateNaissance></Pere><Mere><Nom>Dubois</Nom><Prenoms>Salomé</Prenoms></Mere></Titulaire><ModeDelivrance>COURRIER</ModeDelivrance><AdresseEnvoi><NumeroVoie>120</NumeroVoie><Voie>quai des Brumes</Voie><CodePostal>31000</CodePostal><Commune>Toulouse</Commune><Pays>FR</Pays></AdresseEnvoi></DemandeActe>"#,
        nom = xml_escape(&c.family_name),
        prenom = xml_escape(&c.first_name),
        sexe = if c.sex == "2" { "F" } else { "M" },
        commune = c.birth_commune,
        insee = c.birth_insee,
    )
}

/// An ILE-LA data document (InscriptionListeElectorale): a first registration
/// on the general list, for an adult born 20 years before the citizen.
pub fn ile_document(c: &Citizen) -> String {
    let (d, m, y) = (
        &c.birth_date[0..2],
        &c.birth_date[3..5],
        &c.birth_date[6..10],
    );
    let y: i32 = y.parse::<i32>().unwrap_or(2008) - 20;
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<InscriptionListeElectorale xmlns="urn:msp:doc:ile:v1"><DateDemande>2026-11-02</DateDemande><TypeListe>GENERALE</TypeListe><Motif>PREMIERE_INSCRIPTION</Motif><Electeur><Nom>{nom}</Nom><Prenoms>{prenom}</Prenoms><Sexe>{sexe}</Sexe><DateNaissance>{y}-{m}-{d}</DateNaissance><LieuNaissance><Commune>{commune}</Commune><CodeINSEE>{insee}</CodeINSEE><Pays>FR</Pays></LieuNaissance><Adresse><NumeroVoie>16</NumeroVoie><Voie>impasse des Lilas</Voie><CodePostal>75004</CodePostal><Commune>Paris</Commune><Pays>FR</Pays></Adresse><Contact><Courriel>electeur@exemple.fr</Courriel></Contact><Nationalite>FR</Nationalite></Electeur><Attache>DOMICILE</Attache></InscriptionListeElectorale>"#,
        nom = xml_escape(&c.family_name),
        prenom = xml_escape(&c.first_name),
        sexe = if c.sex == "2" { "F" } else { "M" },
        commune = c.birth_commune,
        insee = c.birth_insee,
    )
}

/// Replaces the content of the first `<name>...</name>` element of a document.
pub fn set_element(doc: &str, name: &str, value: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    match (doc.find(&open), doc.find(&close)) {
        (Some(a), Some(b)) if b > a => format!("{}{open}{value}{}", &doc[..a], &doc[b..]),
        _ => doc.to_string(),
    }
}

/// A commune's postal code and name by its INSEE code: a few towns by
/// name, any other as `Commune <code>` with its department's postal code.
pub fn commune_of(insee: &str) -> (String, String) {
    const KNOWN: &[(&str, &str, &str)] = &[
        ("75056", "75004", "Paris"),
        ("90010", "90000", "Belfort"),
        ("69123", "69001", "Lyon"),
        ("13055", "13001", "Marseille"),
        ("68066", "68000", "Colmar"),
        ("33063", "33000", "Bordeaux"),
        ("31555", "31000", "Toulouse"),
        ("67482", "67000", "Strasbourg"),
        ("2A004", "20000", "Ajaccio"),
    ];
    match KNOWN.iter().find(|(code, _, _)| *code == insee) {
        Some((_, postal, name)) => (postal.to_string(), name.to_string()),
        None => {
            let dept = match insee.get(..2) {
                Some("2A") | Some("2B") => "20".to_string(),
                Some(d) => d.to_string(),
                None => "00".to_string(),
            };
            (format!("{dept}000"), format!("Commune {insee}"))
        }
    }
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

/// Escapes text for XML content.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
        let mut seq = Seq::new(
            numero
                .bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64)),
        );
        let citizen = Citizen::generate(&mut seq);
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

    fn seq_for(numero: &str) -> Seq {
        Seq::new(
            numero
                .bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64)),
        )
    }

    /// A valid archive of `flow` around a given data document.
    pub fn with_document(
        numero: &str,
        flow: &str,
        file_number: u32,
        code: &str,
        document: String,
    ) -> Self {
        let mut a = Self::seed_shaped(numero, flow, file_number, code, document);
        a.set_style(Style::Portal);
        a
    }

    /// The same archive as the 2013 seed shapes it.
    pub fn seed_shaped(
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

    fn business_body(&self, numero: &str, insee: &str) -> String {
        let mut s = match self.style {
            Style::Portal => format!(
                "<NumeroDemarche>{flow}</NumeroDemarche><Teledemarche><NumeroTeledemarche>{num}</NumeroTeledemarche><MotDePasse>{PORTAL_PASSWORD}</MotDePasse><Suivi></Suivi><Date>{date}</Date><IdentifiantPlateforme>Service-Public.fr</IdentifiantPlateforme><Email>citoyen.{id}@exemple.fr</Email></Teledemarche><Routage><Donnee><Id>CodeINSEE</Id><Valeur>{insee}</Valeur></Donnee></Routage>",
                flow = xml_escape(&self.flow),
                num = xml_escape(numero),
                date = self.date,
                id = self.numero.to_ascii_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), ""),
                insee = xml_escape(insee),
            ),
            Style::Seed => format!(
                "<Teledemarche><NumeroTeledemarche>{}</NumeroTeledemarche><Date>{}</Date><IdentifiantPlateforme>portal-sim</IdentifiantPlateforme></Teledemarche><Routage><Donnee><Id>CodeINSEE</Id><Valeur>{}</Valeur></Donnee></Routage>",
                xml_escape(numero),
                self.date,
                xml_escape(insee)
            ),
        };
        for a in &self.attachments {
            s.push_str(&format!(
                "<PieceJointe><Intitule>{}</Intitule><Code>{}</Code><Fichier>{}</Fichier></PieceJointe>",
                xml_escape(&a.label),
                xml_escape(&a.code),
                xml_escape(&a.file)
            ));
        }
        if !self.announce_document {
            return s;
        }
        s.push_str(&format!(
            "<Document><Code>{0}</Code><Nom>{0}</Nom><FichierFormulaire><FichierDonnees>{1}</FichierDonnees></FichierFormulaire></Document>",
            xml_escape(&self.document_code),
            xml_escape(&self.document_file)
        ));
        for (code, file, _) in &self.pdf_documents {
            s.push_str(&format!(
                "<Document><Code>{0}</Code><Nom>{0}</Nom><FichierFormulaire><FichierDonnees>{1}</FichierDonnees></FichierFormulaire></Document>",
                xml_escape(code),
                xml_escape(file)
            ));
        }
        s
    }

    /// The PEC header's routing extras and the other header parts the
    /// portal writes (PROTOCOL §3.1), after `FlowType`.
    fn portal_header(&self, p: &str) -> (String, String) {
        let routing = format!(
            "<{p}:Sender><{p}:Location xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"{p}:Siret\"><{p}:Siret>13002526500013</{p}:Siret><{p}:Service>SPL</{p}:Service><{p}:Guichet>MDEL</{p}:Guichet></{p}:Location></{p}:Sender><{p}:Recipients><{p}:Location xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"{p}:Siret\"><{p}:Siret>21750001600019</{p}:Siret><{p}:Service>ETAT-CIVIL</{p}:Service></{p}:Location></{p}:Recipients><{p}:AckRequired>true</{p}:AckRequired><{p}:AckType>AVL</{p}:AckType><{p}:AckType>ANL</{p}:AckType><{p}:AckTo>portail</{p}:AckTo>"
        );
        let rest = format!(
            "<{p}:Security><{p}:Horodatage>false</{p}:Horodatage><{p}:DateTime>{date}</{p}:DateTime><{p}:Rejeu><{p}:NbRejeu>3</{p}:NbRejeu><{p}:Delais>3600</{p}:Delais></{p}:Rejeu></{p}:Security><{p}:Extras><{p}:EmailConfiguration><{p}:Subject>Votre demande {num}</{p}:Subject><{p}:Body>Bonjour, votre demande {num} a bien été transmise.</{p}:Body></{p}:EmailConfiguration></{p}:Extras>",
            date = self.date,
            num = xml_escape(&self.numero),
        );
        (routing, rest)
    }

    /// The message.xml text.
    pub fn message_xml(&self) -> String {
        let (p, ns) = &self.message_namespace;
        let (id, routing, rest, decl_end) = match self.style {
            // The portal's MessageId has spaces: numero, a number, the
            // service and the date.
            Style::Portal => {
                let (routing, rest) = self.portal_header(p);
                (
                    format!(
                        "{} 5808773 Principal {}",
                        xml_escape(&self.numero),
                        self.date.get(..19).unwrap_or(&self.date)
                    ),
                    routing,
                    rest,
                    "\" standalone=\"yes\"?>",
                )
            }
            Style::Seed => (
                format!("MSG-{}-{}", xml_escape(&self.numero), self.flow),
                format!("<{p}:Sender>portal-sim</{p}:Sender>"),
                String::new(),
                "\"?>\n",
            ),
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"{enc}{decl_end}<{p}:Message xmlns:{p}=\"{ns}\" xmlns=\"{bns}\"><{p}:Header><{p}:Routing><{p}:MessageId>{id}</{p}:MessageId><{p}:FlowType>{mflow}</{p}:FlowType>{routing}</{p}:Routing>{rest}</{p}:Header><{p}:Body><{p}:Content><{p}:Aller>{body}</{p}:Aller></{p}:Content></{p}:Body></{p}:Message>",
            enc = self.declared_encoding(),
            bns = self.business_namespace,
            mflow = xml_escape(&self.message_flow),
            body = self.business_body(&self.message_numero, &self.insee),
        )
    }

    /// The header file's text.
    pub fn ent_xml(&self) -> String {
        let decl_end = match self.style {
            Style::Portal => "\" standalone=\"yes\"?>",
            Style::Seed => "\"?>\n",
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"{}{decl_end}<EnteteMetierEnveloppe xmlns=\"{}\">{}</EnteteMetierEnveloppe>",
            self.declared_encoding(),
            self.business_namespace,
            self.business_body(&self.message_numero, &self.ent_insee)
        )
    }

    fn declared_encoding(&self) -> &'static str {
        match self.encoding {
            Encoding::Latin1 => "ISO-8859-1",
            _ => "UTF-8",
        }
    }

    fn encode(&self, text: &str) -> Vec<u8> {
        match self.encoding {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Utf8Bom => {
                let mut v = vec![0xEF, 0xBB, 0xBF];
                v.extend_from_slice(text.as_bytes());
                v
            }
            Encoding::Latin1 => {
                let text = text.replacen("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"", 1);
                text.chars()
                    .map(|c| if (c as u32) < 256 { c as u8 } else { b'?' })
                    .collect()
            }
        }
    }

    /// The entries of the ZIP, in order.
    pub fn entries(&self) -> Vec<(String, Vec<u8>)> {
        let mut v = vec![
            (
                "message.xml".to_string(),
                self.message_override
                    .clone()
                    .unwrap_or_else(|| self.encode(&self.message_xml())),
            ),
            (self.ent_name(), self.encode(&self.ent_xml())),
            (self.document_file.clone(), self.encode(&self.document)),
        ];
        for a in &self.attachments {
            v.push((a.file.clone(), a.bytes.clone()));
        }
        for (_, file, bytes) in &self.pdf_documents {
            v.push((file.clone(), bytes.clone()));
        }
        if self.style == Style::Portal {
            // Not the envelope's order: the files first, message.xml last.
            v.rotate_left(1);
        }
        v.retain(|(n, _)| !self.omit.contains(n));
        v.extend(self.extra.iter().cloned());
        v
    }

    /// The ZIP bytes. In the portal's style the entries are streamed, as
    /// the portal writes them: sizes and CRC in data descriptors (flag
    /// 0x08); non-ASCII names carry the UTF-8 flag (0x800) in both styles.
    pub fn to_zip(&self) -> Vec<u8> {
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        match self.style {
            Style::Seed => {
                let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
                for (name, bytes) in self.entries() {
                    w.start_file(name, opts).expect("zip entry");
                    w.write_all(&bytes).expect("zip write");
                }
                w.finish().expect("zip finish").into_inner()
            }
            Style::Portal => {
                let mut w = zip::ZipWriter::new_stream(Vec::new());
                for (name, bytes) in self.entries() {
                    w.start_file(name, opts).expect("zip entry");
                    w.write_all(&bytes).expect("zip write");
                }
                w.finish().expect("zip finish").into_inner()
            }
        }
    }

    /// Writes the archive into `dir` the way a careful transport does
    /// (temporary name, then rename). Returns its path.
    pub fn write_to(&self, dir: &Path) -> io::Result<PathBuf> {
        let path = dir.join(self.file_name());
        let tmp = dir.join(format!("{}.part", self.file_name()));
        let bytes = if self.not_zip {
            b"this is not a ZIP archive: the download stopped here\n".to_vec()
        } else {
            self.to_zip()
        };
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// Writes a ZIP whose single entry inflates to `size` zero bytes, declared
/// honestly (a classic zip bomb), streaming so memory stays small.
pub fn write_zip_bomb(path: &Path, entry: &str, size: u64) -> io::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut w = zip::ZipWriter::new(f);
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(size >= u32::MAX as u64);
    w.start_file(entry, opts)?;
    let chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        w.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    w.finish()?;
    Ok(())
}
