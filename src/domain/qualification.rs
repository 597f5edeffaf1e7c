//! Enterprise qualifications (资质): kind, issuing level and validity dates.
//! One helper answers "does this enterprise hold kind K at level ≥ L on date D" for matching
//! and subsidies alike, and which certificate counted (`satisfying`).
//!
//! The 优质中小企业 ladder (《优质中小企业梯度培育管理办法》, 工信部企业〔2026〕2号, in force
//! 2026-04-01): 科技和创新型中小企业 (`innovative_sme`, the entry tier: the former 创新型中小企业
//! and, for the first time, 科技型中小企业) → 专精特新中小企业 (`specialized_sme`, recognised by
//! provinces) → 专精特新“小巨人” (`little_giant`, national). A valid higher tier satisfies a
//! requirement of a lower one: `little_giant` counts as `specialized_sme` at `provincial` and as
//! `innovative_sme`; `specialized_sme` at `provincial` or above counts as `innovative_sme` at
//! `provincial`; a `tech_sme` (科技型中小企业) registration counts as `innovative_sme` at its level.

use chrono::NaiveDate;

str_enum! {
    /// The qualification tags banks and policies target (优质中小企业梯度培育 and related titles).
    pub enum QualificationKind {
        InnovativeSme = "innovative_sme" / "科技和创新型中小企业",
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

    /// The (kind, level) pairs this certificate stands for: itself, and the lower tiers of
    /// the 优质中小企业 ladder it implies.
    pub fn grants(&self) -> Vec<(QualificationKind, QualificationLevel)> {
        use QualificationKind::*;
        use QualificationLevel::*;
        let mut out = vec![(self.kind, self.level)];
        match self.kind {
            LittleGiant => {
                out.push((SpecializedSme, Provincial));
                out.push((InnovativeSme, Provincial));
            }
            SpecializedSme if self.level >= Provincial => out.push((InnovativeSme, Provincial)),
            TechSme => out.push((InnovativeSme, self.level)),
            _ => {}
        }
        out
    }

    pub fn satisfies(
        &self,
        kind: QualificationKind,
        min_level: QualificationLevel,
        date: NaiveDate,
    ) -> bool {
        self.valid_on(date)
            && self
                .grants()
                .iter()
                .any(|(k, l)| *k == kind && *l >= min_level)
    }
}

/// The certificate among `quals` that gives `kind` at `min_level` or above on `date`: one of
/// that kind if there is one, else a higher tier of the ladder.
pub fn satisfying(
    quals: &[Qualification],
    kind: QualificationKind,
    min_level: QualificationLevel,
    date: NaiveDate,
) -> Option<&Qualification> {
    let ok = |q: &&Qualification| q.satisfies(kind, min_level, date);
    quals
        .iter()
        .filter(ok)
        .find(|q| q.kind == kind)
        .or_else(|| quals.iter().find(ok))
}

/// Every (kind, level) that `quals` give on `date`, sorted and without repeats: two
/// enterprises with the same grants meet the same qualification requirements that day.
pub fn granted_on(
    quals: &[Qualification],
    date: NaiveDate,
) -> Vec<(QualificationKind, QualificationLevel)> {
    let mut out: Vec<_> = quals
        .iter()
        .filter(|q| q.valid_on(date))
        .flat_map(|q| q.grants())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// How certificate `c` met a requirement of `kind` at `min_level`: itself, or as a higher
/// tier of the ladder — the words matching and policies both use.
pub fn counted_as(
    c: &Qualification,
    kind: QualificationKind,
    min_level: QualificationLevel,
) -> String {
    if c.kind == kind {
        format!("holds a valid {kind} qualification at {min_level} level or above")
    } else {
        format!(
            "holds a valid {} {} certificate, which counts as {kind} at {min_level} level or above (工信部企业〔2026〕2号)",
            c.level, c.kind
        )
    }
}

/// `counted_as` in Chinese.
pub fn counted_as_zh(
    c: &Qualification,
    kind: QualificationKind,
    min_level: QualificationLevel,
) -> String {
    if c.kind == kind {
        format!(
            "持有有效的{}及以上{}认定",
            min_level.label_zh(),
            kind.label_zh()
        )
    } else {
        format!(
            "持有有效的{}{}证书，按工信部企业〔2026〕2号视同{}及以上{}",
            c.level.label_zh(),
            c.kind.label_zh(),
            min_level.label_zh(),
            kind.label_zh()
        )
    }
}

/// Does any of `quals` give `kind` at `min_level` or above, valid on `date`?
pub fn holds(
    quals: &[Qualification],
    kind: QualificationKind,
    min_level: QualificationLevel,
    date: NaiveDate,
) -> bool {
    satisfying(quals, kind, min_level, date).is_some()
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
    fn a_higher_tier_satisfies_a_lower_one_of_the_ladder() {
        let on = d("2026-06-01");
        let giant = [q(LittleGiant, National)];
        assert!(holds(&giant, SpecializedSme, Provincial, on));
        assert!(!holds(&giant, SpecializedSme, National, on));
        assert!(holds(&giant, InnovativeSme, Municipal, on));
        assert!(holds(&giant, InnovativeSme, Provincial, on));
        assert_eq!(
            satisfying(&giant, SpecializedSme, Provincial, on).map(|c| c.kind),
            Some(LittleGiant)
        );
        let provincial = [q(SpecializedSme, Provincial)];
        assert!(holds(&provincial, InnovativeSme, Provincial, on));
        assert!(!holds(&provincial, LittleGiant, Municipal, on));
        // A municipal 专精特新 is below the ladder's provincial rung: no entry tier implied.
        assert!(!holds(
            &[q(SpecializedSme, Municipal)],
            InnovativeSme,
            Municipal,
            on
        ));
        // Other titles are not on the ladder.
        assert!(!holds(
            &[q(HighTech, National)],
            InnovativeSme,
            Municipal,
            on
        ));
        // A certificate of the kind asked is the one named, when there is one.
        let both = [q(LittleGiant, National), q(SpecializedSme, Provincial)];
        assert_eq!(
            satisfying(&both, SpecializedSme, Provincial, on).map(|c| c.kind),
            Some(SpecializedSme)
        );
        // An expired higher tier counts for nothing.
        let expired = [Qualification {
            expires_on: d("2026-05-31"),
            ..q(LittleGiant, National)
        }];
        assert!(!holds(&expired, SpecializedSme, Provincial, on));
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
