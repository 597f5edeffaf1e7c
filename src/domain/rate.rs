//! Rates: percent per year as an exact decimal with at most 4 decimals (`"3.45"` is 3.45%).
//! Stored as an integer count of 1/10000 percent (`"3.45"` → 34500).

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Rates above this (percent per year) are refused as implausible.
pub const MAX_PERCENT: i64 = 100;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(i64);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("must be a decimal string of percent per year such as \"3.45\" (at most 4 decimals)")]
    Format,
    #[error("has more than 4 decimals")]
    Precision,
    #[error("must not exceed 100 (percent per year)")]
    TooLarge,
}

impl Rate {
    pub const ZERO: Rate = Rate(0);

    /// From 1/10000 of a percent (the stored form).
    pub fn from_units(units: i64) -> Self {
        Rate(units)
    }

    pub fn units(self) -> i64 {
        self.0
    }

    pub fn parse(s: &str) -> Result<Self, RateError> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
            return Err(RateError::Format);
        }
        if int.len() > 1 && int.starts_with('0') {
            return Err(RateError::Format);
        }
        if frac.len() > 4 {
            return Err(RateError::Precision);
        }
        if int.len() > 3 {
            return Err(RateError::TooLarge);
        }
        let whole: i64 = int.parse().map_err(|_| RateError::Format)?;
        let mut frac_units: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| RateError::Format)?
        };
        for _ in frac.len()..4 {
            frac_units *= 10;
        }
        let units = whole * 10_000 + frac_units;
        if units > MAX_PERCENT * 10_000 {
            return Err(RateError::TooLarge);
        }
        Ok(Rate(units))
    }

    /// Percent per year as an exact decimal (3.45 for 3.45%).
    pub fn percent(self) -> Decimal {
        Decimal::new(self.0, 4)
    }

    /// The inverse of `percent`: none for a decimal with more than 4 places or out of range.
    pub fn from_percent(percent: Decimal) -> Option<Self> {
        use rust_decimal::prelude::ToPrimitive;
        let units = percent * Decimal::from(10_000);
        if units.fract().is_zero() {
            units.to_i64().map(Rate)
        } else {
            None
        }
    }

    /// As a fraction (0.0345 for 3.45%), for formulas.
    pub fn fraction(self) -> Decimal {
        Decimal::new(self.0, 6)
    }
}

impl fmt::Display for Rate {
    /// Canonical form: at least 2 decimals, trailing zeros beyond that trimmed ("3.45", "3.4500" → "3.45", "3.125").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 10_000;
        let frac = self.0 % 10_000;
        let mut digits = format!("{frac:04}");
        while digits.len() > 2 && digits.ends_with('0') {
            digits.pop();
        }
        write!(f, "{whole}.{digits}")
    }
}

impl utoipa::PartialSchema for Rate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^(0|[1-9][0-9]{0,2})(\.[0-9]{1,4})?$"))
            .description(Some(
                "Percent per year as a decimal string with at most 4 decimals (\"3.45\" is \
                 3.45 %); responses carry at least 2 decimals, trailing zeros beyond them trimmed.",
            ))
            .examples(["3.45"])
            .into()
    }
}

impl utoipa::ToSchema for Rate {}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Rate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal string of percent per year with at most 4 decimals, such as \"3.45\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Rate, E> {
                Rate::parse(v).map_err(|e| E::custom(format!("rate {e}")))
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
    fn parses_and_prints() {
        assert_eq!(Rate::parse("3.45").unwrap().units(), 34_500);
        assert_eq!(Rate::parse("3.4500").unwrap().to_string(), "3.45");
        assert_eq!(Rate::parse("3.125").unwrap().to_string(), "3.125");
        assert_eq!(Rate::parse("4").unwrap().to_string(), "4.00");
        assert_eq!(Rate::parse("0.0001").unwrap().units(), 1);
        assert_eq!(Rate::parse("100").unwrap().units(), 1_000_000);
        assert_eq!(
            Rate::parse("3.45").unwrap().fraction(),
            Decimal::new(345, 4)
        );
    }

    #[test]
    fn rejects() {
        for bad in ["", "-1", "1e2", "3.", ".5", "03.1", "abc", "3,45"] {
            assert_eq!(Rate::parse(bad), Err(RateError::Format), "{bad}");
        }
        assert_eq!(Rate::parse("3.12345"), Err(RateError::Precision));
        assert_eq!(Rate::parse("100.0001"), Err(RateError::TooLarge));
        assert_eq!(Rate::parse("1000"), Err(RateError::TooLarge));
        assert!(serde_json::from_str::<Rate>("3.45").is_err());
    }

    proptest! {
        #[test]
        fn round_trip(units in 0i64..=1_000_000) {
            let r = Rate::from_units(units);
            prop_assert_eq!(Rate::parse(&r.to_string()).unwrap(), r);
        }
    }
}
