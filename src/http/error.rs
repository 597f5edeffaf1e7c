//! Renders the one error type (`app::error::AppError`) as `application/problem+json`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::app::error::AppError;

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"finmatch\""));
        }
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        let mut res = res.body(serde_json::to_string(&self.problem()).unwrap_or_default());
        if self.errors.iter().any(|e| e.message_zh.is_some()) {
            res.extensions_mut()
                .insert(ChineseProblem(self.problem_zh()));
        }
        res
    }
}

/// The problem in Chinese, where the refusing rule wrote its messages in both languages;
/// `fallback::problem_bodies` answers it to `Accept-Language: zh-CN`.
pub struct ChineseProblem(pub Vec<u8>);

impl AppError {
    fn problem_zh(&self) -> Vec<u8> {
        let mut p = self.problem();
        for e in &mut p.errors {
            if let Some(zh) = e
                .message_zh
                .take()
                .or_else(|| super::zh::message(&e.message))
            {
                e.message = zh;
            }
        }
        p.title = self.code.label_zh().to_owned();
        p.detail = match p.errors.as_slice() {
            [one] => format!("{}：{}", one.field, one.message),
            many => format!("{} 个字段有误", many.len()),
        };
        serde_json::to_vec(&p).unwrap_or_default()
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::internal(e)
    }
}
