//! Finding an ODBC driver's shared library for the driver manager msp
//! carries in its default build.
//!
//! Debian's driver packages register their drivers in `/etc/odbcinst.ini`
//! by file name only (`Driver=psqlodbcw.so`); the system's unixODBC looks
//! for such names in its own module folder (`/usr/lib/<triplet>/odbc`). The
//! unixODBC compiled into msp (cargo feature `bundled`) hands the name to
//! `dlopen` as it is, which does not look there. So before connecting, a
//! `Driver={Name}` of the connection string whose registered library is a
//! bare file name is replaced by that library's full path when it is found in
//! the folders where distributions install ODBC drivers.

use std::path::{Path, PathBuf};

/// Folders where distributions install ODBC drivers, most specific first.
fn driver_folders() -> Vec<PathBuf> {
    let triplet = format!("{}-linux-gnu", std::env::consts::ARCH);
    [
        format!("/usr/lib/{triplet}/odbc"),
        format!("/usr/lib/{triplet}"),
        "/usr/lib64".to_string(),
        "/usr/lib/odbc".to_string(),
        "/usr/lib".to_string(),
        "/usr/local/lib".to_string(),
    ]
    .into_iter()
    .map(PathBuf::from)
    .collect()
}

/// The driver registry unixODBC reads: `$ODBCSYSINI/$ODBCINSTINI`, by
/// default `/etc/odbcinst.ini`.
fn registry_path() -> PathBuf {
    let dir = std::env::var_os("ODBCSYSINI").unwrap_or_else(|| "/etc".into());
    let file = std::env::var_os("ODBCINSTINI").unwrap_or_else(|| "odbcinst.ini".into());
    Path::new(&dir).join(file)
}

/// The `Driver` key of section `[name]` in an odbcinst.ini text.
fn registered_library(ini: &str, name: &str) -> Option<String> {
    let mut in_section = false;
    for line in ini.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = section.trim().eq_ignore_ascii_case(name);
        } else if in_section {
            if let Some((key, value)) = line.split_once('=') {
                if key.trim().eq_ignore_ascii_case("driver") {
                    return Some(value.trim().to_string());
                }
            }
        }
    }
    None
}

/// The `(start, end)` byte range of the value of the `Driver` attribute in
/// a connection string, braces included, and the value without braces.
fn driver_attribute(cs: &str) -> Option<(usize, usize, &str)> {
    let mut pos = 0;
    while pos < cs.len() {
        let rest = &cs[pos..];
        let eq = rest.find('=')?;
        let key = rest[..eq].trim();
        let value_start = pos + eq + 1;
        let value_rest = &cs[value_start..];
        let (value_end, value) = if value_rest.trim_start().starts_with('{') {
            let open = value_start + value_rest.find('{')?;
            let close = open + cs[open..].find('}')?;
            (close + 1, &cs[open + 1..close])
        } else {
            let end = value_start + value_rest.find(';').unwrap_or(value_rest.len());
            (end, cs[value_start..end].trim())
        };
        if key.eq_ignore_ascii_case("driver") {
            return Some((value_start, value_end, value));
        }
        pos = value_end
            + cs[value_end..]
                .find(';')
                .map_or(cs.len() - value_end, |i| i + 1);
    }
    None
}

/// `cs` with a registered driver's bare library name replaced by the path
/// where it is installed, or `cs` unchanged when there is nothing to do
/// (a path already, a DSN, a driver not registered or not found).
pub fn resolve(cs: &str) -> String {
    let ini = std::fs::read_to_string(registry_path()).unwrap_or_default();
    resolve_with(cs, &ini, &driver_folders())
}

fn resolve_with(cs: &str, ini: &str, folders: &[PathBuf]) -> String {
    let Some((start, end, name)) = driver_attribute(cs) else {
        return cs.to_string();
    };
    if name.contains('/') {
        return cs.to_string();
    }
    let library = registered_library(ini, name).unwrap_or_else(|| name.to_string());
    if library.contains('/') {
        return cs.to_string();
    }
    match folders
        .iter()
        .map(|f| f.join(&library))
        .find(|p| p.is_file())
    {
        Some(path) => format!("{}{{{}}}{}", &cs[..start], path.display(), &cs[end..]),
        None => cs.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INI: &str =
        "[PostgreSQL Unicode]\nDescription=x\nDriver=psqlodbcw.so\n\n[Abs]\nDriver=/opt/d/lib.so\n";

    fn folder_with(file: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file), b"").unwrap();
        dir
    }

    #[test]
    fn a_registered_bare_name_becomes_the_installed_path() {
        let dir = folder_with("psqlodbcw.so");
        let cs = "Driver={PostgreSQL Unicode};Server=h;Database=d;";
        let got = resolve_with(cs, INI, &[dir.path().to_path_buf()]);
        assert_eq!(
            got,
            format!(
                "Driver={{{}}};Server=h;Database=d;",
                dir.path().join("psqlodbcw.so").display()
            )
        );
    }

    #[test]
    fn the_attribute_is_found_anywhere_and_in_any_case() {
        let dir = folder_with("psqlodbcw.so");
        let cs = "Server={a;b};DRIVER = {PostgreSQL Unicode} ;Uid=u";
        let got = resolve_with(cs, INI, &[dir.path().to_path_buf()]);
        assert!(got.starts_with("Server={a;b};DRIVER ="), "{got}");
        assert!(got.contains("psqlodbcw.so} ;Uid=u"), "{got}");
    }

    #[test]
    fn paths_dsns_and_unknown_libraries_are_left_alone() {
        let dir = folder_with("other.so");
        let folders = [dir.path().to_path_buf()];
        for cs in [
            "DSN=town;Uid=u",
            "Driver={Abs};Server=h",
            "Driver=/usr/lib/x.so;Server=h",
            "Driver={PostgreSQL Unicode};Server=h",
        ] {
            assert_eq!(resolve_with(cs, INI, &folders), cs);
        }
    }
}
