//! SQL text per engine dialect: identifier quoting, parameter markers,
//! column types, DDL, and the statements the generic backend runs.
//!
//! Every table msp writes has a natural key (`numero`, plus `seq`,
//! `increment`, `file_number` or a plugin key) computed inside the import
//! transaction, so no dialect needs identity columns, sequences or a way to
//! read generated keys back: the same statements work on every engine.
//!
//! Reads cast every column to text ([`Dialect::cast_text`]) so each engine
//! returns the same thing whatever its wire format; the generic backend then
//! parses values by the column's declared type.

use msp_plugins::ColumnType;

use crate::schema::Table;

mod syntax;

pub use syntax::{Access, Mysql, Oracle, Postgres, SqlServer, Sqlite, Syntax, TypeNames};

/// What differs between engines in the SQL msp writes. Every method but
/// [`Dialect::name`] reads the engine's [`Syntax`] (the standard one unless
/// [`Dialect::syntax`] says otherwise).
pub trait Dialect: Send + Sync {
    /// Name used in configuration (`dialect = "..."`) and messages.
    fn name(&self) -> &'static str;
    /// The engine's SQL as data.
    fn syntax(&self) -> &'static Syntax {
        &Syntax::STANDARD
    }
    /// Quotes an identifier.
    fn quote(&self, ident: &str) -> String {
        let (open, close) = self.syntax().quotes;
        format!("{open}{ident}{close}")
    }
    /// The marker of the `n`-th (1-based) parameter.
    fn placeholder(&self, n: usize) -> String {
        if self.syntax().numbered_markers {
            format!("${n}")
        } else {
            "?".into()
        }
    }
    /// The column type in DDL.
    fn column_type(&self, ty: ColumnType) -> String {
        self.syntax().types.of(ty)
    }
    /// An expression reading `expr` as text.
    fn cast_text(&self, expr: &str) -> String {
        fill(self.syntax().cast_text, expr)
    }
    /// An expression reading the blob `expr` as hexadecimal text, when the
    /// engine has one that reads a whole blob (not Oracle, not Access:
    /// their blobs read back as NULL).
    fn blob_hex(&self, expr: &str) -> Option<String> {
        self.syntax().blob_hex.map(|t| fill(t, expr))
    }
    /// Text after `CREATE TABLE (...)` (engine, charset).
    fn table_options(&self) -> &'static str {
        self.syntax().table_options
    }
    /// Longest identifier the engine accepts.
    fn max_identifier(&self) -> usize {
        self.syntax().max_identifier
    }
    /// Whether one call may carry several statements separated by `;`.
    fn multi_statement(&self) -> bool {
        self.syntax().multi_statement
    }
    /// Literal for a boolean in SQL text.
    fn bool_literal(&self, b: bool) -> &'static str {
        let [yes, no] = self.syntax().bool_literals;
        if b {
            yes
        } else {
            no
        }
    }
    /// An expression reading a date or timestamp column as
    /// `YYYY-MM-DD HH:MM:SS` text whatever the session's settings (NLS,
    /// DateStyle, language).
    fn cast_timestamp(&self, expr: &str) -> String {
        match self.syntax().cast_timestamp {
            Some(t) => fill(t, expr),
            None => self.cast_text(expr),
        }
    }
    /// The statements around one archive inside a batch: open a savepoint,
    /// release it, roll back to it. `None` when the engine has no
    /// savepoints (then a batch holds one archive).
    fn savepoints(&self) -> Option<[Option<&'static str>; 3]> {
        self.syntax().savepoints
    }
    /// Whether `CREATE` statements roll back with their transaction.
    fn transactional_ddl(&self) -> bool {
        self.syntax().transactional_ddl
    }
    /// How many rows of `columns` columns one `INSERT ... VALUES (...),
    /// (...)` may carry (1: the engine has no multi-row insert).
    fn max_insert_rows(&self, columns: usize) -> usize {
        self.syntax()
            .max_params
            .map_or(1, |max| rows_for(max, columns))
    }
}

/// Rows per multi-row insert when the engine allows `max_params` parameters.
fn rows_for(max_params: usize, columns: usize) -> usize {
    (max_params / columns.max(1)).clamp(1, 256)
}

/// `template` with its `{}` replaced by `expr`.
fn fill(template: &str, expr: &str) -> String {
    template.replacen("{}", expr, 1)
}

/// The dialect named in configuration.
pub fn dialect_named(name: &str) -> Option<&'static dyn Dialect> {
    Some(match name {
        "sqlite" => &Sqlite,
        "postgres" | "postgresql" => &Postgres,
        "mysql" | "mariadb" => &Mysql,
        "oracle" => &Oracle,
        "sqlserver" | "mssql" => &SqlServer,
        "access" => &Access,
        _ => return None,
    })
}

