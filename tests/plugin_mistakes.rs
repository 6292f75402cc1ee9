//! A plugin's own mistakes are never blamed on the citizen: a row for a
//! column or table it did not declare, or a value of another kind, is
//! trouble naming the plugin (the archive stays in input for when the
//! plugin is fixed); a value too long for its column is the data's, a
//! rejection naming the column.

use std::sync::Arc;

use msp_core::Config;
use msp_plugins::{
    Column, ColumnType, DataDocument, FlowPlugin, ParseContext, PluginError, Records, Registry,
    Row, TableDef,
};
use portal_sim::Archive;

/// BUG-LA: what its rows look like is chosen by the test.
struct Buggy(fn(String) -> Row);

impl FlowPlugin for Buggy {
    fn flow_code(&self) -> &'static str {
        "BUG-LA"
    }
    fn application(&self) -> &'static str {
        "Bogue"
    }
    fn description(&self) -> &'static str {
        "a démarche with a bug"
    }
    fn tables(&self) -> Vec<TableDef> {
        vec![TableDef {
            name: "bug_personne",
            comment: "",
            columns: vec![
                Column::required("nom", ColumnType::Text(10)),
                Column::optional("age", ColumnType::Integer),
            ],
            key: vec![],
        }]
    }
    fn parse(&self, _: &ParseContext, docs: &[DataDocument]) -> Result<Records, PluginError> {
        let nom = msp_plugins::fields::required(&docs[0].root, "", "Nom", 100)?;
        Ok(Records {
            rows: vec![(self.0)(nom.clone())],
            summary: nom,
        })
    }
}

fn run(rows: fn(String) -> Row, nom: &str) -> (tempfile::TempDir, Config, msp_core::RunReport) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::from_toml(
        "root = \"msp-data\"\n[[client]]\nname = \"m\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n",
        dir.path(),
        "test".into(),
    )
    .unwrap();
    std::fs::create_dir_all(&config.folders.input).unwrap();
    Archive::with_document(
        "A-2-BUG1",
        "BUG-LA",
        1,
        "00000-XML",
        format!("<Demande><Nom>{nom}</Nom></Demande>"),
    )
    .write_to(&config.folders.input)
    .unwrap();
    let mut registry = Registry::new();
    registry.add(Arc::new(Buggy(rows)));
    let connector = db_backends::AutoInit::new(&registry);
    let report = msp_core::sync::Synchronizer::new(&config, &registry, &connector)
        .run_once()
        .unwrap();
    (dir, config, report)
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn assert_blamed_on_the_plugin(rows: fn(String) -> Row, what: &str) {
    let (_dir, config, report) = run(rows, "Durand");
    assert_eq!(report.exit_code(), 2, "{report:?}");
    assert!(
        report.rejected.is_empty(),
        "not the citizen's fault: {report:?}"
    );
    let cause = &report.troubles[0].cause;
    assert!(
        cause.contains("plugin BUG-LA (Bogue) is faulty") && cause.contains(what),
        "{cause}"
    );
    assert_eq!(names(&config.folders.input), vec!["A-2-BUG1-BUG-LA-1.zip"]);
    assert!(names(&config.folders.error).is_empty());
}

#[test]
fn a_column_the_plugin_did_not_declare_is_its_bug() {
    assert_blamed_on_the_plugin(
        |nom| Row::new("bug_personne").set("nme", nom),
        "table bug_personne has no column nme",
    );
}

#[test]
fn a_table_the_plugin_did_not_declare_is_its_bug() {
    assert_blamed_on_the_plugin(
        |nom| Row::new("bug_person").set("nom", nom),
        "it made a row for table bug_person, which it does not declare",
    );
}

#[test]
fn a_value_of_another_kind_is_its_bug() {
    assert_blamed_on_the_plugin(
        |nom| Row::new("bug_personne").set("nom", nom).set("age", "douze"),
        "column bug_personne.age is Integer but the value is",
    );
}

#[test]
fn a_value_too_long_for_its_column_is_the_data_s() {
    let (_dir, config, report) = run(
        |nom| Row::new("bug_personne").set("nom", nom),
        "Durand-de-la-Fontaine",
    );
    assert_eq!(report.exit_code(), 1, "{report:?}");
    assert!(report.troubles.is_empty(), "{report:?}");
    assert!(
        report.rejected[0].1.contains("column bug_personne.nom"),
        "{:?}",
        report.rejected
    );
    assert!(names(&config.folders.error).contains(&"A-2-BUG1-BUG-LA-1.zip".to_string()));
}
