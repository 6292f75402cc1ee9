//! Creating and upgrading the tables: the version table, msp's own tables
//! by [`schema::msp_migrations`], then each plugin's tables (created, or
//! migrated version by version), all in one transaction where the engine's
//! DDL is transactional.

use chrono::NaiveDateTime;
use msp_core::backend::{Backend, PluginSchema};
use msp_core::{Error, Result};
use msp_plugins::{ColumnType, TableDef};

use super::statements::{exec, insert, select};
use super::SqlBackend;
use crate::engine::{Param, Session};
use crate::schema::{self, Table, MSP_COMPONENT, MSP_VERSION};
use crate::sql::{self, Dialect};

impl SqlBackend {
    /// [`Backend::init`]: [`SqlBackend::init_once`], tried again after a
    /// race on the DDL with another process (anything but a configuration
    /// error), up to 12 times.
    pub(super) fn init_with_retries(&self, plugins: &[PluginSchema]) -> Result<Vec<String>> {
        let mut attempt = 0u32;
        loop {
            match self.init_once(plugins) {
                Ok(done) => return Ok(done),
                Err(e) if e.kind == msp_core::ErrorKind::Config || attempt >= 12 => return Err(e),
                Err(e) => {
                    attempt += 1;
                    tracing::debug!("schema creation raced with another process, retrying: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(25 * u64::from(attempt)));
                }
            }
        }
    }

    /// One attempt: what it did, a line a step.
    fn init_once(&self, plugins: &[PluginSchema]) -> Result<Vec<String>> {
        let label = self.describe();
        let vt = schema::version_table();
        // Probe the version table outside the transaction: on PostgreSQL a
        // failed statement aborts the transaction it runs in.
        let existing = self.run(false, |s, d| read_versions(s, d, &vt)).ok();
        self.run(true, |s, d| {
            let versions = match &existing {
                Some(rows) => rows.clone(),
                None => {
                    let ddl = sql::create_table(d, &vt).map_err(Error::config)?;
                    s.execute(&ddl, &[])?;
                    Vec::new()
                }
            };
            let v = Versions {
                label: &label,
                table: &vt,
                rows: versions,
                now: msp_core::lifecycle::now(),
            };
            let mut done = upgrade_msp_tables(s, d, &v)?;
            for p in plugins {
                done.extend(upgrade_plugin(s, d, &v, p)?);
            }
            Ok(done)
        })
    }
}

/// The versions recorded in `msp_schema_version`: (component, version).
fn read_versions(s: &mut dyn Session, d: &dyn Dialect, vt: &Table) -> Result<Vec<(String, i64)>> {
    let version_cols = ["component", "version"];
    select(s, d, vt, &version_cols, "", "", &[])?
        .iter()
        .map(|r| Ok((r.text(0)?, r.int(1)?)))
        .collect::<Result<Vec<_>>>()
}

/// The version table as found, and how to record a component's version.
struct Versions<'a> {
    /// The database, for messages.
    label: &'a str,
    /// `msp_schema_version`.
    table: &'a Table,
    /// (component, version) as found before this attempt.
    rows: Vec<(String, i64)>,
    /// When the versions recorded were applied.
    now: NaiveDateTime,
}

impl Versions<'_> {
    /// The version of `component` in the database, if recorded.
    fn current(&self, component: &str) -> Option<u32> {
        self.rows
            .iter()
            .find(|(name, _)| name == component)
            .map(|(_, v)| *v as u32)
    }

    /// Records a component's version: its first one (a new row) when
    /// `first`, else a new one (its row updated).
    fn record(
        &self,
        s: &mut dyn Session,
        d: &dyn Dialect,
        component: &str,
        version: u32,
        first: bool,
    ) -> Result<()> {
        if first {
            return insert(
                s,
                d,
                self.table,
                vec![
                    ("component", component.into()),
                    ("version", i64::from(version).into()),
                    ("applied_at", self.now.into()),
                ],
            );
        }
        exec(
            s,
            d,
            "UPDATE `msp_schema_version` SET `version` = {1}, `applied_at` = {2} WHERE `component` = {3}",
            &[Param::int(i64::from(version)), Param::new(self.now, ColumnType::Timestamp), Param::text(component)],
        )?;
        Ok(())
    }
}

/// msp's own tables: every migration after the version found, then the
/// version recorded.
fn upgrade_msp_tables(
    s: &mut dyn Session,
    d: &dyn Dialect,
    v: &Versions<'_>,
) -> Result<Vec<String>> {
    let label = v.label;
    let mut done = Vec::new();
    let at = v.current(MSP_COMPONENT).unwrap_or(0);
    if at > MSP_VERSION {
        return Err(Error::config(format!(
            "{label}: MSP tables are version {at}, newer than this msp (version {MSP_VERSION}); upgrade msp"
        )));
    }
    for m in schema::msp_migrations()
        .into_iter()
        .filter(|m| m.version > at)
    {
        for t in &m.create {
            create(s, d, &sql::create_table(d, t).map_err(Error::config)?)?;
        }
        for (table, col) in &m.add_columns {
            s.execute(
                &format!(
                    "ALTER TABLE {} ADD {} {}",
                    d.quote(table),
                    d.quote(col.name),
                    d.column_type(col.ty)
                ),
                &[],
            )?;
        }
        for i in &m.indexes {
            create(s, d, &sql::create_index(d, i.name, i.table, &i.columns))?;
        }
        done.push(format!("{} (version {})", m.description, m.version));
    }
    if at < MSP_VERSION {
        v.record(s, d, MSP_COMPONENT, MSP_VERSION, at == 0)?;
    }
    Ok(done)
}

