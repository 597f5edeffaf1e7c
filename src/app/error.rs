//! The one error type of finmatch. A use case fails with a stable snake_case `code`, the
//! status SPEC fixes for it and, for 422, the invalid fields; `http::error` renders it as
//! `application/problem+json` (RFC 9457). 5xx details never leave: they go to the log.
//!
//! The status is the `http` crate's `StatusCode`, not a private enum: SPEC names one status
//! per code, so the use case that detects the failure is the one place that knows it.

pub use http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::credit_code::CreditCodeError;

str_enum! {
    /// Every `code` a problem+json answer can carry: one list, so the document names them all.
    pub enum ProblemCode {
        /// Malformed JSON or a body that is not an object
        MalformedJson = "malformed_json" / "请求格式错误",
        /// Wrong type or shape in the body
        InvalidBody = "invalid_body" / "请求体无效",
        /// A query parameter is malformed or out of range
        InvalidQuery = "invalid_query" / "查询参数无效",
        /// A path parameter is malformed
        InvalidPathParameter = "invalid_path_parameter" / "路径参数无效",
        /// The cursor is not one this API issued
        InvalidCursor = "invalid_cursor" / "分页游标无效",
        /// Idempotency-Key is not 1–255 visible ASCII characters
        InvalidIdempotencyKey = "invalid_idempotency_key" / "幂等键无效",
        /// The export would exceed the spreadsheet row limit
        TooManyRows = "too_many_rows" / "行数过多",
        /// Missing, invalid or expired bearer token, or wrong credentials
        Unauthorized = "unauthorized" / "未认证",
        /// The caller's role may not do this
        Forbidden = "forbidden" / "无权限",
        /// Not found, or outside the caller's scope
        NotFound = "not_found" / "不存在",
        /// The path exists but not with this method (see `Allow`)
        MethodNotAllowed = "method_not_allowed" / "不支持的请求方法",
        /// The request line or headers cannot be parsed (e.g. HTTP/1.1 without Host)
        MalformedRequest = "malformed_request" / "请求无法解析",
        /// The request headers are too large
        RequestHeadersTooLarge = "request_headers_too_large" / "请求头过大",
        /// The request was not received in time
        RequestTimeout = "request_timeout" / "请求超时",
        /// A resource with the same unique fields exists
        Conflict = "conflict" / "冲突",
        /// An enterprise tried to change its own region_code
        RegionChangeForbidden = "region_change_forbidden" / "不可自行变更地区",
        /// The action is not allowed in the current state
        InvalidTransition = "invalid_transition" / "状态不允许",
        /// The key was used with a different body
        IdempotencyKeyReused = "idempotency_key_reused" / "幂等键已用于不同请求",
        /// The first request with this key has not finished
        IdempotencyKeyInProgress = "idempotency_key_in_progress" / "幂等请求处理中",
        /// The username is taken
        UsernameTaken = "username_taken" / "用户名已存在",
        /// An organization with this 统一社会信用代码 exists
        CreditCodeTaken = "credit_code_taken" / "信用代码已注册",
        /// The same qualification is already recorded
        DuplicateQualification = "duplicate_qualification" / "资质重复",
        /// A live match for this demand and product exists
        MatchExists = "match_exists" / "对接已存在",
        /// The product is retired
        ProductRetired = "product_retired" / "产品已下架",
        /// An LPR print for that date exists
        LprExists = "lpr_exists" / "LPR已存在",
        /// The policy has claims
        PolicyImmutable = "policy_immutable" / "政策不可修改",
        /// An overlapping period is already claimed
        DuplicateClaim = "duplicate_claim" / "重复申报",
        /// The claim does not fit the remaining budget
        BudgetExceeded = "budget_exceeded" / "预算不足",
        /// Request body too large
        PayloadTooLarge = "payload_too_large" / "请求体过大",
        /// The body is not JSON
        UnsupportedMediaType = "unsupported_media_type" / "不支持的内容类型",
        /// Invalid fields (see errors)
        ValidationFailed = "validation_failed" / "字段校验失败",
        /// The 统一社会信用代码 fails the GB 32100 check
        InvalidCreditCode = "invalid_credit_code" / "统一社会信用代码无效",
        /// The webhook URL is not an http(s) URL the platform may call
        WebhookUrlNotAllowed = "webhook_url_not_allowed" / "回调地址不允许",
        /// Eligibility criteria fail (see errors)
        NotEligible = "not_eligible" / "不符合条件",
        /// A bridge does not fit what is left of its fund.
        FundExhausted = "fund_exhausted" / "资金池额度不足",
        /// An enrollment does not fit a risk scheme's capacity (capital × leverage).
        SchemeCapacityExceeded = "scheme_capacity_exceeded" / "风险补偿额度不足",
        /// A compensation is claimed on a loan that is not `npl` or `written_off`.
        LoanNotNpl = "loan_not_npl" / "贷款未进入不良",
        /// An approved compensation does not fit the scheme's balance.
        PoolExhausted = "pool_exhausted" / "资金池余额不足",
        /// Another approved or paid claim for an overlapping period of the loan is under a
        /// policy of the same `exclusive_group` (no stacking).
        StackingNotAllowed = "stacking_not_allowed" / "不可叠加享受",
        /// The claim's amount depends on an LPR that is not published yet.
        LprNotPublished = "lpr_not_published" / "LPR尚未公布",
        /// Disbursements would exceed the approved amount
        ExceedsApprovedAmount = "exceeds_approved_amount" / "超过授信金额",
        /// Too many failed attempts; retry after Retry-After
        TooManyRequests = "too_many_requests" / "请求过多",
        /// Internal error (no details disclosed)
        InternalError = "internal_error" / "内部错误",
        /// Database unavailable; retry after Retry-After
        ServiceUnavailable = "service_unavailable" / "服务暂不可用",
    }
}

