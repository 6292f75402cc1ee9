//! One synchronisation (PROTOCOL §4 and §8): recover, import every eligible
//! archive of the selected flows, write pending return flows, log.
//!
//! Each step of one archive is one function: [`Synchronizer::claim_and_import`]
//! claims it, [`validate`] checks it and asks the plugin for rows,
//! [`Synchronizer::store`] writes them in one transaction, then the return
//! archive is written and the original moved to done. Bad input goes to the
//! error folder with a log; trouble puts the archive back into input.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use chrono::NaiveDateTime;
use msp_plugins::xml;
use msp_plugins::{DataDocument, FlowPlugin, ParseContext, Records, Registry};
use sha2::{Digest, Sha256};

use crate::backend::{
    Backend, Connector, Dossier, ImportKind, ImportWrite, NewAttachment, ReceivedArchive,
    ReturnFlow, StatusEntry, StoredAttachment,
};
use crate::config::{AttachmentMode, ClientConfig, Config};
use crate::envelope::{self, Message};
use crate::error::{Error, ErrorKind, Reason, Result};
use crate::extract::{self, Extracted};
use crate::folders::{self, Claim};
use crate::lifecycle::{self, now};
use crate::naming::{self, ArchiveName};
use crate::synclog::SyncLog;

/// Counts for one flow in one synchronisation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FlowCounts {
    /// New dossiers imported.
    pub imported: u32,
    /// Complements imported.
    pub complements: u32,
    /// Duplicates (already imported, identical bytes).
    pub duplicates: u32,
    /// Rejected archives (bad input).
    pub rejected: u32,
    /// Return archives written.
    pub returns_written: u32,
    /// Archives left for a later run because of trouble.
    pub errors: u32,
}

/// What a synchronisation did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Counts per flow code.
    pub flows: BTreeMap<String, FlowCounts>,
    /// Archives put back into input from an interrupted run.
    pub recovered: Vec<String>,
    /// Rejections: (archive name, message).
    pub rejected: Vec<(String, String)>,
    /// Trouble met (messages).
    pub troubles: Vec<String>,
    /// Status changes written by a business application that the rules refused.
    pub refused: Vec<String>,
    /// Return archives found collected by the portal.
    pub collected: u32,
    /// The synchronisation log file.
    pub log_path: PathBuf,
}

impl RunReport {
    /// 0 when all went well, 1 when archives were rejected, 2 on trouble.
    pub fn exit_code(&self) -> i32 {
        if !self.troubles.is_empty() {
            2
        } else if !self.rejected.is_empty() || !self.refused.is_empty() {
            1
        } else {
            0
        }
    }

    /// Totals over all flows.
    pub fn totals(&self) -> FlowCounts {
        let mut t = FlowCounts::default();
        for c in self.flows.values() {
            t.imported += c.imported;
            t.complements += c.complements;
            t.duplicates += c.duplicates;
            t.rejected += c.rejected;
            t.returns_written += c.returns_written;
            t.errors += c.errors;
        }
        t
    }
}

/// How one archive ended.
#[derive(Debug)]
enum Outcome {
    Imported(ImportKind),
    Duplicate,
}

/// An archive found in input, before claiming.
#[derive(Debug, Clone)]
struct Candidate {
    name: String,
    parsed: ArchiveName,
    modified: SystemTime,
}

/// Runs synchronisations for one configuration.
pub struct Synchronizer<'a> {
    config: &'a Config,
    registry: &'a Registry,
    connector: &'a dyn Connector,
    /// Connected backends, by database URL.
    backends: HashMap<String, Arc<dyn Backend>>,
    /// Databases that could not be reached in this run, with the error.
    unreachable: HashMap<String, Error>,
}

/// A validated archive: everything needed to write it.
struct Validated<'c> {
    client: &'c ClientConfig,
    message: Message,
    records: Records,
    plugin: Arc<dyn FlowPlugin>,
    /// The plugin's tables, as the rows were checked against them.
    tables: Vec<msp_plugins::TableDef>,
}

