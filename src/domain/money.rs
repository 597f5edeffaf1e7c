//! Money: an exact amount of yuan, held as integer fen (分).
//!
//! On the wire it is a decimal string with at most two decimals (`"1500000.00"`); JSON numbers,
//! exponents, signs, more decimals and amounts above 1,000,000,000,000.00 are refused.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// 1,000,000,000,000.00 yuan in fen.
pub const MAX_FEN: i64 = 100_000_000_000_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a decimal string such as \"1500000.00\" (yuan, at most 2 decimals)")]
    Format,
    #[error("has more than 2 decimals")]
    Precision,
    #[error("exceeds 1000000000000.00")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses a non-negative yuan amount.
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let digits_only = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(int) || (int.len() > 1 && int.starts_with('0')) {
            return Err(MoneyError::Format);
        }
        let frac = match frac {
            None => "",
            Some(f) if !digits_only(f) => return Err(MoneyError::Format),
            Some(f) if f.len() > 2 => return Err(MoneyError::Precision),
            Some(f) => f,
        };
        if int.len() > 13 {
            return Err(MoneyError::TooLarge);
        }
        let yuan: i64 = int.parse().map_err(|_| MoneyError::Format)?;
        let cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| MoneyError::Format)? * 10,
            _ => frac.parse().map_err(|_| MoneyError::Format)?,
        };
        let fen = yuan * 100 + cents;
        if fen > MAX_FEN {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(fen))
    }

    /// The amount as an exact decimal of yuan (for formulas).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Yuan in 万元 (10,000 yuan), exact — the unit of the 划型 thresholds.
    pub fn wan_yuan(self) -> Decimal {
        Decimal::new(self.0, 6)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$"))
            .description(Some(
                "Yuan as a decimal string: at most 2 decimals and at most 1000000000000.00 in \
                 requests; always exactly 2 decimals in responses (\"1500000.00\").",
            ))
            .examples(["1500000.00"])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a decimal string of yuan with at most 2 decimals, such as \"1500000.00\"",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse(v).map_err(|e| E::custom(format!("amount {e}")))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_canonical_and_short_forms() {
        assert_eq!(Money::parse("1500000.00").unwrap().fen(), 150_000_000);
        assert_eq!(Money::parse("0.5").unwrap().fen(), 50);
        assert_eq!(Money::parse("12").unwrap().fen(), 1200);
        assert_eq!(Money::parse("0").unwrap(), Money::ZERO);
        assert_eq!(Money::parse("1000000000000.00").unwrap().fen(), MAX_FEN);
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "", "-1.00", "+1", "1e5", "1.", ".5", "01.00", "1,000", " 1", "1.0a", "NaN", "１",
        ] {
            assert_eq!(Money::parse(bad), Err(MoneyError::Format), "{bad:?}");
        }
        assert_eq!(Money::parse("1.001"), Err(MoneyError::Precision));
        assert_eq!(Money::parse("1000000000000.01"), Err(MoneyError::TooLarge));
        assert_eq!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn json_numbers_are_refused() {
        assert!(serde_json::from_str::<Money>("1500000").is_err());
        assert!(serde_json::from_str::<Money>("1500000.5").is_err());
        assert_eq!(
            serde_json::from_str::<Money>("\"1.50\"").unwrap().fen(),
            150
        );
        assert_eq!(
            serde_json::to_string(&Money::from_fen(150)).unwrap(),
            "\"1.50\""
        );
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(fen in 0i64..=MAX_FEN) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse(&m.to_string()).unwrap(), m);
            prop_assert_eq!(m.to_decimal() * Decimal::from(100), Decimal::from(fen));
        }

        #[test]
        fn three_decimals_never_parse(int in 0u64..1_000_000_000, frac in 0u32..1000) {
            let s = format!("{int}.{frac:03}");
            prop_assert_eq!(Money::parse(&s), Err(MoneyError::Precision));
        }
    }
}
