//! The envelopes' texts: message.xml (the PEC message around the business
//! envelope) and the header file, in the archive's style and encoding.

use crate::archive::{Archive, Encoding, Style};
use crate::documents::xml_escape;

/// The password of the portal's follow-up page that a portal-style
/// envelope carries (`Teledemarche/MotDePasse`): tests look for it in every
/// output msp writes, where it must never be.
pub const PORTAL_PASSWORD: &str = "Kx9-secret-Vq2";

impl Archive {
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

    pub(crate) fn encode(&self, text: &str) -> Vec<u8> {
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
}