impl<'a> Synchronizer<'a> {
    /// A synchroniser for `config`, with these plugins and this connector.
    pub fn new(config: &'a Config, registry: &'a Registry, connector: &'a dyn Connector) -> Self {
        Synchronizer {
            config,
            registry,
            connector,
            backends: HashMap::new(),
            unreachable: HashMap::new(),
        }
    }

    /// The backend of a client, connected on first use.
    pub fn backend(&mut self, client: &ClientConfig) -> Result<Arc<dyn Backend>> {
        // Keyed by database: several towns may share one database.
        if let Some(b) = self.backends.get(&client.database) {
            return Ok(b.clone());
        }
        // A database that could not be reached is not tried again in this
        // run: its archives go straight back to input.
        if let Some(e) = self.unreachable.get(&client.database) {
            return Err(e.clone());
        }
        match self.connector.connect(self.config, client) {
            Ok(b) => {
                self.backends.insert(client.database.clone(), b.clone());
                Ok(b)
            }
            Err(e) => {
                let e = e.context(format!("database of client {}", client.name));
                self.unreachable.insert(client.database.clone(), e.clone());
                Err(e)
            }
        }
    }

    /// One synchronisation of the flows in the registry.
    pub fn run(&mut self) -> Result<RunReport> {
        let folders = &self.config.folders;
        folders.ensure()?;
        let mut log = SyncLog::create(&folders.logs)?;
        let mut report = RunReport {
            log_path: log.path().to_path_buf(),
            ..RunReport::default()
        };
        for code in self.registry.codes() {
            report.flows.entry(code.to_string()).or_default();
        }
        log.line(&format!(
            "synchronisation started: configuration {}, flows {}",
            self.config.source,
            self.registry.codes().join(", ")
        ));
        report.recovered = folders::recover(folders)?;
        for name in &report.recovered {
            log.line(&format!(
                "{name}: recovered from work (interrupted run), back in input"
            ));
        }
        for candidate in self.scan()? {
            self.handle(candidate, &mut report, &mut log);
        }
        self.write_pending_returns(&mut report, &mut log);
        let t = report.totals();
        log.line(&format!(
            "synchronisation finished: {} imported, {} complements, {} duplicates, {} rejected, {} returns written, {} left for retry",
            t.imported, t.complements, t.duplicates, t.rejected, t.returns_written, t.errors
        ));
        for trouble in &report.troubles {
            log.line(&format!("TROUBLE: {trouble}"));
        }
        log.finish()?;
        Ok(report)
    }

