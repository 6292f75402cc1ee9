//! Reading a request's body, within a time and a size.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::respond::plain;
use crate::server;
use crate::state::App;

/// Reads a request's body before the handlers, within the body timeout
/// (a body announced and never sent ends in 408 and a closed connection)
/// and up to [`server::MAX_BODY`] (beyond: 413).
pub(crate) async fn read_body(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || {
        plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Requête trop volumineuse pour cette console.",
        )
    };
    if announced.is_some_and(|n| n > server::MAX_BODY as u64) {
        return closing(too_large());
    }
    match tokio::time::timeout(
        app.body_timeout,
        axum::body::to_bytes(body, server::MAX_BODY),
    )
    .await
    {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        // Cut short, or longer than announced or allowed.
        Ok(Err(_)) => closing(plain(
            StatusCode::BAD_REQUEST,
            "Requête incomplète ou trop volumineuse pour cette console.",
        )),
        Err(_) => closing(plain(
            StatusCode::REQUEST_TIMEOUT,
            "La requête n'est pas arrivée entière à temps : réessayez.",
        )),
    }
}

/// A response after which the connection is closed (its request's body
/// was not read whole).
pub(crate) fn closing(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}
