//! The crash test of PROTOCOL §6: kill -9 a real `msp run` at random
//! moments while archives keep arriving (new dossiers and complements) and
//! agents change statuses in between, then clean runs; nothing is lost,
//! nothing is imported or sent twice, nothing temporary is left.
//!
//! `MSP_CRASH_KILLS` sets the number of kills per engine (default 30);
//! PostgreSQL is used when it answers (required in CI).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{files, Env, PgDatabase};
use portal_sim::{Archive, Seq};

fn kills() -> usize {
    std::env::var("MSP_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

/// Whether a file is a whole ZIP archive with its message.
fn whole_zip(path: &Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(mut z) = zip::ZipArchive::new(f) else {
        return false;
    };
    let mut text = String::new();
    (0..z.len()).any(|i| {
        let Ok(mut e) = z.by_index(i) else {
            return false;
        };
        e.name().is_ok_and(|n| n.ends_with(".xml")) && e.read_to_string(&mut text).is_ok()
    })
}

/// A run to the end, which may reject what a kill left half-written.
fn run_to_the_end(engine: &str, env: &Env) {
    let r = env.run(&[]);
    assert!(
        r.code == 0 || r.code == 1,
        "{engine}: {}{}",
        r.stdout,
        r.stderr
    );
}

fn crash_test(engine: &str, env: &Env) {
    let mut rng = Seq::new(0x2545_f491_4f6c_dd1d);
    let mut originals: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut numeros: Vec<String> = Vec::new();
    let mut drop_archives = |round: usize, rng: &mut Seq, numeros: &mut Vec<String>| {
        for i in 0..6 {
            // Mostly new dossiers; sometimes the next file of a dossier.
            let a = if !numeros.is_empty() && rng.below(4) == 0 {
                let n = &numeros[rng.below(numeros.len())];
                let next = (2..)
                    .find(|k| !originals.contains_key(&format!("{n}-RCO-LA-{k}.zip")))
                    .unwrap();
                Archive::rco(n, next)
            } else {
                let n = format!("A-2-C{round:03}X{i}");
                numeros.push(n.clone());
                Archive::rco(&n, 1)
            };
            let p = a.write_to(&env.input()).unwrap();
            originals.insert(a.file_name(), std::fs::read(p).unwrap());
        }
    };
    drop_archives(998, &mut rng, &mut numeros);
    assert_eq!(env.run(&[]).code, 0, "{engine}: first run");
    // The time of an ordinary run, over which the kills are spread.
    drop_archives(999, &mut rng, &mut numeros);
    let t = Instant::now();
    assert_eq!(env.run(&[]).code, 0, "{engine}: second run");
    let mut span = t.elapsed().as_millis().max(20) as u64;
    let mut killed_at = Vec::new();
    let mut phases: BTreeMap<&str, u32> = BTreeMap::new();
    for round in 0..kills() {
        // Every fourth round, a run to the end drains what the kills left
        // and measures how long a run takes now, so that the kills keep
        // landing all along a run (not only in its start-up).
        if round % 4 == 3 {
            let t = Instant::now();
            run_to_the_end(engine, env);
            span = t.elapsed().as_millis().max(20) as u64;
        }
        drop_archives(round, &mut rng, &mut numeros);
        // An agent's decision on an imported dossier (refusals by the
        // rules are fine: the point is to interleave writes).
        let n = numeros[rng.below(numeros.len())].clone();
        let code = [15u16, 16, 17, 19, 100][rng.below(5)];
        let _ = env.msp(&["dossier", "status", &n, &code.to_string()]);
        let child = Command::new(env!("CARGO_BIN_EXE_msp"))
            .arg("run")
            .current_dir(env.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = rng.range(0, span);
        std::thread::sleep(Duration::from_millis(delay));
        let _ = Command::new("kill")
            .args(["-9", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        killed_at.push((delay, out.status.code().is_none()));
        let in_work = !env.work_files().is_empty();
        let waiting = files(&env.input()).len();
        let phase = if out.status.code().is_some() {
            "after the run"
        } else if in_work {
            "archives claimed in work"
        } else if waiting == 0 {
            "input taken, work empty (returns or finishing)"
        } else {
            "before the claims (start-up, recovery, scan)"
        };
        *phases.entry(phase).or_insert(0) += 1;
    }
    run_to_the_end(engine, env);
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{engine}: {}{}", r.stdout, r.stderr);
    let killed = killed_at.iter().filter(|(_, k)| *k).count();
    eprintln!(
        "{engine}: {} runs, {killed} killed by the signal, a run takes ~{span} ms; kills by what they left: {phases:?}",
        killed_at.len()
    );

    // Every original in done, byte for byte; or, for a complement that came
    // after the dossier was closed by an agent, in error with its log.
    let done: BTreeSet<String> = files(&env.done()).into_iter().collect();
    let error: BTreeSet<String> = files(&env.error()).into_iter().collect();
    for (name, bytes) in &originals {
        let stem = name.trim_end_matches(".zip");
        let copies: Vec<std::path::PathBuf> = done
            .iter()
            .filter(|f| f.as_str() == name || f.starts_with(&format!("{stem}~")))
            .map(|f| env.done().join(f))
            .chain(
                error
                    .iter()
                    .filter(|f| f.as_str() == name)
                    .map(|f| env.error().join(f)),
            )
            .collect();
        assert!(
            !copies.is_empty(),
            "{engine}: {name} neither in done nor in error"
        );
        for c in &copies {
            assert_eq!(
                &std::fs::read(c).unwrap(),
                bytes,
                "{engine}: {} is not {name} byte for byte",
                c.display()
            );
        }
        if error.contains(name) {
            assert!(
                !name.ends_with("-1.zip"),
                "{engine}: a first file rejected: {name}"
            );
            assert!(
                error.contains(&format!("{name}.log")),
                "{engine}: {name} without its log"
            );
        }
    }
    // One dossier per number, one status 14 each, return increments 1..n.
    let dossiers = env.dossiers();
    let distinct: BTreeSet<&String> = numeros.iter().collect();
    assert_eq!(dossiers.len(), distinct.len(), "{engine}: one dossier each");
    let output: BTreeSet<String> = files(&env.output()).into_iter().collect();
    let mut written = 0;
    for n in distinct {
        let d = env.dossier(n);
        let fourteen = d["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] == 14)
            .count();
        assert_eq!(fourteen, 1, "{engine}: {n}: {d}");
        let increments = common::return_increments(&d);
        let expected: Vec<u64> = (1..=increments.len() as u64).collect();
        assert_eq!(increments, expected, "{engine}: {n}: return increments");
        for r in d["returns"].as_array().unwrap() {
            if !r["written_at"].is_null() {
                written += 1;
                let file = r["file"].as_str().unwrap();
                assert!(output.contains(file), "{engine}: {file} not in output");
            }
        }
    }
    // Every file in output a whole archive of a written return; nothing
    // temporary anywhere.
    assert_eq!(output.len(), written, "{engine}: {output:?}");
    for f in &output {
        assert!(
            whole_zip(&env.output().join(f)),
            "{engine}: {f} is not a whole ZIP"
        );
    }
    for dir in [env.input(), env.output(), env.done(), env.error()] {
        let hidden: Vec<String> = files(&dir)
            .into_iter()
            .filter(|f| f.starts_with('.'))
            .collect();
        assert!(
            hidden.is_empty(),
            "{engine}: {hidden:?} in {}",
            dir.display()
        );
    }
    assert!(
        files(&env.input()).is_empty(),
        "{engine}: {:?}",
        files(&env.input())
    );
    assert!(
        env.work_files().is_empty(),
        "{engine}: {:?}",
        env.work_files()
    );
}

#[test]
fn kill_9_at_random_moments_on_sqlite() {
    let env = Env::new();
    crash_test("sqlite", &env);
}

#[test]
fn kill_9_at_random_moments_on_postgres() {
    let Some(db) = PgDatabase::create("msp_crash") else {
        return;
    };
    let env = Env::with_config(&format!(
        "root = \"msp-data\"\n[[client]]\nname = \"pg\"\ninsee = [\"*\"]\ndatabase = \"{}\"\n",
        db.url
    ));
    crash_test("postgres", &env);
}
