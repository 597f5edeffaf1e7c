//! Organization kinds and the role each one gives its users.

str_enum! {
    /// The kind of an organization. The platform operator's own organization is `platform`.
    pub enum OrgKind {
        Platform = "platform" / "平台运营方",
        Bank = "bank" / "银行",
        Guarantor = "guarantor" / "融资担保机构",
        FinanceOffice = "finance_office" / "金融办",
        Enterprise = "enterprise" / "企业",
    }
}

str_enum! {
    /// A user's role follows from its organization's kind.
    pub enum Role {
        Admin = "admin" / "平台管理员",
        Bank = "bank" / "银行",
        Guarantor = "guarantor" / "担保机构",
        FinanceOffice = "finance_office" / "金融办",
        Enterprise = "enterprise" / "企业",
    }
}

str_enum! {
    /// Kinds an admin may create (enterprises self-register).
    pub enum CreatableKind {
        Bank = "bank" / "银行",
        Guarantor = "guarantor" / "担保机构",
        FinanceOffice = "finance_office" / "金融办",
    }
}

impl From<CreatableKind> for OrgKind {
    fn from(k: CreatableKind) -> Self {
        match k {
            CreatableKind::Bank => OrgKind::Bank,
            CreatableKind::Guarantor => OrgKind::Guarantor,
            CreatableKind::FinanceOffice => OrgKind::FinanceOffice,
        }
    }
}

impl OrgKind {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_map_to_roles() {
        for &k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
            assert_eq!(Role::parse(k.role().as_str()), Some(k.role()));
        }
        assert_eq!(OrgKind::Platform.role(), Role::Admin);
        assert_eq!(OrgKind::parse("Bank"), None);
    }
}