/// One invalid field of a 422 answer.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the field, e.g. `enterprise.credit_code`.
    pub field: String,
    pub message: String,
    /// `message` in Chinese where the rule that refused wrote one (`Accept-Language: zh-CN`
    /// renders it; others go through the phrase table of `http::zh`).
    #[serde(skip)]
    #[schema(ignore)]
    pub message_zh: Option<String>,
}

impl FieldError {
    /// A refusal the rule wrote in both languages.
    pub fn said(field: &str, text: crate::domain::lang::Text) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message: text.en,
            message_zh: Some(text.zh),
        }
    }
}

/// RFC 9457 problem details, plus `code` and (for 422) `errors`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(example = "urn:finmatch:problem:validation_failed")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable error code.
    pub code: ProblemCode,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: ProblemCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> Self {
        AppError {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ProblemCode::Unauthorized, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ProblemCode::Forbidden, detail)
    }

    /// Also used for resources outside the caller's scope, so their existence is not revealed.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 422 with one or more invalid fields.
    pub fn invalid(code: ProblemCode, errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        AppError {
            errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
        }
    }

    pub fn invalid_field(code: ProblemCode, field: &str, message: impl Into<String>) -> Self {
        Self::invalid(
            code,
            vec![FieldError {
                field: field.to_owned(),
                message: message.into(),
                message_zh: None,
            }],
        )
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        AppError {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ProblemCode::TooManyRequests,
                "too many failed attempts; try again later",
            )
        }
    }

    /// 429 with `Retry-After`: the caller is over its request rate.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        AppError {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ProblemCode::TooManyRequests,
                "too many requests; slow down and retry after the given seconds",
            )
        }
    }

    /// 503 with `Retry-After`: a bounded resource is in use; retrying later will work.
    pub fn busy(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        AppError {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::unavailable(detail)
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::ServiceUnavailable,
            detail,
        )
    }

    /// Logs the cause and answers a bare 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::InternalError,
            "an internal error occurred",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("urn:finmatch:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::not_found("resource"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::conflict(
                ProblemCode::Conflict,
                "a resource with the same unique fields already exists",
            ),
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::unavailable("concurrent update; retry the request")
            }
            // A connection lost mid-request (the database went away), or storage that cannot
            // take a write (a full disk, a read-only file): the request may be retried later.
            // A transaction whose connection broke cannot even roll back: diesel marks its
            // manager broken, and the pool drops the connection (`DbManager::has_broken`).
            Error::BrokenTransactionManager => {
                tracing::debug!("database connection lost inside a transaction");
                AppError::busy(
                    "database unavailable; retry shortly",
                    DATABASE_RETRY_AFTER_SECS,
                )
            }
            Error::DatabaseError(kind, ref info)
                if kind == DatabaseErrorKind::ClosedConnection
                    || connection_lost(info.message()) =>
            {
                // The outage itself is logged once by `db::availability`.
                tracing::debug!(error = %info.message(), "database connection lost");
                AppError::busy(
                    "database unavailable; retry shortly",
                    DATABASE_RETRY_AFTER_SECS,
                )
            }
            Error::DatabaseError(_, ref info) if storage_refused(info.message()) => {
                // Every write fails alike while the disk is full: say so every 10 s at most.
                static LAST: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
                let now = chrono::Utc::now().timestamp();
                let last = LAST.load(std::sync::atomic::Ordering::Relaxed);
                if now - last >= 10
                    && LAST
                        .compare_exchange(
                            last,
                            now,
                            std::sync::atomic::Ordering::Relaxed,
                            std::sync::atomic::Ordering::Relaxed,
                        )
                        .is_ok()
                {
                    tracing::warn!(error = %info.message(), "database storage refuses writes; answering 503");
                }
                AppError::busy(
                    "the database cannot store data right now; retry later",
                    DATABASE_RETRY_AFTER_SECS * 15,
                )
            }
            other => AppError::internal(with_sources(&other)),
        }
    }
}

