//! The generated citizens and the data documents of the three flows (and
//! the small text helpers they use).

use crate::seq::Seq;

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

/// Escapes text for XML content.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
