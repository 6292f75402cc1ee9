//! The `FlowPlugin` contract.

use std::fmt;

use chrono::NaiveDateTime;

use crate::record::{Row, TableDef};
use crate::xml::Element;

/// A data document of the archive, already read safely (encoding, no DTD).
#[derive(Debug, Clone)]
pub struct DataDocument {
    /// `Document/Code` from the envelope (e.g. `10870-XML`).
    pub code: String,
    /// The file name inside the archive (for messages).
    pub file_name: String,
    /// Its root element.
    pub root: Element,
}

/// What the core knows about the archive when it asks a plugin to parse it.
#[derive(Debug, Clone)]
pub struct ParseContext {
    /// NumeroTeledemarche.
    pub numero: String,
    /// FileNumber from the archive name.
    pub file_number: u32,
    /// The CodeINSEE the archive was routed by.
    pub insee: String,
    /// `Teledemarche/Date` of the envelope, if it parsed.
    pub submitted_at: Option<NaiveDateTime>,
}

/// The rows a plugin made from the documents, ready for any backend.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// Rows, each for one of the plugin's tables.
    pub rows: Vec<Row>,
    /// A one-line human summary ("DUBOIS Noël, né(e) le 16/08/2009") for logs.
    pub summary: String,
}

/// A document the plugin refuses: which element, which rule. Or, made with
/// [`PluginError::fault`], the plugin's own failure (a bug, a library that
/// misbehaves), which is never the citizen's: the archive is kept as
/// trouble naming the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    /// Path of the offending element (`Personne/Sexe`), or the document name.
    pub element: String,
    /// The rule broken, in plain words (`is 3 but must be 1 (male) or 2 (female)`).
    pub rule: String,
    /// The same rule in French, for the clerk who reads the rejection log
    /// and the console (`vaut « 3 » alors qu'il doit valoir 1 (masculin) ou
    /// 2 (féminin)`); set with [`PluginError::fr`].
    pub rule_fr: Option<String>,
    /// The plugin failed, the document is not at fault.
    pub fault: bool,
}

impl PluginError {
    /// Builds an error for `element` breaking `rule`.
    pub fn new(element: impl Into<String>, rule: impl Into<String>) -> Self {
        PluginError {
            element: element.into(),
            rule: rule.into(),
            rule_fr: None,
            fault: false,
        }
    }

    /// Adds the rule in French (the element's path stays as it is):
    /// `PluginError::new("Personne/Sexe", "is missing").fr("est absent")`.
    pub fn fr(mut self, rule_fr: impl Into<String>) -> Self {
        self.rule_fr = Some(rule_fr.into());
        self
    }

    /// The refusal in the clerk's French (`Personne/Sexe vaut « 3 » alors
    /// qu'il doit valoir 1 ou 2`), when the plugin gave its French words.
    pub fn french(&self) -> Option<String> {
        match (&self.rule_fr, self.fault) {
            (Some(r), false) if self.element.is_empty() => Some(r.clone()),
            (Some(r), false) => Some(format!("{} {r}", self.element)),
            _ => None,
        }
    }

    /// The plugin's own failure, in words.
    pub fn fault(what: impl Into<String>) -> Self {
        PluginError {
            element: String::new(),
            rule: what.into(),
            rule_fr: None,
            fault: true,
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fault {
            f.write_str(&self.rule)
        } else {
            write!(f, "{} {}", self.element, self.rule)
        }
    }
}

impl std::error::Error for PluginError {}

/// What a plugin gets to build a document from a dossier (e.g. the census
/// attestation): the dossier's identity and its business rows, as data.
#[derive(Debug, Clone)]
pub struct DossierData {
    /// NumeroTeledemarche.
    pub numero: String,
    /// Flow code.
    pub flow: String,
    /// CodeINSEE of the commune.
    pub insee: String,
    /// The status being transmitted.
    pub status: u16,
    /// When that status was recorded.
    pub status_at: NaiveDateTime,
    /// The dossier's rows in the plugin's tables.
    pub rows: Vec<Row>,
    /// The commune's name as the client's settings write it (`commune =
    /// "Belfort"`), for the documents the town hall issues; `None` when
    /// the client does not set it.
    pub commune: Option<String>,
    /// The commune's department as the client's settings write it
    /// (`departement = "Territoire de Belfort"`); `None` when not set.
    pub departement: Option<String>,
}

/// A file carried in a return archive, named in `Maj/PieceJointe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnAttachment {
    /// `Intitule`.
    pub label: String,
    /// File name inside the archive (`Fichier`).
    pub file: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// A data document of the démarche as the portal sends it, kept with the
/// plugin: portal-sim wraps it into archives of the flow, and the plugin's
/// tests (and the test kit) read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleDocument {
    /// Its `Document/Code` (`10870-XML`).
    pub code: &'static str,
    /// Its text.
    pub xml: &'static str,
}

