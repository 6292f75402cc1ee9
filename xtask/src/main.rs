//! Project tasks, run as `cargo xtask ...` (cargo's xtask convention, the
//! alias is in `.cargo/config.toml`).
//!
//! `cargo xtask new-demarche CODE` writes a plugin crate for a new démarche
//! (document reader, rules, tables, a sample document, tests using the
//! plugin test kit) and registers it: a member of the workspace, a
//! dependency of `msp-builtin` (which links it into msp and portal-sim). No
//! other file needs an edit for the new flow to import.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "msp's project tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Writes and registers a plugin crate for a new démarche.
    NewDemarche {
        /// The flow code as the portal names it (`DDPACS-LA`).
        code: String,
        /// The business application it feeds.
        #[arg(long, default_value = "Application")]
        app: String,
        /// One line saying what the démarche is.
        #[arg(long)]
        description: Option<String>,
        /// The data document's root element.
        #[arg(long, default_value = "Demande")]
        root: String,
        /// The data document's `Document/Code` in the envelope.
        #[arg(long, default_value = "00000-XML")]
        document_code: String,
        /// The workspace to write into (default: this one).
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
}

const TEMPLATES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../template/Cargo.toml")),
    ("src/lib.rs", include_str!("../template/lib.rs")),
    ("src/document.rs", include_str!("../template/document.rs")),
    ("src/rules.rs", include_str!("../template/rules.rs")),
    ("src/tables.rs", include_str!("../template/tables.rs")),
    (
        "tests/data/sample.xml",
        include_str!("../template/sample.xml"),
    ),
    ("tests/import.rs", include_str!("../template/import.rs")),
];

/// The names derived from a flow code.
#[derive(Debug, PartialEq, Eq)]
struct Names {
    code: String,
    /// `ddpacs`: table prefix and crate suffix.
    short: String,
    /// `plugin-ddpacs`.
    krate: String,
    /// `Ddpacs`.
    ty: String,
}

fn names(code: &str) -> Result<Names, String> {
    let parts: Vec<&str> = code.split('-').collect();
    let ok = (3..=24).contains(&code.len())
        && parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        && parts[0].starts_with(|c: char| c.is_ascii_uppercase());
    if !ok {
        return Err(format!(
            "{code:?} is not a flow code: upper-case letters and digits in parts joined by '-', such as DDPACS-LA (the portal's code, as in the archive names)"
        ));
    }
    let short = parts[0].to_ascii_lowercase();
    if short.len() > 18 {
        return Err(format!(
            "{code}: its first part is too long to prefix table names (at most 18 characters)"
        ));
    }
    let mut ty = short.clone();
    ty[..1].make_ascii_uppercase();
    Ok(Names {
        code: code.to_string(),
        krate: format!("plugin-{short}"),
        short,
        ty,
    })
}

/// Adds `line` after the last line of `text` that `after` matches, inside
/// the section `[section]`.
fn insert_after_last(
    text: &str,
    section: &str,
    after: impl Fn(&str) -> bool,
    line: &str,
) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("[{section}]"))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    let at = (start + 1..end).rev().find(|&i| after(lines[i]))? + 1;
    let mut out: Vec<&str> = lines[..at].to_vec();
    out.push(line);
    out.extend(&lines[at..]);
    Some(out.join("\n") + "\n")
}

fn add_member(text: &str, member: &str) -> Option<String> {
    let i = text.find("members = [")?;
    let close = i + text[i..].find(']')?;
    let list = &text[i..close];
    if list.contains(&format!("\"{member}\"")) {
        return Some(text.to_string());
    }
    Some(format!(
        "{}, \"{member}\"{}",
        &text[..close],
        &text[close..]
    ))
}

fn new_demarche(
    code: &str,
    app: &str,
    description: Option<&str>,
    root: &str,
    document_code: &str,
    workspace: &Path,
) -> Result<Vec<String>, String> {
    let n = names(code)?;
    if !root.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || !root.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return Err(format!("--root {root:?} is not an XML element name"));
    }
    let dir = workspace.join(&n.krate);
    if dir.exists() {
        return Err(format!("{} already exists", dir.display()));
    }
    let manifest_path = workspace.join("Cargo.toml");
    let builtin_path = workspace.join("builtin/Cargo.toml");
    let manifest = fs::read_to_string(&manifest_path).map_err(|e| {
        format!(
            "{}: {e} (run it in msp's workspace)",
            manifest_path.display()
        )
    })?;
    let builtin = fs::read_to_string(&builtin_path)
        .map_err(|e| format!("{}: {e}", builtin_path.display()))?;
    refuse_handled_flow(workspace, code)?;
    let placeholders = Placeholders::new(&n, app, description, root, document_code);
    let (manifest, builtin) = registered(&manifest, &builtin, &n)?;
    let mut written = write_templates(&dir, &n, &placeholders)?;
    fs::write(&manifest_path, manifest).map_err(|e| e.to_string())?;
    fs::write(&builtin_path, builtin).map_err(|e| e.to_string())?;
    rustfmt(&dir);
    written.push("Cargo.toml (workspace member and dependency)".into());
    written.push("builtin/Cargo.toml (linked into msp and portal-sim)".into());
    Ok(written)
}

