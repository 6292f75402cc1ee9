//! An example of a démarche written outside msp and loaded at run time:
//! `EXEMPLE-LA`, a request for a copy of a municipal document (the
//! document `DemandeDocument` with `Nom`, `Prenom`, `Document` and an
//! optional `NombreExemplaires`).
//!
//! Build it with `cargo build --release -p plugin-example`, then name the
//! library in the configuration:
//!
//! ```toml
//! plugins = ["/usr/lib/msp/libplugin_example.so"]
//! ```
//!
//! A plugin outside msp is an ordinary [`FlowPlugin`] plus one line,
//! `msp_plugins::export_plugin!(MyPlugin);`, in a `cdylib` crate.

use msp_plugins::fields;
use msp_plugins::{
    Column, ColumnType, DataDocument, DossierData, FlowPlugin, ParseContext, PluginError, Records,
    ReturnAttachment, Row, SampleDocument, TableDef, Value,
};

/// The plugin.
#[derive(Debug, Default)]
pub struct Exemple;

msp_plugins::export_plugin!(Exemple);

impl FlowPlugin for Exemple {
    fn flow_code(&self) -> &'static str {
        "EXEMPLE-LA"
    }

    fn application(&self) -> &'static str {
        "Archives"
    }

    fn description(&self) -> &'static str {
        "demande de copie d'un document municipal (example external plugin)"
    }

    fn sample(&self) -> Option<SampleDocument> {
        Some(SampleDocument {
            code: "EX-XML",
            xml: include_str!("../tests/data/sample.xml"),
        })
    }

    fn tables(&self) -> Vec<TableDef> {
        vec![TableDef {
            name: "exemple_demande",
            comment: "the request",
            columns: vec![
                Column::required("nom", ColumnType::Text(255)),
                Column::required("prenom", ColumnType::Text(255)),
                Column::required("document", ColumnType::Text(255)),
                Column::required("exemplaires", ColumnType::Integer),
            ],
            key: vec![],
        }]
    }

    fn parse(
        &self,
        _ctx: &ParseContext,
        documents: &[DataDocument],
    ) -> Result<Records, PluginError> {
        let (nom, prenom, document, copies) = msp_plugins::plugin::read_document(
            documents,
            "DemandeDocument",
            |root| {
                let copies = match root.text_at("NombreExemplaires") {
                    None => 1,
                    Some(v) => v
                        .parse::<i64>()
                        .ok()
                        .filter(|n| (1..=5).contains(n))
                        .ok_or_else(|| {
                            PluginError::new(
                                "NombreExemplaires",
                                format!("is {v} but must be 1 to 5"),
                            )
                            .fr(format!("vaut « {v} » alors qu'il doit valoir de 1 à 5."))
                        })?,
                };
                Ok((
                    fields::required(root, "", "Nom", 255)?,
                    fields::required(root, "", "Prenom", 255)?,
                    fields::required(root, "", "Document", 255)?,
                    copies,
                ))
            },
            |_| Ok(()),
        )?;
        Ok(Records {
            summary: format!("{nom} {prenom}: {document} x{copies}"),
            rows: vec![Row::new("exemple_demande")
                .set("nom", nom)
                .set("prenom", prenom)
                .set("document", document)
                .set("exemplaires", copies)],
        })
    }

    /// When the copy is ready (19), the return archive carries a note
    /// saying where to collect it (through ABI version 2).
    fn attachment_name(&self, numero: &str, status: u16) -> Option<String> {
        (status == 19).then(|| format!("{numero}-retrait.txt"))
    }

    fn return_attachment(
        &self,
        dossier: &DossierData,
    ) -> Result<Option<ReturnAttachment>, PluginError> {
        let Some(row) = dossier.rows.iter().find(|r| r.table == "exemple_demande") else {
            return Err(PluginError::fault(
                "no exemple_demande row for this dossier",
            ));
        };
        let text = |c: &str| match row.get(c) {
            Some(Value::Text(t)) => t.clone(),
            Some(Value::Integer(i)) => i.to_string(),
            _ => String::new(),
        };
        Ok(Some(ReturnAttachment {
            label: "Avis de retrait".into(),
            file: format!("{}-retrait.txt", dossier.numero),
            bytes: format!(
                "{} {} : votre copie de « {} » ({} exemplaire(s)) est à retirer en mairie.\n",
                text("prenom"),
                text("nom"),
                text("document"),
                text("exemplaires")
            )
            .into_bytes(),
        }))
    }

    fn default_comment(&self, status: u16) -> &'static str {
        match status {
            19 => "Votre copie est prête : vous pouvez la retirer en mairie.",
            s => msp_plugins::default_comment(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_plugins::kit;

    #[test]
    fn the_sample_imports_and_each_rule_is_named() {
        let r = kit::check_sample(&Exemple);
        assert_eq!(r.summary, "Lefèvre Zoé: Délibération du 3 mars x2");
        kit::check_refusals(
            &Exemple,
            &[
                (
                    "<NombreExemplaires>2</",
                    "<NombreExemplaires>9</",
                    "NombreExemplaires is 9 but must be 1 to 5",
                ),
                ("<Nom>Lefèvre</Nom>", "", "Nom is missing or empty"),
            ],
        );
    }
}
