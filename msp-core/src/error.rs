//! Typed errors: bad input (the archive is wrong) versus trouble (the
//! environment is wrong), PROTOCOL §6.

use std::fmt;
use std::sync::Arc;

/// Why an archive is refused. Each reason has a French summary for the
/// town-hall clerk who reads the log beside the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The file is not a readable ZIP archive.
    NotZip,
    /// An entry would land outside the extraction folder, or is a link.
    UnsafeEntry,
    /// Size, entry count or compression ratio over the configured limits.
    TooLarge,
    /// message.xml or the -ent.xml is missing or unreadable.
    Envelope,
    /// The archive name disagrees with its content.
    NameMismatch,
    /// No configured client for the CodeINSEE.
    UnknownInsee,
    /// The CodeINSEE is not an INSEE commune code at all.
    InvalidInsee,
    /// The client the archive is routed to does not handle its flow.
    FlowNotHandled,
    /// A file named by the envelope is missing from the archive.
    MissingFile,
    /// The -ent.xml disagrees with message.xml.
    EntMismatch,
    /// A data document breaks the démarche's rules.
    Document,
    /// An attachment name is unsafe.
    Attachment,
    /// Same FileNumber already imported with other bytes.
    Conflict,
    /// A FileNumber lower than the latest imported one.
    Stale,
    /// The dossier is closed (status 100).
    Closed,
}

impl Reason {
    /// The French summary written in the rejection log.
    pub fn summary_fr(self) -> &'static str {
        match self {
            Reason::NotZip => "Le fichier reçu n'est pas une archive ZIP lisible (fichier tronqué ou d'un autre type).",
            Reason::UnsafeEntry => "L'archive contient un fichier dont le nom est dangereux ou ambigu (chemin absolu, « .. », lecteur, lien, fichier spécial, ou deux noms qui deviendraient identiques une fois extraits) : elle est refusée par sécurité.",
            Reason::TooLarge => "L'archive dépasse les limites configurées (taille décompressée, nombre de fichiers ou taux de compression).",
            Reason::Envelope => "L'enveloppe de la demande (message.xml ou fichier d'en-tête -ent-<N>.xml ou -ent.xml) est absente ou illisible.",
            Reason::NameMismatch => "Le contenu de l'archive ne correspond pas à son nom.",
            Reason::UnknownInsee => "La demande est adressée à une commune qui n'est pas configurée.",
            Reason::InvalidInsee => "Le code INSEE de la commune destinataire n'est pas un code valide (5 caractères : des chiffres, ou 2A/2B suivi de 3 chiffres) : la demande est mal formée.",
            Reason::FlowNotHandled => "La commune destinataire ne traite pas cette démarche avec msp (paramètre flows du client).",
            Reason::MissingFile => "Un fichier annoncé dans l'enveloppe est absent de l'archive.",
            Reason::EntMismatch => "Le fichier d'en-tête (-ent-<N>.xml ou -ent.xml) ne concorde pas avec message.xml.",
            Reason::Document => "Les données de la demande ne respectent pas les règles de la démarche.",
            Reason::Attachment => "Le nom d'une pièce jointe est invalide.",
            Reason::Conflict => "Ce fichier a déjà été reçu pour ce dossier avec un contenu différent (conflit).",
            Reason::Stale => "Ce fichier est plus ancien que le dernier fichier déjà intégré pour ce dossier.",
            Reason::Closed => "Le dossier est clos : aucun nouveau fichier ne peut y être intégré.",
        }
    }

    /// What the clerk can do about it.
    pub fn advice_fr(self) -> &'static str {
        match self {
            Reason::UnknownInsee | Reason::FlowNotHandled => "Vérifiez la configuration des communes (clé insee des clients) ou signalez l'erreur d'aiguillage au portail.",
            Reason::Conflict | Reason::Stale | Reason::Closed => "Vérifiez le dossier dans l'application métier ; si ce fichier doit être intégré, contactez le support du portail.",
            Reason::Document => "Corrigez la demande avec l'usager ou signalez l'anomalie au portail ; l'archive peut être replacée dans le dossier d'entrée une fois corrigée.",
            _ => "Signalez l'anomalie au portail pour qu'il renvoie la demande ; l'archive est conservée ici telle qu'elle a été reçue.",
        }
    }

    /// Every reason, for lookups by tag.
    pub const ALL: [Reason; 15] = [
        Reason::NotZip,
        Reason::UnsafeEntry,
        Reason::TooLarge,
        Reason::Envelope,
        Reason::NameMismatch,
        Reason::UnknownInsee,
        Reason::InvalidInsee,
        Reason::FlowNotHandled,
        Reason::MissingFile,
        Reason::EntMismatch,
        Reason::Document,
        Reason::Attachment,
        Reason::Conflict,
        Reason::Stale,
        Reason::Closed,
    ];

    /// The reason of a tag (the `Code :` line of a rejection log).
    pub fn from_tag(tag: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.tag() == tag)
    }

    /// Whether the archive's bytes alone decided the rejection: put back
    /// into input as it is, it is rejected again (the configuration, the
    /// database or a fixed démarche cannot change that; a plugin's rules
    /// could, after an upgrade, for [`Reason::Document`]).
    pub fn depends_only_on_bytes(self) -> bool {
        !matches!(
            self,
            Reason::TooLarge
                | Reason::UnknownInsee
                | Reason::FlowNotHandled
                | Reason::Conflict
                | Reason::Stale
                | Reason::Closed
        )
    }

    /// Short English tag for logs and JSON.
    pub fn tag(self) -> &'static str {
        match self {
            Reason::NotZip => "not-zip",
            Reason::UnsafeEntry => "unsafe-entry",
            Reason::TooLarge => "too-large",
            Reason::Envelope => "envelope",
            Reason::NameMismatch => "name-mismatch",
            Reason::UnknownInsee => "unknown-insee",
            Reason::InvalidInsee => "invalid-insee",
            Reason::FlowNotHandled => "flow-not-handled",
            Reason::MissingFile => "missing-file",
            Reason::EntMismatch => "ent-mismatch",
            Reason::Document => "document",
            Reason::Attachment => "attachment",
            Reason::Conflict => "conflict",
            Reason::Stale => "stale",
            Reason::Closed => "closed",
        }
    }
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The archive itself is wrong: it goes to the error folder.
    BadInput(Reason),
    /// The environment failed (database, disk, permissions): retry later.
    Trouble,
    /// The configuration is wrong: fix it before running.
    Config,
    /// Something asked for does not exist (a dossier number...).
    NotFound,
    /// The command was given what it cannot take (a path where a name is
    /// expected, an unknown flow): the user's mistake, said with a hint.
    Usage,
    /// A status change the rules refuse (PROTOCOL §5).
    Refused,
}

