//! Each engine's SQL as data: a [`Syntax`] that states only what differs
//! from [`Syntax::STANDARD`], and the unit type naming the engine's
//! [`Dialect`] in code (`&Sqlite`, `&Oracle`...).

use msp_plugins::ColumnType;

use super::Dialect;

/// What an engine's SQL looks like; the [`Dialect`] methods read it.
/// Templates hold `{}` where the expression goes.
#[derive(Debug, Clone, Copy)]
pub struct Syntax {
    /// The characters around a quoted identifier.
    pub(super) quotes: (char, char),
    /// Parameter markers numbered (`$1`, `$2`...) rather than `?`.
    pub(super) numbered_markers: bool,
    /// The column types in DDL.
    pub(super) types: TypeNames,
    /// Reads an expression as text.
    pub(super) cast_text: &'static str,
    /// Reads a whole blob as hexadecimal text, when the engine can.
    pub(super) blob_hex: Option<&'static str>,
    /// Reads a date or timestamp as `YYYY-MM-DD HH:MM:SS` (`None`: as
    /// [`Syntax::cast_text`] reads it).
    pub(super) cast_timestamp: Option<&'static str>,
    /// Text after `CREATE TABLE (...)`.
    pub(super) table_options: &'static str,
    /// Longest identifier.
    pub(super) max_identifier: usize,
    /// Several statements separated by `;` in one call.
    pub(super) multi_statement: bool,
    /// The literals of true and false.
    pub(super) bool_literals: [&'static str; 2],
    /// Open a savepoint, release it, roll back to it (`None`: no savepoints).
    pub(super) savepoints: Option<[Option<&'static str>; 3]>,
    /// `CREATE` statements roll back with their transaction.
    pub(super) transactional_ddl: bool,
    /// The parameters one statement may carry, when the engine has
    /// multi-row inserts.
    pub(super) max_params: Option<usize>,
}

impl Syntax {
    /// What an engine does unless its own syntax says otherwise.
    pub const STANDARD: Syntax = Syntax {
        quotes: ('"', '"'),
        numbered_markers: false,
        types: TypeNames::STANDARD,
        cast_text: "CAST({} AS VARCHAR(4000))",
        blob_hex: None,
        cast_timestamp: None,
        table_options: "",
        max_identifier: 128,
        multi_statement: false,
        bool_literals: ["1", "0"],
        savepoints: Some([
            Some("SAVEPOINT msp_archive"),
            Some("RELEASE SAVEPOINT msp_archive"),
            Some("ROLLBACK TO SAVEPOINT msp_archive"),
        ]),
        transactional_ddl: true,
        max_params: None,
    };

    /// This syntax as sent through ODBC: `?` markers whatever the engine's
    /// own, one statement per call, and one row per insert (the drivers'
    /// parameter limits are their own); the rest (types, casts, savepoints,
    /// DDL in transactions) is the engine's.
    pub const fn through_odbc(&self) -> Syntax {
        Syntax {
            numbered_markers: false,
            multi_statement: false,
            max_params: None,
            ..*self
        }
    }
}

/// An engine's column types in DDL.
#[derive(Debug, Clone, Copy)]
pub struct TypeNames {
    /// Text of a given length (`{}`).
    pub(super) text: &'static str,
    /// The longest text [`TypeNames::text`] holds, and the type beyond it.
    pub(super) long_text: Option<(u32, &'static str)>,
    pub(super) integer: &'static str,
    pub(super) boolean: &'static str,
    pub(super) date: &'static str,
    pub(super) timestamp: &'static str,
    pub(super) blob: &'static str,
}

impl TypeNames {
    /// The types an engine has unless its own names say otherwise.
    pub const STANDARD: TypeNames = TypeNames {
        text: "VARCHAR({})",
        long_text: None,
        integer: "BIGINT",
        boolean: "BOOLEAN",
        date: "DATE",
        timestamp: "TIMESTAMP",
        blob: "BLOB",
    };

    /// The type of a column of type `ty`.
    pub(super) fn of(&self, ty: ColumnType) -> String {
        match ty {
            ColumnType::Text(n) => match self.long_text {
                Some((max, long)) if n > max => long.into(),
                _ => self.text.replacen("{}", &n.to_string(), 1),
            },
            ColumnType::Integer => self.integer.into(),
            ColumnType::Boolean => self.boolean.into(),
            ColumnType::Date => self.date.into(),
            ColumnType::Timestamp => self.timestamp.into(),
            ColumnType::Blob => self.blob.into(),
        }
    }
}

/// Declares each engine's unit type, its [`Dialect`] reading its syntax.
macro_rules! engines {
    ($($(#[$doc:meta])* $engine:ident($name:literal) = $syntax:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $engine;

        impl Dialect for $engine {
            fn name(&self) -> &'static str {
                $name
            }
            fn syntax(&self) -> &'static Syntax {
                &$syntax
            }
        }
    )*};
}

engines! {
    /// SQLite.
    Sqlite("sqlite") = SQLITE;
    /// PostgreSQL.
    Postgres("postgres") = POSTGRES;
    /// MySQL and MariaDB.
    Mysql("mysql") = MYSQL;
    /// Oracle (through ODBC).
    Oracle("oracle") = ORACLE;
    /// Microsoft SQL Server (through ODBC).
    SqlServer("sqlserver") = SQL_SERVER;
    /// Microsoft Access (through ODBC): one statement per call, 255-character
    /// TEXT, MEMO beyond, 32-bit LONG integers.
    Access("access") = ACCESS;
}

const SQLITE: Syntax = Syntax {
    types: TypeNames {
        integer: "INTEGER",
        ..TypeNames::STANDARD
    },
    cast_text: "CAST({} AS TEXT)",
    blob_hex: Some("hex({})"),
    multi_statement: true,
    max_params: Some(32766),
    ..Syntax::STANDARD
};

const POSTGRES: Syntax = Syntax {
    numbered_markers: true,
    types: TypeNames {
        blob: "BYTEA",
        ..TypeNames::STANDARD
    },
    cast_text: "CAST({} AS TEXT)",
    blob_hex: Some("encode({}, 'hex')"),
    cast_timestamp: Some("to_char({}, 'YYYY-MM-DD HH24:MI:SS')"),
    max_identifier: 63,
    max_params: Some(65535),
    multi_statement: true,
    bool_literals: ["TRUE", "FALSE"],
    ..Syntax::STANDARD
};

const MYSQL: Syntax = Syntax {
    quotes: ('`', '`'),
    types: TypeNames {
        timestamp: "DATETIME",
        blob: "LONGBLOB",
        ..TypeNames::STANDARD
    },
    cast_text: "CAST({} AS CHAR)",
    blob_hex: Some("HEX({})"),
    cast_timestamp: Some("DATE_FORMAT({}, '%Y-%m-%d %H:%i:%s')"),
    table_options: " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    transactional_ddl: false,
    max_params: Some(65535),
    max_identifier: 64,
    ..Syntax::STANDARD
};

const ORACLE: Syntax = Syntax {
    types: TypeNames {
        text: "VARCHAR2({} CHAR)",
        long_text: Some((4000, "CLOB")),
        integer: "NUMBER(19)",
        boolean: "NUMBER(1)",
        ..TypeNames::STANDARD
    },
    cast_text: "TO_CHAR({})",
    cast_timestamp: Some("TO_CHAR({}, 'YYYY-MM-DD HH24:MI:SS')"),
    transactional_ddl: false,
    savepoints: Some([
        Some("SAVEPOINT msp_archive"),
        None,
        Some("ROLLBACK TO SAVEPOINT msp_archive"),
    ]),
    max_identifier: 30,
    ..Syntax::STANDARD
};

const SQL_SERVER: Syntax = Syntax {
    quotes: ('[', ']'),
    types: TypeNames {
        text: "NVARCHAR({})",
        long_text: Some((4000, "NVARCHAR(MAX)")),
        boolean: "BIT",
        timestamp: "DATETIME2(0)",
        blob: "VARBINARY(MAX)",
        ..TypeNames::STANDARD
    },
    cast_text: "CONVERT(NVARCHAR(4000), {}, 120)",
    blob_hex: Some("CONVERT(VARCHAR(MAX), {}, 2)"),
    savepoints: Some([
        Some("SAVE TRANSACTION msp_archive"),
        None,
        Some("ROLLBACK TRANSACTION msp_archive"),
    ]),
    max_params: Some(2000),
    ..Syntax::STANDARD
};

const ACCESS: Syntax = Syntax {
    quotes: ('[', ']'),
    types: TypeNames {
        text: "TEXT({})",
        long_text: Some((255, "MEMO")),
        integer: "LONG",
        boolean: "YESNO",
        date: "DATETIME",
        timestamp: "DATETIME",
        blob: "LONGBINARY",
    },
    cast_text: "CSTR({})",
    cast_timestamp: Some("FORMAT({}, 'yyyy-mm-dd hh:nn:ss')"),
    savepoints: None,
    max_identifier: 64,
    bool_literals: ["TRUE", "FALSE"],
    ..Syntax::STANDARD
};
