//! Builds the application: state, middleware, the route table and the OpenAPI document —
//! both from one registration (`routes`), so the document cannot drift from the server.

use crate::app::clock;
use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Condition, DefaultHeaders, Next};
use actix_web::{web, App, HttpMessage, HttpResponse, HttpServer};
use anyhow::Context;
use diesel::prelude::*;
use secrecy::ExposeSecret;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::app::credentials::{self, HashGate, JwtKeys};
use crate::app::error::{AppResult, ProblemCode};
use crate::app::session::SessionCache;
use crate::app::{self, AppState};
use crate::config::Settings;
use crate::db::watch::ChangeWatch;
use crate::db::{self, Pool};
use crate::domain::org::OrgKind;
use crate::http::{
    bridges, calendar, demands, enterprises, loans, matches, matching, products, renewals, reports,
    risk, subsidies, webhooks,
};
use crate::http::{extract, fallback, health, openapi, organizations, session};
use std::sync::Arc;

/// Every API route, under `/api/v1`.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The hot reads first: actix tries each route's pattern in order, and these two are
    // read far more often than the rest (no two routes here match the same path).
    cfg.service(matching::recommendations)
        .service(matching::candidates)
        .service(session::register)
        .service(session::login)
        .service(session::me)
        .service(session::logout)
        .service(session::change_password)
        .service(organizations::create_organization)
        .service(organizations::list_organizations)
        .service(organizations::get_organization)
        .service(organizations::create_user)
        .service(organizations::list_users)
        .service(organizations::disable_user)
        .service(organizations::enable_user)
        .service(demands::create_demand)
        .service(demands::list_demands)
        .service(demands::get_demand)
        .service(demands::patch_demand)
        .service(demands::close_demand)
        .service(enterprises::list_enterprises)
        .service(enterprises::get_enterprise)
        .service(enterprises::update_enterprise)
        .service(enterprises::create_qualification)
        .service(enterprises::list_qualifications)
        .service(enterprises::delete_qualification)
        .service(products::create_product)
        .service(products::list_products)
        .service(products::get_product)
        .service(products::patch_product)
        .service(matches::create_match)
        .service(matches::list_matches)
        .service(matches::get_match)
        .service(matches::accept)
        .service(matches::approve)
        .service(matches::reject)
        .service(matches::withdraw)
        .service(matches::disburse)
        .service(matches::list_loans)
        .service(matches::get_loan)
        .service(loans::record_event)
        .service(loans::record_batch)
        .service(renewals::request_renewal)
        .service(renewals::list_renewals)
        .service(renewals::get_renewal)
        .service(renewals::approve_renewal)
        .service(renewals::reject_renewal)
        .service(renewals::withdraw_renewal)
        .service(renewals::disburse_renewal)
        .service(risk::create_scheme)
        .service(risk::list_schemes)
        .service(risk::get_scheme)
        .service(risk::enroll)
        .service(risk::list_enrollments)
        .service(risk::submit_claim)
        .service(risk::list_claims)
        .service(risk::get_claim)
        .service(risk::approve_claim)
        .service(risk::reject_claim)
        .service(risk::pay_claim)
        .service(risk::recover)
        .service(bridges::create_fund)
        .service(bridges::list_funds)
        .service(bridges::get_fund)
        .service(bridges::request_bridge)
        .service(bridges::list_bridges)
        .service(bridges::get_bridge)
        .service(bridges::approve_bridge)
        .service(bridges::reject_bridge)
        .service(bridges::disburse_bridge)
        .service(bridges::repay_bridge)
        .service(calendar::put_calendar)
        .service(calendar::get_calendar)
        .service(webhooks::create_webhook)
        .service(webhooks::list_webhooks)
        .service(webhooks::delete_webhook)
        .service(webhooks::list_deliveries)
        .service(subsidies::list_lpr)
        .service(subsidies::create_lpr)
        .service(subsidies::create_policy)
        .service(subsidies::list_policies)
        .service(subsidies::get_policy)
        .service(subsidies::update_policy)
        .service(subsidies::suspend_policy)
        .service(subsidies::quote)
        .service(subsidies::simulate)
        .service(subsidies::eligible_policies)
        .service(subsidies::batch_claims)
        .service(subsidies::create_claim)
        .service(subsidies::list_claims)
        .service(subsidies::get_claim)
        .service(subsidies::approve_claim)
        .service(subsidies::reject_claim)
        .service(subsidies::pay_claim)
        .service(reports::overview)
        .service(reports::breakdown)
        .service(reports::banks)
        .service(reports::bridge_funds)
        .service(reports::create_target)
        .service(reports::list_targets)
        .service(reports::get_target)
        .service(reports::loans_csv)
        .service(reports::loans_xlsx)
        .service(reports::breakdown_xlsx)
        // Also under the base path, for clients that only know `/api/v1`.
        .route("/openapi.json", web::get().to(serve_openapi));
}

