//! The transaction of one batch of imports: rows held back and written as
//! multi-row statements, a savepoint around each archive.

use std::collections::HashSet;

use msp_core::backend::{Backend, Dossier, ImportWrite, ReceivedArchive, StoredAttachment, Tx};
use msp_core::{Error, Result};

use super::bulk_insert::{Deferring, PendingRows};
use super::import::write_import;
use super::in_list::each_of_dossiers;
use super::reads::{read_attachments, read_dossier, read_received};
use super::statements::msp_table;
use super::SqlBackend;
use crate::sql::Dialect;

/// The transaction of one batch.
struct SqlTx<'s> {
    session: Deferring<'s>,
    dialect: &'static dyn Dialect,
}

impl SqlTx<'_> {
    fn savepoint_statement(&mut self, which: usize) -> Result<()> {
        // Rows inside a savepoint are written at once; outside, deferred.
        self.session.flush()?;
        self.session.on = which != 0;
        match self.dialect.savepoints() {
            Some(statements) => match statements[which] {
                Some(sql) => self.session.inner.batch(sql),
                None => Ok(()),
            },
            // No savepoints (batches of one): a rollback aborts the batch.
            None if which == 2 => Err(Error::trouble(
                "this engine has no savepoints: the archive's transaction is rolled back",
            )),
            None => Ok(()),
        }
    }
}

impl Tx for SqlTx<'_> {
    fn known_dossiers(&mut self, numeros: &[&str]) -> Result<HashSet<String>> {
        let mut out = HashSet::new();
        each_of_dossiers(
            &mut self.session,
            self.dialect,
            msp_table("msp_dossier"),
            &["numero"],
            numeros,
            |r| {
                out.insert(r.text(0)?);
                Ok(())
            },
        )?;
        Ok(out)
    }
    fn dossier(&mut self, numero: &str) -> Result<Option<Dossier>> {
        read_dossier(&mut self.session, self.dialect, numero)
    }
    fn received(&mut self, numero: &str) -> Result<Vec<ReceivedArchive>> {
        read_received(&mut self.session, self.dialect, numero)
    }
    fn attachments(&mut self, numero: &str) -> Result<Vec<StoredAttachment>> {
        read_attachments(&mut self.session, self.dialect, numero)
    }
    fn import(&mut self, write: &ImportWrite<'_>) -> Result<()> {
        write_import(&mut self.session, self.dialect, write)
    }
    fn flush(&mut self) -> Result<()> {
        self.session.flush()
    }
    fn savepoint(&mut self) -> Result<()> {
        self.savepoint_statement(0)
    }
    fn release(&mut self) -> Result<()> {
        self.savepoint_statement(1)
    }
    fn rollback(&mut self) -> Result<()> {
        self.savepoint_statement(2)
    }
}

impl SqlBackend {
    /// [`Backend::batch`]: `f` in one transaction on a [`Deferring`]
    /// session, the rows still held back written before the commit.
    pub(super) fn run_batch(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let label = self.describe();
        let dialect = self.d();
        self.engine
            .with_session(true, &mut |session| {
                let mut tx = SqlTx {
                    session: Deferring {
                        inner: session,
                        dialect,
                        pending: PendingRows::default(),
                        on: true,
                    },
                    dialect,
                };
                f(&mut tx)?;
                tx.session.flush()
            })
            .map_err(|mut e| {
                // The engine's errors already name the database once.
                if let Some(rest) = e.message.strip_prefix(&format!("{label}: ")) {
                    e.message = rest.to_string();
                }
                e.context(format!("import into {label}"))
            })
    }
}
