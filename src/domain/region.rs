//! 行政区划代码 (GB/T 2260 administrative division codes) and region scope prefixes.

/// A full region code: exactly 6 ASCII digits, province part not `00`.
pub fn is_region_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) && &s[..2] != "00"
}

/// A finance office's scope prefix: 2 (province), 4 (city) or 6 (district) digits.
pub fn is_region_prefix(s: &str) -> bool {
    matches!(s.len(), 2 | 4 | 6) && s.bytes().all(|b| b.is_ascii_digit()) && &s[..2] != "00"
}

/// The scope prefixes that contain `prefix` (its province, city and itself): a provincial
/// fund serves a city's enterprises.
pub fn enclosing_prefixes(prefix: &str) -> Vec<&str> {
    [2, 4, 6]
        .into_iter()
        .filter(|&n| n <= prefix.len())
        .map(|n| &prefix[..n])
        .collect()
}

/// Does `code` lie inside the scope `prefix`?
pub fn in_scope(code: &str, prefix: &str) -> bool {
    code.starts_with(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_prefixes() {
        assert!(is_region_code("370202"));
        assert!(!is_region_code("37020"));
        assert!(!is_region_code("000000"));
        assert!(!is_region_code("37020a"));
        assert!(is_region_prefix("37") && is_region_prefix("3702") && is_region_prefix("370202"));
        assert!(!is_region_prefix("370") && !is_region_prefix(""));
        assert!(in_scope("370202", "3702") && !in_scope("320202", "37"));
        assert_eq!(enclosing_prefixes("3702"), ["37", "3702"]);
        assert_eq!(enclosing_prefixes("370202"), ["37", "3702", "370202"]);
    }
}
