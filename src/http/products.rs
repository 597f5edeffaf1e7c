//! Loan products over HTTP (SPEC §3.3); the use cases are `app::products`.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::extract::JsonBody;
use super::idempotency;
use crate::app::error::AppResult;
use crate::app::pagination::{page, Page, PageQuery};
use crate::app::products::ProductFilter;
use crate::app::products::{self, CreateProduct, PatchProduct, ProductView};
use crate::app::{self, AppState};
use crate::domain::product::{ProductStatus, ProductType};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    pub product_type: Option<ProductType>,
    pub bank_id: Option<i64>,
    pub status: Option<ProductStatus>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Publish a loan product (bank).
#[utoipa::path(
    tag = "products",
    request_body = CreateProduct,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The product", body = ProductView))
)]
#[post("/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Caller,
    body: JsonBody<CreateProduct>,
) -> AppResult<HttpResponse> {
    let cmd = body.value;
    idempotency::run(&state, &req, auth.idempotency_scope(), &body.raw, |done| {
        app::run(&state, move |conn| products::create(conn, &auth, cmd, done))
    })
    .await
}

/// The product catalog. Drafts are listed only to their own bank.
#[utoipa::path(
    tag = "products",
    params(ProductListQuery),
    responses((status = 200, description = "A page of products", body = Page<ProductView>))
)]
#[get("/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    auth: Caller,
    query: web::Query<ProductListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let cursor = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .cursor()?;
    let filter = ProductFilter {
        product_type: q.product_type.map(|t| t.as_str().to_owned()),
        bank_id: q.bank_id,
        status: q.status.map(|s| s.as_str().to_owned()),
        after_id: cursor.after_id,
        limit: cursor.limit,
    };
    let views = app::run(&state, move |conn| products::list(conn, &auth, filter)).await?;
    Ok(HttpResponse::Ok().json(page(views, cursor, |v| v.id, |v| v)))
}

/// One product (a draft only to its own bank).
#[utoipa::path(
    tag = "products",
    params(("id" = i64, Path, description = "Product id")),
    responses((status = 200, description = "The product", body = ProductView))
)]
#[get("/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let view = app::run(&state, move |conn| products::get(conn, &auth, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Change a product (its own bank). Status moves draft → active ⇄ paused → retired.
#[utoipa::path(
    tag = "products",
    request_body = PatchProduct,
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, description = "The updated product", body = ProductView),
        (status = 409, description = "`invalid_transition` or `product_retired`", body = crate::app::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/products/{id}")]
pub async fn patch_product(
    state: web::Data<AppState>,
    auth: Caller,
    path: web::Path<i64>,
    body: JsonBody<PatchProduct>,
) -> AppResult<HttpResponse> {
    let (id, patch) = (path.into_inner(), body.value);
    let view = app::run(&state, move |conn| products::patch(conn, &auth, id, patch)).await?;
    Ok(HttpResponse::Ok().json(view))
}
