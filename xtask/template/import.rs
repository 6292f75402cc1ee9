//! {{CODE}} end to end: portal-sim wraps the sample document into an
//! archive as the portal drops it, the core imports it into SQLite through
//! the same pipeline as `msp run`, and the rows are read back.

use std::sync::Arc;

use msp_core::backend::Connector;
use msp_plugins::{FlowPlugin, Registry};

#[test]
fn the_sample_archive_imports_into_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let config = msp_core::Config::from_toml(
        "root = \"msp-data\"\n[[client]]\nname = \"mairie\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n",
        dir.path(),
        "test".into(),
    )
    .unwrap();
    std::fs::create_dir_all(&config.folders.input).unwrap();
    let plugin = {{crate_ident}}::{{Type}};
    let sample = plugin.sample().expect("a sample document");
    let expected = msp_plugins::kit::check_sample(&plugin).rows;
    portal_sim::Archive::with_document(
        "A-2-KIT1",
        {{crate_ident}}::FLOW,
        1,
        sample.code,
        sample.xml.to_string(),
    )
    .write_to(&config.folders.input)
    .unwrap();

    let mut registry = Registry::new();
    registry.add(Arc::new(plugin));
    let connector = db_backends::AutoInit::new(&registry);
    let report = msp_core::sync::Synchronizer::new(&config, &registry, &connector)
        .run_once()
        .unwrap();
    assert_eq!(report.exit_code(), 0, "{report:?}");
    assert_eq!(report.flows[{{crate_ident}}::FLOW].imported, 1, "{report:?}");

    // Every row the plugin made is in its table, as made.
    let backend = connector.connect(&config.clients[0], &config.root).unwrap();
    let mut stored = Vec::new();
    for table in plugin.tables() {
        stored.extend(backend.rows(&table, "A-2-KIT1").unwrap());
    }
    assert_eq!(stored.len(), expected.len(), "{stored:?}");
    for row in &expected {
        let found = stored.iter().any(|s| {
            s.table == row.table && row.values.iter().all(|(k, v)| s.get(k) == Some(v) || (matches!(v, msp_plugins::Value::Null) && s.get(k).is_none()))
        });
        assert!(found, "{row:?} not stored as made: {stored:?}");
    }
}
