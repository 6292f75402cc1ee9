//! Rows read back as text, decoded by the columns' declared types: a value
//! that does not decode is an error naming the table, the column and the
//! value, never a silent 0 or 1970.

use chrono::{NaiveDate, NaiveDateTime};
use msp_core::{Error, Result};
use msp_plugins::{ColumnType, Value};

use crate::engine::TextRow;

/// One row read back as text, decoded column by column with the type the
/// caller expects. Every decoding error names the table, the column, the
/// value and the row's key (its first column).
pub struct RowReader<'t> {
    pub(super) table: &'t str,
    pub(super) cols: &'t [&'t str],
    pub(super) row: TextRow,
}

impl RowReader<'_> {
    /// The text of column `i`, NULL as `None`.
    pub(super) fn raw(&self, i: usize) -> Option<&str> {
        self.row.get(i).and_then(|v| v.as_deref())
    }

    fn bad(&self, i: usize, what: &str) -> Error {
        let col = self.cols.get(i).copied().unwrap_or("?");
        let value = match self.raw(i) {
            Some(v) => format!("\"{}\"", v.chars().take(80).collect::<String>()),
            None => "NULL".to_string(),
        };
        let key = match (self.cols.first(), self.raw(0)) {
            (Some(k), Some(v)) if i != 0 => format!(" (row {k} = {v})"),
            _ => String::new(),
        };
        Error::trouble(format!(
            "table {}, column {col}: value {value} is not {what}{key}",
            self.table
        ))
    }

    /// A required text.
    pub fn text(&self, i: usize) -> Result<String> {
        self.raw(i)
            .map(str::to_string)
            .ok_or_else(|| self.bad(i, "a text (the column is required)"))
    }

    /// An optional text.
    pub fn opt_text(&self, i: usize) -> Option<String> {
        self.raw(i).map(str::to_string)
    }

    /// An optional integer.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.raw(i) {
            None => Ok(None),
            Some(v) => parse_int(v)
                .map(Some)
                .ok_or_else(|| self.bad(i, "an integer")),
        }
    }

    /// A required integer.
    pub fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| self.bad(i, "an integer (the column is required)"))
    }

    /// A required integer that fits `T` (a status code, a sequence...).
    pub fn int_as<T: TryFrom<i64>>(&self, i: usize) -> Result<T> {
        let v = self.int(i)?;
        T::try_from(v).map_err(|_| self.bad(i, "in range"))
    }

    /// An optional integer that fits `T`.
    pub fn opt_int_as<T: TryFrom<i64>>(&self, i: usize) -> Result<Option<T>> {
        match self.opt_int(i)? {
            None => Ok(None),
            Some(v) => T::try_from(v)
                .map(Some)
                .map_err(|_| self.bad(i, "in range")),
        }
    }

    /// A required boolean.
    pub fn boolean(&self, i: usize) -> Result<bool> {
        self.raw(i)
            .and_then(parse_bool)
            .ok_or_else(|| self.bad(i, "a boolean"))
    }

    /// A required timestamp.
    pub fn ts(&self, i: usize) -> Result<NaiveDateTime> {
        self.raw(i)
            .and_then(parse_ts)
            .ok_or_else(|| self.bad(i, "a timestamp"))
    }

    /// An optional timestamp.
    pub fn opt_ts(&self, i: usize) -> Result<Option<NaiveDateTime>> {
        match self.raw(i) {
            None => Ok(None),
            Some(v) => parse_ts(v)
                .map(Some)
                .ok_or_else(|| self.bad(i, "a timestamp")),
        }
    }

    /// A blob, read as the hexadecimal text of [`Dialect::blob_hex`](crate::sql::Dialect::blob_hex) (NULL
    /// on engines without it).
    pub fn blob(&self, i: usize) -> Result<Option<Vec<u8>>> {
        match self.raw(i) {
            None => Ok(None),
            Some(v) => from_hex(v.trim())
                .map(Some)
                .ok_or_else(|| self.bad(i, "hexadecimal bytes")),
        }
    }

    /// A value of a plugin column, by its declared type.
    pub(super) fn value(&self, i: usize, ty: ColumnType) -> Result<Value> {
        let Some(v) = self.raw(i) else {
            return Ok(Value::Null);
        };
        Ok(match ty {
            ColumnType::Text(_) => Value::Text(v.to_string()),
            ColumnType::Integer => Value::Integer(self.int(i)?),
            ColumnType::Boolean => Value::Boolean(self.boolean(i)?),
            ColumnType::Date => Value::Date(parse_date(v).ok_or_else(|| self.bad(i, "a date"))?),
            ColumnType::Timestamp => Value::Timestamp(self.ts(i)?),
            ColumnType::Blob => match self.blob(i)? {
                Some(b) => Value::Blob(b),
                None => Value::Null,
            },
        })
    }
}

/// Bytes from hexadecimal text (either case).
fn from_hex(s: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// An integer in the text forms engines give (`19`, `19.0` from NUMBER).
pub(super) fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    s.parse::<i64>().ok().or_else(|| {
        let f = s.parse::<f64>().ok()?;
        (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}

/// A boolean in the text forms engines give.
pub(super) fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "-1" | "t" | "true" | "TRUE" | "True" | "Y" | "y" => Some(true),
        "0" | "f" | "false" | "FALSE" | "False" | "N" | "n" => Some(false),
        _ => None,
    }
}

/// Parses the text form of a timestamp: the formats each dialect's
/// [`Dialect::cast_timestamp`](crate::sql::Dialect::cast_timestamp) produces, and what diesel stores in SQLite.
pub fn parse_ts(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| parse_date(s).and_then(|d| d.and_hms_opt(0, 0, 0)))
}

pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok()
}
