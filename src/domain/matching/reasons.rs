//! How the rules report what they decide: a `Reason` per criterion or component, and the
//! sinks that either only count (`Tally`, for ranking) or keep every reason (`Explain`).

use serde::Serialize;
use utoipa::ToSchema;

/// One explained criterion or score component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reason {
    pub criterion: String,
    pub passed: bool,
    pub detail: String,
    /// Points earned, for score components; absent for hard criteria.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
}

/// Receives each criterion and component as the rules decide it. The detail text is built
/// only by sinks that keep it, so ranking thousands of products stays cheap while the
/// explanation comes from the very same rules.
pub(super) trait Sink {
    fn criterion(&mut self, name: &'static str, passed: bool, detail: impl FnOnce() -> String);
    fn component(
        &mut self,
        name: &'static str,
        points: u32,
        max: u32,
        detail: impl FnOnce() -> String,
    );
}

/// Counts only: eligibility and score.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) failed: u32,
    pub(super) score: u32,
}

impl Sink for Tally {
    fn criterion(&mut self, _: &'static str, passed: bool, _: impl FnOnce() -> String) {
        self.failed += u32::from(!passed);
    }
    fn component(&mut self, _: &'static str, points: u32, _: u32, _: impl FnOnce() -> String) {
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
    fn criterion(&mut self, name: &'static str, passed: bool, detail: impl FnOnce() -> String) {
        self.tally.failed += u32::from(!passed);
        self.reasons.push(Reason {
            criterion: name.to_owned(),
            passed,
            detail: detail(),
            points: None,
        });
    }
    fn component(
        &mut self,
        name: &'static str,
        points: u32,
        max: u32,
        detail: impl FnOnce() -> String,
    ) {
        self.tally.score += points;
        self.reasons.push(Reason {
            criterion: name.to_owned(),
            passed: points > 0,
            detail: format!("{points}/{max}: {}", detail()),
            points: Some(points),
        });
    }
}
