//! Enterprise qualifications (资质): kind, issuing level and validity dates.
//! One helper answers "does this enterprise hold kind K at level ≥ L on date D" for matching
//! and subsidies alike.

use chrono::NaiveDate;

str_enum! {
    /// The qualification tags banks and policies target (优质中小企业梯度培育 and related titles).
    pub enum QualificationKind {
        InnovativeSme = "innovative_sme" / "创新型中小企业",
        SpecializedSme = "specialized_sme" / "专精特新中小企业",
        LittleGiant = "little_giant" / "专精特新“小巨人”",
        SingleChampion = "single_champion" / "制造业单项冠军",
        HighTech = "high_tech" / "高新技术企业",
        TechSme = "tech_sme" / "科技型中小企业",
        Gazelle = "gazelle" / "瞪羚企业",
        Unicorn = "unicorn" / "独角兽企业",
    }
}

str_enum! {
    /// Issuing level, ordered: municipal < provincial < national.
    pub enum QualificationLevel {
        Municipal = "municipal" / "市级",
        Provincial = "provincial" / "省级",
        National = "national" / "国家级",
    }
}

/// A qualification as the rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Qualification {
    pub kind: QualificationKind,
    pub level: QualificationLevel,
    pub certified_on: NaiveDate,
    pub expires_on: NaiveDate,
}

impl Qualification {
    /// Valid on `date`: within `[certified_on, expires_on]`, both days included.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.certified_on <= date && date <= self.expires_on
    }

    pub fn satisfies(
        &self,
        kind: QualificationKind,
        min_level: QualificationLevel,
        date: NaiveDate,
    ) -> bool {
        self.kind == kind && self.level >= min_level && self.valid_on(date)
    }
}

/// Does any of `quals` give `kind` at `min_level` or above, valid on `date`?
pub fn holds(
    quals: &[Qualification],
    kind: QualificationKind,
    min_level: QualificationLevel,
    date: NaiveDate,
) -> bool {
    quals.iter().any(|q| q.satisfies(kind, min_level, date))
}

#[cfg(test)]
mod tests {
    use super::*;
    use QualificationKind::*;
    use QualificationLevel::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn q(kind: QualificationKind, level: QualificationLevel) -> Qualification {
        Qualification {
            kind,
            level,
            certified_on: d("2025-01-01"),
            expires_on: d("2027-12-31"),
        }
    }

    #[test]
    fn levels_are_ordered() {
        assert!(Municipal < Provincial && Provincial < National);
    }

    #[test]
    fn level_and_kind_and_dates() {
        let quals = [q(SpecializedSme, Provincial)];
        let on = d("2026-06-01");
        assert!(holds(&quals, SpecializedSme, Municipal, on));
        assert!(holds(&quals, SpecializedSme, Provincial, on));
        assert!(!holds(&quals, SpecializedSme, National, on));
        assert!(!holds(&quals, LittleGiant, Municipal, on));
        // Both ends of the validity period count; the days outside do not.
        assert!(holds(&quals, SpecializedSme, Provincial, d("2025-01-01")));
        assert!(holds(&quals, SpecializedSme, Provincial, d("2027-12-31")));
        assert!(!holds(&quals, SpecializedSme, Provincial, d("2024-12-31")));
        assert!(!holds(&quals, SpecializedSme, Provincial, d("2028-01-01")));
        assert!(!holds(&[], SpecializedSme, Municipal, on));
    }

    #[test]
    fn names_round_trip() {
        for k in QualificationKind::ALL {
            assert_eq!(QualificationKind::parse(k.as_str()), Some(*k));
            assert_eq!(
                serde_json::to_string(k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(QualificationLevel::parse("national"), Some(National));
    }
}
