//! The typed edge between rows and the domain: TEXT columns holding a domain enum read and
//! write it through diesel's `FromSql`/`ToSql`, JSON documents through `JsonText<T>`. A stored
//! value the domain does not know is a deserialization error that names the column, never a
//! silent default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow, Queryable};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::Sqlite;
use std::io::Write;

use super::conn::MultiBackend;
use crate::domain::bridge::BridgeState;
use crate::domain::demand::{DemandStatus, Purpose};
use crate::domain::event::{DeliveryStatus, WebhookEvent};
use crate::domain::lifecycle::{EventAction, MatchState, Party};
use crate::domain::org::OrgKind;
use crate::domain::product::{ProductStatus, ProductType};
use crate::domain::profile::Ownership;
use crate::domain::qualification::{QualificationKind, QualificationLevel};
use crate::domain::renewal::{RenewalAction, RenewalState};
use crate::domain::risk::{CompensationState, SchemeKind};
use crate::domain::servicing::{LoanEventKind, LoanStatus};
use crate::domain::size_class::{Industry, SizeClass};
use crate::domain::stats::Metric;
use crate::domain::subsidy::{ClaimState, CounterGuarantee, PolicyKind, PolicyStatus};

/// A stored TEXT value that is not one of its enum's names.
#[derive(Debug)]
pub struct UnknownStoredValue {
    pub columns: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownStoredValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown value {:?} stored in {}",
            self.value, self.columns
        )
    }
}

impl std::error::Error for UnknownStoredValue {}

/// `FromSql`/`ToSql`/`AsExpression`/`Queryable` over `Text` for a `str_enum!` type, on every
/// backend (the impls are generic over the backend, so `MultiBackend` is covered too). The
/// domain stays free of diesel: these impls live here, beside the schema.
macro_rules! text_enum {
    ($($ty:ident in $columns:literal;)+) => {$(
        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let value = String::from_sql(bytes)?;
                $ty::parse(&value)
                    .ok_or_else(|| UnknownStoredValue { columns: $columns, value }.into())
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB: Backend> Queryable<Text, DB> for $ty
        where
            Self: FromSql<Text, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        text_enum!(@expr $ty, Text);
        text_enum!(@expr $ty, Nullable<Text>);
    )+};
    // As an expression an enum is its name. The bound value is an owned `String`: a
    // `&'static str` projection does not unify inside derives over borrowed structs.
    (@expr $ty:ident, $st:ty) => {
        impl AsExpression<$st> for $ty {
            type Expression = <String as AsExpression<$st>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <String as AsExpression<$st>>::as_expression(self.as_str().to_owned())
            }
        }

        impl AsExpression<$st> for &$ty {
            type Expression = <String as AsExpression<$st>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <String as AsExpression<$st>>::as_expression(self.as_str().to_owned())
            }
        }
    };
}

text_enum! {
    MatchState in "matches.state / match_events.from_state, to_state";
    Party in "matches.initiated_by";
    EventAction in "match_events.action";
    ProductType in "products.product_type / matches.product_type / loans.product_type";
    ProductStatus in "products.status";
    DemandStatus in "demands.status";
    Purpose in "demands.purpose";
    OrgKind in "organizations.kind";
    Industry in "enterprises.industry";
    SizeClass in "enterprises.size_class / matches.size_class / loans.size_class";
    QualificationKind in "qualifications.kind";
    QualificationLevel in "qualifications.level";
    CounterGuarantee in "loans.counter_guarantee";
    PolicyKind in "policies.kind";
    PolicyStatus in "policies.status";
    ClaimState in "subsidy_claims.state";
    DeliveryStatus in "webhook_deliveries.status";
    WebhookEvent in "webhook_deliveries.event";
    Metric in "targets.metric";
    LoanStatus in "loans.status / loan_events.status_after";
    LoanEventKind in "loan_events.kind";
    RenewalState in "renewals.state / renewal_events.from_state, to_state";
    RenewalAction in "renewal_events.action";
    BridgeState in "bridge_loans.state";
    SchemeKind in "risk_schemes.kind";
    CompensationState in "compensation_claims.state";
    Ownership in "enterprises.ownership";
}

/// A JSON document in a TEXT column (MultiConnection has no JSON type): lists of enums,
/// eligibility, a policy's rule, a claim's breakdown. A document that does not parse as `T`
/// is a deserialization error.
#[derive(Clone, Debug, Default, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct JsonText<T>(pub T);

impl<T> JsonText<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonText<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T, DB> FromSql<Text, DB> for JsonText<T>
where
    T: serde::de::DeserializeOwned,
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = String::from_sql(bytes)?;
        Ok(JsonText(serde_json::from_str(&text)?))
    }
}

impl<T: serde::Serialize + std::fmt::Debug> ToSql<Text, Pg> for JsonText<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        serde_json::to_writer(&mut *out, &self.0)?;
        out.flush()?;
        Ok(IsNull::No)
    }
}

impl<T: serde::Serialize + std::fmt::Debug> ToSql<Text, Sqlite> for JsonText<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(serde_json::to_string(&self.0)?);
        Ok(IsNull::No)
    }
}

impl<T> ToSql<Text, MultiBackend> for JsonText<T>
where
    T: serde::Serialize + std::fmt::Debug + Send + Sync + 'static,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Text, self));
        Ok(IsNull::No)
    }
}
