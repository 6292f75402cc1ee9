//! `cargo bench --bench parts`: what the preparing step's parts cost alone,
//! on one thread, for the archives of `cargo bench --bench sync` (same mix
//! of the three flows). Prints figures, never assertions.
//!
//! The parts, each timed over every archive, in memory (the files are read
//! once before): SHA-256 of the archive, extraction (inflating every entry,
//! with the checks of PROTOCOL §3), the XML entries read into trees (what
//! the plugins and the envelope checks read), and the same entries only
//! scanned by quick-xml as the tree reader reads them (namespaces resolved,
//! end names checked, texts unescaped; no tree: about the least a reader
//! that looks at every element does). Compare the sum with the budget a throughput
//! goal leaves: at half the speed of the I/O floor of `compare.py`, two
//! cores have 4 × (floor time per archive) of CPU for everything, the
//! floor's own file work included.
//!
//! `MSP_BENCH_ARCHIVES` (default 3000) archives, `MSP_BENCH_ROUNDS`
//! (default 5) rounds, median reported.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use portal_sim::Archive;
use sha2::{Digest, Sha256};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let number = |var: &str, default: usize| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (n, rounds) = (
        number("MSP_BENCH_ARCHIVES", 3000),
        number("MSP_BENCH_ROUNDS", 5),
    );
    let dir = tempfile::tempdir().expect("temporary folder");
    let corpus = Corpus::new(n, dir.path());
    corpus.print_sizes();
    let timings = corpus.time_parts(rounds);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    let Timings {
        sha,
        extract,
        trees,
        scan,
    } = timings;
    println!("per archive, one thread, median of {rounds}:");
    println!("  SHA-256 of the archive           {:7.1} µs", per(sha));
    println!("  extraction (inflate + checks)    {:7.1} µs", per(extract));
    println!("  XML entries read into trees      {:7.1} µs", per(trees));
    println!("  XML entries only scanned         {:7.1} µs", per(scan));
    println!(
        "  sum with trees                   {:7.1} µs (with the scan instead: {:.1} µs)",
        per(sha + extract + trees),
        per(sha + extract + scan)
    );
}

/// The archives of the bench, in memory, and their XML entries (extracted
/// once).
struct Corpus {
    archives: Vec<Vec<u8>>,
    xml_entries: Vec<Vec<Vec<u8>>>,
    limits: msp_core::extract::Limits,
    /// Where extraction may spill (nothing does at these sizes).
    scratch: PathBuf,
}

/// The median time of each part, over every archive.
struct Timings {
    sha: Duration,
    extract: Duration,
    trees: Duration,
    scan: Duration,
}

impl Corpus {
    /// `n` archives of the three flows in turn, written into `dir` and read
    /// back.
    fn new(n: usize, dir: &Path) -> Self {
        let archives: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let a = Archive::of_flow(
                    ["RCO-LA", "AEC-LA", "ILE-LA"][i % 3],
                    &format!("A-2-B{i:06}"),
                    1,
                );
                std::fs::read(a.write_to(dir).expect("archive written")).expect("read back")
            })
            .collect();
        let limits = msp_core::extract::Limits::default();
        let scratch = dir.join("scratch");
        let xml_entries: Vec<Vec<Vec<u8>>> = archives
            .iter()
            .map(|bytes| {
                let x =
                    msp_core::extract::extract(bytes, &scratch, &limits).expect("valid archive");
                x.files
                    .iter()
                    .filter(|(name, _)| name.ends_with(".xml"))
                    .map(|(_, e)| e.content.bytes().expect("in memory").into_owned())
                    .collect()
            })
            .collect();
        Corpus {
            archives,
            xml_entries,
            limits,
            scratch,
        }
    }

    /// The texts the scan reads: decoded, as the tree reader reads them
    /// after decoding.
    fn texts(&self) -> Vec<&str> {
        self.xml_entries
            .iter()
            .flatten()
            .map(|x| std::str::from_utf8(x).expect("UTF-8"))
            .collect()
    }

    /// Prints the archives' and XML entries' sizes.
    fn print_sizes(&self) {
        let xml_bytes: usize = self.xml_entries.iter().flatten().map(Vec::len).sum();
        let elements: usize = self
            .xml_entries
            .iter()
            .flatten()
            .map(|x| count_elements(&msp_plugins::xml::parse(x).expect("xml").root))
            .sum();
        let zip_bytes: usize = self.archives.iter().map(Vec::len).sum();
        println!(
            "{} archives: {} KiB, {} XML entries ({} KiB, {elements} elements)",
            self.archives.len(),
            zip_bytes / 1024,
            self.xml_entries.iter().map(Vec::len).sum::<usize>(),
            xml_bytes / 1024
        );
    }

    /// Times each part over every archive, `rounds` times.
    fn time_parts(&self, rounds: usize) -> Timings {
        let texts = self.texts();
        let mut sha = Vec::new();
        let mut extract = Vec::new();
        let mut trees = Vec::new();
        let mut scan = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            for a in &self.archives {
                std::hint::black_box(Sha256::digest(a));
            }
            sha.push(t.elapsed());
            let t = Instant::now();
            for a in &self.archives {
                std::hint::black_box(
                    msp_core::extract::extract(a, &self.scratch, &self.limits)
                        .expect("valid archive"),
                );
            }
            extract.push(t.elapsed());
            let t = Instant::now();
            for x in self.xml_entries.iter().flatten() {
                std::hint::black_box(msp_plugins::xml::parse(x).expect("xml"));
            }
            trees.push(t.elapsed());
            let t = Instant::now();
            for x in &texts {
                std::hint::black_box(scan_events(x));
            }
            scan.push(t.elapsed());
        }
        Timings {
            sha: median(sha),
            extract: median(extract),
            trees: median(trees),
            scan: median(scan),
        }
    }
}

fn count_elements(e: &msp_plugins::xml::Element) -> usize {
    1 + e.children.iter().map(count_elements).sum::<usize>()
}

/// Every event of a document, as the tree reader gets them (namespaces
/// resolved, end names checked, texts unescaped), counted: no tree, no
/// text kept.
fn scan_events(text: &str) -> usize {
    use quick_xml::events::Event;
    let mut reader = quick_xml::NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut events = 0;
    loop {
        match reader.read_resolved_event().expect("xml") {
            (_, Event::Eof) => return events,
            (_, Event::Text(t)) => {
                std::hint::black_box(t.xml10_content());
            }
            _ => {}
        }
        events += 1;
    }
}