    /// Lists input once: registered flows only, oldest dossier first, each
    /// dossier's files in FileNumber order.
    fn scan(&self) -> Result<Vec<Candidate>> {
        let input = &self.config.folders.input;
        let flows = self.registry.codes();
        let mut found = Vec::new();
        for entry in fs::read_dir(input).map_err(|e| Error::io("cannot read", input, e))? {
            let entry = entry.map_err(|e| Error::io("cannot read", input, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(parsed) = naming::parse(&name, &flows) else {
                continue;
            };
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let age = SystemTime::now()
                .duration_since(modified)
                .unwrap_or_default();
            if age.as_secs() < self.config.settle_seconds {
                tracing::info!(
                    "{name}: modified {age:?} ago, left for the next run (settle_seconds)"
                );
                continue;
            }
            found.push(Candidate {
                name,
                parsed,
                modified,
            });
        }
        let mut oldest: HashMap<String, SystemTime> = HashMap::new();
        for c in &found {
            let e = oldest.entry(c.parsed.numero.clone()).or_insert(c.modified);
            *e = (*e).min(c.modified);
        }
        found.sort_by(|a, b| {
            (
                oldest[&a.parsed.numero],
                &a.parsed.numero,
                a.parsed.file_number,
                &a.name,
            )
                .cmp(&(
                    oldest[&b.parsed.numero],
                    &b.parsed.numero,
                    b.parsed.file_number,
                    &b.name,
                ))
        });
        Ok(found)
    }

    fn handle(&mut self, candidate: Candidate, report: &mut RunReport, log: &mut SyncLog) {
        let flow = candidate.parsed.flow.clone();
        let name = candidate.name.clone();
        let claim = match folders::claim(&self.config.folders, &name) {
            Ok(Some(c)) => c,
            Ok(None) => return, // another run took it
            Err(e) => {
                report.flows.entry(flow).or_default().errors += 1;
                log.line(&format!("{name}: TROUBLE, left in input: {e}"));
                report.troubles.push(format!("{name}: {e}"));
                return;
            }
        };
        let result = self.claim_and_import(&candidate, &claim, report, log);
        folders::remove_dir(&claim.extraction_dir());
        let counts = report.flows.entry(flow).or_default();
        match result {
            Ok((outcome, summary)) => {
                let moved = folders::move_into(&claim.path, &self.config.folders.done, &name);
                match outcome {
                    Outcome::Imported(ImportKind::New) => counts.imported += 1,
                    Outcome::Imported(ImportKind::Complement) => counts.complements += 1,
                    Outcome::Duplicate => counts.duplicates += 1,
                }
                let what = match outcome {
                    Outcome::Imported(ImportKind::New) => format!("imported ({summary})"),
                    Outcome::Imported(ImportKind::Complement) => {
                        format!("complement imported ({summary})")
                    }
                    Outcome::Duplicate => {
                        "duplicate of a file already imported, nothing changed".to_string()
                    }
                };
                match moved {
                    Ok(p) => log.line(&format!("{name}: {what}; archive in {}", p.display())),
                    Err(e) => {
                        log.line(&format!("{name}: {what}; TROUBLE moving it to done: {e}"));
                        report.troubles.push(format!("{name}: {e}"));
                    }
                }
            }
            Err(e) if matches!(e.kind, ErrorKind::BadInput(_)) => {
                counts.rejected += 1;
                let message = e.message.clone();
                match reject(&self.config.folders.error, &claim.path, &name, &e) {
                    Ok(p) => log.line(&format!(
                        "{name}: REJECTED: {}; archive and log in {}",
                        e.message,
                        p.display()
                    )),
                    Err(t) => {
                        log.line(&format!(
                            "{name}: REJECTED: {}; TROUBLE moving it to error: {t}",
                            e.message
                        ));
                        report.troubles.push(format!("{name}: {t}"));
                    }
                }
                report.rejected.push((name.clone(), message));
            }
            Err(e) => {
                counts.errors += 1;
                let back = folders::move_into(&claim.path, &self.config.folders.input, &name);
                let where_ = match back {
                    Ok(_) => "back in input for the next run".to_string(),
                    Err(m) => format!("left in work ({m}); the next run recovers it"),
                };
                log.line(&format!("{name}: TROUBLE, {where_}: {e}"));
                report.troubles.push(format!("{name}: {e}"));
            }
        }
        claim.release();
    }

    /// Validates, checks re-delivery and stores one claimed archive.
    fn claim_and_import(
        &mut self,
        candidate: &Candidate,
        claim: &Claim,
        report: &mut RunReport,
        log: &mut SyncLog,
    ) -> Result<(Outcome, String)> {
        let sha256 = sha256_file(&claim.path)?;
        let extracted =
            extract::extract(&claim.path, &claim.extraction_dir(), &self.config.limits)?;
        let plugin = self
            .registry
            .get(&candidate.parsed.flow)
            .cloned()
            .ok_or_else(|| {
                Error::trouble(format!("no plugin for flow {}", candidate.parsed.flow))
            })?;
        let v = validate(self.config, plugin, &candidate.parsed, &extracted)?;
        let backend = self.backend(v.client)?;
        let received_at = now();
        let numero = &candidate.parsed.numero;
        let file_number = candidate.parsed.file_number;
        // Re-delivery rules, in PROTOCOL §4 order.
        let received = backend.received(numero)?;
        if let Some(r) = received.iter().find(|r| r.file_number == file_number) {
            if r.sha256 == sha256 {
                return Ok((Outcome::Duplicate, String::new()));
            }
            return Err(Error::bad_input(
                Reason::Conflict,
                format!(
                    "file {file_number} of dossier {numero} was already imported ({}) with different content",
                    r.name
                ),
            ));
        }
        let existing = backend.dossier(numero)?;
        if let Some(d) = &existing {
            if d.status == 100 {
                return Err(Error::bad_input(
                    Reason::Closed,
                    format!("dossier {numero} is closed (status 100); file {file_number} cannot be imported"),
                ));
            }
            if d.flow != candidate.parsed.flow {
                return Err(Error::bad_input(
                    Reason::Conflict,
                    format!(
                        "dossier {numero} exists for flow {}, not {}",
                        d.flow, candidate.parsed.flow
                    ),
                ));
            }
            if file_number < d.file_number {
                return Err(Error::bad_input(
                    Reason::Stale,
                    format!(
                        "file {file_number} of dossier {numero} is older than file {} already imported (stale)",
                        d.file_number
                    ),
                ));
            }
        }
        let kind = if existing.is_some() {
            ImportKind::Complement
        } else {
            ImportKind::New
        };
        let summary = v.records.summary.clone();
        self.store(
            &v,
            candidate,
            &extracted,
            &backend,
            kind,
            sha256,
            received_at,
            existing,
        )?;
        // Step 4: the return archive for status 14, right away.
        if kind == ImportKind::New {
            self.transmit(&backend, numero, report, log);
        }
        Ok((Outcome::Imported(kind), summary))
    }

    /// Step 3: attachments (folder mode: files first), then one transaction.
    #[allow(clippy::too_many_arguments)]
    fn store(
        &self,
        v: &Validated<'_>,
        candidate: &Candidate,
        extracted: &Extracted,
        backend: &Arc<dyn Backend>,
        kind: ImportKind,
        sha256: String,
        at: NaiveDateTime,
        existing: Option<Dossier>,
    ) -> Result<()> {
        let numero = &candidate.parsed.numero;
        let flow = &candidate.parsed.flow;
        let file_number = candidate.parsed.file_number;
        let mut attachments = Vec::new();
        let mut written_files = Vec::new();
        // A complement carries the complete file again: only attachments not
        // already stored (same name and content) are added.
        let known = match kind {
            ImportKind::New => Vec::new(),
            ImportKind::Complement => backend.attachments(numero)?,
        };
        for a in &v.message.envelope.attachments {
            let source = extracted.dir.join(&a.file);
            let (size, digest) = size_and_sha256(&source)?;
            if known
                .iter()
                .any(|k| k.file_name == a.file && k.sha256 == digest)
            {
                continue;
            }
            let path = match v.client.attachments {
                AttachmentMode::Database => None,
                AttachmentMode::Directory => {
                    let dir = self.config.folders.attachments.join(numero);
                    fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
                    let target = dir.join(format!("{file_number}-{}", a.file));
                    if let Err(e) =
                        fs::copy(&source, &target).and_then(|_| File::open(&target)?.sync_all())
                    {
                        for f in &written_files {
                            let _ = fs::remove_file(f);
                        }
                        return Err(Error::io("cannot store attachment", &target, e));
                    }
                    written_files.push(target.clone());
                    Some(target.display().to_string())
                }
            };
            attachments.push(NewAttachment {
                meta: StoredAttachment {
                    seq: 0,
                    file_number,
                    code: a.code.clone(),
                    label: a.label.clone(),
                    file_name: a.file.clone(),
                    size,
                    sha256: digest,
                    path,
                },
                source,
                mode: v.client.attachments,
            });
        }
        let insee = v.message.envelope.insee.clone().unwrap_or_default();
        let dossier = Dossier {
            numero: numero.clone(),
            flow: flow.clone(),
            insee,
            file_number,
            status: existing.as_ref().map_or(14, |d| d.status),
            indicator: existing.as_ref().map_or(2, |d| d.indicator),
            summary: v.records.summary.clone(),
            status_seq: existing.as_ref().map_or(1, |d| d.status_seq),
            created_at: existing.as_ref().map_or(at, |d| d.created_at),
            updated_at: at,
        };
        let received = ReceivedArchive {
            name: candidate.name.clone(),
            numero: numero.clone(),
            file_number,
            sha256,
            outcome: match kind {
                ImportKind::New => "imported".into(),
                ImportKind::Complement => "complement".into(),
            },
            received_at: at,
        };
        let comment = v.plugin.default_comment(14).to_string();
        let status = StatusEntry {
            seq: 1,
            status: 14,
            indicator: 2,
            comment: None,
            automatic: false,
            superseded: false,
            at,
            transmitted_at: None,
            cancelled: false,
            return_increment: Some(1),
        };
        let ret = ReturnFlow {
            numero: numero.clone(),
            flow: flow.clone(),
            increment: 1,
            status: 14,
            comment,
            file: naming::return_name(numero, flow, 1),
            attachment: None,
            created_at: at,
            written_at: None,
            collected_at: None,
        };
        let event = match kind {
            ImportKind::New => format!("file {file_number} imported ({})", candidate.name),
            ImportKind::Complement => format!(
                "complement: file {file_number} replaces the data of file {} ({})",
                existing.as_ref().map_or(0, |d| d.file_number),
                candidate.name
            ),
        };
        let write = ImportWrite {
            kind,
            dossier: &dossier,
            tables: &v.tables,
            rows: &v.records.rows,
            attachments: &attachments,
            received: &received,
            initial_status: (kind == ImportKind::New).then_some(&status),
            initial_return: (kind == ImportKind::New).then_some(&ret),
            event,
        };
        if let Err(e) = backend.import(&write) {
            for f in &written_files {
                let _ = fs::remove_file(f);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Transmits one dossier's pending statuses, logging each return flow.
    fn transmit(
        &self,
        backend: &Arc<dyn Backend>,
        numero: &str,
        report: &mut RunReport,
        log: &mut SyncLog,
    ) {
        let flow = match backend.dossier(numero) {
            Ok(Some(d)) => d.flow,
            Ok(None) => return,
            Err(e) => {
                log.line(&format!("{numero}: TROUBLE reading the dossier: {e}"));
                report.troubles.push(e.message);
                return;
            }
        };
        let Some(plugin) = self.registry.get(&flow) else {
            return; // flow not selected in this run
        };
        match lifecycle::adopt_written_statuses(backend.as_ref(), numero) {
            Ok(a) => {
                for line in a.adopted {
                    log.line(&format!("{numero}: {line}"));
                }
                for refusal in a.refused {
                    log.line(&format!(
                        "{numero}: REFUSED status written by the business application: {refusal}"
                    ));
                    report.refused.push(refusal);
                }
            }
            Err(e) => {
                log.line(&format!("{numero}: TROUBLE applying written statuses: {e}"));
                report.troubles.push(e.message);
                return;
            }
        }
        match lifecycle::transmit(
            backend.as_ref(),
            plugin.as_ref(),
            &self.config.folders.output,
            numero,
        ) {
            Ok(written) => {
                for w in written {
                    report
                        .flows
                        .entry(flow.clone())
                        .or_default()
                        .returns_written += 1;
                    log.line(&format!(
                        "{numero}: return flow {} (status {}) written: {}",
                        w.ret.increment,
                        w.ret.status,
                        w.path.display()
                    ));
                }
            }
            Err(e) => {
                log.line(&format!(
                    "{numero}: TROUBLE writing return flows (retried next run): {e}"
                ));
                report.troubles.push(e.message);
            }
        }
    }

    /// The returns step of the synchronisation, for every client:
    /// collections, leftovers, statuses written by business applications,
    /// then one return flow per untransmitted status.
    fn write_pending_returns(&mut self, report: &mut RunReport, log: &mut SyncLog) {
        // One run at a time writes return flows: a second run started
        // meanwhile leaves them to the first (increments are never reused).
        let lock_path = self.config.folders.work.join(".msp-returns.lock");
        let lock = match File::create(&lock_path) {
            Ok(f) => f,
            Err(e) => {
                log.line(&format!(
                    "TROUBLE: cannot create {}: {e}",
                    lock_path.display()
                ));
                report
                    .troubles
                    .push(format!("cannot create {}: {e}", lock_path.display()));
                return;
            }
        };
        if lock.try_lock().is_err() {
            log.line("return flows: another synchronisation is writing them, left to it");
            return;
        }
        let mut clients = self.config.clients.clone();
        let mut seen = std::collections::HashSet::new();
        clients.retain(|c| seen.insert(c.database.clone()));
        for client in &clients {
            let backend = match self.backend(client) {
                Ok(b) => b,
                Err(e) => {
                    log.line(&format!("TROUBLE: {e}"));
                    report.troubles.push(e.message);
                    continue;
                }
            };
            match lifecycle::record_collections(backend.as_ref(), &self.config.folders.output) {
                Ok(collected) => {
                    for r in collected {
                        report.collected += 1;
                        log.line(&format!(
                            "{}: return flow {} ({}) collected by the portal",
                            r.numero, r.increment, r.file
                        ));
                    }
                }
                Err(e) => {
                    log.line(&format!("TROUBLE checking collected return flows: {e}"));
                    report.troubles.push(e.message);
                }
            }
            let mut numeros: Vec<String> = match backend.unwritten_returns() {
                Ok(r) => r.into_iter().map(|r| r.numero).collect(),
                Err(e) => {
                    log.line(&format!(
                        "TROUBLE listing pending return flows in {}: {e}",
                        backend.describe()
                    ));
                    report.troubles.push(e.message);
                    continue;
                }
            };
            match backend.dossiers_to_transmit() {
                Ok(n) => numeros.extend(n),
                Err(e) => {
                    log.line(&format!(
                        "TROUBLE listing dossiers to transmit in {}: {e}",
                        backend.describe()
                    ));
                    report.troubles.push(e.message);
                    continue;
                }
            }
            numeros.sort();
            numeros.dedup();
            for numero in numeros {
                self.transmit(&backend, &numero, report, log);
            }
        }
    }
}

/// Envelope and document validation of PROTOCOL §3 (steps 2 to 6).
fn validate<'c>(
    config: &'c Config,
    plugin: Arc<dyn FlowPlugin>,
    name: &ArchiveName,
    extracted: &Extracted,
) -> Result<Validated<'c>> {
    let message_path = extracted.path("message.xml").ok_or_else(|| {
        Error::bad_input(Reason::Envelope, "message.xml is missing from the archive")
    })?;
    let message_doc = read_xml(&message_path, "message.xml", Reason::Envelope)?;
    let message = envelope::read_message(&message_doc.root)?;
    if message.flow_type != name.flow {
        return Err(Error::bad_input(
            Reason::NameMismatch,
            format!(
                "message.xml FlowType is {} but the file name says {}",
                message.flow_type, name.flow
            ),
        ));
    }
    let env = &message.envelope;
    if env.numero != name.numero {
        return Err(Error::bad_input(
            Reason::NameMismatch,
            format!(
                "message.xml NumeroTeledemarche is {} but the file name says {}",
                env.numero, name.numero
            ),
        ));
    }
    let insee = env.insee.as_deref().ok_or_else(|| {
        Error::bad_input(
            Reason::Envelope,
            "message.xml has no Routage/Donnee with Id CodeINSEE and a Valeur",
        )
    })?;
    let client = config.client_for(insee).ok_or_else(|| {
        Error::bad_input(
            Reason::UnknownInsee,
            format!("CodeINSEE {insee} is not routed to any configured client"),
        )
    })?;
    if !client.handles(&name.flow) {
        return Err(Error::bad_input(
            Reason::FlowNotHandled,
            format!(
                "CodeINSEE {insee} is routed to client {}, which does not handle flow {}",
                client.name, name.flow
            ),
        ));
    }
    if env.documents.is_empty() {
        return Err(Error::bad_input(
            Reason::Envelope,
            "message.xml names no Document",
        ));
    }
    for a in &env.attachments {
        if !safe_entry_name(&a.file) {
            return Err(Error::bad_input(
                Reason::Attachment,
                format!("attachment name \"{}\" is not a plain file name", a.file),
            ));
        }
    }
    for d in &env.documents {
        if !safe_entry_name(&d.file) {
            return Err(Error::bad_input(
                Reason::Attachment,
                format!("document name \"{}\" is not a plain file name", d.file),
            ));
        }
    }
    for file in env
        .documents
        .iter()
        .map(|d| &d.file)
        .chain(env.attachments.iter().map(|a| &a.file))
    {
        if extracted.path(file).is_none() {
            return Err(Error::bad_input(
                Reason::MissingFile,
                format!("{file} is named in message.xml but is not in the archive"),
            ));
        }
    }
    let ent_name = format!("{}-{}-ent.xml", name.numero, name.flow);
    let ent_path = extracted.path(&ent_name).ok_or_else(|| {
        Error::bad_input(
            Reason::Envelope,
            format!("{ent_name} is missing from the archive"),
        )
    })?;
    let ent_doc = read_xml(&ent_path, &ent_name, Reason::Envelope)?;
    let ent = envelope::read_ent(&ent_doc.root, &ent_name)?;
    envelope::check_agreement(env, &ent, &ent_name)?;
    let mut documents = Vec::new();
    for d in &env.documents {
        let path = extracted.dir.join(&d.file);
        let doc = read_xml(&path, &d.file, Reason::Document)?;
        documents.push(DataDocument {
            code: d.code.clone(),
            file_name: d.file.clone(),
            root: doc.root,
        });
    }
    let ctx = ParseContext {
        numero: name.numero.clone(),
        file_number: name.file_number,
        insee: insee.to_string(),
        submitted_at: env.submitted_at(),
    };
    let records = plugin
        .parse(&ctx, &documents)
        .map_err(|e| Error::bad_input(Reason::Document, e.to_string()))?;
    let tables = plugin.tables();
    for row in &records.rows {
        let table = tables.iter().find(|t| t.name == row.table).ok_or_else(|| {
            Error::trouble(format!(
                "plugin {} produced a row for unknown table {}",
                plugin.flow_code(),
                row.table
            ))
        })?;
        table
            .check_row(row)
            .map_err(|m| Error::bad_input(Reason::Document, m))?;
    }
    Ok(Validated {
        client,
        message,
        records,
        plugin,
        tables,
    })
}

/// A file name from an envelope that is safe to look up at the archive root.
fn safe_entry_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0', ':'])
        && !name.starts_with('.')
}

fn read_xml(path: &Path, label: &str, reason: Reason) -> Result<xml::Document> {
    let bytes = fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    xml::parse(&bytes).map_err(|e| Error::bad_input(reason, format!("{label}: {e}")))
}

fn sha256_file(path: &Path) -> Result<String> {
    size_and_sha256(path).map(|(_, d)| d)
}

fn size_and_sha256(path: &Path) -> Result<(u64, String)> {
    let mut f = File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Error::io("cannot read", path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    let digest = h.finalize();
    Ok((size, digest.iter().map(|b| format!("{b:02x}")).collect()))
}

/// Moves a rejected archive to `error_dir` and writes its `.log` beside it.
fn reject(error_dir: &Path, archive: &Path, name: &str, e: &Error) -> Result<PathBuf> {
    let dest = folders::move_into(archive, error_dir, name)?;
    let final_name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let reason = e.reason().unwrap_or(Reason::Envelope);
    let text = format!(
        "Archive : {final_name}\nDate : {}\nRésultat : REJETÉE — la demande n'a pas été intégrée.\nMotif : {}\nDétail : archive {name}: {}\nÀ faire : {}\nCode : {}\n",
        now().format("%d/%m/%Y %H:%M:%S"),
        reason.summary_fr(),
        e.message,
        reason.advice_fr(),
        reason.tag(),
    );
    let log = error_dir.join(format!("{final_name}.log"));
    let tmp = error_dir.join(format!(".{final_name}.log.tmp"));
    (|| -> io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &log)
    })()
    .map_err(|err| Error::io("cannot write", &log, err))?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_from_envelopes() {
        assert!(safe_entry_name("A-1-RCO-LA-pj-ji-1-0.pdf"));
        for bad in ["../x.pdf", "a/b.pdf", "..", "", "C:x", ".hidden", "a\\b"] {
            assert!(!safe_entry_name(bad), "{bad}");
        }
    }

    #[test]
    fn exit_codes() {
        let mut r = RunReport::default();
        assert_eq!(r.exit_code(), 0);
        r.rejected.push(("a".into(), "b".into()));
        assert_eq!(r.exit_code(), 1);
        r.troubles.push("x".into());
        assert_eq!(r.exit_code(), 2);
    }
}
