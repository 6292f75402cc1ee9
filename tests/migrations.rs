//! Migrations of a plugin's tables: a démarche whose version 2 adds a
//! column, a table and an index is imported at version 1, then at version 2
//! on the same database — on SQLite, PostgreSQL and MariaDB — and the rows
//! of version 1 are kept.

mod common;

use std::sync::Arc;

use msp_core::backend::Connector;
use msp_core::Config;
use msp_plugins::{
    Column, ColumnType, DataDocument, FlowPlugin, Migration, MigrationStep, ParseContext,
    PluginError, Records, Registry, Row, TableDef, Value,
};
use portal_sim::Archive;

/// The démarche MIG-LA at version 1 or 2.
struct Mig(u32);

impl FlowPlugin for Mig {
    fn flow_code(&self) -> &'static str {
        "MIG-LA"
    }
    fn application(&self) -> &'static str {
        "Test"
    }
    fn description(&self) -> &'static str {
        "a démarche whose tables change"
    }
    fn schema_version(&self) -> u32 {
        self.0
    }
    fn tables(&self) -> Vec<TableDef> {
        let mut personne = vec![Column::required("nom", ColumnType::Text(100))];
        let mut tables = Vec::new();
        if self.0 >= 2 {
            personne.push(Column::optional("ville", ColumnType::Text(100)));
        }
        tables.push(TableDef {
            name: "mig_personne",
            comment: "a person",
            columns: personne,
            key: vec![],
        });
        if self.0 >= 2 {
            tables.push(TableDef {
                name: "mig_note",
                comment: "a note",
                columns: vec![Column::required("texte", ColumnType::Text(200))],
                key: vec![],
            });
        }
        tables
    }
    fn migrations(&self) -> Vec<Migration> {
        vec![Migration {
            version: 2,
            steps: vec![
                MigrationStep::AddColumn {
                    table: "mig_personne",
                    column: "ville",
                },
                MigrationStep::AddTable("mig_note"),
                MigrationStep::AddIndex {
                    table: "mig_personne",
                    name: "mig_personne_ville",
                    columns: vec!["ville"],
                },
            ],
        }]
    }
    fn parse(&self, _: &ParseContext, docs: &[DataDocument]) -> Result<Records, PluginError> {
        let root = &docs[0].root;
        let nom = msp_plugins::fields::required(root, "", "Nom", 100)?;
        let mut rows = vec![Row::new("mig_personne").set("nom", nom.clone())];
        if self.0 >= 2 {
            rows[0] = Row::new("mig_personne").set("nom", nom.clone()).set(
                "ville",
                msp_plugins::fields::optional(root, "", "Ville", 100)?,
            );
            rows.push(Row::new("mig_note").set("texte", format!("note de {nom}")));
        }
        Ok(Records { rows, summary: nom })
    }
}

fn import(config: &Config, version: u32, numero: &str, nom: &str) {
    let mut registry = Registry::new();
    registry.add(Arc::new(Mig(version)));
    let doc = format!("<Demande><Nom>{nom}</Nom><Ville>Lyon</Ville></Demande>");
    std::fs::create_dir_all(&config.folders.input).unwrap();
    Archive::with_document(numero, "MIG-LA", 1, "00000-XML", doc)
        .write_to(&config.folders.input)
        .unwrap();
    let connector = db_backends::AutoInit::new(&registry);
    let report = msp_core::sync::Synchronizer::new(config, &registry, &connector)
        .run_once()
        .unwrap();
    assert_eq!(report.exit_code(), 0, "{report:?}");
    assert_eq!(report.flows["MIG-LA"].imported, 1, "{report:?}");
}

