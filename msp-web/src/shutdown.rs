//! Stopping on SIGTERM or SIGINT.

/// Set when `msp serve` stops: a synchronisation started from the console
/// stops after the archives in hand ([`msp_core::Synchronizer::with_stop`]).
pub(crate) static STOPPING: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Completes at the first SIGTERM or SIGINT (handled even when SIGINT was
/// inherited ignored): the server then accepts no connection and lets the
/// requests in progress finish. A second signal ends the process at once
/// (exit 143 or 130).
pub(crate) async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
            return;
        };
        let first = tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        };
        STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
        eprintln!(
            "msp serve: {first}: no new connection, the requests in progress finish (a second signal stops at once)"
        );
        tokio::spawn(async move {
            let code = tokio::select! {
                _ = int.recv() => 130,
                _ = term.recv() => 143,
            };
            eprintln!("msp serve: second signal: stopped at once");
            std::process::exit(code);
        });
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
