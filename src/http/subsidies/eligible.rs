//! 政策找企业 over HTTP: the use case is `app::subsidies::eligible`.

use actix_web::{get, web, HttpResponse};

use crate::app::error::AppResult;
use crate::app::subsidies::eligible::{self, EligiblePolicies};
use crate::app::{self, AppState};
use crate::http::auth::Caller;

/// Every active policy covering the enterprise: whether it qualifies, each criterion with
/// its detail, and for each of its loans what a claim for the current year would come to
/// (政策找企业). The enterprise itself, the finance office in scope, an admin.
#[utoipa::path(
    tag = "subsidies",
    params(("id" = i64, Path, description = "Enterprise (organization) id")),
    responses((status = 200, description = "The policies, with reasons and amounts", body = EligiblePolicies))
)]
#[get("/enterprises/{id}/eligible-policies")]
pub async fn eligible_policies(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| eligible::list(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}
