//! Financing demands (融资需求) and how their status moves.
//!
//! open → in_progress (a live match exists) → fulfilled (a loan was disbursed);
//! open | in_progress → closed (by the enterprise) | expired (past `needed_by`, no loan).

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

impl DemandStatus {
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

    #[test]
    fn edits_and_closing() {
        assert!(Open.editable() && !InProgress.editable() && !Closed.editable());
        assert!(Open.closable() && InProgress.closable());
        assert!(!Fulfilled.closable() && !Closed.closable() && !Expired.closable());
    }
}
