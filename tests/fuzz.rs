//! Structure-aware fuzzing on stable Rust, through the real pipeline: valid
//! archives of the three flows, mutated at the level of the ZIP (entry
//! names, entries dropped or added, bytes of the archive) and of the XML
//! (bytes, elements, values of message.xml, the -ent.xml and each flow's
//! data document), are dropped in input and imported by the real binary.
//!
//! Every archive must end in done, or in error with its log; the run exits
//! 0 or 1 (never trouble, never a panic); nothing is written outside the
//! folders. `MSP_FUZZ_CASES` sets the number of cases (default 240);
//! `MSP_FUZZ_SEED` the seed.

mod common;

use std::collections::BTreeSet;
use std::io::Write;

use common::{files, Env};
use portal_sim::{Archive, Seq};

const GARBAGE: &[&str] = &[
    "<",
    "&",
    "&amp",
    "]]>",
    "\u{0}",
    "\u{feff}",
    "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">]>",
    "<x:y xmlns:x=\"urn:other\">",
    "é",
    "\u{1F600}",
    "99999999999999999999",
    "-1",
    "31/02/2007",
    "2007-13-45",
    "",
    "   ",
];

const NAME_VARIANTS: &[fn(&str) -> String] = &[
    |n| n.to_uppercase(),
    |n| format!("./{n}"),
    |n| format!("{n}/"),
    |n| format!("../{n}"),
    |n| format!("/{n}"),
    |n| format!("d\\{n}"),
    |n| format!("sub/{n}"),
    |n| format!("{n}\u{301}"),
    |n| n.replace('-', "_"),
    |n| format!("{n}.bak"),
    |n| String::from_utf8_lossy(&n.as_bytes()[..n.len() / 2]).into_owned(),
];

/// A mutated archive's ZIP bytes.
fn mutate(rng: &mut Seq, a: &Archive) -> Vec<u8> {
    let mut entries: Vec<(String, Vec<u8>)> = a.entries();
    for _ in 0..1 + rng.below(3) {
        let i = rng.below(entries.len());
        match rng.below(9) {
            // Bytes of an entry flipped.
            0 => {
                let b = &mut entries[i].1;
                for _ in 0..1 + rng.below(8) {
                    if !b.is_empty() {
                        let k = rng.below(b.len());
                        b[k] ^= 1 << rng.below(8);
                    }
                }
            }
            // An entry cut short.
            1 => {
                let b = &mut entries[i].1;
                let k = rng.below(b.len() + 1);
                b.truncate(k);
            }
            // Garbage inserted into an entry.
            2 => {
                let g = GARBAGE[rng.below(GARBAGE.len())].as_bytes();
                let b = &mut entries[i].1;
                let k = rng.below(b.len() + 1);
                b.splice(k..k, g.iter().copied());
            }
            // An element's text replaced.
            3 => {
                let text = String::from_utf8_lossy(&entries[i].1).into_owned();
                let opens: Vec<usize> = text.match_indices('>').map(|(k, _)| k + 1).collect();
                if !opens.is_empty() {
                    let start = opens[rng.below(opens.len())];
                    let end = text[start..].find('<').map_or(text.len(), |e| start + e);
                    let g = GARBAGE[rng.below(GARBAGE.len())];
                    let new = format!("{}{g}{}", &text[..start], &text[end..]);
                    entries[i].1 = new.into_bytes();
                }
            }
            // An element removed or doubled.
            4 => {
                let text = String::from_utf8_lossy(&entries[i].1).into_owned();
                let tags: Vec<usize> = text.match_indices("</").map(|(k, _)| k).collect();
                if !tags.is_empty() {
                    let close = tags[rng.below(tags.len())];
                    let name_end = text[close..]
                        .find('>')
                        .map_or(text.len(), |e| close + e + 1);
                    let name = &text[close + 2..name_end.saturating_sub(1).max(close + 2)];
                    if let Some(open) = text[..close].rfind(&format!("<{name}")) {
                        let element = text[open..name_end].to_string();
                        let new = if rng.below(2) == 0 {
                            format!("{}{}", &text[..open], &text[name_end..])
                        } else {
                            format!("{}{element}{}", &text[..name_end], &text[name_end..])
                        };
                        entries[i].1 = new.into_bytes();
                    }
                }
            }
            // An entry dropped.
            5 => {
                entries.remove(i);
                if entries.is_empty() {
                    entries.push(("x".into(), vec![]));
                }
            }
            // An entry renamed.
            6 => {
                let v = NAME_VARIANTS[rng.below(NAME_VARIANTS.len())];
                entries[i].0 = v(&entries[i].0);
            }
            // An entry added under a clashing or odd name.
            7 => {
                let v = NAME_VARIANTS[rng.below(NAME_VARIANTS.len())];
                let name = v(&entries[i].0);
                entries.push((name, b"extra".to_vec()));
            }
            // Two entries' contents swapped.
            _ => {
                let j = rng.below(entries.len());
                let (x, y) = (entries[i].1.clone(), entries[j].1.clone());
                entries[i].1 = y;
                entries[j].1 = x;
            }
        }
    }
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut seen = BTreeSet::new();
    for (name, bytes) in entries {
        // The writer refuses a name twice: keep the first.
        if !seen.insert(name.clone()) {
            continue;
        }
        if name.ends_with('/') {
            let _ = w.add_directory(name.trim_end_matches('/'), opts);
            continue;
        }
        if w.start_file(name, opts).is_ok() {
            w.write_all(&bytes).unwrap();
        }
    }
    let mut zip = w.finish().unwrap().into_inner();
    // Sometimes the archive itself is damaged.
    match rng.below(10) {
        0 => {
            let k = rng.below(zip.len());
            zip.truncate(k);
        }
        1 => {
            for _ in 0..1 + rng.below(16) {
                let k = rng.below(zip.len());
                zip[k] ^= 1 << rng.below(8);
            }
        }
        _ => {}
    }
    zip
}

