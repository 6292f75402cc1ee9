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

/// What differs between engines in the SQL msp writes.
pub trait Dialect: Send + Sync {
    /// Name used in configuration (`dialect = "..."`) and messages.
    fn name(&self) -> &'static str;
    /// Quotes an identifier.
    fn quote(&self, ident: &str) -> String {
        format!("\"{ident}\"")
    }
    /// The marker of the `n`-th (1-based) parameter.
    fn placeholder(&self, _n: usize) -> String {
        "?".into()
    }
    /// The column type in DDL.
    fn column_type(&self, ty: ColumnType) -> String;
    /// An expression reading `expr` as text.
    fn cast_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS VARCHAR(4000))")
    }
    /// An expression reading the blob `expr` as hexadecimal text, when the
    /// engine has one that reads a whole blob (not Oracle, not Access:
    /// their blobs read back as NULL).
    fn blob_hex(&self, _expr: &str) -> Option<String> {
        None
    }
    /// Text after `CREATE TABLE (...)` (engine, charset).
    fn table_options(&self) -> &'static str {
        ""
    }
    /// Longest identifier the engine accepts.
    fn max_identifier(&self) -> usize {
        128
    }
    /// Whether one call may carry several statements separated by `;`.
    fn multi_statement(&self) -> bool {
        false
    }
    /// Literal for a boolean in SQL text.
    fn bool_literal(&self, b: bool) -> &'static str {
        if b {
            "1"
        } else {
            "0"
        }
    }
    /// An expression reading a date or timestamp column as
    /// `YYYY-MM-DD HH:MM:SS` text whatever the session's settings (NLS,
    /// DateStyle, language).
    fn cast_timestamp(&self, expr: &str) -> String {
        self.cast_text(expr)
    }
    /// The statements around one archive inside a batch: open a savepoint,
    /// release it, roll back to it. `None` when the engine has no
    /// savepoints (then a batch holds one archive).
    fn savepoints(&self) -> Option<[Option<&'static str>; 3]> {
        Some([
            Some("SAVEPOINT msp_archive"),
            Some("RELEASE SAVEPOINT msp_archive"),
            Some("ROLLBACK TO SAVEPOINT msp_archive"),
        ])
    }
    /// Whether `CREATE` statements roll back with their transaction.
    fn transactional_ddl(&self) -> bool {
        true
    }
    /// How many rows of `columns` columns one `INSERT ... VALUES (...),
    /// (...)` may carry (1: the engine has no multi-row insert).
    fn max_insert_rows(&self, columns: usize) -> usize {
        let _ = columns;
        1
    }
}

/// Rows per multi-row insert when the engine allows `max_params` parameters.
fn rows_for(max_params: usize, columns: usize) -> usize {
    (max_params / columns.max(1)).clamp(1, 256)
}

/// SQLite.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn column_type(&self, ty: ColumnType) -> String {
        match ty {
            ColumnType::Text(n) => format!("VARCHAR({n})"),
            ColumnType::Integer => "INTEGER".into(),
            ColumnType::Boolean => "BOOLEAN".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Timestamp => "TIMESTAMP".into(),
            ColumnType::Blob => "BLOB".into(),
        }
    }
    fn cast_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS TEXT)")
    }
    fn blob_hex(&self, expr: &str) -> Option<String> {
        Some(format!("hex({expr})"))
    }
    fn multi_statement(&self) -> bool {
        true
    }
    fn max_insert_rows(&self, columns: usize) -> usize {
        rows_for(32766, columns)
    }
}

/// PostgreSQL.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }
    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }
    fn column_type(&self, ty: ColumnType) -> String {
        match ty {
            ColumnType::Text(n) => format!("VARCHAR({n})"),
            ColumnType::Integer => "BIGINT".into(),
            ColumnType::Boolean => "BOOLEAN".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Timestamp => "TIMESTAMP".into(),
            ColumnType::Blob => "BYTEA".into(),
        }
    }
    fn cast_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS TEXT)")
    }
    fn blob_hex(&self, expr: &str) -> Option<String> {
        Some(format!("encode({expr}, 'hex')"))
    }
    fn cast_timestamp(&self, expr: &str) -> String {
        format!("to_char({expr}, 'YYYY-MM-DD HH24:MI:SS')")
    }
    fn max_identifier(&self) -> usize {
        63
    }
    fn max_insert_rows(&self, columns: usize) -> usize {
        rows_for(65535, columns)
    }
    fn multi_statement(&self) -> bool {
        true
    }
    fn bool_literal(&self, b: bool) -> &'static str {
        if b {
            "TRUE"
        } else {
            "FALSE"
        }
    }
}

/// MySQL and MariaDB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mysql;

