//! SQL text generation per engine dialect: identifier quoting,
//! placeholders, column types, DDL and INSERT statements.

use msp_plugins::ColumnType;

use crate::schema::Table;

/// What differs between engines in the SQL msp writes.
pub trait Dialect: Send + Sync {
    /// Quotes an identifier.
    fn quote(&self, ident: &str) -> String {
        format!("\"{ident}\"")
    }
    /// The placeholder for the `n`-th (1-based) parameter.
    fn placeholder(&self, _n: usize) -> String {
        "?".into()
    }
    /// The column type in DDL.
    fn column_type(&self, ty: ColumnType) -> String;
}

/// SQLite.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
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
}

/// `CREATE TABLE` for a table.
pub fn create_table(d: &dyn Dialect, t: &Table) -> String {
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
    format!(
        "CREATE TABLE {} (\n  {}\n)",
        d.quote(t.name),
        parts.join(",\n  ")
    )
}

/// `INSERT INTO t (cols) VALUES (placeholders)`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    #[test]
    fn ddl_for_sqlite() {
        let t = &schema::msp_tables_v1()[1];
        let ddl = create_table(&Sqlite, t);
        assert!(ddl.starts_with("CREATE TABLE \"msp_statut\" ("), "{ddl}");
        assert!(ddl.contains("\"comment\" VARCHAR(2000),"), "{ddl}");
        assert!(ddl.contains("PRIMARY KEY (\"numero\", \"seq\")"), "{ddl}");
        assert!(ddl.contains("FOREIGN KEY (\"numero\") REFERENCES \"msp_dossier\" (\"numero\")"));
        assert_eq!(
            insert(&Sqlite, "t", &["a", "b"]),
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES (?, ?)"
        );
    }
}