/// Refuses a flow code already handled by a plugin crate of the workspace.
fn refuse_handled_flow(workspace: &Path, code: &str) -> Result<(), String> {
    for entry in fs::read_dir(workspace)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let lib = entry.path().join("src/lib.rs");
        if let Ok(text) = fs::read_to_string(&lib) {
            if text.contains(&format!("pub const FLOW: &str = \"{code}\";")) {
                return Err(format!("{code} is already handled by {}", lib.display()));
            }
        }
    }
    Ok(())
}

/// The values the templates' `{{...}}` placeholders take.
struct Placeholders<'a> {
    names: &'a Names,
    root: &'a str,
    document_code: &'a str,
    /// Escaped for Rust and TOML strings alike.
    app: String,
    /// Escaped likewise.
    description: String,
}

impl<'a> Placeholders<'a> {
    fn new(
        names: &'a Names,
        app: &str,
        description: Option<&str>,
        root: &'a str,
        document_code: &'a str,
    ) -> Self {
        let description = description
            .map(str::to_string)
            .unwrap_or_else(|| format!("démarche {}", names.code));
        // In Rust and TOML strings alike.
        let app = app.replace('\\', "\\\\").replace('"', "\\\"");
        let description = description.replace('\\', "\\\\").replace('"', "\\\"");
        Placeholders {
            names,
            root,
            document_code,
            app,
            description,
        }
    }

    /// `template` with every placeholder filled.
    fn fill(&self, template: &str) -> String {
        let n = self.names;
        template
            .replace("{{CODE}}", &n.code)
            .replace("{{crate}}", &n.krate)
            .replace("{{crate_ident}}", &n.krate.replace('-', "_"))
            .replace("{{Type}}", &n.ty)
            .replace("{{prefix}}", &n.short)
            .replace("{{ROOT}}", self.root)
            .replace("{{APP}}", &self.app)
            .replace("{{DOCCODE}}", self.document_code)
            .replace("{{description}}", &self.description)
    }
}

/// The workspace's and `builtin`'s manifests with the new crate registered:
/// a workspace member and dependency, a dependency of `msp-builtin`.
fn registered(manifest: &str, builtin: &str, n: &Names) -> Result<(String, String), String> {
    let manifest = add_member(manifest, &n.krate)
        .and_then(|m| {
            insert_after_last(
                &m,
                "workspace.dependencies",
                |l| l.starts_with("plugin-") || l.starts_with("msp-"),
                &format!("{} = {{ path = \"{}\" }}", n.krate, n.krate),
            )
        })
        .ok_or("Cargo.toml: no [workspace] members or [workspace.dependencies] to extend")?;
    let builtin = insert_after_last(
        builtin,
        "dependencies",
        |l| l.starts_with("plugin-") || l.starts_with("msp-plugins"),
        &format!("{}.workspace = true", n.krate),
    )
    .ok_or("builtin/Cargo.toml: no [dependencies] to extend")?;
    Ok((manifest, builtin))
}

/// Writes the crate's files from the templates; returns their names.
fn write_templates(
    dir: &Path,
    n: &Names,
    placeholders: &Placeholders<'_>,
) -> Result<Vec<String>, String> {
    let mut written = Vec::new();
    for (file, template) in TEMPLATES {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(&path, placeholders.fill(template))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(format!("{}/{file}", n.krate));
    }
    Ok(written)
}

