//! Organization kinds and the role each one gives its users.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kind of an organization. The platform operator's own organization is `platform`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Platform,
    Bank,
    Guarantor,
    FinanceOffice,
    Enterprise,
}

/// A user's role follows from its organization's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Bank,
    Guarantor,
    FinanceOffice,
    Enterprise,
}

impl OrgKind {
    pub const ALL: [OrgKind; 5] = [
        OrgKind::Platform,
        OrgKind::Bank,
        OrgKind::Guarantor,
        OrgKind::FinanceOffice,
        OrgKind::Enterprise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Platform => "platform",
            OrgKind::Bank => "bank",
            OrgKind::Guarantor => "guarantor",
            OrgKind::FinanceOffice => "finance_office",
            OrgKind::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn role(self) -> Role {
        match self {
            OrgKind::Platform => Role::Admin,
            OrgKind::Bank => Role::Bank,
            OrgKind::Guarantor => Role::Guarantor,
            OrgKind::FinanceOffice => Role::FinanceOffice,
            OrgKind::Enterprise => Role::Enterprise,
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Bank => "bank",
            Role::Guarantor => "guarantor",
            Role::FinanceOffice => "finance_office",
            Role::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Role::Admin,
            Role::Bank,
            Role::Guarantor,
            Role::FinanceOffice,
            Role::Enterprise,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_map_to_roles() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
            assert_eq!(Role::parse(k.role().as_str()), Some(k.role()));
        }
        assert_eq!(OrgKind::Platform.role(), Role::Admin);
        assert_eq!(OrgKind::parse("Bank"), None);
    }
}
