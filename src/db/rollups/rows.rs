//! The stored form of a cell: `CellRow` (folded) and `PendingRow` (a delta waiting to be
//! folded), the encodings of the enterprise sets and response-time histograms, and the
//! conversions between rows and `(CellKey, Measures)`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use roaring::RoaringBitmap;

use crate::db::schema::{stats_cells, stats_pending};
use crate::domain::rollup::{self, CellKey, Fact, Grain, Measures};

/// A stored cell row: the key, then `Measures` with the sets serialized and the i128 as
/// decimal text. The same columns serve the folded cells (`stats_cells`) and the deltas still
/// waiting to be folded (`stats_pending`).
macro_rules! cell_row {
    ($name:ident, $table:ident) => {
        #[derive(Queryable, Selectable, Insertable)]
        #[diesel(table_name = $table)]
        pub(super) struct $name {
            pub(super) fact: String,
            dim: String,
            group_key: String,
            grain: String,
            period: NaiveDate,
            region_code: String,
            n: i64,
            amount_fen: i64,
            first_loan_fen: i64,
            credit_fen: i64,
            rate_amount: String,
            matched: i64,
            matched_fen: i64,
            with_loan: i64,
            loan_fen: i64,
            enterprises: Vec<u8>,
            first_loan_enterprises: Vec<u8>,
            response_times: Vec<u8>,
            outstanding_fen: i64,
            overdue_fen: i64,
            npl_fen: i64,
            repaid: i64,
            written_off_fen: i64,
            fee_fen: i64,
        }

        impl $name {
            pub(super) fn new(k: &CellKey, m: &Measures) -> Self {
                $name {
                    fact: k.fact.as_str().to_owned(),
                    dim: k.dim.clone(),
                    group_key: k.group_key.clone(),
                    grain: k.grain.as_str().to_owned(),
                    period: k.period,
                    region_code: k.region_code.clone(),
                    n: m.n,
                    amount_fen: m.amount_fen,
                    first_loan_fen: m.first_loan_fen,
                    credit_fen: m.credit_fen,
                    rate_amount: m.rate_amount.to_string(),
                    matched: m.matched,
                    matched_fen: m.matched_fen,
                    with_loan: m.with_loan,
                    loan_fen: m.loan_fen,
                    enterprises: bytes(&m.enterprises),
                    first_loan_enterprises: bytes(&m.first_loan_enterprises),
                    response_times: histogram_bytes(&m.response_times),
                    outstanding_fen: m.outstanding_fen,
                    overdue_fen: m.overdue_fen,
                    npl_fen: m.npl_fen,
                    repaid: m.repaid,
                    written_off_fen: m.written_off_fen,
                    fee_fen: m.fee_fen,
                }
            }

            pub(super) fn parse(self) -> QueryResult<(CellKey, Measures)> {
                let fact = Fact::parse(&self.fact)
                    .ok_or_else(|| bad(format!("bad fact {}", self.fact)))?;
                let grain = Grain::parse(&self.grain)
                    .ok_or_else(|| bad(format!("bad grain {}", self.grain)))?;
                let m = Measures {
                    n: self.n,
                    amount_fen: self.amount_fen,
                    first_loan_fen: self.first_loan_fen,
                    credit_fen: self.credit_fen,
                    rate_amount: self
                        .rate_amount
                        .parse()
                        .map_err(|_| bad(format!("bad rate_amount {}", self.rate_amount)))?,
                    matched: self.matched,
                    matched_fen: self.matched_fen,
                    with_loan: self.with_loan,
                    loan_fen: self.loan_fen,
                    enterprises: set(&self.enterprises)?,
                    first_loan_enterprises: set(&self.first_loan_enterprises)?,
                    response_times: histogram(&self.response_times)?,
                    outstanding_fen: self.outstanding_fen,
                    overdue_fen: self.overdue_fen,
                    npl_fen: self.npl_fen,
                    repaid: self.repaid,
                    written_off_fen: self.written_off_fen,
                    fee_fen: self.fee_fen,
                };
                let key = CellKey {
                    fact,
                    dim: self.dim,
                    grain,
                    period: self.period,
                    region_code: self.region_code,
                    group_key: self.group_key,
                };
                Ok((key, m))
            }
        }
    };
}

cell_row!(CellRow, stats_cells);
cell_row!(PendingRow, stats_pending);

fn bytes(set: &RoaringBitmap) -> Vec<u8> {
    let mut out = Vec::new();
    if !set.is_empty() {
        // Writing to a Vec cannot fail.
        let _ = set.serialize_into(&mut out);
    }
    out
}

pub(super) fn bad(what: String) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(what.into())
}

fn set(b: &[u8]) -> QueryResult<RoaringBitmap> {
    if b.is_empty() {
        return Ok(RoaringBitmap::new());
    }
    RoaringBitmap::deserialize_from(b).map_err(|e| bad(format!("bad reporting set: {e}")))
}

/// A histogram as LEB128 varints: (value delta, count) pairs in value order.
fn histogram_bytes(h: &BTreeMap<u32, u64>) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut out = Vec::new();
    let mut prev = 0u32;
    for (v, n) in h.iter().filter(|(_, n)| **n > 0) {
        varint(&mut out, u64::from(v - prev));
        varint(&mut out, *n);
        prev = *v;
    }
    out
}

fn histogram(b: &[u8]) -> QueryResult<BTreeMap<u32, u64>> {
    let mut it = b.iter();
    let mut next = || -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *it.next()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    let mut out = BTreeMap::new();
    let mut value = 0u64;
    while let Some(delta) = next() {
        value += delta;
        let n = next().ok_or_else(|| bad("truncated histogram".into()))?;
        let v = u32::try_from(value).map_err(|_| bad("bad histogram value".into()))?;
        out.insert(v, n);
    }
    Ok(out)
}

pub(super) fn to_err(e: rollup::IdTooLarge) -> diesel::result::Error {
    bad(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn histograms_round_trip(h in proptest::collection::btree_map(any::<u32>(), 1u64..u64::MAX, 0..50)) {
            prop_assert_eq!(histogram(&histogram_bytes(&h)).unwrap(), h);
        }
    }

    #[test]
    fn truncated_histograms_are_errors() {
        let b = histogram_bytes(&[(300, 2)].into_iter().collect());
        assert!(histogram(&b[..b.len() - 1]).is_err());
        assert!(histogram(&[]).unwrap().is_empty());
    }
}
