//! `cargo bench --bench sync`: imports simulated portal archives with the
//! real binary and prints figures, never assertions:
//!
//! * import throughput, time per archive and peak resident memory;
//! * the empty synchronisation afterwards (nothing in input, every return
//!   collected by the portal): its time and memory over the whole history.
//!
//! `MSP_BENCH_ARCHIVES` is a comma-separated list of sizes (default
//! `2000`; the README's figures use `3000,15000,100000`).
//! `MSP_BENCH_ATTACHMENT_MIB=24` instead imports one archive with an
//! attachment of that size and prints the run's peak memory.
//! `MSP_BENCH_DATABASE` runs against a server instead of the embedded
//! SQLite: `postgres://user@host:5432` or `mysql://user@host:3306` (the
//! bench drops and creates a database `msp_bench` there).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use portal_sim::Archive;

/// Runs `msp run` in `dir`, returning wall time and peak resident memory (kB).
fn run(dir: &Path) -> (Duration, u64, String) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_msp"))
        .arg("run")
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("msp runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = child.wait_with_output().expect("output");
    (
        start.elapsed(),
        peak,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A fresh database on the server named by `MSP_BENCH_DATABASE`, or the
/// embedded SQLite.
fn database_url() -> String {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let Ok(server) = std::env::var("MSP_BENCH_DATABASE") else {
        return "sqlite://msp.db".into();
    };
    let server = server.trim_end_matches('/').to_string();
    if server.starts_with("postgres") {
        let mut c = diesel::PgConnection::establish(&format!("{server}/postgres"))
            .expect("PostgreSQL reachable");
        c.batch_execute("DROP DATABASE IF EXISTS msp_bench")
            .and_then(|_| c.batch_execute("CREATE DATABASE msp_bench"))
            .expect("database created");
    } else {
        #[cfg(feature = "mysql")]
        {
            let mut c = diesel::MysqlConnection::establish(&format!("{server}/mysql"))
                .expect("MariaDB reachable");
            c.batch_execute("DROP DATABASE IF EXISTS msp_bench; CREATE DATABASE msp_bench")
                .expect("database created");
        }
        #[cfg(not(feature = "mysql"))]
        panic!("a mysql:// benchmark needs the native client: cargo bench --features mysql");
    }
    format!("{server}/msp_bench")
}

fn bench(n: usize) {
    let (dir, url, input) = installation();
    let t = Instant::now();
    let mut bytes = 0u64;
    for i in 0..n {
        let a = Archive::of_flow(
            ["RCO-LA", "AEC-LA", "ILE-LA"][i % 3],
            &format!("A-2-B{i:06}"),
            1,
        );
        bytes += std::fs::metadata(a.write_to(&input).unwrap())
            .unwrap()
            .len();
    }
    println!(
        "{}: generated {n} archives ({} KiB) in {:.2?}",
        url.split("://").next().unwrap_or("?"),
        bytes / 1024,
        t.elapsed()
    );
    let (wall, peak, out) = run(dir.path());
    assert!(out.contains("log:"), "{out}");
    let done = std::fs::read_dir(dir.path().join("msp-data/termine"))
        .unwrap()
        .count();
    println!(
        "  import: {done} archives in {:.2?} = {:.0} archives/s, {:.0} µs per archive, peak RSS {} MiB",
        wall,
        done as f64 / wall.as_secs_f64(),
        wall.as_secs_f64() * 1e6 / done.max(1) as f64,
        peak / 1024
    );
    // The portal collects every return archive; the next run records it.
    let output = dir.path().join("msp-data/sortie");
    for e in std::fs::read_dir(&output).unwrap().flatten() {
        std::fs::remove_file(e.path()).unwrap();
    }
    let (collect, _, _) = run(dir.path());
    println!("  run recording {done} collections: {collect:.2?}");
    let mut idle = Vec::new();
    let mut peak_idle = 0;
    for _ in 0..5 {
        let (t, p, _) = run(dir.path());
        idle.push(t);
        peak_idle = peak_idle.max(p);
    }
    idle.sort();
    println!(
        "  empty synchronisation over {done} dossiers: median {:.1?} (min {:.1?}), peak RSS {} MiB",
        idle[2],
        idle[0],
        peak_idle / 1024
    );
}

/// A temporary installation on the bench database: its folder, the
/// database URL and the input folder.
fn installation() -> (tempfile::TempDir, String, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database_url();
    std::fs::write(
        dir.path().join("msp.toml"),
        format!(
            "root = \"msp-data\"\n[[client]]\nname = \"bench\"\ninsee = [\"*\"]\ndatabase = \"{url}\"\n"
        ),
    )
    .unwrap();
    let input = dir.path().join("msp-data/entree");
    std::fs::create_dir_all(&input).unwrap();
    (dir, url, input)
}

/// One archive with an attachment of `mib` MiB that does not compress:
/// the peak memory of its import (the attachment is streamed, never whole
/// in memory).
fn bench_attachment(mib: usize) {
    let (dir, url, input) = installation();
    let bytes = portal_sim::Seq::new(7).bytes(mib << 20);
    let mut a = Archive::rco("A-2-LARGE", 1);
    a.attachments.push(portal_sim::Attachment {
        code: "JI".into(),
        label: "Scan".into(),
        file: "A-2-LARGE-RCO-LA-pj-scan-3-0.pdf".into(),
        bytes,
    });
    a.write_to(&input).unwrap();
    let (wall, peak, out) = run(dir.path());
    assert!(out.contains("log:"), "{out}");
    let imported = std::fs::read_dir(dir.path().join("msp-data/termine"))
        .unwrap()
        .count();
    println!(
        "{}: one archive with a {mib} MiB attachment: imported {imported} in {wall:.2?}, peak RSS {} MiB",
        url.split("://").next().unwrap_or("?"),
        peak / 1024
    );
}

fn main() {
    if let Some(mib) = std::env::var("MSP_BENCH_ATTACHMENT_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        bench_attachment(mib);
        return;
    }
    let sizes: Vec<usize> = std::env::var("MSP_BENCH_ARCHIVES")
        .unwrap_or_else(|_| "2000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for n in sizes {
        bench(n);
    }
}