/// One step of a migration of a plugin's tables. Steps name what
/// [`FlowPlugin::tables`] declares now (the column's type comes from there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationStep {
    /// Creates a table declared in `tables()`.
    AddTable(&'static str),
    /// Adds a column declared in `tables()`; it must be optional (the rows
    /// already there have no value for it).
    AddColumn {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
    },
    /// Adds an index.
    AddIndex {
        /// The table.
        table: &'static str,
        /// The index's name (unique in the database).
        name: &'static str,
        /// Its columns.
        columns: Vec<&'static str>,
    },
}

/// The steps that bring a plugin's tables from `version - 1` to `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The version these steps lead to.
    pub version: u32,
    /// What changes.
    pub steps: Vec<MigrationStep>,
}

/// Checks a plugin's migrations against its tables: one per version from 2
/// to [`FlowPlugin::schema_version`], every step naming a declared table,
/// an optional declared column, or declared index columns.
pub fn check_migrations(plugin: &dyn FlowPlugin) -> Result<(), String> {
    let flow = plugin.flow_code();
    let tables = plugin.tables();
    let migrations = plugin.migrations();
    for v in 2..=plugin.schema_version() {
        if !migrations.iter().any(|m| m.version == v) {
            return Err(format!(
                "{flow}: schema_version is {} but no migration leads to version {v}",
                plugin.schema_version()
            ));
        }
    }
    let table = |name: &str| {
        tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| format!("{flow}: a migration names table {name}, which is not declared"))
    };
    for m in &migrations {
        if m.version < 2 || m.version > plugin.schema_version() {
            return Err(format!(
                "{flow}: a migration leads to version {} but schema_version is {}",
                m.version,
                plugin.schema_version()
            ));
        }
        for step in &m.steps {
            match step {
                MigrationStep::AddTable(t) => {
                    table(t)?;
                }
                MigrationStep::AddColumn { table: t, column } => {
                    let c = table(t)?.column(column).ok_or_else(|| {
                        format!("{flow}: a migration adds {t}.{column}, which is not declared")
                    })?;
                    if !c.nullable {
                        return Err(format!(
                            "{flow}: a migration adds {t}.{column}, which is required: an added column must be optional (the rows already there have no value)"
                        ));
                    }
                }
                MigrationStep::AddIndex {
                    table: t, columns, ..
                } => {
                    let def = table(t)?;
                    for c in columns {
                        if def.column(c).is_none() && *c != crate::DOSSIER_KEY {
                            return Err(format!(
                                "{flow}: an index of {t} names column {c}, which is not declared"
                            ));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Status codes of PROTOCOL §5.
pub const STATUSES: [u16; 7] = [14, 15, 16, 17, 19, 20, 100];

/// A démarche: parses its data documents into rows for its business tables.
///
/// A plugin returns data and never touches a connection, so it runs
/// unchanged on every backend. Implementations must be deterministic and
/// must not panic on any input: every refusal is a [`PluginError`].
pub trait FlowPlugin: Send + Sync + 'static {
    /// The flow code it handles (`RCO-LA`).
    fn flow_code(&self) -> &'static str;

    /// The business application it feeds (`Avenir`).
    fn application(&self) -> &'static str;

    /// One line saying what the démarche is.
    fn description(&self) -> &'static str;

    /// Version of its table layout; bump it when [`tables`](Self::tables) changes.
    fn schema_version(&self) -> u32 {
        1
    }

    /// Its business tables.
    fn tables(&self) -> Vec<TableDef>;

    /// How tables made by earlier versions are brought to this one: one
    /// [`Migration`] per version after 1, applied by `msp db init` and the
    /// first run on every engine, recorded in `msp_schema_version`.
    fn migrations(&self) -> Vec<Migration> {
        Vec::new()
    }

    /// Parses and validates the data document(s) into rows.
    fn parse(&self, ctx: &ParseContext, documents: &[DataDocument])
        -> Result<Records, PluginError>;

    /// The file name of the document the return archive of `status` carries
    /// for dossier `numero`, if any (recorded before the archive is written).
    fn attachment_name(&self, numero: &str, status: u16) -> Option<String> {
        let _ = (numero, status);
        None
    }

    /// The document a return archive carries for `dossier.status` (called
    /// only when [`attachment_name`](Self::attachment_name) names one).
    fn return_attachment(
        &self,
        dossier: &DossierData,
    ) -> Result<Option<ReturnAttachment>, PluginError> {
        let _ = dossier;
        Ok(None)
    }

    /// A valid data document of the démarche (every built-in plugin has
    /// one; `portal-sim --flow CODE` wraps it).
    fn sample(&self) -> Option<SampleDocument> {
        None
    }

    /// The French comment sent to the citizen with a status when the agent
    /// gave none.
    fn default_comment(&self, status: u16) -> &'static str {
        default_comment(status)
    }
}

/// Generic French comments per status, used when a plugin has no better one.
pub fn default_comment(status: u16) -> &'static str {
    match status {
        14 => "Votre demande a bien été reçue et sera traitée prochainement.",
        15 => "Votre demande n'est pas recevable. Veuillez contacter votre mairie.",
        16 => "Votre demande est en cours de traitement.",
        17 => "Des informations complémentaires sont nécessaires pour traiter votre demande. Votre mairie va vous contacter.",
        19 => "Votre demande a été traitée et acceptée.",
        20 => "Votre demande a été refusée. Veuillez contacter votre mairie pour en connaître le motif.",
        100 => "Votre dossier est clos.",
        _ => "",
    }
}

/// The first data document whose root element is `root`, or an error
/// naming what was expected.
pub fn document_with_root<'a>(
    documents: &'a [DataDocument],
    root: &str,
) -> Result<&'a DataDocument, PluginError> {
    if documents.is_empty() {
        return Err(PluginError::new(
            "Document",
            format!("none of the archive's documents is XML, but the démarche needs a data document with root element {root}"),
        )
        .fr(format!(": aucun document de données XML dans l'archive (les documents annoncés ne sont pas du XML), alors que la démarche en attend un dont l'élément racine est {root}.")));
    }
    documents.iter().find(|d| d.root.name == root).ok_or_else(|| {
        let found = documents
            .iter()
            .map(|d| d.root.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        PluginError::new(
            documents.first().map_or("Document", |d| d.file_name.as_str()),
            format!(
                "is not the expected data document: no document with root element {root} in the archive (found {found})"
            ),
        )
        .fr(format!(
            "n'est pas le document de données attendu : aucun document de l'archive n'a l'élément racine {root} (trouvé : {found})."
        ))
    })
}

/// Finds the data document with root element `root`, reads it with `read`
/// and checks it with `check`; errors name the document file first
/// (`...-doc-10870-XML-1-0.xml: Personne/Sexe is "3" but ...`).
pub fn read_document<T>(
    documents: &[DataDocument],
    root: &str,
    read: impl FnOnce(&Element) -> Result<T, PluginError>,
    check: impl FnOnce(&T) -> Result<(), PluginError>,
) -> Result<T, PluginError> {
    let doc = document_with_root(documents, root)?;
    let in_doc = |e: PluginError| {
        if e.fault {
            e
        } else {
            PluginError {
                element: format!("{}: {}", doc.file_name, e.element),
                ..e
            }
        }
    };
    let value = read(&doc.root).map_err(in_doc)?;
    check(&value).map_err(in_doc)?;
    Ok(value)
}