impl Dialect for Mysql {
    fn name(&self) -> &'static str {
        "mysql"
    }
    fn quote(&self, ident: &str) -> String {
        format!("`{ident}`")
    }
    fn column_type(&self, ty: ColumnType) -> String {
        match ty {
            ColumnType::Text(n) => format!("VARCHAR({n})"),
            ColumnType::Integer => "BIGINT".into(),
            ColumnType::Boolean => "BOOLEAN".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Timestamp => "DATETIME".into(),
            ColumnType::Blob => "LONGBLOB".into(),
        }
    }
    fn cast_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS CHAR)")
    }
    fn blob_hex(&self, expr: &str) -> Option<String> {
        Some(format!("HEX({expr})"))
    }
    fn cast_timestamp(&self, expr: &str) -> String {
        format!("DATE_FORMAT({expr}, '%Y-%m-%d %H:%i:%s')")
    }
    fn table_options(&self) -> &'static str {
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    }
    fn transactional_ddl(&self) -> bool {
        false
    }
    fn max_insert_rows(&self, columns: usize) -> usize {
        rows_for(65535, columns)
    }
    fn max_identifier(&self) -> usize {
        64
    }
}

/// Oracle (through ODBC).
#[derive(Debug, Clone, Copy, Default)]
pub struct Oracle;

impl Dialect for Oracle {
    fn name(&self) -> &'static str {
        "oracle"
    }
    fn column_type(&self, ty: ColumnType) -> String {
        match ty {
            ColumnType::Text(n) if n <= 4000 => format!("VARCHAR2({n} CHAR)"),
            ColumnType::Text(_) => "CLOB".into(),
            ColumnType::Integer => "NUMBER(19)".into(),
            ColumnType::Boolean => "NUMBER(1)".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Timestamp => "TIMESTAMP".into(),
            ColumnType::Blob => "BLOB".into(),
        }
    }
    fn cast_text(&self, expr: &str) -> String {
        format!("TO_CHAR({expr})")
    }
    fn cast_timestamp(&self, expr: &str) -> String {
        format!("TO_CHAR({expr}, 'YYYY-MM-DD HH24:MI:SS')")
    }
    fn transactional_ddl(&self) -> bool {
        false
    }
    fn savepoints(&self) -> Option<[Option<&'static str>; 3]> {
        Some([
            Some("SAVEPOINT msp_archive"),
            None,
            Some("ROLLBACK TO SAVEPOINT msp_archive"),
        ])
    }
    fn max_identifier(&self) -> usize {
        30
    }
}

/// Microsoft SQL Server (through ODBC).
#[derive(Debug, Clone, Copy, Default)]
pub struct SqlServer;

impl Dialect for SqlServer {
    fn name(&self) -> &'static str {
        "sqlserver"
    }
    fn quote(&self, ident: &str) -> String {
        format!("[{ident}]")
    }
    fn column_type(&self, ty: ColumnType) -> String {
        match ty {
            ColumnType::Text(n) if n <= 4000 => format!("NVARCHAR({n})"),
            ColumnType::Text(_) => "NVARCHAR(MAX)".into(),
            ColumnType::Integer => "BIGINT".into(),
            ColumnType::Boolean => "BIT".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Timestamp => "DATETIME2(0)".into(),
            ColumnType::Blob => "VARBINARY(MAX)".into(),
        }
    }
    fn cast_text(&self, expr: &str) -> String {
        format!("CONVERT(NVARCHAR(4000), {expr}, 120)")
    }
    fn blob_hex(&self, expr: &str) -> Option<String> {
        Some(format!("CONVERT(VARCHAR(MAX), {expr}, 2)"))
    }
    fn savepoints(&self) -> Option<[Option<&'static str>; 3]> {
        Some([
            Some("SAVE TRANSACTION msp_archive"),
            None,
            Some("ROLLBACK TRANSACTION msp_archive"),
        ])
    }
    fn max_insert_rows(&self, columns: usize) -> usize {
        rows_for(2000, columns)
    }
}

/// Microsoft Access (through ODBC): one statement per call, 255-character
/// TEXT, MEMO beyond, 32-bit LONG integers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Access;

impl Dialect for Access {
    fn name(&self) -> &'static str {
        "access"
    }
    fn quote(&self, ident: &str) -> String {
        format!("[{ident}]")
    }
    fn column_type(&self, ty: ColumnType) -> String {
        match ty {
            ColumnType::Text(n) if n <= 255 => format!("TEXT({n})"),
            ColumnType::Text(_) => "MEMO".into(),
            ColumnType::Integer => "LONG".into(),
            ColumnType::Boolean => "YESNO".into(),
            ColumnType::Date | ColumnType::Timestamp => "DATETIME".into(),
            ColumnType::Blob => "LONGBINARY".into(),
        }
    }
    fn cast_text(&self, expr: &str) -> String {
        format!("CSTR({expr})")
    }
    fn cast_timestamp(&self, expr: &str) -> String {
        format!("FORMAT({expr}, 'yyyy-mm-dd hh:nn:ss')")
    }
    fn savepoints(&self) -> Option<[Option<&'static str>; 3]> {
        None
    }
    fn max_identifier(&self) -> usize {
        64
    }
    fn bool_literal(&self, b: bool) -> &'static str {
        if b {
            "TRUE"
        } else {
            "FALSE"
        }
    }
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
                let mut n = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    n.push(c);
                }
                out.push_str(&d.placeholder(n.parse().unwrap_or(1)));
            }
            '`' => {
                let mut ident = String::new();
                for c in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                    ident.push(c);
                }
                out.push_str(&d.quote(&ident));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