/// The error type of msp's libraries: a kind, a message saying what and
/// where, and whether retrying later may succeed; the library error it
/// came from, when there is one, as its [`source`](std::error::Error::source)
/// (the message already says it in words: two errors are equal whatever
/// their sources).
#[derive(Debug, Clone)]
pub struct Error {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What is wrong, where (file, element, database).
    pub message: String,
    /// True when the same operation may succeed later (lock, unreachable server).
    pub temporary: bool,
    /// The same in plain French words, for the clerk (status refusals).
    pub french: Option<String>,
    /// The error this one was made from (a driver's), if any.
    pub source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// Bad input for `reason`.
    pub fn bad_input(reason: Reason, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::BadInput(reason),
            message: message.into(),
            temporary: false,
            french: None,
            source: None,
        }
    }
    /// Environmental trouble.
    pub fn trouble(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Trouble,
            message: message.into(),
            temporary: false,
            french: None,
            source: None,
        }
    }
    /// Temporary trouble (retry later).
    pub fn temporary(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Trouble,
            message: message.into(),
            temporary: true,
            french: None,
            source: None,
        }
    }
    /// Configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Config,
            message: message.into(),
            temporary: false,
            french: None,
            source: None,
        }
    }
    /// Not found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::NotFound,
            message: message.into(),
            temporary: false,
            french: None,
            source: None,
        }
    }
    /// A user's mistake on the command line or in a form, with its hint.
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Usage,
            message: message.into(),
            temporary: false,
            french: None,
            source: None,
        }
    }
    /// A status change refused by the rules.
    pub fn refused(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Refused,
            message: message.into(),
            temporary: false,
            french: None,
            source: None,
        }
    }
    /// Adds the French words for the clerk.
    pub fn with_french(mut self, french: impl Into<String>) -> Self {
        self.french = Some(french.into());
        self
    }
    /// Keeps the error this one was made from, as its
    /// [`source`](std::error::Error::source) (the message is unchanged).
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.source = Some(Arc::from(source.into()));
        self
    }
    /// I/O trouble on `path`.
    pub fn io(what: &str, path: &std::path::Path, e: std::io::Error) -> Self {
        Error::trouble(format!("{what} {}: {e}", path.display()))
    }
    /// The rejection reason, when bad input.
    pub fn reason(&self) -> Option<Reason> {
        match self.kind {
            ErrorKind::BadInput(r) => Some(r),
            _ => None,
        }
    }
    /// Prefixes the message with context.
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl PartialEq for Error {
    /// Equal kind, message, temporariness and French words; the sources
    /// are not compared.
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.message == other.message
            && self.temporary == other.temporary
            && self.french == other.french
    }
}

impl Eq for Error {}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_is_kept_but_neither_shown_nor_compared() {
        use std::error::Error as _;
        let io = std::io::Error::other("disk on fire");
        let e = Error::trouble("cannot write x").with_source(io);
        assert_eq!(e.to_string(), "cannot write x");
        assert_eq!(
            e.source().map(|s| s.to_string()).as_deref(),
            Some("disk on fire")
        );
        assert_eq!(
            e.clone().source().map(|s| s.to_string()).as_deref(),
            Some("disk on fire")
        );
        assert_eq!(e, Error::trouble("cannot write x"));
        assert_ne!(e, Error::temporary("cannot write x"));
        assert!(Error::trouble("x").source().is_none());
    }
}
