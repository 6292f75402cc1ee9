//! Tableau de bord: the figures of every database, input and the last
//! synchronisation.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use msp_core::{lifecycle, ops, Config};
use msp_plugins::Registry;

use crate::pages;
use crate::respond::{error_page, page};
use crate::state::{blocking, App, Visitor};

/// (name, age in seconds) of the archives waiting; (name, reason in
/// French) of the files msp does not recognise.
pub(crate) type Input = (Vec<(String, u64)>, Vec<(String, String)>);

/// Input, listed once: the archives waiting, oldest first, and the files
/// msp does not recognise.
pub(crate) fn input(config: &Config, registry: &Registry) -> Input {
    let now = SystemTime::now();
    let found = ops::input_files(&config.folders, &registry.codes());
    let mut waiting: Vec<(String, u64)> = found
        .archives
        .into_iter()
        .map(|(name, t)| {
            let age = now.duration_since(t).map(|d| d.as_secs()).unwrap_or(0);
            (name, age)
        })
        .collect();
    waiting.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut unrecognised: Vec<(String, String)> = found
        .unrecognised
        .into_iter()
        .map(|(name, _, why)| (name, why.french()))
        .collect();
    unrecognised.sort();
    (waiting, unrecognised)
}

/// The causes of trouble of the last synchronisation, and the archives
/// each held back.
pub(crate) fn held_back(config: &Config) -> Vec<pages::HeldBack> {
    let Some(last) = ops::last_run(&config.folders) else {
        return Vec::new();
    };
    last.summary
        .troubles
        .into_iter()
        .map(|t| pages::HeldBack {
            // The clerk's French first, the technical words after (a record
            // written before French causes has none).
            cause: if t.french.is_empty() {
                t.cause
            } else {
                format!("{} (Détail technique : {})", t.french, t.cause)
            },
            count: t.archives,
            archives: t.first_archives,
        })
        .collect()
}

/// Tableau de bord.
pub(crate) async fn dashboard(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let figures = blocking(move || {
        let (backends, unreachable) = a.backends(&config);
        let mut figures = ops::DatabaseFigures {
            unreachable,
            ..ops::DatabaseFigures::default()
        };
        for b in &backends {
            if let Err(e) = figures.add(b.as_ref()) {
                figures.unreachable.push(format!("{} : {e}", b.describe()));
            }
        }
        let now = lifecycle::now();
        let late = |times: &[chrono::NaiveDateTime], hours: u64| ops::count_late(times, hours, now);
        let t = &config.status;
        let (waiting, unrecognised) = input(&config, &a.registry);
        let (rejected, rejected_trouble) = match ops::rejected(&config.folders) {
            Ok(r) => (r.len(), None),
            Err(e) => (0, Some(e.french.unwrap_or(e.message))),
        };
        let recent = ops::recent_activity(&config.folders, 10);
        pages::Dashboard {
            runs: recent.runs,
            empty_runs: (recent.empty_since, recent.last_empty),
            waiting,
            unrecognised,
            rejected,
            rejected_trouble,
            untransmitted: (
                figures.untransmitted.len(),
                late(&figures.untransmitted, t.untransmitted_hours),
            ),
            uncollected: (
                figures.uncollected.len(),
                late(&figures.uncollected, t.uncollected_hours),
            ),
            late_hours: (t.untransmitted_hours, t.uncollected_hours),
            unreachable: figures.unreachable,
            troubles: held_back(&config).into_iter().map(|h| h.cause).collect(),
        }
    })
    .await;
    match figures {
        Ok(d) => page(pages::dashboard(&app.frame(&v), &d)),
        Err(e) => error_page(&app, &v, &e),
    }
}