/// Lays the crate's sources out as `cargo fmt` would (names of any
/// length), when rustfmt is there.
fn rustfmt(dir: &Path) {
    let _ = std::process::Command::new("rustfmt")
        .arg("--edition=2021")
        .args([
            "src/lib.rs",
            "src/document.rs",
            "src/rules.rs",
            "src/tables.rs",
            "tests/import.rs",
        ])
        .current_dir(dir)
        .status();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.task {
        Task::NewDemarche {
            code,
            app,
            description,
            root,
            document_code,
            workspace,
        } => {
            let workspace = workspace.unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .parent()
                    .expect("xtask/ is in the workspace")
                    .to_path_buf()
            });
            match new_demarche(
                &code,
                &app,
                description.as_deref(),
                &root,
                &document_code,
                &workspace,
            ) {
                Ok(written) => {
                    let n = names(&code).expect("checked");
                    println!("new démarche {code}: wrote");
                    for w in written {
                        println!("  {w}");
                    }
                    println!(
                        "next:\n  cargo test -p {k}                      # the plugin's tests (test kit)\n  cargo run -- plugins                     # {code} is listed\n  cargo run -p portal-sim -- --flow {code} --count 3\n  cargo run -- run --flow {code}            # imports them\nthen edit {k}/src/document.rs, rules.rs, tables.rs and tests/data/sample.xml for the real document (docs/writing-a-demarche.md)",
                        k = n.krate
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("cargo xtask new-demarche: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_flow_code() {
        let n = names("DDPACS-LA").unwrap();
        assert_eq!(
            (n.short.as_str(), n.krate.as_str(), n.ty.as_str()),
            ("ddpacs", "plugin-ddpacs", "Ddpacs")
        );
        for bad in [
            "ddpacs-la",
            "DDPACS",
            "DD PACS-LA",
            "-LA",
            "DDPACS--LA",
            "1DD-LA",
        ] {
            assert!(names(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cargo_files_are_extended_in_place() {
        let m = "[workspace]\nmembers = [\".\", \"plugin-a\"]\n\n[workspace.dependencies]\nmsp-core = { path = \"msp-core\" }\nplugin-a = { path = \"plugin-a\" }\ndiesel = \"2\"\n\n[dependencies]\nx = 1\n";
        let m2 = add_member(m, "plugin-b").unwrap();
        assert!(m2.contains("members = [\".\", \"plugin-a\", \"plugin-b\"]"));
        let m3 = insert_after_last(
            &m2,
            "workspace.dependencies",
            |l| l.starts_with("plugin-"),
            "plugin-b = { path = \"plugin-b\" }",
        )
        .unwrap();
        assert!(
            m3.contains(
                "plugin-a = { path = \"plugin-a\" }\nplugin-b = { path = \"plugin-b\" }\ndiesel"
            ),
            "{m3}"
        );
    }

    #[test]
    fn a_new_demarche_is_written_and_registered() {
        let ws = std::env::temp_dir().join(format!("msp-xtask-{}", std::process::id()));
        let _ = fs::remove_dir_all(&ws);
        fs::create_dir_all(ws.join("builtin")).unwrap();
        fs::write(ws.join("Cargo.toml"), "[workspace]\nmembers = [\".\", \"builtin\"]\n\n[workspace.dependencies]\nmsp-plugins = { path = \"msp-plugins\" }\n").unwrap();
        fs::write(
            ws.join("builtin/Cargo.toml"),
            "[package]\nname = \"msp-builtin\"\n\n[dependencies]\nmsp-plugins.workspace = true\n",
        )
        .unwrap();
        let written = new_demarche(
            "DDPACS-LA",
            "Pacs",
            None,
            "DeclarationPacs",
            "12345-XML",
            &ws,
        )
        .unwrap();
        assert!(written.iter().any(|w| w == "plugin-ddpacs/src/lib.rs"));
        let lib = fs::read_to_string(ws.join("plugin-ddpacs/src/lib.rs")).unwrap();
        assert!(
            lib.contains("pub const FLOW: &str = \"DDPACS-LA\";")
                && lib.contains("pub struct Ddpacs;")
        );
        assert!(!lib.contains("{{"), "every placeholder filled");
        assert!(fs::read_to_string(ws.join("builtin/Cargo.toml"))
            .unwrap()
            .contains("plugin-ddpacs.workspace = true"));
        assert!(fs::read_to_string(ws.join("Cargo.toml"))
            .unwrap()
            .contains("\"builtin\", \"plugin-ddpacs\"]"));
        // Twice: refused, nothing changed.
        assert!(new_demarche(
            "DDPACS-LA",
            "Pacs",
            None,
            "DeclarationPacs",
            "12345-XML",
            &ws
        )
        .unwrap_err()
        .contains("already exists"));
        let _ = fs::remove_dir_all(&ws);
    }
}
