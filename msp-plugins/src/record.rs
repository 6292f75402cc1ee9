//! The data-only record model a plugin returns: engine-neutral table
//! definitions and rows of typed values.
//!
//! Every plugin table is keyed to its dossier: backends add a leading
//! `numero` column (the NumeroTeledemarche, a foreign key to the MSP dossier
//! table) to each table and to each row. Plugins never see it, so a
//! complement can replace a dossier's business rows table by table.

use chrono::{NaiveDate, NaiveDateTime};

/// Name of the dossier-key column backends add to every plugin table.
pub const DOSSIER_KEY: &str = "numero";

/// Engine-neutral column type; each backend maps it to its own DDL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ColumnType {
    /// Text of at most this many characters.
    Text(u32),
    /// 64-bit integer.
    Integer,
    /// Boolean.
    Boolean,
    /// Calendar date without time.
    Date,
    /// Date and time, without time zone (French local time in documents).
    Timestamp,
    /// Binary content.
    Blob,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name (lower case, ASCII, no quoting needed on any engine).
    pub name: &'static str,
    /// Its type.
    pub ty: ColumnType,
    /// Whether NULL is allowed.
    pub nullable: bool,
}

impl Column {
    /// A NOT NULL column.
    pub const fn required(name: &'static str, ty: ColumnType) -> Self {
        Column {
            name,
            ty,
            nullable: false,
        }
    }
    /// A nullable column.
    pub const fn optional(name: &'static str, ty: ColumnType) -> Self {
        Column {
            name,
            ty,
            nullable: true,
        }
    }
}

/// A business table, without its implicit leading `numero` column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// Table name, prefixed by the application (`avenir_personne`).
    pub name: &'static str,
    /// What the table holds, for documentation and `msp plugins`.
    pub comment: &'static str,
    /// Columns, in order.
    pub columns: Vec<Column>,
    /// Columns that, with `numero`, form the primary key (empty: `numero` alone).
    pub key: Vec<&'static str>,
}

impl TableDef {
    /// Finds a column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Checks a row against this definition: known columns of the right
    /// type, every NOT NULL column present, key columns set.
    pub fn check_row(&self, row: &Row) -> Result<(), RowProblem> {
        for (name, value) in &row.values {
            let col = self.column(name).ok_or_else(|| RowProblem {
                message: format!("table {} has no column {name}", self.name),
                plugin_bug: true,
            })?;
            if !value.fits(col.ty) {
                // The right kind but too long is the data's doing; another
                // kind is the plugin's.
                let too_long = matches!((value, col.ty), (Value::Text(_), ColumnType::Text(_)));
                return Err(RowProblem {
                    message: format!(
                        "column {}.{name} is {:?} but the value is {}",
                        self.name,
                        col.ty,
                        value.kind()
                    ),
                    plugin_bug: !too_long,
                });
            }
            if matches!(value, Value::Null) && !col.nullable {
                return Err(RowProblem::data(format!(
                    "column {}.{name} may not be empty",
                    self.name
                )));
            }
        }
        for col in self.columns.iter().filter(|c| !c.nullable) {
            if row.get(col.name).is_none_or(|v| matches!(v, Value::Null)) {
                return Err(RowProblem::data(format!(
                    "column {}.{} may not be empty",
                    self.name, col.name
                )));
            }
        }
        Ok(())
    }
}

/// Why a row does not fit its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// In words (`table x has no column y`).
    pub message: String,
    /// The plugin's mistake (a column it did not declare, a value of
    /// another kind), never the citizen's: the archive is kept and the
    /// plugin named. Otherwise the data does not fit (too long, empty).
    pub plugin_bug: bool,
}

impl RowProblem {
    fn data(message: String) -> Self {
        RowProblem {
            message,
            plugin_bug: false,
        }
    }

    /// Whether the message contains `s` (for tests).
    pub fn contains(&self, s: &str) -> bool {
        self.message.contains(s)
    }
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RowProblem {}

/// A typed value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// Absent.
    Null,
    /// Text.
    Text(String),
    /// Integer.
    Integer(i64),
    /// Boolean.
    Boolean(bool),
    /// Date.
    Date(NaiveDate),
    /// Date and time.
    Timestamp(NaiveDateTime),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    fn fits(&self, ty: ColumnType) -> bool {
        match (self, ty) {
            (Value::Null, _) => true,
            (Value::Text(s), ColumnType::Text(max)) => s.chars().count() <= max as usize,
            (Value::Integer(_), ColumnType::Integer)
            | (Value::Boolean(_), ColumnType::Boolean)
            | (Value::Date(_), ColumnType::Date)
            | (Value::Timestamp(_), ColumnType::Timestamp)
            | (Value::Blob(_), ColumnType::Blob) => true,
            _ => false,
        }
    }

    fn kind(&self) -> String {
        match self {
            Value::Null => "NULL".into(),
            Value::Text(s) => format!("a text of {} characters", s.chars().count()),
            Value::Integer(_) => "an integer".into(),
            Value::Boolean(_) => "a boolean".into(),
            Value::Date(_) => "a date".into(),
            Value::Timestamp(_) => "a timestamp".into(),
            Value::Blob(_) => "bytes".into(),
        }
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}
impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Self {
        Value::Date(v)
    }
}
impl From<NaiveDateTime> for Value {
    fn from(v: NaiveDateTime) -> Self {
        Value::Timestamp(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One row for a named table (the `numero` column is added by the backend).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The table it goes into.
    pub table: &'static str,
    /// (column, value) pairs; absent columns are NULL.
    pub values: Vec<(&'static str, Value)>,
}

impl Row {
    /// An empty row for `table`.
    pub fn new(table: &'static str) -> Self {
        Row {
            table,
            values: Vec::new(),
        }
    }

    /// Sets a column (builder style).
    pub fn set(mut self, column: &'static str, value: impl Into<Value>) -> Self {
        self.values.push((column, value.into()));
        self
    }

    /// The value of a column, if set.
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> TableDef {
        TableDef {
            name: "t",
            comment: "",
            columns: vec![
                Column::required("a", ColumnType::Text(3)),
                Column::optional("b", ColumnType::Integer),
            ],
            key: vec![],
        }
    }

    #[test]
    fn rows_are_checked_against_their_table() {
        let t = table();
        assert!(t.check_row(&Row::new("t").set("a", "abc")).is_ok());
        assert!(t
            .check_row(&Row::new("t").set("a", "abcd"))
            .unwrap_err()
            .contains("t.a"));
        assert!(t
            .check_row(&Row::new("t").set("b", 1i64))
            .unwrap_err()
            .contains("may not be empty"));
        assert!(t
            .check_row(&Row::new("t").set("a", "x").set("b", "y"))
            .is_err());
        let e = t
            .check_row(&Row::new("t").set("a", "x").set("c", 1i64))
            .unwrap_err();
        assert!(e.contains("no column c") && e.plugin_bug);
        let e = t
            .check_row(&Row::new("t").set("a", "x").set("b", "y"))
            .unwrap_err();
        assert!(e.plugin_bug, "a text into an integer column");
        let e = t.check_row(&Row::new("t").set("a", "abcd")).unwrap_err();
        assert!(!e.plugin_bug, "too long is the data's");
    }
}