/// A plugin's tables: created when its component is not recorded, migrated
/// when older than the plugin, refused when newer.
fn upgrade_plugin(
    s: &mut dyn Session,
    d: &dyn Dialect,
    v: &Versions<'_>,
    p: &PluginSchema,
) -> Result<Vec<String>> {
    let label = v.label;
    let component = format!("plugin:{}", p.flow);
    match v.current(&component) {
        None => {
            for t in &p.tables {
                let ddl = sql::create_table(d, &schema::plugin_table(t))
                    .map_err(|m| Error::config(format!("{label}: {} table {}: {m}", p.flow, t.name)))?;
                create(s, d, &ddl)?;
            }
            v.record(s, d, &component, p.version, true)?;
            Ok(vec![format!(
                "{} tables created (version {}): {}",
                p.flow,
                p.version,
                p.tables.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
            )])
        }
        Some(at) if at > p.version => Err(Error::config(format!(
            "{label}: the {} tables are version {at}, newer than this plugin (version {}); upgrade the plugin",
            p.flow, p.version
        ))),
        Some(at) if at < p.version => {
            // Every version after the one in the database, in order, in
            // this transaction (where the engine's DDL is transactional).
            let mut done = Vec::new();
            for to in at + 1..=p.version {
                done.push(migrate_plugin_to(s, d, label, p, at, to)?);
            }
            v.record(s, d, &component, p.version, false)?;
            Ok(done)
        }
        Some(_) => Ok(Vec::new()),
    }
}

/// Brings a plugin's tables from version `to - 1` to `to` (`from` is the
/// version found in the database, for messages); says what it did.
fn migrate_plugin_to(
    s: &mut dyn Session,
    d: &dyn Dialect,
    label: &str,
    p: &PluginSchema,
    from: u32,
    to: u32,
) -> Result<String> {
    let m = p.migrations.iter().find(|m| m.version == to).ok_or_else(|| {
        Error::config(format!(
            "{label}: the {} tables are version {from}, the plugin expects version {}, and it declares no migration to version {to} (FlowPlugin::migrations)",
            p.flow, p.version
        ))
    })?;
    let mut what = Vec::new();
    for step in &m.steps {
        what.push(migrate_plugin(s, d, &p.tables, step).map_err(|e| {
            Error::config(format!(
                "{label}: {} migration to version {to}: {e}",
                p.flow
            ))
        })?);
    }
    Ok(format!(
        "{} tables migrated to version {to}: {}",
        p.flow,
        what.join(", ")
    ))
}

/// Applies one step of a plugin's migration; says what it did.
fn migrate_plugin(
    s: &mut dyn Session,
    d: &dyn Dialect,
    tables: &[TableDef],
    step: &msp_plugins::MigrationStep,
) -> Result<String> {
    use msp_plugins::MigrationStep as M;
    let table = |name: &str| {
        tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| Error::config(format!("table {name} is not declared")))
    };
    Ok(match step {
        M::AddTable(name) => {
            let ddl = sql::create_table(d, &schema::plugin_table(table(name)?))
                .map_err(|m| Error::config(format!("table {name}: {m}")))?;
            create(s, d, &ddl)?;
            format!("table {name} added")
        }
        M::AddColumn { table: t, column } => {
            let col = table(t)?
                .column(column)
                .ok_or_else(|| Error::config(format!("column {t}.{column} is not declared")))?;
            if !col.nullable {
                return Err(Error::config(format!(
                    "column {t}.{column} is required: an added column must be optional"
                )));
            }
            s.execute(
                &format!(
                    "ALTER TABLE {} ADD {} {}",
                    d.quote(t),
                    d.quote(column),
                    d.column_type(col.ty)
                ),
                &[],
            )?;
            format!("column {t}.{column} added")
        }
        M::AddIndex {
            table: t,
            name,
            columns,
        } => {
            create(s, d, &sql::create_index(d, name, t, columns))?;
            format!("index {name} on {t} added")
        }
    })
}

/// Runs a `CREATE`. Where DDL is not transactional (MySQL, Oracle), a
/// process that lost a race, or was killed halfway, finds objects created
/// but not yet recorded in `msp_schema_version`: "already exists" then
/// means done, or the database would stay stuck. (The engines' errors
/// carry no portable code for it: the servers' words decide.)
fn create(s: &mut dyn Session, d: &dyn Dialect, ddl: &str) -> Result<()> {
    match s.execute(ddl, &[]) {
        Ok(_) => Ok(()),
        Err(e)
            if !d.transactional_ddl() && {
                let m = e.message.to_ascii_lowercase();
                m.contains("already exists")
                    || m.contains("duplicate key name")
                    || m.contains("ora-00955")
            } =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}
