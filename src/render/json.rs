//! JSON output, every time in one convention (times in RFC 3339 with the
//! local offset), and the JSON of the values the commands share: a
//! dossier, a business value.

use anyhow::Result;
use msp_core::backend::Dossier;
use serde_json::{json, Value};

/// JSON output, every time in one convention: RFC 3339 with the local
/// offset, to the second (`2026-12-05T10:42:07+01:00`), whether the value
/// was recorded as a local time without zone (the database's) or in UTC.
pub fn json_text(value: &impl serde::Serialize) -> Result<String> {
    let mut v = serde_json::to_value(value)?;
    with_offsets(&mut v);
    Ok(serde_json::to_string_pretty(&v)?)
}

fn with_offsets(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(t) = rfc3339_local(s) {
                *s = t;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(with_offsets),
        // A dossier's business rows are the citizen's data as stored: a
        // text that looks like a time is left as it is.
        Value::Object(o) => o
            .iter_mut()
            .filter(|(k, _)| k.as_str() != "rows")
            .for_each(|(_, v)| with_offsets(v)),
        _ => {}
    }
}

/// A timestamp (`yyyy-mm-ddThh:mm:ss`, a fraction, an offset or `Z`
/// optional) in RFC 3339 with the local offset; anything else `None`.
fn rfc3339_local(s: &str) -> Option<String> {
    use chrono::{DateTime, Local, NaiveDateTime, SecondsFormat, TimeZone};
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let local = match DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&Local),
        Err(_) => {
            let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
            Local.from_local_datetime(&naive).earliest()?
        }
    };
    Some(local.to_rfc3339_opts(SecondsFormat::Secs, false))
}

/// A dossier as `dossier list --json` and `dossier show --json` give it.
pub fn dossier_json(d: &Dossier) -> Value {
    json!({
        "numero": d.numero,
        "flow": d.flow,
        "insee": d.insee,
        "status": d.status,
        "indicator": d.indicator,
        "file_number": d.file_number,
        "summary": d.summary,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    })
}

/// A business value as JSON: text, number, boolean, ISO date, null; a blob
/// as its size.
pub fn value_json(v: &msp_plugins::Value) -> Value {
    use msp_plugins::Value as V;
    match v {
        V::Null => Value::Null,
        V::Text(s) => json!(s),
        V::Integer(i) => json!(i),
        V::Boolean(b) => json!(b),
        V::Date(d) => json!(d.format("%Y-%m-%d").to_string()),
        V::Timestamp(t) => json!(t.format("%Y-%m-%dT%H:%M:%S").to_string()),
        V::Blob(b) => json!(format!("({} bytes)", b.len())),
    }
}
