//! The routes and the listener.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;

use super::api::{self, lock, Shared};
use super::{folders, portal, Hub, Subscriber};

/// How the simulator runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where it listens.
    pub listen: SocketAddr,
    /// The subscriptions its token endpoint knows.
    pub subscribers: Vec<Subscriber>,
}

/// The router over a hub.
pub fn router(hub: Shared) -> Router {
    let v1 = Router::new()
        .route("/notifications", get(api::notifications))
        .route(
            "/notifications/{id}",
            axum::routing::delete(api::delete_notification),
        )
        .route("/cases/{c}", get(api::get_case).patch(api::patch_case))
        .route("/cases/{c}/attachments/{a}", get(api::get_attachment))
        .route("/cases/{c}/events", post(api::post_event))
        .route(
            "/cases/{c}/events/{e}",
            get(api::get_event)
                .patch(api::patch_event)
                .delete(api::delete_event),
        )
        .route(
            "/cases/{c}/events/{e}/attachments/{a}",
            put(api::put_event_file).get(api::get_event_file),
        )
        .route_layer(middleware::from_fn_with_state(hub.clone(), faults))
        .route("/folders", post(folders::create))
        .route("/folders/{f}", get(folders::get).patch(folders::patch))
        .route("/folders/{f}/attachments/{a}", put(folders::put_file));
    Router::new()
        .nest("/teledossiers/v1", v1)
        .route("/oauth2/token", post(api::token))
        .route("/sim/cases", post(portal::create))
        .route("/sim/cases/{ext}/{what}", post(portal::act))
        .route("/sim/faults", post(portal::faults))
        .route("/sim/state", get(portal::state))
        .with_state(hub)
}

/// The armed faults, before the API answers: a 500, or the connection
/// dropped (the connection's task unwinds without a word).
async fn faults(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let posts_event =
        req.method() == axum::http::Method::POST && req.uri().path().ends_with("/events");
    let (fault, lose) = {
        let mut hub = lock(&s);
        let fault = hub.next_fault();
        (fault, fault.is_none() && posts_event && hub.loses_answer())
    };
    if lose {
        // Created, then the answer lost: what makes a post not idempotent.
        let _ = next.run(req).await;
        return api::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "Internal Server Error",
        );
    }
    match fault {
        Some(true) => api::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "Internal Server Error",
        ),
        Some(false) => std::panic::resume_unwind(Box::new("connection dropped on purpose")),
        None => next.run(req).await,
    }
}

/// Starts the simulator on a thread of its own, on a free port of
/// 127.0.0.1 (for tests); gives its address. It serves until the process
/// ends.
pub fn start(subscribers: Vec<Subscriber>) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        rt.block_on(async move {
            let hub = Hub {
                subscribers,
                ..Hub::default()
            };
            if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                let _ = axum::serve(listener, router(Arc::new(Mutex::new(hub)))).await;
            }
        })
    });
    Ok(addr)
}

/// Serves until killed; prints `listening on ADDR` once bound.
pub fn serve(options: Options) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let hub = Hub {
            subscribers: options.subscribers,
            ..Hub::default()
        };
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        println!("listening on {}", listener.local_addr()?);
        axum::serve(listener, router(Arc::new(Mutex::new(hub)))).await
    })
}
