//! Optional enterprise profile facts that policies read (SPEC §3.2, §3.16): 所有制 and the
//! 国民经济行业分类 (GB/T 4754-2017) code.

str_enum! {
    /// 所有制: who owns the enterprise.
    pub enum Ownership {
        Private = "private" / "民营",
        State = "state" / "国有",
        Collective = "collective" / "集体",
        Foreign = "foreign" / "外资",
        Other = "other" / "其他",
    }
}

/// A GB/T 4754 code or a prefix of one: a section letter A–T (门类), optionally followed by
/// the 2-digit division (大类), 3-digit group (中类) or 4-digit class (小类), e.g. `C`, `C34`,
/// `C341`, `C3411`.
pub fn is_sector_code(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(section) = chars.next() else {
        return false;
    };
    let digits = chars.as_str();
    ('A'..='T').contains(&section)
        && matches!(digits.len(), 0 | 2 | 3 | 4)
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `code` falls under one of `prefixes` (every code does when there are none).
pub fn in_sectors(code: Option<&str>, prefixes: &[String]) -> bool {
    prefixes.is_empty() || code.is_some_and(|c| prefixes.iter().any(|p| c.starts_with(p.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_codes_are_a_section_letter_and_0_2_3_or_4_digits() {
        for ok in ["C", "C34", "C341", "C3411", "A01", "T97"] {
            assert!(is_sector_code(ok), "{ok}");
        }
        for bad in ["", "c34", "C3", "C34111", "U01", "34", "C3a", "C 34"] {
            assert!(!is_sector_code(bad), "{bad}");
        }
        let p = vec!["C34".to_owned(), "I65".to_owned()];
        assert!(in_sectors(Some("C3411"), &p));
        assert!(in_sectors(Some("I65"), &p));
        assert!(!in_sectors(Some("C35"), &p));
        assert!(!in_sectors(None, &p));
        assert!(in_sectors(None, &[]));
    }
}
