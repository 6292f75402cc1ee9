//! The one implementation of [`Backend`] over any [`Engine`]: every engine
//! runs the same statements, written once here in the engine's dialect.
//!
//! * Statement texts are static per table and dialect, so the diesel
//!   engines keep them prepared (see [`crate::engine`]): [`statements`].
//! * Rows come back as text and are decoded by the columns' declared types
//!   with [`RowReader`] ([`decode`], [`mapping`]): a value that does not
//!   decode is an error naming the table, the column and the value, never a
//!   silent 0 or 1970.
//! * Imports run in batches ([`Backend::batch`], [`tx`]): one transaction,
//!   a savepoint around each archive, rows written as multi-row statements
//!   ([`bulk_insert`]); [`import`] holds the writes of one archive.
//! * [`migrate`] creates and upgrades the tables; [`reads`], [`writes`],
//!   [`returns`] and [`in_list`] the rest of the trait.

mod bulk_insert;
mod decode;
mod import;
mod in_list;
mod mapping;
mod migrate;
mod reads;
mod returns;
mod statements;
#[cfg(test)]
mod tests;
mod tx;
mod writes;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDateTime;
use msp_core::backend::{
    Backend, Dossier, Event, PluginSchema, ReceivedArchive, ReturnFlow, StatusEntry, StatusUpdate,
    StoredAttachment, Tx,
};
use msp_core::{Error, Result};
use msp_plugins::{Row, TableDef};

pub use decode::{parse_ts, RowReader};

use crate::engine::{Engine, Session};
use crate::sql::Dialect;
use reads::by_numero;

/// A database reached through an [`Engine`].
pub struct SqlBackend {
    engine: Box<dyn Engine>,
}

impl SqlBackend {
    /// Wraps an engine.
    pub fn shared(engine: Box<dyn Engine>) -> Arc<dyn Backend> {
        Arc::new(SqlBackend { engine })
    }

    fn d(&self) -> &'static dyn Dialect {
        self.engine.dialect()
    }

    /// Runs `f` and returns its value (in a transaction when `tx`).
    fn run<T>(
        &self,
        tx: bool,
        mut f: impl FnMut(&mut dyn Session, &'static dyn Dialect) -> Result<T>,
    ) -> Result<T> {
        let d = self.d();
        let mut out = None;
        self.engine.with_session(tx, &mut |s| {
            out = Some(f(s, d)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::trouble(format!("{}: no result", self.engine.label())))
    }
}

impl Backend for SqlBackend {
    fn describe(&self) -> String {
        self.engine.label().to_string()
    }

    /// Creates or upgrades the tables. Several processes may start at once
    /// on a new database: the loser of a race on the DDL (a table "already
    /// exists", a lock, a deadlock) tries again, sees the winner's work and
    /// has nothing left to do.
    fn init(&self, plugins: &[PluginSchema]) -> Result<Vec<String>> {
        self.init_with_retries(plugins)
    }

    fn batch(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.run_batch(f)
    }

    fn max_batch(&self) -> usize {
        if self.d().savepoints().is_some() {
            128
        } else {
            1
        }
    }

    fn dossier(&self, numero: &str) -> Result<Option<Dossier>> {
        self.run(false, |s, d| reads::read_dossier(s, d, numero))
    }

    fn dossiers(&self, flows: &[String]) -> Result<Vec<Dossier>> {
        let all = self.run(false, reads::all_dossiers)?;
        Ok(all
            .into_iter()
            .filter(|d| flows.is_empty() || flows.contains(&d.flow))
            .collect())
    }

    fn history(&self, numero: &str) -> Result<Vec<StatusEntry>> {
        self.run(false, |s, d| reads::history(s, d, numero))
            .map_err(|e| e.context(format!("dossier {numero}")))
    }

    fn returns(&self, numero: &str) -> Result<Vec<ReturnFlow>> {
        self.returns_where("`numero` = {1}", by_numero(numero).to_vec(), true)
    }

    fn received(&self, numero: &str) -> Result<Vec<ReceivedArchive>> {
        self.run(false, |s, d| reads::read_received(s, d, numero))
    }

    fn attachments(&self, numero: &str) -> Result<Vec<StoredAttachment>> {
        self.run(false, |s, d| reads::read_attachments(s, d, numero))
    }

    fn attachment_content(&self, numero: &str, seq: u32) -> Result<Option<Vec<u8>>> {
        self.run(false, |s, d| reads::attachment_content(s, d, numero, seq))
            .map_err(|e| e.context(format!("dossier {numero}, attachment {seq}")))
    }

    fn events(&self, numero: &str) -> Result<Vec<Event>> {
        self.run(false, |s, d| reads::events(s, d, numero))
    }

    fn unwritten_returns(&self) -> Result<Vec<ReturnFlow>> {
        self.returns_where("`written_at` IS NULL", vec![], false)
    }

    fn unwritten_returns_of(&self, numeros: &[&str]) -> Result<HashSet<(String, u32)>> {
        self.run(false, |s, d| returns::unwritten_of(s, d, numeros))
    }

    fn mark_returns_written(&self, returns: &[(String, u32)], at: NaiveDateTime) -> Result<()> {
        if returns.is_empty() {
            return Ok(());
        }
        self.run(true, |s, d| returns::mark_written(s, d, returns, at))
    }

    fn update_statuses(&self, numero: &str, u: &StatusUpdate) -> Result<()> {
        self.run(true, |s, d| writes::update_statuses(s, d, numero, u))
    }

    fn record_return(&self, ret: &ReturnFlow, status_seq: u32) -> Result<()> {
        self.run(true, |s, d| returns::record(s, d, ret, status_seq))
    }

    fn mark_returns_collected(&self, returns: &[(String, u32)], at: NaiveDateTime) -> Result<()> {
        if returns.is_empty() {
            return Ok(());
        }
        let by_increment = returns::by_increment(returns);
        self.run(true, |s, d| {
            returns::mark_collected(s, d, &by_increment, at)
        })
    }

    fn each_uncollected_return(&self, f: &mut dyn FnMut(ReturnFlow) -> Result<()>) -> Result<()> {
        self.run(false, |s, d| returns::each_uncollected(s, d, f))
    }

    fn untransmitted_statuses(&self) -> Result<Vec<(String, u32)>> {
        self.run(false, reads::untransmitted_statuses)
    }

    fn untransmitted_dossiers(&self) -> Result<Vec<String>> {
        self.run(false, reads::untransmitted_dossiers)
    }

    fn rows(&self, table: &TableDef, numero: &str) -> Result<Vec<Row>> {
        self.run(false, |s, d| reads::plugin_rows(s, d, table, numero))
    }
}
