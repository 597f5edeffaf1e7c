//! Pure domain types and rules. Nothing here knows about SQL or HTTP.

/// A closed set of snake_case names: serde, OpenAPI schema, `as_str`/`parse` and `ALL`
/// from one list, so the wire names and the stored TEXT values cannot drift apart.
macro_rules! str_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod calendar;
pub mod credit_code;
pub mod demand;
pub mod lifecycle;
pub mod matching;
pub mod money;
pub mod org;
pub mod product;
pub mod qualification;
pub mod rate;
pub mod region;
pub mod rollup;
pub mod size_class;
pub mod stats;
pub mod subsidy;
