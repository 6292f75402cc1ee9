//! `portal-sim` as an administrator runs it.

use std::process::Command;

fn sim(dir: &std::path::Path, args: &[&str]) -> Vec<std::path::PathBuf> {
    let out = Command::new(env!("CARGO_BIN_EXE_portal-sim"))
        .args(["--out", dir.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(std::path::PathBuf::from)
        .collect()
}

#[test]
fn broken_archives_are_what_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let not_zip = sim(dir.path(), &["--count", "1", "--broken", "not-zip"]);
    let bytes = std::fs::read(&not_zip[0]).unwrap();
    assert!(!bytes.starts_with(b"PK"), "not a ZIP");
    let traversal = sim(
        dir.path(),
        &[
            "--count",
            "1",
            "--flow",
            "AEC-LA",
            "--broken",
            "traversal",
            "--prefix",
            "A-2-TRV",
        ],
    );
    let z = zip::ZipArchive::new(std::fs::File::open(&traversal[0]).unwrap()).unwrap();
    assert!(
        z.file_names()
            .any(|n| n.is_ok_and(|n| n.starts_with("../"))),
        "an entry named ../"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_portal-sim"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for kind in [
        "not-zip",
        "missing-header",
        "missing-document",
        "bad-insee",
        "traversal",
        "breaks-rule",
    ] {
        assert!(help.contains(kind), "{kind}: {help}");
    }
}

#[test]
fn an_archive_for_belfort_has_a_citizen_of_belfort() {
    let dir = tempfile::tempdir().unwrap();
    let files = sim(dir.path(), &["--count", "3", "--insee", "90010"]);
    for f in files {
        let mut z = zip::ZipArchive::new(std::fs::File::open(&f).unwrap()).unwrap();
        let doc = (0..z.len())
            .map(|i| {
                let mut e = z.by_index(i).unwrap();
                let mut s = String::new();
                let name = e.name().unwrap().to_string();
                if name.contains("-doc-") && name.ends_with(".xml") {
                    std::io::Read::read_to_string(&mut e, &mut s).unwrap();
                }
                s
            })
            .collect::<String>();
        assert!(doc.contains("90000"), "{}: {doc}", f.display());
        assert!(!doc.contains("75004"), "{}: {doc}", f.display());
    }
}