/// Dialect names accepted in configuration.
pub const DIALECTS: &[&str] = &[
    "access",
    "oracle",
    "sqlserver",
    "postgres",
    "mysql",
    "sqlite",
];

/// `CREATE TABLE` for a table; checks identifier lengths.
pub fn create_table(d: &dyn Dialect, t: &Table) -> Result<String, String> {
    for ident in std::iter::once(t.name).chain(t.columns.iter().map(|c| c.name)) {
        if ident.len() > d.max_identifier() {
            return Err(format!(
                "identifier {ident} is {} characters long, more than {} allows ({})",
                ident.len(),
                d.name(),
                d.max_identifier()
            ));
        }
    }
    let mut parts: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            format!(
                "{} {}{}",
                d.quote(c.name),
                d.column_type(c.ty),
                if c.nullable { "" } else { " NOT NULL" }
            )
        })
        .collect();
    parts.push(format!(
        "PRIMARY KEY ({})",
        t.primary_key
            .iter()
            .map(|c| d.quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if t.references_dossier {
        parts.push(format!(
            "FOREIGN KEY ({}) REFERENCES {} ({})",
            d.quote("numero"),
            d.quote("msp_dossier"),
            d.quote("numero")
        ));
    }
    Ok(format!(
        "CREATE TABLE {} (\n  {}\n){}",
        d.quote(t.name),
        parts.join(",\n  "),
        d.table_options()
    ))
}

/// `CREATE INDEX name ON table (columns)`.
pub fn create_index(d: &dyn Dialect, name: &str, table: &str, columns: &[&str]) -> String {
    format!(
        "CREATE INDEX {} ON {} ({})",
        d.quote(name),
        d.quote(table),
        columns
            .iter()
            .map(|c| d.quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `INSERT INTO t (cols) VALUES (markers), (markers)...` for `rows` rows.
pub fn insert_rows(d: &dyn Dialect, table: &str, columns: &[&str], rows: usize) -> String {
    let cols: Vec<String> = columns.iter().map(|c| d.quote(c)).collect();
    let mut n = 0;
    let values: Vec<String> = (0..rows)
        .map(|_| {
            let ph: Vec<String> = columns
                .iter()
                .map(|_| {
                    n += 1;
                    d.placeholder(n)
                })
                .collect();
            format!("({})", ph.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        d.quote(table),
        cols.join(", "),
        values.join(", ")
    )
}

/// `INSERT INTO t (cols) VALUES (markers)`.
pub fn insert(d: &dyn Dialect, table: &str, columns: &[&str]) -> String {
    let cols: Vec<String> = columns.iter().map(|c| d.quote(c)).collect();
    let ph: Vec<String> = (1..=columns.len()).map(|i| d.placeholder(i)).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        d.quote(table),
        cols.join(", "),
        ph.join(", ")
    )
}

/// `SELECT cast(cols) FROM t [WHERE where_] [ORDER BY order]`; `where_`
/// uses `{1}`, `{2}`... for parameter markers and `{col}` quoting is done
/// by the caller with [`Dialect::quote`].
pub fn select(
    d: &dyn Dialect,
    table: &Table,
    columns: &[&str],
    where_: &str,
    order: &str,
) -> String {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| {
            let ty = table.columns.iter().find(|x| x.name == *c).map(|x| x.ty);
            match ty {
                Some(ColumnType::Date | ColumnType::Timestamp) => d.cast_timestamp(&d.quote(c)),
                Some(ColumnType::Blob) => d.blob_hex(&d.quote(c)).unwrap_or_else(|| "NULL".into()),
                _ => d.cast_text(&d.quote(c)),
            }
        })
        .collect();
    let mut s = format!("SELECT {} FROM {}", cols.join(", "), d.quote(table.name));
    if !where_.is_empty() {
        s.push_str(" WHERE ");
        s.push_str(&markers(d, where_));
    }
    if !order.is_empty() {
        s.push_str(" ORDER BY ");
        s.push_str(order);
    }
    s
}

/// Replaces `{1}`, `{2}`... by the dialect's parameter markers and `` `x` ``
/// by quoted identifiers.
pub fn markers(d: &dyn Dialect, sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' => {
                let n = read_until(&mut chars, '}');
                out.push_str(&d.placeholder(n.parse().unwrap_or(1)));
            }
            '`' => out.push_str(&d.quote(&read_until(&mut chars, '`'))),
            c => out.push(c),
        }
    }
    out
}

/// The characters up to `end` (consumed, not returned) or the end.
fn read_until(chars: &mut impl Iterator<Item = char>, end: char) -> String {
    chars.take_while(|&c| c != end).collect()
}

#[cfg(test)]
mod tests;
