//! Financing demands (融资需求) and how their status moves (`DemandStatus::after`):
//!
//! ```text
//! open ──match opened──▶ in_progress ──last live match ended──▶ open
//! open | in_progress ──loan disbursed──▶ fulfilled
//! expired ──loan disbursed──▶ fulfilled   (a match approved in time, paid out after needed_by)
//! open | in_progress ──closed by the enterprise──▶ closed
//! open | in_progress ──needed_by passed──▶ expired
//! ```
//! Every other (status, event) pair changes nothing.

use chrono::NaiveDate;

str_enum! {
    pub enum Purpose {
        WorkingCapital = "working_capital" / "流动资金",
        Equipment = "equipment" / "设备购置",
        TechnologyUpgrade = "technology_upgrade" / "技术改造",
        Rnd = "rnd" / "研发",
        Expansion = "expansion" / "扩大经营",
        Refinance = "refinance" / "借新还旧 / 再融资",
        Other = "other" / "其他",
    }
}

str_enum! {
    pub enum DemandStatus {
        Open = "open" / "待对接",
        InProgress = "in_progress" / "对接中",
        Fulfilled = "fulfilled" / "已放款",
        Closed = "closed" / "已关闭",
        Expired = "expired" / "已过期",
    }
}

str_enum! {
    /// What moves a demand.
    pub enum DemandEvent {
        /// A live match was made on it.
        MatchOpened = "match_opened",
        /// Its last live match ended without a loan (rejected or withdrawn).
        LastMatchEnded = "last_match_ended",
        /// A loan was disbursed on it.
        LoanDisbursed = "loan_disbursed",
        /// The enterprise closed it.
        Closed = "closed",
        /// `needed_by` passed without a loan.
        NeededByPassed = "needed_by_passed",
    }
}

impl DemandStatus {
    /// The status `event` leads to from `self`; `None` where the diagram has no arrow.
    pub fn after(self, event: DemandEvent) -> Option<DemandStatus> {
        use DemandEvent as E;
        use DemandStatus::*;
        match (self, event) {
            (Open, E::MatchOpened) => Some(InProgress),
            (InProgress, E::LastMatchEnded) => Some(Open),
            (Open | InProgress | Expired, E::LoanDisbursed) => Some(Fulfilled),
            (Open | InProgress, E::Closed) => Some(Closed),
            (Open | InProgress, E::NeededByPassed) => Some(Expired),
            _ => None,
        }
    }

    /// The statuses `event` moves a demand out of (for a conditional update).
    pub fn moved_by(event: DemandEvent) -> Vec<DemandStatus> {
        DemandStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.after(event).is_some())
            .collect()
    }

    /// Still looking for money: open or in progress.
    pub fn is_live(self) -> bool {
        matches!(self, DemandStatus::Open | DemandStatus::InProgress)
    }

    /// The status a reader sees on `today`: a live demand past its `needed_by` date is expired
    /// even before the housekeeping job has written that down.
    pub fn effective(self, needed_by: Option<NaiveDate>, today: NaiveDate) -> DemandStatus {
        match needed_by {
            Some(d) if self.is_live() && d < today => DemandStatus::Expired,
            _ => self,
        }
    }

    /// The enterprise may edit a demand only while it is open.
    pub fn editable(self) -> bool {
        self == DemandStatus::Open
    }

    /// The enterprise may close a live demand.
    pub fn closable(self) -> bool {
        self.is_live()
    }
}

#[cfg(test)]
mod tests {
    use super::DemandStatus::*;
    use super::*;

    #[test]
    fn expiry_is_derived_from_needed_by() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = d("2026-11-22");
        assert_eq!(Open.effective(Some(d("2026-11-21")), today), Expired);
        // needed_by itself is still in time.
        assert_eq!(Open.effective(Some(d("2026-11-22")), today), Open);
        assert_eq!(InProgress.effective(Some(d("2026-01-01")), today), Expired);
        assert_eq!(Fulfilled.effective(Some(d("2026-01-01")), today), Fulfilled);
        assert_eq!(Closed.effective(Some(d("2026-01-01")), today), Closed);
        assert_eq!(Open.effective(None, today), Open);
    }

    /// The whole table: every (status, event) pair, the arrows listed, the rest refused.
    #[test]
    fn the_whole_table() {
        use DemandEvent as E;
        let arrows = [
            (Open, E::MatchOpened, InProgress),
            (InProgress, E::LastMatchEnded, Open),
            (Open, E::LoanDisbursed, Fulfilled),
            (InProgress, E::LoanDisbursed, Fulfilled),
            (Expired, E::LoanDisbursed, Fulfilled),
            (Open, E::Closed, Closed),
            (InProgress, E::Closed, Closed),
            (Open, E::NeededByPassed, Expired),
            (InProgress, E::NeededByPassed, Expired),
        ];
        let mut checked = 0;
        for &status in DemandStatus::ALL {
            for &event in DemandEvent::ALL {
                let expected = arrows
                    .iter()
                    .find(|(s, e, _)| *s == status && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(status.after(event), expected, "{status} --{event}-->");
                checked += 1;
            }
        }
        assert_eq!(checked, 5 * 5);
        assert_eq!(
            DemandStatus::moved_by(E::LoanDisbursed),
            vec![Open, InProgress, Expired]
        );
        // Closing is exactly the statuses the enterprise may close.
        for &s in DemandStatus::ALL {
            assert_eq!(s.after(E::Closed).is_some(), s.closable(), "{s}");
        }
    }

    #[test]
    fn edits_and_closing() {
        assert!(Open.editable() && !InProgress.editable() && !Closed.editable());
        assert!(Open.closable() && InProgress.closable());
        assert!(!Fulfilled.closable() && !Closed.closable() && !Expired.closable());
    }
}
