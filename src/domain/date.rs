//! Dates on the wire are exactly `YYYY-MM-DD`, years 1900–2999. chrono's own parser is lenient
//! (`2026-1-1`, ` 2026-01-01`, `26-01-01` as year 26, `+10000-01-01`), so every date a request
//! carries is read through here: `#[serde(deserialize_with = "date::strict")]`, `strict_opt`
//! (with `default`) and `strict_vec`.

use chrono::{Datelike, NaiveDate};
use serde::de::{Deserializer, Error};
use serde::Deserialize;

/// Timestamps on the wire: RFC 3339 in UTC, to the microsecond.
pub fn rfc3339(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub const EXPECTED: &str = "a date YYYY-MM-DD between 1900-01-01 and 2999-12-31";

/// The one parser: ten characters, digits and two dashes, a real day, a year in range.
pub fn parse(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| shaped)?;
    (1900..=2999).contains(&d.year()).then_some(d)
}

pub fn strict<'de, D: Deserializer<'de>>(de: D) -> Result<NaiveDate, D::Error> {
    let s = String::deserialize(de)?;
    parse(&s).ok_or_else(|| D::Error::custom(format!("must be {EXPECTED}, not {s:?}")))
}

pub fn strict_opt<'de, D: Deserializer<'de>>(de: D) -> Result<Option<NaiveDate>, D::Error> {
    match Option::<String>::deserialize(de)? {
        None => Ok(None),
        Some(s) => parse(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("must be {EXPECTED}, not {s:?}"))),
    }
}

pub fn strict_vec<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<NaiveDate>, D::Error> {
    Vec::<String>::deserialize(de)?
        .into_iter()
        .map(|s| {
            parse(&s).ok_or_else(|| D::Error::custom(format!("must be {EXPECTED}, not {s:?}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn only_the_strict_form_in_range_is_a_date() {
        assert_eq!(
            parse("2026-01-01").map(|d| d.to_string()).as_deref(),
            Some("2026-01-01")
        );
        assert!(parse("1900-01-01").is_some() && parse("2999-12-31").is_some());
        for bad in [
            "2026-1-1",
            " 2026-01-01",
            "2026-01-01 ",
            "26-01-01",
            "+10000-01-01",
            "0026-01-01",
            "1899-12-31",
            "3000-01-01",
            "2026-02-30",
            "2026/01/01",
            "20260101",
            "",
            "２０２６-01-01",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
