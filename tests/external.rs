//! A démarche written outside msp, loaded from a shared library named in
//! the configuration (`plugins = [...]`), imports like a built-in one.

mod common;

use std::path::PathBuf;

use common::{files, Env};
use portal_sim::Archive;

/// The example plugin's shared library, built with the tests
/// (plugin-example is a dev-dependency with crate-type cdylib).
fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    for dir in [deps.to_path_buf(), deps.parent().unwrap().to_path_buf()] {
        for name in [
            "libplugin_example.so",
            "libplugin_example.dylib",
            "plugin_example.dll",
        ] {
            let p = dir.join(name);
            if p.exists() {
                return p;
            }
        }
    }
    panic!("libplugin_example not built next to {}", deps.display());
}

const DOC: &str = "<?xml version=\"1.0\"?><DemandeDocument xmlns=\"urn:exemple\"><Nom>Lefèvre</Nom><Prenom>Zoé</Prenom><Document>Délibération du 3 mars</Document><NombreExemplaires>2</NombreExemplaires></DemandeDocument>";

#[test]
fn an_external_plugin_imports_validates_and_returns() {
    let lib = library();
    let env = Env::with_config(&format!(
        "plugins = [\"{}\"]\n[[client]]\nname = \"Paris\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n",
        lib.display()
    ));
    let r = env.msp(&["plugins"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.assert_stdout_has("EXEMPLE-LA Archives");
    r.assert_stdout_has("table exemple_demande");
    let r = env.msp(&["config", "check"]);
    r.assert_stdout_has("ok   plugin EXEMPLE-LA (Archives) from");

    env.deliver(&Archive::with_document(
        "A-2-EXT",
        "EXEMPLE-LA",
        1,
        "EX-XML",
        DOC.into(),
    ));
    let bad = DOC.replace("<NombreExemplaires>2</", "<NombreExemplaires>9</");
    env.deliver(&Archive::with_document(
        "A-2-EXTBAD",
        "EXEMPLE-LA",
        1,
        "EX-XML",
        bad,
    ));
    env.deliver(&Archive::rco("A-2-BUILTIN", 1));
    let r = env.run(&[]);
    r.assert_code(1);
    assert_eq!(
        files(&env.done()),
        ["A-2-BUILTIN-RCO-LA-1.zip", "A-2-EXT-EXEMPLE-LA-1.zip"]
    );
    let log = std::fs::read_to_string(env.error().join("A-2-EXTBAD-EXEMPLE-LA-1.zip.log")).unwrap();
    common::assert_has(&log, "NombreExemplaires is 9 but must be 1 to 5");
    // The plugin's French words crossed the JSON boundary (`rule_fr`).
    assert!(
        log.contains("Explication : ")
            && log.contains("NombreExemplaires vaut « 9 » alors qu'il doit valoir de 1 à 5."),
        "{log}"
    );
    assert_eq!(
        env.dossier("A-2-EXT")["summary"],
        "Lefèvre Zoé: Délibération du 3 mars x2"
    );
    let rows = common::query_strings(
        &env.db(),
        "SELECT nom || '|' || document || '|' || exemplaires AS v FROM exemple_demande",
    );
    assert_eq!(rows, ["Lefèvre|Délibération du 3 mars|2"]);
    let r = env.msp(&["dossier", "status", "A-2-EXT", "16"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.msp(&["dossier", "status", "A-2-EXT", "19"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.run(&[]).code, 0);
    // 19 (superseding the untransmitted 16) with the plugin's own comment, then 100.
    let msg = common::zip_text(
        &env.output().join("A-2-EXT-EXEMPLE-LA-2.zip"),
        "message.xml",
    );
    common::assert_has(&msg, "<ns2:Etat>19</ns2:Etat>");
    common::assert_has(
        &msg,
        "Votre copie est prête : vous pouvez la retirer en mairie.",
    );
    // The plugin's return document, through ABI version 2: named in the
    // message, carried in the archive.
    common::assert_has(&msg, "A-2-EXT-retrait.txt");
    common::assert_has(&msg, "Avis de retrait");
    let note = common::zip_text(
        &env.output().join("A-2-EXT-EXEMPLE-LA-2.zip"),
        "A-2-EXT-retrait.txt",
    );
    assert_eq!(
        note,
        "Zoé Lefèvre : votre copie de « Délibération du 3 mars » (2 exemplaire(s)) est à retirer en mairie.\n"
    );
    assert_eq!(env.dossier("A-2-EXT")["status"], 100);
}

#[test]
fn the_sample_and_the_refusals_cross_the_boundary() {
    // Loaded as msp loads it: the description (sample included) and every
    // parse go through the C ABI and JSON.
    let plugin = msp_plugins::external::ExternalPlugin::load(&library()).unwrap();
    let records = msp_plugins::kit::check_sample(plugin.as_ref());
    assert_eq!(records.summary, "Lefèvre Zoé: Délibération du 3 mars x2");
    msp_plugins::kit::check_refusals(
        plugin.as_ref(),
        &[(
            "<NombreExemplaires>2</",
            "<NombreExemplaires>0</",
            "NombreExemplaires is 0 but must be 1 to 5",
        )],
    );
    assert_eq!(plugin.sample().unwrap().code, "EX-XML");
    assert!(plugin.migrations().is_empty());
}

#[test]
fn a_plugin_that_cannot_be_loaded_says_why() {
    let env = Env::with_config(
        "plugins = [\"/nonexistent/libmsp_nothing.so\"]\n[[client]]\nname = \"Paris\"\ninsee = [\"*\"]\ndatabase = \"sqlite://msp.db\"\n",
    );
    let r = env.msp(&["plugins"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot load plugin /nonexistent/libmsp_nothing.so")
            && r.stderr.contains("No such file or directory"),
        "the loader's reason, not only `dlopen failed`: {}",
        r.stderr
    );
}
