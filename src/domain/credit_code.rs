//! 统一社会信用代码 (unified social credit code), GB 32100-2015.
//!
//! 18 characters from a 31-symbol alphabet (no I, O, S, V, Z). Position 18 is a check
//! character: C18 = 31 − (Σ Cᵢ·Wᵢ mod 31) with Wᵢ = 3^(i−1) mod 31, and 31 maps to 0.

use std::fmt;

const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("must be exactly 18 characters")]
    Length,
    #[error("contains '{0}', which is not in the GB 32100 character set (0-9, A-Y without I, O, S, V, Z)")]
    Character(char),
    #[error("positions 3-8 must be digits (the registering authority's region code)")]
    Region,
    #[error(
        "check character '{found}' does not match the GB 32100 checksum of the first 17 characters"
    )]
    Checksum { expected: char, found: char },
}

fn value_of(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The check character for the first 17 characters (which must be in the charset).
pub fn check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &c) in first17.iter().enumerate() {
        sum += value_of(c)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(CHARSET[check as usize] as char)
}

impl CreditCode {
    /// Validates a code; lowercase letters are accepted and normalised to uppercase.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let upper = input.trim().to_ascii_uppercase();
        if upper.chars().count() != 18 {
            return Err(CreditCodeError::Length);
        }
        let bytes = upper.as_bytes();
        if let Some(bad) = upper
            .chars()
            .find(|&c| !c.is_ascii() || value_of(c as u8).is_none())
        {
            return Err(CreditCodeError::Character(bad));
        }
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(CreditCodeError::Region);
        }
        let expected = check_char(&bytes[..17]).ok_or(CreditCodeError::Length)?;
        let found = bytes[17] as char;
        if expected != found {
            return Err(CreditCodeError::Checksum { expected, found });
        }
        Ok(CreditCode(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn standard_worked_example() {
        // GB 32100 annex: Σ = 1640, 1640 mod 31 = 28, 31 − 28 = 3.
        assert_eq!(check_char(b"91350100M000100Y4"), Some('3'));
        assert!(CreditCode::parse("91350100M000100Y43").is_ok());
        assert!(matches!(
            CreditCode::parse("91350100M000100Y4Z"),
            Err(CreditCodeError::Character('Z'))
        ));
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::Checksum {
                expected: '3',
                found: '4'
            })
        );
    }

    #[test]
    fn published_samples_are_valid() {
        assert!(CreditCode::parse("91440101MA5CJQ4N59").is_ok());
        assert!(CreditCode::parse("91350200776049653A").is_ok());
        assert_eq!(
            CreditCode::parse("91440101ma5cjq4n59").unwrap().as_str(),
            "91440101MA5CJQ4N59"
        );
    }

    #[test]
    fn malformed_inputs() {
        assert_eq!(CreditCode::parse("9144010"), Err(CreditCodeError::Length));
        assert_eq!(
            CreditCode::parse("91440101MA5CJQ4N5"),
            Err(CreditCodeError::Length)
        );
        assert_eq!(
            CreditCode::parse("91AB0101MA5CJQ4N59"),
            Err(CreditCodeError::Region)
        );
        assert!(matches!(
            CreditCode::parse("91440101MA5CJQ4NI9"),
            Err(CreditCodeError::Character('I'))
        ));
        assert_eq!(
            CreditCode::parse("９1440101MA5CJQ4N59"),
            Err(CreditCodeError::Character('９'))
        );
    }

    /// The "31 → 0" rule: a body whose weighted sum is ≡ 0 (mod 31) gets check '0'.
    #[test]
    fn sum_multiple_of_31_gives_zero() {
        assert_eq!(check_char(b"00000000000000000"), Some('0'));
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        let head = proptest::collection::vec(proptest::sample::select(CHARSET.to_vec()), 2);
        let region = proptest::collection::vec(proptest::sample::select(b"0123456789".to_vec()), 6);
        let tail = proptest::collection::vec(proptest::sample::select(CHARSET.to_vec()), 9);
        (head, region, tail).prop_map(|(h, r, t)| [h, r, t].concat())
    }

    proptest! {
        #[test]
        fn completed_codes_validate(b in body()) {
            let check = check_char(&b).unwrap();
            let code = format!("{}{}", String::from_utf8(b).unwrap(), check);
            prop_assert!(CreditCode::parse(&code).is_ok());
        }

        #[test]
        fn every_wrong_check_char_is_rejected(b in body(), wrong in proptest::sample::select(CHARSET.to_vec())) {
            let check = check_char(&b).unwrap();
            prop_assume!(wrong as char != check);
            let code = format!("{}{}", String::from_utf8(b).unwrap(), wrong as char);
            let rejected = matches!(CreditCode::parse(&code), Err(CreditCodeError::Checksum { .. }));
            prop_assert!(rejected);
        }

        #[test]
        fn a_single_substitution_is_detected(b in body(), pos in 0usize..17, sub in proptest::sample::select(CHARSET.to_vec())) {
            // The weights are non-zero mod the prime 31, so any one changed character changes the check.
            let check = check_char(&b).unwrap();
            let mut changed = b.clone();
            prop_assume!(changed[pos] != sub && (sub.is_ascii_digit() || !(2..8).contains(&pos)));
            changed[pos] = sub;
            prop_assert_ne!(check_char(&changed).unwrap(), check);
        }
    }
}
