//! What a policy would pay over HTTP — one loan (quote) or every loan of a window
//! (simulation); nothing is stored. The use cases are `app::subsidies::{quote, simulation}`.

use actix_web::{post, web, HttpResponse};

use crate::app::error::AppResult;
use crate::app::subsidies::quote::{Quote, QuoteRequest};
use crate::app::subsidies::simulation::{self, SimulateRequest, Simulation};
use crate::app::{self, AppState};
use crate::http::auth::Caller;
use crate::http::extract::JsonBody;

/// Quote a subsidy for a stored or hypothetical loan; nothing is stored.
#[utoipa::path(
    tag = "subsidies",
    request_body = QuoteRequest,
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, description = "The amount and every step of the arithmetic", body = Quote))
)]
#[post("/policies/{id}/quote")]
pub async fn quote(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<QuoteRequest>,
) -> AppResult<HttpResponse> {
    let (id, cmd) = (path.into_inner(), body.value);
    let q = app::run(&state, move |conn| {
        app::subsidies::quote::quote(conn, &auth, id, cmd)
    })
    .await?;
    Ok(HttpResponse::Ok().json(q))
}

/// Budget planning (预算测算): what the policy (or a variant) would cost over every eligible
/// loan disbursed in the window, each for its whole subsidisable life, caps applied per payee.
#[utoipa::path(
    tag = "subsidies",
    request_body = SimulateRequest,
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, description = "Count, total and groups", body = Simulation))
)]
#[post("/policies/{id}/simulate")]
pub async fn simulate(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<SimulateRequest>,
) -> AppResult<HttpResponse> {
    let (id, cmd) = (path.into_inner(), body.value);
    let result = app::run(&state, move |conn| {
        simulation::simulate(conn, &auth, id, cmd)
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}
