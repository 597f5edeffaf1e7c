//! The side effects of a write, collected while the use case runs and applied by `commit` in
//! its transaction, in one fixed order: audit trail, rollup deltas, webhook outbox, and last
//! the receipt (the stored `Idempotency-Key` answer). A use case says *what* happened
//! (`audit`, `rollup`, `notify`); it cannot forget *how* or apply half of it.
//!
//! The catalog change counters are bumped by the repository functions that change matching
//! input (`db::products`, `db::demands`, `db::enterprises`): every writer of those tables goes
//! through them, so no use case can skip one.

use crate::app::clock;
use chrono::NaiveDateTime;
use serde::Serialize;

use super::error::{AppError, AppResult};
use crate::db::{self, DbConnection};
use crate::domain::lifecycle::{EventAction, MatchState};
use crate::domain::rollup::Rollup;

/// One entry of a match's audit trail (对接记录).
pub struct MatchEvent {
    pub match_id: i64,
    pub action: EventAction,
    pub from: Option<MatchState>,
    pub to: MatchState,
    pub note: Option<String>,
}

struct Notice {
    recipients: Vec<i64>,
    event: String,
    payload: serde_json::Value,
}

/// What a write changes besides its own rows.
pub struct Effects {
    /// The transaction's clock: every row and event of one write carries the same instant.
    pub now: NaiveDateTime,
    actor: (i64, i64),
    audit: Vec<MatchEvent>,
    rollup: Rollup,
    outbox: Vec<Notice>,
}

impl Effects {
    /// Effects of a write by `user_id` of `org_id`.
    pub fn new(user_id: i64, org_id: i64) -> Self {
        Effects {
            now: clock::now(),
            actor: (user_id, org_id),
            audit: Vec::new(),
            rollup: Rollup::default(),
            outbox: Vec::new(),
        }
    }

    /// Effects of a write the platform makes by itself (a background job): no user acts, so
    /// it records no audit event.
    pub fn system() -> Self {
        Self::new(0, 0)
    }

    /// Who acts: (user id, organization id); (0, 0) for the platform.
    pub fn actor(&self) -> (i64, i64) {
        self.actor
    }

    /// Adds an event to a match's audit trail, attributed to the actor.
    pub fn audit(&mut self, event: MatchEvent) {
        self.audit.push(event);
    }

    /// The report deltas this write makes (`domain::rollup`).
    pub fn rollup(&mut self) -> &mut Rollup {
        &mut self.rollup
    }

    /// Queues `event` with `payload` for each recipient's webhooks.
    pub fn notify<T: Serialize>(
        &mut self,
        recipients: &[i64],
        event: impl Into<String>,
        payload: &T,
    ) -> AppResult<()> {
        self.outbox.push(Notice {
            recipients: recipients.to_vec(),
            event: event.into(),
            payload: serde_json::to_value(payload).map_err(AppError::internal)?,
        });
        Ok(())
    }

    /// Applies every effect in the use case's open transaction, then reads the answer with
    /// `answer` (so it sees the effects, e.g. the audit trail) and hands it to the receipt.
    /// Call it last, inside the transaction.
    pub fn commit<V, R: Receipt<V>>(
        self,
        conn: &mut DbConnection,
        receipt: R,
        answer: impl FnOnce(&mut DbConnection) -> AppResult<V>,
    ) -> AppResult<R::Out> {
        let (user_id, org_id) = self.actor;
        for e in &self.audit {
            db::matches::record_event(
                conn,
                e.match_id,
                e.action,
                e.from,
                e.to,
                user_id,
                org_id,
                e.note.as_deref(),
                self.now,
            )?;
        }
        db::rollups::apply(conn, self.rollup)?;
        for n in &self.outbox {
            db::webhooks::enqueue(conn, &n.recipients, &n.event, &n.payload, self.now)?;
        }
        let value = answer(conn)?;
        receipt.record(conn, value)
    }
}

/// What a write hands its answer to, in its transaction: the HTTP layer stores the answer
/// under the request's `Idempotency-Key` (so the key and the write commit together); the CLI
/// and direct callers keep the value ([`Keep`]).
pub trait Receipt<V> {
    type Out;
    fn record(self, conn: &mut DbConnection, value: V) -> AppResult<Self::Out>;
}

/// The receipt that just returns the value.
pub struct Keep;

impl<V> Receipt<V> for Keep {
    type Out = V;
    fn record(self, _: &mut DbConnection, value: V) -> AppResult<V> {
        Ok(value)
    }
}
