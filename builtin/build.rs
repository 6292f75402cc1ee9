//! Generates the registration of the built-in plugins: one `use plugin_x as
//! _;` per `plugin-*` dependency of this crate (the linker would otherwise
//! drop a plugin crate nothing names, and its `register!` with it), and a
//! compile error when a plugin crate of the workspace is not listed.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&dir);
    let manifest = dir.join("Cargo.toml");
    let workspace = dir.parent().expect("builtin/ is in the workspace");
    println!("cargo:rerun-if-changed={}", manifest.display());
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.toml").display()
    );
    let linked = linked_plugins(&manifest);
    let mut out = String::new();
    for name in &linked {
        let _ = writeln!(out, "use {} as _;", name.replace('-', "_"));
    }
    let _ = writeln!(
        out,
        "/// The plugin crates linked into this build.\npub const LINKED: &[&str] = &[{}];",
        linked
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    refuse_unlinked(workspace, &linked, &mut out);
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("linked.rs"), out).expect("write linked.rs");
}

/// The `plugin-*` dependencies of builtin/Cargo.toml.
fn linked_plugins(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("builtin/Cargo.toml");
    let value: toml::Table = text.parse().expect("builtin/Cargo.toml is TOML");
    value
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| {
            d.keys()
                .filter(|k| k.starts_with("plugin-"))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The `members` of the workspace's manifest.
fn workspace_members(workspace: &Path) -> Vec<String> {
    std::fs::read_to_string(workspace.join("Cargo.toml"))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| {
            Some(
                t.get("workspace")?
                    .get("members")?
                    .as_array()?
                    .iter()
                    .filter_map(|m| m.as_str().map(str::to_string))
                    .collect(),
            )
        })
        .unwrap_or_default()
}

/// A `compile_error!` into `out` for every plugin crate of the workspace
/// that registers a built-in démarche but is not linked: its archives
/// would sit in input unseen.
fn refuse_unlinked(workspace: &Path, linked: &[String], out: &mut String) {
    for member in workspace_members(workspace) {
        let lib = workspace.join(&member).join("src/lib.rs");
        let Ok(source) = std::fs::read_to_string(&lib) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", lib.display());
        let Some(name) = std::fs::read_to_string(workspace.join(&member).join("Cargo.toml"))
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
            .and_then(|t| Some(t.get("package")?.get("name")?.as_str()?.to_string()))
        else {
            continue;
        };
        let registers =
            source.contains("msp_plugins::register!(") || source.contains("msp_plugins::demarche!");
        if registers && !linked.contains(&name) {
            let _ = writeln!(
                out,
                "compile_error!({:?});",
                format!(
                    "the plugin crate {name} ({member}/) registers a démarche but is not linked into msp: \
                     add `{name}.workspace = true` under [dependencies] in builtin/Cargo.toml \
                     and `{name} = {{ path = \"{member}\" }}` under [workspace.dependencies] in Cargo.toml \
                     (cargo xtask new-demarche does both)"
                )
            );
        }
    }
}