async fn serve_openapi(doc: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}

fn probes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
}

/// The OpenAPI document, built from the same registration as the server.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(routes))
        .configure(probes)
        .split_for_parts();
    openapi::finish(doc)
}

pub fn openapi_json() -> String {
    openapi_document().to_pretty_json().unwrap_or_default() + "\n"
}

/// Echoes the request id that `TracingLogger` attached to the request's span.
async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(id) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(res)
}

/// Headers every answer carries: API answers are never cached (they are per caller); the
/// docs page may only load finmatch's own assets and may not be framed.
async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/docs");
    let console = req.path() == "/" || req.path().starts_with("/assets/");
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    };
    set("referrer-policy", "no-referrer");
    set("x-frame-options", "DENY");
    if console {
        // Everything from finmatch itself; the console keeps its own cache headers.
        set(
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        );
    } else if docs {
        set(
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'none'",
        );
    } else {
        set("cache-control", "no-store");
    }
    Ok(res)
}

/// Tokens remembered as checked (about 100 bytes each).
const SESSION_CACHE_ENTRIES: u64 = 100_000;

/// A bound, not yet running server (tests bind port 0 and read the port back).
pub struct Application {
    pub port: u16,
    pub server: Server,
    pub state: web::Data<AppState>,
    /// The metrics listener (`FINMATCH_METRICS_LISTEN`), to run next to `server`.
    pub metrics: Option<(u16, Server)>,
}

impl Application {
    pub fn build(settings: &Settings, pool: Pool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.listen)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let changes = Arc::new(ChangeWatch::start(&settings.database));
        let state = web::Data::new(AppState {
            backend: settings.database.backend(),
            sessions: SessionCache::new(changes.clone(), SESSION_CACHE_ENTRIES),
            matching: crate::catalog::MatchingCache::new(
                settings.matching_cache_bytes,
                changes.clone(),
            ),
            changes,
            decide_working_days: settings.decide_working_days,
            hashing: HashGate::new(
                settings.hash_concurrency,
                std::time::Duration::from_millis(settings.hash_wait_ms),
                settings.password_hash_cost,
            ),
            trusted_proxies: settings.trusted_proxies.clone(),
            webhook_allow: settings.webhook_allow_networks.clone(),
            pool,
            jwt: JwtKeys::new(&settings.jwt_secret, settings.token_ttl_secs),
        });
        let doc = openapi_document();
        // The codec's own 400/431 answers speak problem+json too (once per process).
        actix_http::h1::set_error_body(fallback::codec_error_body);
        let routes_known = web::Data::new(fallback::RouteTable::new(
            &doc,
            &[
                ("/openapi.json", Method::GET),
                ("/api/v1/openapi.json", Method::GET),
                ("/docs", Method::GET),
                ("/", Method::GET),
            ],
        ));
        let metrics = match &settings.metrics_listen {
            Some(addr) => Some(metrics_server(addr, state.clone())?),
            None => None,
        };
        let record_metrics = metrics.is_some();
        let server_state = state.clone();
        let rate_limits = web::Data::new(crate::http::limits::RateLimits::new(
            settings.rate_limit_per_minute,
            settings.anon_rate_limit_per_minute,
        ));
        let request_timeout = web::Data::new(crate::http::limits::RequestTimeout(
            std::time::Duration::from_millis(settings.request_timeout_ms),
        ));
        let workers = settings.workers;
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .app_data(server_state.clone())
                .app_data(web::Data::new(doc.clone()))
                .app_data(routes_known.clone())
                .app_data(rate_limits.clone())
                .app_data(request_timeout.clone())
                .app_data(extract::query_config())
                .app_data(extract::path_config())
                .app_data(extract::payload_config())
                .service(utoipa_actix_web::scope("/api/v1").configure(routes))
                .configure(probes)
                .split_for_parts();
            // No external validator: swagger-ui would send the document's URL to
            // validator.swagger.io; /docs must work on an intranet and leak nothing.
            app.service(
                SwaggerUi::new("/docs/{_:.*}")
                    .url("/openapi.json", doc.clone())
                    .config(utoipa_swagger_ui::Config::default().validator_url("none")),
            )
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/docs/"))
                        .finish()
                }),
            )
            .route("/", web::get().to(crate::http::console::index))
            .route(
                "/assets/{file:.*}",
                web::get().to(crate::http::console::asset),
            )
            .default_service(web::to(fallback::no_route))
            .wrap(from_fn(crate::http::limits::deadline))
            .wrap(from_fn(crate::http::limits::rate))
            .wrap(from_fn(fallback::problem_bodies))
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .wrap(from_fn(security_headers))
            .wrap(from_fn(request_id_header))
            .wrap(Condition::new(
                record_metrics,
                from_fn(crate::http::metrics::record),
            ))
            .wrap(TracingLogger::default())
        })
        .shutdown_timeout(30)
        .listen(listener)?;
        if let Some(n) = workers {
            server = server.workers(n);
        }
        Ok(Application {
            port,
            server: server.run(),
            state,
            metrics,
        })
    }
}

