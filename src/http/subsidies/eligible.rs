//! 政策找企业 over HTTP: the use case is `app::subsidies::eligible`.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::app::error::AppResult;
use crate::app::subsidies::eligible::{self, EligiblePolicies};
use crate::app::{self, AppState};
use crate::http::auth::Caller;

/// Every active policy covering the enterprise: whether it qualifies, each criterion with
/// its detail, and for each of its loans what a claim for the current year would come to
/// (政策找企业). The enterprise itself, the finance office in scope, an admin.
#[utoipa::path(
    tag = "subsidies",
    params(
        ("id" = i64, Path, description = "Enterprise (organization) id"),
        ("Accept-Language" = Option<String>, Header, description = "`zh-CN` for the criteria in Chinese; English when absent")
    ),
    responses((status = 200, description = "The policies, with reasons and amounts", body = EligiblePolicies))
)]
#[get("/enterprises/{id}/eligible-policies")]
pub async fn eligible_policies(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let lang = crate::http::extract::lang(&req);
    let view = app::run(&state, move |conn| eligible::list(conn, &auth, id, lang)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::VARY, "Accept-Language"))
        .json(view))
}
