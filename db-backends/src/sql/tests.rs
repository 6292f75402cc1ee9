//! Unit tests of the dialects' SQL text.

use super::*;
use crate::schema;

fn statut() -> Table {
    schema::msp_tables_v1()
        .into_iter()
        .find(|t| t.name == "msp_statut")
        .unwrap()
}

#[test]
fn ddl_for_sqlite() {
    let ddl = create_table(&Sqlite, &statut()).unwrap();
    assert!(ddl.starts_with("CREATE TABLE \"msp_statut\" ("), "{ddl}");
    assert!(ddl.contains("\"comment\" VARCHAR(2000),"), "{ddl}");
    assert!(ddl.contains("PRIMARY KEY (\"numero\", \"seq\")"), "{ddl}");
    assert!(ddl.contains("FOREIGN KEY (\"numero\") REFERENCES \"msp_dossier\" (\"numero\")"));
    assert_eq!(
        insert(&Sqlite, "t", &["a", "b"]),
        "INSERT INTO \"t\" (\"a\", \"b\") VALUES (?, ?)"
    );
}

#[test]
fn ddl_and_dml_for_oracle() {
    let ddl = create_table(&Oracle, &statut()).unwrap();
    assert!(ddl.contains("\"comment\" VARCHAR2(2000 CHAR),"), "{ddl}");
    assert!(ddl.contains("\"seq\" NUMBER(19) NOT NULL"), "{ddl}");
    assert!(ddl.contains("\"automatic\" NUMBER(1) NOT NULL"), "{ddl}");
    assert!(ddl.contains("\"created_at\" TIMESTAMP NOT NULL"), "{ddl}");
    let pj = schema::msp_tables_v1()
        .into_iter()
        .find(|t| t.name == "msp_piece_jointe")
        .unwrap();
    assert!(create_table(&Oracle, &pj)
        .unwrap()
        .contains("\"content\" BLOB,"));
    assert_eq!(Oracle.column_type(ColumnType::Text(5000)), "CLOB");
    assert_eq!(
        select(&Oracle, &statut(), &["seq"], "`numero` = {1}", ""),
        "SELECT TO_CHAR(\"seq\") FROM \"msp_statut\" WHERE \"numero\" = ?"
    );
    let long = Table {
        name: "a_table_name_that_is_far_too_long_for_oracle",
        columns: vec![],
        primary_key: vec![],
        references_dossier: false,
    };
    assert!(create_table(&Oracle, &long)
        .unwrap_err()
        .contains("more than oracle allows (30)"));
}

#[test]
fn ddl_and_dml_for_sqlserver() {
    let ddl = create_table(&SqlServer, &statut()).unwrap();
    assert!(ddl.starts_with("CREATE TABLE [msp_statut] ("), "{ddl}");
    assert!(ddl.contains("[comment] NVARCHAR(2000),"), "{ddl}");
    assert!(ddl.contains("[automatic] BIT NOT NULL"), "{ddl}");
    assert!(ddl.contains("[created_at] DATETIME2(0) NOT NULL"), "{ddl}");
    assert_eq!(SqlServer.column_type(ColumnType::Blob), "VARBINARY(MAX)");
    assert_eq!(
        insert(&SqlServer, "t", &["a"]),
        "INSERT INTO [t] ([a]) VALUES (?)"
    );
    assert_eq!(
        SqlServer.cast_text("[x]"),
        "CONVERT(NVARCHAR(4000), [x], 120)"
    );
}

#[test]
fn ddl_and_dml_for_access() {
    let ddl = create_table(&Access, &statut()).unwrap();
    assert!(
        ddl.contains("[comment] MEMO,"),
        "2000 characters do not fit TEXT(255): {ddl}"
    );
    assert!(ddl.contains("[numero] TEXT(64) NOT NULL"), "{ddl}");
    assert!(ddl.contains("[seq] LONG NOT NULL"), "{ddl}");
    assert!(ddl.contains("[automatic] YESNO NOT NULL"), "{ddl}");
    assert!(ddl.contains("[created_at] DATETIME NOT NULL"), "{ddl}");
    assert!(
        !Access.multi_statement(),
        "Access runs one statement per call"
    );
    assert_eq!(Access.column_type(ColumnType::Blob), "LONGBINARY");
}

#[test]
fn multi_row_inserts() {
    assert_eq!(
        insert_rows(&Postgres, "t", &["a", "b"], 2),
        "INSERT INTO \"t\" (\"a\", \"b\") VALUES ($1, $2), ($3, $4)"
    );
    assert_eq!(
        insert_rows(&Mysql, "t", &["a"], 3),
        "INSERT INTO `t` (`a`) VALUES (?), (?), (?)"
    );
    assert_eq!(Oracle.max_insert_rows(10), 1, "no multi-row VALUES");
    assert_eq!(Access.max_insert_rows(10), 1);
    assert_eq!(Sqlite.max_insert_rows(11), 256);
    assert_eq!(SqlServer.max_insert_rows(11), 181);
}

#[test]
fn postgres_and_mysql() {
    assert_eq!(
        insert(&Postgres, "t", &["a", "b"]),
        "INSERT INTO \"t\" (\"a\", \"b\") VALUES ($1, $2)"
    );
    assert_eq!(
        markers(&Postgres, "`a` = {1} AND `b` > {2}"),
        "\"a\" = $1 AND \"b\" > $2"
    );
    assert_eq!(markers(&Mysql, "`a` = {1}"), "`a` = ?");
    let ddl = create_table(&Mysql, &statut()).unwrap();
    assert!(
        ddl.ends_with(") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"),
        "{ddl}"
    );
    assert!(ddl.contains("`created_at` DATETIME NOT NULL"), "{ddl}");
    assert!(create_table(&Postgres, &statut())
        .unwrap()
        .contains("\"seq\" BIGINT NOT NULL"));
}

#[test]
fn every_table_fits_every_dialect() {
    let mut tables = schema::msp_tables_v1();
    tables.push(schema::version_table());
    for name in DIALECTS {
        let d = dialect_named(name).unwrap();
        for t in &tables {
            create_table(d, t).unwrap();
        }
    }
}

#[test]
fn through_odbc_an_engine_keeps_its_own_sql_with_question_marks() {
    // Oracle, SQL Server and Access are reached through ODBC only: their
    // savepoints, casts and DDL rules must survive the wrapping.
    let oracle = Oracle.syntax().through_odbc();
    assert_eq!(oracle.savepoints, Oracle.syntax().savepoints);
    assert_eq!(
        oracle.savepoints.unwrap()[1],
        None,
        "Oracle has no RELEASE SAVEPOINT"
    );
    assert_eq!(
        oracle.cast_timestamp,
        Some("TO_CHAR({}, 'YYYY-MM-DD HH24:MI:SS')")
    );
    assert!(!oracle.transactional_ddl);
    let sql_server = SqlServer.syntax().through_odbc();
    assert_eq!(
        sql_server.savepoints.unwrap()[0],
        Some("SAVE TRANSACTION msp_archive")
    );
    assert_eq!(
        sql_server.max_params, None,
        "one row per insert through ODBC"
    );
    assert!(Access.syntax().through_odbc().savepoints.is_none());
    // ODBC's markers are `?` whatever the engine's own.
    assert!(Postgres.syntax().numbered_markers);
    let pg = Postgres.syntax().through_odbc();
    assert!(!pg.numbered_markers && !pg.multi_statement);
}
