//! How the rules report what they decide: a `Reason` per criterion or component, and the
//! sinks that either only count (`Tally`, for ranking) or keep every reason (`Explain`).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::lang::Lang;

/// One explained criterion or score component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reason {
    pub criterion: String,
    pub passed: bool,
    /// In the language of `Accept-Language` (`en` when absent, `zh-CN`).
    pub detail: String,
    /// The values `detail` names (amounts, terms, rates, enum values as on the wire), so that
    /// any front end can render its own sentence.
    pub params: BTreeMap<String, String>,
    /// Points earned, for score components; absent for hard criteria.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// `detail` in Chinese, swapped in by `in_lang`.
    #[serde(skip)]
    pub detail_zh: String,
}

impl Reason {
    /// The reason with its detail in `lang`.
    pub fn in_lang(mut self, lang: Lang) -> Reason {
        if lang == Lang::Zh {
            std::mem::swap(&mut self.detail, &mut self.detail_zh);
        }
        self
    }
}

/// What a reason says: in English, in Chinese, and the values both name.
pub(super) struct Said {
    en: String,
    zh: String,
    params: BTreeMap<String, String>,
}

/// The two sentences of a reason; `.with(name, value)` adds the values they name.
pub(super) fn said(en: impl Into<String>, zh: impl Into<String>) -> Said {
    Said {
        en: en.into(),
        zh: zh.into(),
        params: BTreeMap::new(),
    }
}

impl Said {
    pub(super) fn with(mut self, name: &str, value: impl ToString) -> Said {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }
}

/// Receives each criterion and component as the rules decide it. The detail text is built
/// only by sinks that keep it, so ranking thousands of products stays cheap while the
/// explanation comes from the very same rules.
pub(super) trait Sink {
    fn criterion(&mut self, name: &'static str, passed: bool, detail: impl FnOnce() -> Said);
    fn component(
        &mut self,
        name: &'static str,
        points: u32,
        max: u32,
        detail: impl FnOnce() -> Said,
    );
}

/// Counts only: eligibility and score.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) failed: u32,
    pub(super) score: u32,
}

impl Sink for Tally {
    fn criterion(&mut self, _: &'static str, passed: bool, _: impl FnOnce() -> Said) {
        self.failed += u32::from(!passed);
    }
    fn component(&mut self, _: &'static str, points: u32, _: u32, _: impl FnOnce() -> Said) {
        self.score += points;
    }
}

/// Keeps every reason.
#[derive(Default)]
pub(super) struct Explain {
    pub(super) tally: Tally,
    pub(super) reasons: Vec<Reason>,
}

impl Sink for Explain {
    fn criterion(&mut self, name: &'static str, passed: bool, detail: impl FnOnce() -> Said) {
        self.tally.failed += u32::from(!passed);
        let s = detail();
        self.reasons.push(Reason {
            criterion: name.to_owned(),
            passed,
            detail: s.en,
            params: s.params,
            points: None,
            detail_zh: s.zh,
        });
    }
    fn component(
        &mut self,
        name: &'static str,
        points: u32,
        max: u32,
        detail: impl FnOnce() -> Said,
    ) {
        self.tally.score += points;
        let s = detail();
        self.reasons.push(Reason {
            criterion: name.to_owned(),
            passed: points > 0,
            detail: format!("{points}/{max}: {}", s.en),
            params: s.params,
            points: Some(points),
            detail_zh: format!("{points}/{max} 分：{}", s.zh),
        });
    }
}
