//! Unit tests of the generic backend: IN lists, insert chunks, decoding.

#[test]
fn in_lists_are_padded_to_a_power_of_two_with_the_last_name() {
    let (list, params) = in_list(2, &["a", "b", "c"]);
    assert_eq!(list, "{2}, {3}, {4}, {5}");
    let names: Vec<_> = params.iter().map(|p| p.value.clone()).collect();
    assert_eq!(names, ["a", "b", "c", "c"].map(msp_plugins::Value::from));
    let (list, params) = in_list(1, &["a"]);
    assert_eq!((list.as_str(), params.len()), ("{1}", 1));
}

#[test]
fn inserts_are_cut_by_rows_by_bytes_and_in_few_shapes() {
    use super::bulk_insert::{chunk_rows, STATEMENT_BYTES};
    let small = vec![100; 600];
    assert_eq!(chunk_rows(256, &small), 256);
    assert_eq!(chunk_rows(256, &small[..37]), 32);
    assert_eq!(chunk_rows(256, &small[..5]), 4);
    assert_eq!(chunk_rows(256, &small[..1]), 1);
    assert_eq!(chunk_rows(100, &small), 100, "the engine's limit as is");
    // 1 MiB attachments: a few per statement, never 16 MiB.
    let big = vec![(1 << 20) + 8; 40];
    assert_eq!(chunk_rows(256, &big), 2);
    let n = chunk_rows(256, &big);
    assert!(big[..n].iter().sum::<usize>() <= STATEMENT_BYTES);
    // A row larger than the budget goes alone.
    assert_eq!(chunk_rows(256, &[STATEMENT_BYTES * 2, 10]), 1);
}

use super::decode::*;
use super::in_list::in_list;
use chrono::NaiveDate;

#[test]
fn timestamps_of_every_engine_parse() {
    for s in [
        "2026-11-28 10:11:58",
        "2026-11-28T10:11:58",
        "2026-11-28 10:11:58.000000",
        "2026-11-28 10:11:58.5",
    ] {
        assert_eq!(
            parse_ts(s).unwrap().format("%F %T").to_string(),
            "2026-11-28 10:11:58",
            "{s}"
        );
    }
    assert_eq!(
        parse_date("2009-08-16 00:00:00"),
        NaiveDate::from_ymd_opt(2009, 8, 16)
    );
    assert_eq!(parse_int("19.0"), Some(19));
    assert_eq!(parse_int(" 19 "), Some(19));
    assert_eq!(parse_int("19.5"), None);
    assert_eq!(parse_int("abc"), None);
    assert_eq!(parse_bool("-1"), Some(true));
    assert_eq!(parse_bool("oui"), None);
}

#[test]
fn decoding_errors_name_table_column_and_value() {
    let cols = ["numero", "seq", "status", "created_at"];
    let r = RowReader {
        table: "msp_statut",
        cols: &cols,
        row: vec![
            Some("A-1".into()),
            Some("2".into()),
            Some("dix-neuf".into()),
            Some("hier".into()),
        ],
    };
    assert_eq!(r.int(1).unwrap(), 2);
    let e = r.int(2).unwrap_err().message;
    assert_eq!(
        e,
        "table msp_statut, column status: value \"dix-neuf\" is not an integer (row numero = A-1)"
    );
    let e = r.ts(3).unwrap_err().message;
    assert!(
        e.contains("column created_at: value \"hier\" is not a timestamp"),
        "{e}"
    );
    let e = r.int_as::<u16>(1).map(|_| ()).and_then(|_| {
        RowReader {
            table: "t",
            cols: &cols,
            row: vec![None, Some("70000".into())],
        }
        .int_as::<u16>(1)
        .map(|_| ())
    });
    assert!(e.unwrap_err().message.contains("is not in range"));
}
