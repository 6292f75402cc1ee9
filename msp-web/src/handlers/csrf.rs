//! The forms that carry nothing but the session's CSRF token, checked
//! before their handler runs.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};

use super::CsrfForm;
use crate::respond::csrf_refused;
use crate::state::{App, Visitor};

/// The visitor who sent a form carrying only this session's CSRF token;
/// any other form is answered with [`csrf_refused`], its handler not run.
pub(crate) struct CsrfChecked(pub(crate) Visitor);

impl FromRequest<Arc<App>> for CsrfChecked {
    type Rejection = Response;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Extension(v) = Extension::<Visitor>::from_request_parts(&mut parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let Form(f) = Form::<CsrfForm>::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(IntoResponse::into_response)?;
        if !app.csrf_ok(&v, &f.csrf) {
            return Err(csrf_refused(app, &v));
        }
        Ok(CsrfChecked(v))
    }
}
