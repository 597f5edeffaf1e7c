//! The `Caller` extractor: reads `Authorization: Bearer <token>`, verifies it with the
//! `app::credentials` keys and checks, once per request, that the token is still live.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

pub use crate::app::caller::Caller;
use crate::app::caller::Token;
use crate::app::error::AppError;
use crate::app::AppState;

impl FromRequest for Caller {
    type Error = AppError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Caller, AppError>>;

    /// The signature and claims are checked here; then one query checks that the user is not
    /// disabled and the token not revoked, on every instance sharing the database, and
    /// settles the caller's scope. Its answer is remembered until the access counter moves
    /// (`session::SessionCache`), so a repeated token costs no round trip.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = authenticate(req);
        let lang = super::extract::lang(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = parsed?;
            let state = state.ok_or_else(|| AppError::internal("AppState missing"))?;
            let caller = match state.sessions.remembered(token).await {
                Some(known) => known,
                None => {
                    let st = state.clone();
                    crate::app::run(&state, move |conn| st.sessions.resolve(conn, token)).await?
                }
            };
            caller.map(|c| Caller { lang, ..c }).ok_or_else(|| {
                AppError::unauthorized("the access token was revoked or its user is disabled")
            })
        })
    }
}

fn authenticate(req: &HttpRequest) -> Result<Token, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("AppState missing"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::unauthorized("missing Authorization: Bearer <token>"))?;
    let value = value
        .to_str()
        .map_err(|_| AppError::unauthorized("malformed Authorization header"))?;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let token = value
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::unauthorized("expected Authorization: Bearer <token>"))?;
    state.jwt.verify(token)
}
