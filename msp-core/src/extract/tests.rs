use super::*;
use zip::write::SimpleFileOptions;

fn make(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, data) in entries {
        if n.ends_with('/') {
            w.add_directory(*n, SimpleFileOptions::default()).unwrap();
        } else {
            w.start_file(*n, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn reason(entries: &[(&str, &[u8])]) -> Option<Reason> {
    let t = tempfile::tempdir().unwrap();
    extract(&make(entries), &t.path().join("s"), &Limits::default())
        .err()
        .and_then(|e| e.reason())
}

#[test]
fn refuses_escaping_names() {
    for bad in ["../x", "a/../../x", "/etc/x", "C:/x", "c:x", "a\\..\\x"] {
        assert_eq!(
            safe_relative(bad).unwrap_err().reason(),
            Some(Reason::UnsafeEntry),
            "{bad}"
        );
    }
    assert_eq!(safe_relative("./a/b").unwrap(), PathBuf::from("a/b"));
}

#[test]
fn extracts_and_counts() {
    let t = tempfile::tempdir().unwrap();
    let z = make(&[("message.xml", b"<a/>"), ("x.pdf", b"%PDF"), ("d/y", b"1")]);
    let x = extract(&z, &t.path().join("s"), &Limits::default()).unwrap();
    assert_eq!(x.files.len(), 2, "root-level files only");
    assert_eq!(&*x.get("x.pdf").unwrap().content.bytes().unwrap(), b"%PDF");
    assert!(x.scratch.is_none(), "small entries stay in memory");
}

#[test]
fn large_entries_are_streamed_to_scratch_by_index() {
    let t = tempfile::tempdir().unwrap();
    let mut x: u32 = 2463534242;
    let big: Vec<u8> = (0..3 * SPILL_THRESHOLD as usize)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let z = make(&[("message.xml", b"<a/>"), ("big.pdf", &big)]);
    let x = extract(&z, &t.path().join("s"), &Limits::default()).unwrap();
    let e = x.get("big.pdf").unwrap();
    assert!(matches!(e.content, Content::File(_)));
    assert_eq!(e.size, big.len() as u64);
    assert_eq!(&*e.content.bytes().unwrap(), big.as_slice());
    assert!(t.path().join("s/entry-1").is_file());
}

#[test]
fn names_that_collide_once_extracted_are_bad_input() {
    let u = Some(Reason::UnsafeEntry);
    assert_eq!(reason(&[("X-ent.xml", b"a"), ("X-ent.xml/", b"")]), u);
    assert_eq!(reason(&[("X-ent.xml/", b""), ("X-ent.xml", b"a")]), u);
    assert_eq!(reason(&[("X.pdf", b"a"), ("X.pdf//x.xml", b"b")]), u);
    assert_eq!(reason(&[("a//b", b"a"), ("a/b", b"b")]), u);
    assert_eq!(reason(&[("./m.xml", b"a"), ("m.xml", b"b")]), u);
    assert_eq!(reason(&[("M.xml", b"a"), ("m.xml", b"b")]), u);
    assert_eq!(reason(&[("a\\b", b"a")]), u);
    // One name in NFC and in NFD (the same name twice cannot be
    // written by the zip crate; its reader refuses it as not a ZIP).
    assert_eq!(reason(&[("\u{e9}.pdf", b"a"), ("e\u{301}.pdf", b"b")]), u);
    assert_eq!(reason(&[("D\u{c9}/x", b"a"), ("de\u{301}/y", b"b")]), None);
    // An ASCII folder and a non-ASCII name in it, each part folded.
    assert_eq!(
        reason(&[("D/\u{c9}.pdf", b"a"), ("d/e\u{301}.pdf", b"b")]),
        u
    );
    assert_eq!(reason(&[("d/", b""), ("d/x", b"a"), ("e", b"b")]), None);
}

#[test]
fn limits_entries_total_and_ratio() {
    let t = tempfile::tempdir().unwrap();
    let z = make(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
    let l = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    assert_eq!(
        extract(&z, t.path(), &l).unwrap_err().reason(),
        Some(Reason::TooLarge)
    );
    let zeros = vec![0u8; 3 * 1024 * 1024];
    let z = make(&[("z", &zeros)]);
    let l = Limits {
        max_total_bytes: 1024 * 1024,
        ..Limits::default()
    };
    assert_eq!(
        extract(&z, t.path(), &l).unwrap_err().reason(),
        Some(Reason::TooLarge)
    );
    let e = extract(&z, t.path(), &Limits::default()).unwrap_err();
    assert!(e.message.contains("zip bomb"), "{e}");
}

#[test]
fn refuses_devices_pipes_and_sockets() {
    for kind in [0o020000u32, 0o060000, 0o010000, 0o140000] {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("dev", SimpleFileOptions::default().unix_permissions(0o644))
            .unwrap();
        w.write_all(b"x").unwrap();
        let mut z = w.finish().unwrap().into_inner();
        // The mode is in the high half of the central directory's
        // external attributes (offset 38 of its file header).
        let at = z
            .windows(4)
            .position(|b| b == b"PK\x01\x02")
            .expect("central directory");
        z[at + 5] = 3; // made by Unix
        z[at + 38..at + 42].copy_from_slice(&((kind | 0o644) << 16).to_le_bytes());
        let t = tempfile::tempdir().unwrap();
        let e = extract(&z, &t.path().join("o"), &Limits::default()).unwrap_err();
        assert_eq!(e.reason(), Some(Reason::UnsafeEntry), "{kind:o}");
        assert!(e.message.contains("special file"), "{e}");
    }
}

#[test]
fn refuses_symlinks() {
    let t = tempfile::tempdir().unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.add_symlink("message.xml", "/etc/passwd", SimpleFileOptions::default())
        .unwrap();
    let z = w.finish().unwrap().into_inner();
    let e = extract(&z, &t.path().join("o"), &Limits::default()).unwrap_err();
    assert_eq!(e.reason(), Some(Reason::UnsafeEntry));
    assert!(e.message.contains("symbolic link"), "{e}");
    assert!(!t.path().join("o").exists(), "nothing written");
}

#[test]
fn refuses_garbage() {
    assert_eq!(
        extract(
            b"not a zip at all",
            Path::new("/nonexistent"),
            &Limits::default()
        )
        .unwrap_err()
        .reason(),
        Some(Reason::NotZip)
    );
}
