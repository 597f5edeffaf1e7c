//! Cursor pagination: `?limit=` (default 50, max 200) and an opaque `?cursor=`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::error::AppError;
use crate::app::error::ProblemCode;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Position in an id-ordered list.
#[derive(Clone, Copy, Debug)]
pub struct Cursor {
    pub limit: i64,
    pub after_id: Option<i64>,
}

impl PageQuery {
    pub fn cursor(&self) -> Result<Cursor, AppError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::bad_request(
                ProblemCode::InvalidQuery,
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after_id = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(decode(c)?),
        };
        Ok(Cursor { limit, after_id })
    }
}

fn decode(cursor: &str) -> Result<i64, AppError> {
    let bad = || {
        AppError::bad_request(
            ProblemCode::InvalidCursor,
            "the cursor is not one this API issued",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("id:")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(bad)
}

fn encode(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("id:{id}"))
}

/// Position in a ranked (not id-ordered) list: an offset, opaque to clients.
pub fn offset_cursor(q: &PageQuery) -> Result<(i64, usize), AppError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::bad_request(
            ProblemCode::InvalidQuery,
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let offset = match q.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => {
            let bad = || {
                AppError::bad_request(
                    ProblemCode::InvalidCursor,
                    "the cursor is not one this API issued",
                )
            };
            let text = URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(bad)?;
            // A position is a count of ranked items; one past u32 is not one this API issued
            // (and `offset + limit` must not wrap).
            text.strip_prefix("off:")
                .and_then(|n| n.parse::<u32>().ok())
                .map(|n| n as usize)
                .ok_or_else(bad)?
        }
    };
    Ok((limit, offset))
}

/// The cursor of the page after `[offset, offset + limit)` of `total` ranked items.
pub fn next_offset_cursor(offset: usize, limit: i64, total: usize) -> Option<String> {
    let next = offset.saturating_add(usize::try_from(limit).unwrap_or(0));
    (next < total).then(|| URL_SAFE_NO_PAD.encode(format!("off:{next}")))
}

/// Builds a page from `limit + 1` fetched rows ordered by id.
pub fn page<R, T: ToSchema>(
    mut rows: Vec<R>,
    cursor: Cursor,
    id_of: impl Fn(&R) -> i64,
    view: impl FnMut(R) -> T,
) -> Page<T> {
    let more = rows.len() as i64 > cursor.limit;
    rows.truncate(cursor.limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| encode(id_of(r)))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_rejects_garbage() {
        let q = PageQuery {
            limit: Some(10),
            cursor: Some(encode(42)),
        };
        let c = q.cursor().unwrap();
        assert_eq!((c.limit, c.after_id), (10, Some(42)));
        for bad in ["x", "aWQ6", "%%%"] {
            let q = PageQuery {
                limit: None,
                cursor: Some(bad.into()),
            };
            assert_eq!(q.cursor().unwrap_err().code, ProblemCode::InvalidCursor);
        }
        for limit in [0, 201, -1] {
            let q = PageQuery {
                limit: Some(limit),
                cursor: None,
            };
            assert_eq!(q.cursor().unwrap_err().code, ProblemCode::InvalidQuery);
        }
    }

    #[test]
    fn page_reports_next_only_when_more_rows_exist() {
        let c = Cursor {
            limit: 2,
            after_id: None,
        };
        let p = page(vec![1i64, 2, 3], c, |r| *r, |r| r.to_string());
        assert_eq!(p.items, vec!["1", "2"]);
        assert_eq!(p.next_cursor, Some(encode(2)));
        let p = page(vec![1i64, 2], c, |r| *r, |r| r.to_string());
        assert_eq!(p.next_cursor, None);
    }
}
