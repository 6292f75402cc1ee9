//! `cargo bench --bench sync`: imports a batch of simulated portal archives
//! with the real binary and prints throughput and peak memory. Figures, not
//! assertions. `MSP_BENCH_ARCHIVES` sets the batch size (default 2000).

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
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().expect("output");
    (
        start.elapsed(),
        peak,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn main() {
    let n: usize = std::env::var("MSP_BENCH_ARCHIVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("msp-data/entree");
    std::fs::create_dir_all(&input).unwrap();
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
        "generated {n} archives ({} KiB) in {:.2?}",
        bytes / 1024,
        t.elapsed()
    );

    let (wall, peak, out) = run(dir.path());
    assert!(out.contains("log:"), "{out}");
    let done = std::fs::read_dir(dir.path().join("msp-data/termine"))
        .unwrap()
        .count();
    println!(
        "import: {done} archives in {:.2?} = {:.0} archives/s, peak RSS {} MiB",
        wall,
        done as f64 / wall.as_secs_f64(),
        peak / 1024
    );
    let (idle, peak_idle, _) = run(dir.path());
    println!(
        "idle run over {done} dossiers: {:.2?}, peak RSS {} MiB",
        idle,
        peak_idle / 1024
    );
    let db = std::fs::metadata(dir.path().join("msp-data/msp.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("database: {} MiB", db / (1024 * 1024));
}