/// libpq's words for a connection that broke under a request (the server or the network
/// went away): the request may be retried once the database is back.
fn connection_lost(message: &str) -> bool {
    [
        "server closed the connection unexpectedly",
        "no connection to the server",
        "terminating connection",
        "could not receive data from server",
        "could not send data to server",
        "Connection reset by peer",
        "Broken pipe",
        "SSL SYSCALL error",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// SQLite's words for storage that cannot take a write (`SQLITE_FULL`, `SQLITE_READONLY`,
/// `SQLITE_IOERR`), and PostgreSQL's for a full disk.
fn storage_refused(message: &str) -> bool {
    [
        "database or disk is full",
        "readonly database",
        "disk I/O error",
        "could not extend file",
        "No space left on device",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// An error and its causes, outermost first ("Error deserializing field 'state': unknown
/// value \"parked\" stored in matches.state"), so the log names what failed.
pub fn with_sources(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// How long a client should wait before retrying while the database is away.
pub const DATABASE_RETRY_AFTER_SECS: u64 = 2;

impl From<diesel::r2d2::PoolError> for AppError {
    /// No connection within `FINMATCH_DB_TIMEOUT_MS`: the database is away (logged once per
    /// outage by `db::availability`) or every connection is busy.
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::debug!(error = %e, "no database connection in time");
        AppError::busy(
            "database unavailable; retry shortly",
            DATABASE_RETRY_AFTER_SECS,
        )
    }
}

impl From<CreditCodeError> for AppError {
    fn from(e: CreditCodeError) -> Self {
        AppError::invalid_field(ProblemCode::InvalidCreditCode, "credit_code", e.to_string())
    }
}

/// Collects field errors while validating a request.
#[derive(Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) -> &mut Self {
        if !ok {
            self.0.push(FieldError {
                field: field.to_owned(),
                message: message.into(),
                message_zh: None,
            });
        }
        self
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
            message_zh: None,
        });
    }

    /// A name (organization, product, policy, target): non-blank, at most 200 characters.
    /// Stored verbatim.
    pub fn name(&mut self, field: &str, name: &str) -> &mut Self {
        self.check(!name.trim().is_empty(), field, "must not be blank");
        self.at_most(field, Some(name), 200)
    }

    /// A loan term in months within `product::TERM_MONTHS`.
    pub fn term_months(&mut self, field: &str, months: i64) -> &mut Self {
        let range = crate::domain::product::TERM_MONTHS;
        let ok = range.contains(&months);
        self.check(
            ok,
            field,
            format!("must be between {} and {}", range.start(), range.end()),
        )
    }

    /// Free text at most `max` characters long.
    pub fn at_most(&mut self, field: &str, text: Option<&str>, max: usize) -> &mut Self {
        let ok = text.is_none_or(|t| t.chars().count() <= max);
        self.check(ok, field, format!("must be at most {max} characters"))
    }

    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid(ProblemCode::ValidationFailed, self.0))
        }
    }
}
