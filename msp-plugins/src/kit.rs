//! The plugin test kit: what every démarche's tests check, in one place.
//!
//! ```ignore
//! #[test]
//! fn the_sample_imports() {
//!     msp_plugins::kit::check_sample(&MyPlugin);
//! }
//!
//! #[test]
//! fn each_rule_is_named() {
//!     msp_plugins::kit::check_refusals(&MyPlugin, &[
//!         // (in the sample, replace, by, and the refusal must say)
//!         ("<Nom>Durand</Nom>", "<Nom></Nom>", "Nom is missing or empty"),
//!     ]);
//! }
//! ```
//!
//! Its functions panic with a message saying what is wrong (they are meant
//! for `#[test]`s). The import end to end, through the core and a database,
//! is run by `cargo xtask new-demarche`'s check and the workspace's tests.

use std::collections::BTreeSet;

use crate::plugin::{DataDocument, FlowPlugin, ParseContext, PluginError, Records};
use crate::xml;

/// The context the kit parses with (dossier `A-1-KIT`, Paris).
pub fn context() -> ParseContext {
    ParseContext {
        numero: "A-1-KIT".into(),
        file_number: 1,
        insee: "75056".into(),
        submitted_at: None,
    }
}

/// Parses `text` as the plugin's data document (its sample's code; the
/// document is named `doc.xml` in messages).
pub fn parse(plugin: &dyn FlowPlugin, text: &str) -> Result<Records, PluginError> {
    let code = plugin.sample().map_or("DOC-XML", |s| s.code);
    let root = xml::parse(text.as_bytes())
        .unwrap_or_else(|e| panic!("the document is not well-formed XML: {e}"))
        .root;
    plugin.parse(
        &context(),
        &[DataDocument {
            code: code.into(),
            file_name: "doc.xml".into(),
            root,
        }],
    )
}

/// Checks the declared tables: names and columns unique, key columns
/// declared, names the engines accept (lower case, digits, `_`, at most 30
/// characters, as Oracle wants).
pub fn check_tables(plugin: &dyn FlowPlugin) {
    let flow = plugin.flow_code();
    let tables = plugin.tables();
    assert!(!tables.is_empty(), "{flow}: declares no table");
    if let Err(e) = crate::plugin::check_migrations(plugin) {
        panic!("{e}");
    }
    let mut names = BTreeSet::new();
    let fit = |n: &str| {
        !n.is_empty()
            && n.len() <= 30
            && n.starts_with(|c: char| c.is_ascii_lowercase())
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    for t in &tables {
        assert!(
            names.insert(t.name),
            "{flow}: table {} declared twice",
            t.name
        );
        assert!(
            fit(t.name),
            "{flow}: table name {:?} (lower case, digits, _, at most 30)",
            t.name
        );
        assert!(
            !t.name.starts_with("msp_"),
            "{flow}: table {}: msp_ is msp's own prefix",
            t.name
        );
        let mut cols = BTreeSet::new();
        for c in &t.columns {
            assert!(
                cols.insert(c.name),
                "{flow}: column {}.{} declared twice",
                t.name,
                c.name
            );
            assert!(fit(c.name), "{flow}: column name {}.{:?}", t.name, c.name);
            assert!(
                c.name != crate::DOSSIER_KEY,
                "{flow}: {}.{}: the dossier key is added by msp",
                t.name,
                c.name
            );
        }
        for k in &t.key {
            assert!(
                cols.contains(k),
                "{flow}: key column {}.{k} is not declared",
                t.name
            );
        }
    }
}

/// Parses the plugin's sample document and checks every row against the
/// declared tables (table known, columns declared, values of their type,
/// required ones present) and the summary; returns the records.
pub fn check_sample(plugin: &dyn FlowPlugin) -> Records {
    let flow = plugin.flow_code();
    check_tables(plugin);
    let sample = plugin
        .sample()
        .unwrap_or_else(|| panic!("{flow}: no sample document (FlowPlugin::sample)"));
    let records = parse(plugin, sample.xml)
        .unwrap_or_else(|e| panic!("{flow}: the sample document is refused: {e}"));
    assert!(!records.rows.is_empty(), "{flow}: the sample gives no row");
    assert!(!records.summary.trim().is_empty(), "{flow}: empty summary");
    let tables = plugin.tables();
    for row in &records.rows {
        let table = tables
            .iter()
            .find(|t| t.name == row.table)
            .unwrap_or_else(|| {
                panic!(
                    "{flow}: a row for table {}, which is not declared",
                    row.table
                )
            });
        if let Err(e) = table.check_row(row) {
            panic!("{flow}: a row of the sample does not fit its table: {e}");
        }
    }
    records
}

/// Each counter-example — the sample with `from` replaced (once) by `to` —
/// must be refused with a message containing `expected`, and with French
/// words for the clerk ([`PluginError::fr`]).
pub fn check_refusals(plugin: &dyn FlowPlugin, cases: &[(&str, &str, &str)]) {
    let flow = plugin.flow_code();
    let sample = plugin
        .sample()
        .unwrap_or_else(|| panic!("{flow}: no sample document (FlowPlugin::sample)"));
    for &(from, to, expected) in cases {
        let e = refusal(plugin, sample.xml, (from, to, expected));
        // The clerk reads the refusal in French (the rejection log's
        // Explication line): every rule gives its words.
        assert!(
            e.french().is_some_and(|f| f.chars().count() > e.element.chars().count() + 5),
            "{flow}: {to:?} instead of {from:?}: refused with {e:?}, which has no French words for the clerk (PluginError::fr)"
        );
    }
}

/// The refusal of one counter-example: `document` (a sample) with `from`
/// replaced (once) by `to` must be refused with a message containing
/// `expected`.
pub fn refusal(
    plugin: &dyn FlowPlugin,
    document: &str,
    (from, to, expected): (&str, &str, &str),
) -> PluginError {
    let flow = plugin.flow_code();
    assert!(
        document.contains(from),
        "{flow}: the sample does not contain {from:?}"
    );
    match parse(plugin, &document.replacen(from, to, 1)) {
        Ok(_) => panic!("{flow}: {to:?} instead of {from:?} was accepted, expected a refusal saying {expected:?}"),
        Err(e) => {
            assert!(
                e.to_string().contains(expected),
                "{flow}: {to:?} instead of {from:?}: refused with {e:?}, expected it to say {expected:?}"
            );
            e
        }
    }
}