#[test]
fn mutated_archives_end_in_done_or_in_error_and_nothing_else_happens() {
    let cases: usize = std::env::var("MSP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(240);
    let seed: u64 = std::env::var("MSP_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_cafe_f00d_0001);
    let mut rng = Seq::new(seed);
    let env = Env::new();
    let per_run = 120;
    let (mut imported, mut rejected) = (0usize, 0usize);
    let mut case = 0;
    while case < cases {
        let mut names = Vec::new();
        for _ in 0..per_run.min(cases - case) {
            let numero = format!("A-2-FZ{case:06}");
            let a = match case % 3 {
                0 => Archive::rco(&numero, 1),
                1 => Archive::aec(&numero, 1),
                _ => Archive::ile(&numero, 1),
            };
            let bytes = mutate(&mut rng, &a);
            std::fs::write(env.input().join(a.file_name()), bytes).unwrap();
            names.push(a.file_name());
            case += 1;
        }
        let r = env.run(&[]);
        assert!(
            r.code == 0 || r.code == 1,
            "seed {seed}: exit {} (trouble or a crash on bad input)\n{}{}",
            r.code,
            r.stdout,
            r.stderr
        );
        let done: BTreeSet<String> = files(&env.done()).into_iter().collect();
        let error: BTreeSet<String> = files(&env.error()).into_iter().collect();
        for n in &names {
            if done.contains(n) {
                imported += 1;
            } else {
                assert!(
                    error.contains(n),
                    "seed {seed}: {n} neither in done nor in error"
                );
                assert!(
                    error.contains(&format!("{n}.log")),
                    "seed {seed}: {n} in error without its log"
                );
                rejected += 1;
            }
        }
        assert!(files(&env.input()).is_empty(), "{:?}", files(&env.input()));
        assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    }
    // Nothing outside the folders.
    assert_eq!(files(env.path()), vec!["msp-data"]);
    let inside: BTreeSet<String> = files(&env.root()).into_iter().collect();
    let expected: BTreeSet<String> = [
        "entree",
        "travail",
        "sortie",
        "erreur",
        "termine",
        "logs",
        "pieces",
        "msp.db",
        "msp.db-wal",
        "msp.db-shm",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(inside.is_subset(&expected), "{inside:?}");
    eprintln!("fuzz: {cases} cases (seed {seed}): {imported} imported, {rejected} rejected, 0 trouble, 0 panic");
}
