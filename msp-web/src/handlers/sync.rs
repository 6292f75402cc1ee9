//! Synchroniser maintenant: a synchronisation run from the console, and
//! its result.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use msp_core::{lifecycle, ops, Config, Result, RunReport, Synchronizer};

use super::csrf::CsrfChecked;
use super::rejects::linked_rejection;
use crate::pages::{self, SyncOutcome};
use crate::respond::{error_page, page};
use crate::safe;
use crate::shutdown::STOPPING;
use crate::state::{blocking, lock, App, Visitor};

/// The rejections of a run with the French reason of their log (the
/// clerk's words), the run's own message when the log cannot be read.
pub(crate) fn french_reasons(
    config: &Config,
    rejected: &[(String, String)],
) -> Vec<(String, String)> {
    let logs = ops::rejected(&config.folders).unwrap_or_default();
    rejected
        .iter()
        .map(|(name, message)| {
            // A log that is a symbolic link is not read.
            let reason = logs
                .iter()
                .rev()
                .find(|r| {
                    r.name == *name
                        && !r.reason.is_empty()
                        && linked_rejection(&config.folders, name).is_none()
                })
                .map(|r| r.reason.clone())
                .unwrap_or_else(|| message.clone());
            (name.clone(), safe::quote(&reason))
        })
        .collect()
}

/// Synchroniser maintenant: runs one synchronisation (unless one started
/// from the console is running), then shows its result.
pub(crate) async fn synchronise(
    State(app): State<Arc<App>>,
    CsrfChecked(v): CsrfChecked,
) -> Response {
    let a = app.clone();
    let config = v.config.clone();
    let ran = blocking(move || run(&a, &config)).await;
    match ran {
        Ok(true) => Redirect::to("/synchronisation").into_response(),
        Ok(false) => {
            app.flash(
                &v,
                false,
                "Une synchronisation lancée depuis la console est déjà en cours : attendez qu'elle se termine.",
            );
            Redirect::to("/").into_response()
        }
        Err(e) => error_page(&app, &v, &e),
    }
}

/// Runs one synchronisation and keeps its outcome for the result page;
/// false when one started from the console is already running.
fn run(a: &App, config: &Config) -> bool {
    // A synchronisation that panicked released the lock all the same.
    let _running = match a.syncing.try_lock() {
        Ok(g) => g,
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return false,
    };
    let started = Instant::now();
    let ran = Synchronizer::new(config, &a.registry, a.connector.as_ref())
        .with_remotes(a.remotes.as_ref())
        .with_hub(a.hub.as_ref())
        .with_stop(&STOPPING)
        .run_once();
    let outcome = outcome(config, ran);
    tracing::info!(
        "console synchronisation finished in {} ms, exit {}",
        started.elapsed().as_millis(),
        outcome.exit_code
    );
    *lock(&a.last_sync) = Some(outcome);
    true
}

/// What the result page shows of a synchronisation.
fn outcome(config: &Config, ran: Result<RunReport>) -> SyncOutcome {
    match ran {
        Ok(r) => SyncOutcome {
            at: lifecycle::now(),
            exit_code: r.exit_code(),
            flows: r
                .flows
                .iter()
                .map(|(f, c)| {
                    (
                        f.clone(),
                        [
                            c.imported,
                            c.complements,
                            c.duplicates,
                            c.rejected,
                            c.returns_written,
                            c.errors,
                        ],
                    )
                })
                .collect(),
            rejected: french_reasons(config, &r.rejected),
            troubles: r
                .troubles
                .iter()
                .map(msp_core::sync::trouble_line_fr)
                .collect(),
            refused: r.refused.clone(),
            failed: None,
            log: r
                .log_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        },
        Err(e) => SyncOutcome {
            at: lifecycle::now(),
            exit_code: 2,
            flows: Vec::new(),
            rejected: Vec::new(),
            troubles: Vec::new(),
            refused: Vec::new(),
            failed: Some(e.to_string()),
            log: String::new(),
        },
    }
}

/// Synchronisation: the result of the last one started from the console.
pub(crate) async fn sync_result(
    State(app): State<Arc<App>>,
    Extension(v): Extension<Visitor>,
) -> Response {
    let frame = app.frame(&v);
    let last = lock(&app.last_sync);
    page(pages::sync_result(&frame, last.as_ref()))
}
