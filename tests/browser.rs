//! The web console in a real browser: Debian's headless Chromium driven
//! through WebDriver (chromedriver), as a clerk would use it. A screenshot
//! and the page's HTML of a failing step are kept under
//! `target/tmp/browser/`.
//!
//! Needs `chromium` and `chromium-driver` (installed by `.ci/run`); without
//! them the test says SKIPPED, except in CI where it fails.

mod common;

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::web::Console;
use common::{files, Env};
use fantoccini::{Client, ClientBuilder, Locator};
use portal_sim::Archive;

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Option<Driver> {
        let found = |p: &str| std::path::Path::new(p).exists();
        if !found("/usr/bin/chromedriver") || !found("/usr/bin/chromium") {
            assert!(
                std::env::var_os("CI").is_none(),
                "chromium and chromium-driver must be installed in CI (.ci/run installs them)"
            );
            eprintln!("SKIPPED browser test: install chromium and chromium-driver");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Driver { child, url })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=fr-FR"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

type Step = Result<(), String>;

/// Runs one step; on failure keeps the screenshot and the HTML of the
/// page, and stops the test naming the step.
async fn step<F: Future<Output = Step>>(c: &Client, name: &str, f: F) {
    if let Err(e) = f.await {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
        let _ = std::fs::create_dir_all(&dir);
        let shot = dir.join(format!("{name}.png"));
        if let Ok(png) = c.screenshot().await {
            let _ = std::fs::write(&shot, png);
        }
        if let Ok(html) = c.source().await {
            let _ = std::fs::write(dir.join(format!("{name}.html")), html);
        }
        panic!("step {name} failed: {e} (screenshot: {})", shot.display());
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The text of the element `css` (waiting for it a little).
async fn text(c: &Client, css: &str) -> Result<String, String> {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("{css}: {e}"))?
        .text()
        .await
        .map_err(err)
}

/// Clicks and waits for the next page to replace this one.
async fn click_and_wait(c: &Client, what: Locator<'_>, name: &str) -> Step {
    let old = c.find(Locator::Css("html")).await.map_err(err)?;
    c.find(what)
        .await
        .map_err(|e| format!("{name}: {e}"))?
        .click()
        .await
        .map_err(err)?;
    let deadline = Instant::now() + Duration::from_secs(15);
    while old.tag_name().await.is_ok() {
        if Instant::now() > deadline {
            return Err(format!("{name}: no new page after 15 s"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn click_button(c: &Client, label: &str) -> Step {
    let xpath = format!("//button[contains(normalize-space(), \"{label}\")]");
    click_and_wait(c, Locator::XPath(&xpath), &format!("button {label}")).await
}

async fn click_link(c: &Client, label: &str) -> Step {
    click_and_wait(c, Locator::LinkText(label), &format!("link {label}")).await
}

/// Chooses `value` in the list whose id is `id`.
async fn select(c: &Client, id: &str, value: &str) -> Step {
    c.find(Locator::Id(id))
        .await
        .map_err(err)?
        .select_by_value(value)
        .await
        .map_err(err)?;
    Ok(())
}

/// Types `keys` into the field whose id is `id`.
async fn type_into(c: &Client, id: &str, keys: &str) -> Step {
    c.find(Locator::Id(id))
        .await
        .map_err(err)?
        .send_keys(keys)
        .await
        .map_err(err)
}

fn check(ok: bool, what: impl Into<String>) -> Step {
    if ok {
        Ok(())
    } else {
        Err(what.into())
    }
}

/// Whether the page fits the window's width (no horizontal scrolling of
/// the page itself).
async fn fits(c: &Client) -> Result<bool, String> {
    let v = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .map_err(err)?;
    Ok(v.as_bool().unwrap_or(false))
}

#[test]
fn a_clerk_synchronises_changes_statuses_and_retries_a_rejected_archive() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let env = Env::with_config(common::PARIS_ONLY);
    env.deliver(&Archive::rco("A-2-LYON0001", 1).routed_to("69123"));
    assert_eq!(env.run(&[]).code, 1, "the Lyon archive is rejected");
    for n in ["A-2-BRW0001", "A-2-BRW0002"] {
        env.deliver(&Archive::rco(n, 1));
    }
    let console = Console::start(&env);
    let base = console.base.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = browser(&driver).await;
        step(&c, "1-dashboard", async {
            c.goto(&format!("{base}/")).await.map_err(err)?;
            check(
                c.title().await.map_err(err)? == "Tableau de bord — msp",
                "title",
            )?;
            let cards = text(&c, "ul.cards").await?;
            check(
                cards.contains("2\narchives en attente"),
                format!("two archives waiting: {cards}"),
            )?;
            check(
                cards.contains("1\narchive rejetée"),
                format!("one rejected: {cards}"),
            )
        })
        .await;

        step(&c, "2-synchronise", async {
            click_button(&c, "Synchroniser maintenant").await?;
            let url = c.current_url().await.map_err(err)?;
            check(url.path() == "/synchronisation", format!("at {url}"))?;
            let h1 = text(&c, "h1").await?;
            check(h1 == "Résultat de la synchronisation", h1)?;
            let row = text(&c, "tbody tr:last-child").await?;
            check(
                row.starts_with("RCO-LA 2 0 0 0 2 0"),
                format!("RCO-LA row: {row}"),
            )
        })
        .await;
        assert!(files(&env.input()).is_empty(), "both imported");

        step(&c, "3-open-dossier", async {
            click_link(&c, "Dossiers").await?;
            let status = text(&c, "p[role=status]").await?;
            check(status.starts_with("2 dossiers"), status)?;
            click_link(&c, "A-2-BRW0002").await?;
            let h1 = text(&c, "h1").await?;
            check(h1 == "Dossier A-2-BRW0002", h1)?;
            let summary = text(&c, "dl.summary").await?;
            check(summary.contains("14 — dossier importé"), summary)?;
            check(fits(&c).await?, "the dossier page fits 1280 px")
        })
        .await;

        step(&c, "4-refused-status", async {
            select(&c, "code", "20").await?;
            click_button(&c, "Enregistrer le statut").await?;
            let alert = text(&c, "[role=alert]").await?;
            check(
                alert.starts_with("Changement refusé.")
                    && alert.contains(
                        "le passage de 14 (dossier importé) à 20 (dossier refusé) n'est pas permis",
                    ),
                alert,
            )
        })
        .await;
        assert_eq!(env.dossier("A-2-BRW0002")["status"], 14);

        step(&c, "5-accepted-status", async {
            select(&c, "code", "16").await?;
            type_into(&c, "commentaire", "Nous préparons votre attestation.").await?;
            click_button(&c, "Enregistrer le statut").await?;
            let ok = text(&c, "[role=status]").await?;
            check(
                ok.contains("Nouveau statut enregistré : 16 — dossier en cours de traitement."),
                ok,
            )?;
            let history = text(&c, "table tbody").await?;
            check(
                history.contains("Nous préparons votre attestation."),
                history,
            )
        })
        .await;
        let d = env.dossier("A-2-BRW0002");
        assert_eq!(d["status"], 16);
        assert_eq!(d["indicator"], 0);

        step(&c, "6-retry-rejected", async {
            click_link(&c, "Rejets").await?;
            let page = text(&c, "main").await?;
            check(page.contains("A-2-LYON0001-RCO-LA-1.zip"), page.clone())?;
            check(page.contains("Rejetée le"), page)?;
            env.write_config(common::PARIS_AND_LYON);
            click_button(&c, "Remettre en entrée").await?;
            let ok = text(&c, "[role=status]").await?;
            check(
                ok.contains("A-2-LYON0001-RCO-LA-1.zip a été remise en entrée"),
                ok,
            )
        })
        .await;
        assert_eq!(files(&env.input()), vec!["A-2-LYON0001-RCO-LA-1.zip"]);
        assert!(files(&env.error()).is_empty());

        step(&c, "6b-synchronise-the-retried-archive", async {
            click_link(&c, "Tableau de bord").await?;
            click_button(&c, "Synchroniser maintenant").await?;
            let row = text(&c, "tbody tr:last-child").await?;
            // Lyon imported, and two returns: its status 14 and the 16 set above.
            check(
                row.starts_with("RCO-LA 1 0 0 0 2 0"),
                format!("RCO-LA row: {row}"),
            )
        })
        .await;
        assert_eq!(env.dossier("A-2-LYON0001")["insee"], "69123");

        step(&c, "7-narrow-screen", async {
            c.set_window_size(360, 800).await.map_err(err)?;
            for path in ["/", "/dossiers", "/dossiers/A-2-BRW0002", "/rejets"] {
                c.goto(&format!("{base}{path}")).await.map_err(err)?;
                check(fits(&c).await?, format!("{path} fits a 360 px screen"))?;
            }
            Ok(())
        })
        .await;

        step(&c, "8-keyboard", async {
            c.goto(&format!("{base}/")).await.map_err(err)?;
            // The first Tab reaches the skip link.
            c.active_element()
                .await
                .map_err(err)?
                .send_keys("\u{E004}")
                .await
                .map_err(err)?;
            let first = c
                .active_element()
                .await
                .map_err(err)?
                .text()
                .await
                .map_err(err)?;
            check(
                first == "Aller au contenu",
                format!("first focus: {first:?}"),
            )
        })
        .await;
        c.close().await.unwrap();
    });
}