/// `GET /metrics` alone, on its own listener, one worker.
fn metrics_server(addr: &str, state: web::Data<AppState>) -> anyhow::Result<(u16, Server)> {
    if crate::telemetry::metrics().is_none() {
        anyhow::bail!("cannot install the metrics recorder");
    }
    let listener = TcpListener::bind(addr)
        .with_context(|| format!("cannot listen on FINMATCH_METRICS_LISTEN={addr}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(crate::http::metrics::scrape))
    })
    .workers(1)
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    Ok((port, server))
}

/// Opens the pool and applies migrations.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<Pool> {
    let timeout = std::time::Duration::from_millis(settings.db_timeout_ms);
    let pool = db::build_pool(&settings.database, settings.db_pool_size, timeout)
        .with_context(|| format!("cannot open database {}", settings.database.redacted()))?;
    let mut conn = pool.get()?;
    let applied = db::migrations::run_pending(&mut conn)
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    upgrade_stored_data(&mut conn)?;
    if db::rollups::ensure_built(&mut conn)? {
        tracing::info!("built the reporting rollups from the fact tables");
    }
    Ok(pool)
}

/// Data upgrades the SQL migrations cannot express: rewrites values stored by an earlier
/// release in today's typed form. Idempotent.
pub fn upgrade_stored_data(conn: &mut db::DbConnection) -> anyhow::Result<()> {
    let rules = app::subsidies::policies::upgrade_stored_rules(conn)
        .map_err(|e| anyhow::anyhow!("upgrading stored policy rules failed: {e:?}"))?;
    if rules > 0 {
        tracing::info!(rules, "rewrote policy rules in the stored form");
    }
    Ok(())
}

/// First start: create the platform organization and the `admin` user. The password is
/// `FINMATCH_ADMIN_PASSWORD`, or generated and printed once.
pub fn ensure_admin(pool: &Pool, settings: &Settings) -> anyhow::Result<()> {
    use crate::db::schema::users;
    let mut conn = pool.get()?;
    let exists: bool = diesel::select(diesel::dsl::exists(
        users::table.filter(users::username.eq("admin")),
    ))
    .get_result(&mut conn)?;
    if exists {
        return Ok(());
    }
    let (password, generated) = match &settings.admin_password {
        Some(p) => (p.expose_secret().to_owned(), false),
        None => (generate_password(), true),
    };
    if credentials::validate_password(&password).is_err() {
        anyhow::bail!(
            "FINMATCH_ADMIN_PASSWORD must be at least {} characters",
            credentials::MIN_PASSWORD_LEN
        );
    }
    let hash = credentials::hash_password(&password, settings.password_hash_cost)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The unique username decides when instances start at once: the loser sees it taken.
    let created = conn.write_transaction(|conn| -> AppResult<bool> {
        if db::users::username_taken(conn, "admin")? {
            return Ok(false);
        }
        let now = clock::now();
        let org = app::organizations::add(
            conn,
            &db::orgs::NewOrg {
                kind: OrgKind::Platform,
                name: "finmatch platform operator",
                credit_code: None,
                region_code: None,
                created_at: now,
                updated_at: now,
            },
        )?;
        app::users::add(conn, org.id, "admin", &hash, now)?;
        Ok(true)
    });
    match created {
        Ok(true) if generated => {
            // Into a private file, never onto the terminal or a log line.
            let file = settings
                .data_dir
                .join(crate::config::INITIAL_ADMIN_PASSWORD_FILE);
            crate::config::write_private(&file, &password)?;
            println!(
                "finmatch: created user 'admin'; its password is in {} (readable by this user \
                 only; delete it after the first login, or set FINMATCH_ADMIN_PASSWORD to choose one)",
                file.display()
            );
        }
        Ok(_) => {}
        // Another instance created it at the same moment.
        Err(e) if e.code == ProblemCode::UsernameTaken => {}
        Err(e) => anyhow::bail!("cannot create the admin user: {e}"),
    }
    Ok(())
}

fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
