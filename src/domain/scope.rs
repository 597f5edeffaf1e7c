//! Object-level scope: what a caller may see, as one value resolved once per request from who
//! the caller is. Each repository turns it into a filter on its own table (`db::*::scoped`), so
//! a use case passes it along and never builds a filter of its own.

use super::org::Role;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The platform operator: everything.
    Everything,
    /// An enterprise: itself, its demands, matches, loans and claims.
    Enterprise(i64),
    /// A bank: its products (drafts included), the matches and loans on them, the claims on its
    /// loans.
    Bank(i64),
    /// A guarantor: the loans it guarantees and the claims paid to it.
    Guarantor(i64),
    /// A finance office: every record of an enterprise whose region code starts with the
    /// prefix it supervises.
    Region(String),
    /// A finance office that supervises no region: nothing beyond what is public.
    Nothing,
}

impl Scope {
    /// The scope of organization `org` acting as `role`; `supervised` is a finance office's
    /// region (`organizations.region_code`).
    pub fn of(role: Role, org: i64, supervised: Option<String>) -> Scope {
        match role {
            Role::Admin => Scope::Everything,
            Role::Enterprise => Scope::Enterprise(org),
            Role::Bank => Scope::Bank(org),
            Role::Guarantor => Scope::Guarantor(org),
            Role::FinanceOffice => supervised.map_or(Scope::Nothing, Scope::Region),
        }
    }

    /// Whether the records of enterprise `id`, registered in `region_code`, are visible. Banks
    /// and guarantors see no enterprise directly, only their matches and loans.
    pub fn covers_enterprise(&self, id: i64, region_code: &str) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Enterprise(own) => *own == id,
            Scope::Region(prefix) => region_code.starts_with(prefix.as_str()),
            Scope::Bank(_) | Scope::Guarantor(_) | Scope::Nothing => false,
        }
    }

    /// The region a finance office supervises.
    pub fn region(&self) -> Option<&str> {
        match self {
            Scope::Region(p) => Some(p),
            _ => None,
        }
    }

    /// The region a report over this scope covers: all of them (`Some(None)`), one prefix, or
    /// none at all (`None`). Only the platform operator and finance offices have reports.
    pub fn report_region(&self) -> Option<Option<&str>> {
        match self {
            Scope::Everything => Some(None),
            Scope::Region(p) => Some(Some(p.as_str())),
            _ => None,
        }
    }

    /// Whether something for `prefix` (a policy's or a fund's region; None: the whole country)
    /// concerns a report over this scope: either prefix contains the other — a provincial
    /// policy covers a city office, a city policy is part of a provincial office's region.
    pub fn covers_prefix(&self, prefix: Option<&str>) -> bool {
        match (self.report_region(), prefix) {
            (Some(Some(own)), Some(p)) => own.starts_with(p) || p.starts_with(own),
            (None, Some(_)) => false,
            _ => true,
        }
    }

    /// This scope narrowed to `prefix` (a report's `region_prefix`): a narrower prefix
    /// narrows it, a wider one keeps it, a disjoint one leaves nothing.
    pub fn narrowed(&self, prefix: Option<&str>) -> Scope {
        let Some(p) = prefix else {
            return self.clone();
        };
        match self {
            Scope::Everything => Scope::Region(p.to_owned()),
            Scope::Region(own) if p.starts_with(own.as_str()) => Scope::Region(p.to_owned()),
            Scope::Region(own) if own.starts_with(p) => self.clone(),
            _ => Scope::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_its_scope() {
        assert_eq!(Scope::of(Role::Admin, 1, None), Scope::Everything);
        assert_eq!(Scope::of(Role::Bank, 2, None), Scope::Bank(2));
        assert_eq!(Scope::of(Role::Guarantor, 3, None), Scope::Guarantor(3));
        assert_eq!(Scope::of(Role::Enterprise, 4, None), Scope::Enterprise(4));
        let fo = Scope::of(Role::FinanceOffice, 5, Some("3702".into()));
        assert_eq!(fo, Scope::Region("3702".into()));
        assert_eq!(Scope::of(Role::FinanceOffice, 5, None), Scope::Nothing);
    }

    #[test]
    fn a_finance_office_sees_its_region_only() {
        let fo = Scope::Region("3702".into());
        assert!(fo.covers_enterprise(9, "370202"));
        assert!(!fo.covers_enterprise(9, "370302"));
        assert!(Scope::Enterprise(9).covers_enterprise(9, "110101"));
        assert!(!Scope::Enterprise(9).covers_enterprise(8, "110101"));
        assert!(!Scope::Bank(1).covers_enterprise(9, "370202"));
        assert!(!Scope::Nothing.covers_enterprise(9, "370202"));
    }

    #[test]
    fn a_region_covers_wider_and_narrower_prefixes() {
        let fo = Scope::Region("3702".into());
        assert!(fo.covers_prefix(None));
        assert!(fo.covers_prefix(Some("37")));
        assert!(fo.covers_prefix(Some("370202")));
        assert!(!fo.covers_prefix(Some("3703")));
        assert!(Scope::Everything.covers_prefix(Some("50")));
        assert!(Scope::Nothing.covers_prefix(None));
        assert!(!Scope::Nothing.covers_prefix(Some("37")));
    }

    #[test]
    fn a_report_prefix_narrows_never_widens() {
        let fo = Scope::Region("3702".into());
        assert_eq!(fo.narrowed(None), fo);
        assert_eq!(fo.narrowed(Some("370202")), Scope::Region("370202".into()));
        assert_eq!(fo.narrowed(Some("37")), fo);
        assert_eq!(fo.narrowed(Some("44")), Scope::Nothing);
        assert_eq!(
            Scope::Everything.narrowed(Some("44")),
            Scope::Region("44".into())
        );
        assert_eq!(Scope::Nothing.narrowed(Some("37")), Scope::Nothing);
    }
}