fn migrate(database: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::from_toml(
        &format!("root = \"msp-data\"\n[[client]]\nname = \"m\"\ninsee = [\"*\"]\n{database}"),
        dir.path(),
        "test".into(),
    )
    .unwrap();
    import(&config, 1, "A-2-MIG1", "Dupont");
    // Version 2 without its migration: a configuration error saying so.
    struct NoMigration;
    impl FlowPlugin for NoMigration {
        fn flow_code(&self) -> &'static str {
            "MIG-LA"
        }
        fn application(&self) -> &'static str {
            "Test"
        }
        fn description(&self) -> &'static str {
            ""
        }
        fn schema_version(&self) -> u32 {
            2
        }
        fn tables(&self) -> Vec<TableDef> {
            Mig(2).tables()
        }
        fn parse(&self, c: &ParseContext, d: &[DataDocument]) -> Result<Records, PluginError> {
            Mig(2).parse(c, d)
        }
    }
    let mut registry = Registry::new();
    registry.add(Arc::new(NoMigration));
    let e = db_backends::AutoInit::new(&registry)
        .connect(&config.clients[0], &config.root)
        .err()
        .expect("refused");
    assert!(
        e.message
            .contains("declares no migration to version 2 (FlowPlugin::migrations)"),
        "{e}"
    );
    // With it: applied, then the new column is written.
    import(&config, 2, "A-2-MIG2", "Martin");
    let mut registry = Registry::new();
    registry.add(Arc::new(Mig(2)));
    let backend = db_backends::AutoInit::new(&registry)
        .connect(&config.clients[0], &config.root)
        .unwrap();
    let tables = Mig(2).tables();
    let value = |numero: &str, table: usize, col: &str| -> Value {
        let rows = backend.rows(&tables[table], numero).unwrap();
        assert_eq!(rows.len(), 1, "{numero} {}", tables[table].name);
        rows[0].get(col).cloned().unwrap_or(Value::Null)
    };
    assert_eq!(
        value("A-2-MIG1", 0, "nom"),
        Value::Text("Dupont".into()),
        "kept"
    );
    assert_eq!(value("A-2-MIG1", 0, "ville"), Value::Null);
    assert_eq!(value("A-2-MIG2", 0, "ville"), Value::Text("Lyon".into()));
    assert_eq!(
        value("A-2-MIG2", 1, "texte"),
        Value::Text("note de Martin".into())
    );
    // A version 1 plugin on version 2 tables: refused, never a downgrade.
    let mut registry = Registry::new();
    registry.add(Arc::new(Mig(1)));
    let e = db_backends::AutoInit::new(&registry)
        .connect(&config.clients[0], &config.root)
        .err()
        .expect("refused");
    assert!(e.message.contains("newer than this plugin"), "{e}");
}

#[test]
fn a_migration_adds_a_column_a_table_and_an_index_on_sqlite() {
    migrate("database = \"sqlite://msp.db\"\n");
}

#[test]
fn a_migration_adds_a_column_a_table_and_an_index_on_postgresql() {
    let Some(db) = common::PgDatabase::create("msp_mig") else {
        return;
    };
    migrate(&format!("database = \"{}\"\n", db.url));
}

#[test]
fn a_migration_adds_a_column_a_table_and_an_index_on_mariadb() {
    let Some(db) = common::MariaDatabase::create("msp_mig") else {
        return;
    };
    migrate(&db.client_lines());
}

#[test]
fn migrations_are_checked_against_the_tables() {
    assert!(msp_plugins::check_migrations(&Mig(2)).is_ok());
    struct Bad(Migration);
    impl FlowPlugin for Bad {
        fn flow_code(&self) -> &'static str {
            "MIG-LA"
        }
        fn application(&self) -> &'static str {
            ""
        }
        fn description(&self) -> &'static str {
            ""
        }
        fn schema_version(&self) -> u32 {
            2
        }
        fn tables(&self) -> Vec<TableDef> {
            Mig(2).tables()
        }
        fn migrations(&self) -> Vec<Migration> {
            vec![self.0.clone()]
        }
        fn parse(&self, c: &ParseContext, d: &[DataDocument]) -> Result<Records, PluginError> {
            Mig(2).parse(c, d)
        }
    }
    let add = |table, column| Migration {
        version: 2,
        steps: vec![MigrationStep::AddColumn { table, column }],
    };
    let e = msp_plugins::check_migrations(&Bad(add("mig_personne", "nom"))).unwrap_err();
    common::assert_has(&e, "must be optional");
    let e = msp_plugins::check_migrations(&Bad(add("mig_personne", "age"))).unwrap_err();
    common::assert_has(&e, "not declared");
    let e = msp_plugins::check_migrations(&Bad(Migration {
        version: 3,
        steps: vec![],
    }))
    .unwrap_err();
    common::assert_has(&e, "no migration leads to version 2");
}
