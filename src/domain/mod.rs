//! Pure domain types and rules. Nothing here knows about SQL or HTTP.

/// A closed set of snake_case names: serde, the OpenAPI schema, `as_str`/`parse`, `ALL` and
/// the Chinese label (`label_zh`, for exports and the console) from one list, so the wire
/// names, the published document and the stored TEXT values cannot drift apart.
///
/// The schema is written by hand rather than derived: utoipa's derive does not see a
/// `#[serde(rename = $lit)]` that reaches it through a macro and would publish the Rust
/// variant names.
macro_rules! str_enum {
    ($(#[doc = $doc:literal])* pub enum $name:ident {
        $($(#[doc = $vdoc:literal])* $variant:ident = $s:literal $(/ $zh:literal)?),+ $(,)?
    }) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[doc = $vdoc])* #[serde(rename = $s)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }

            /// The Chinese name (划型 `小型`, `专精特新中小企业` …); the code where none is set.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => str_enum!(@zh $s $(, $zh)?)),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let mut description = String::new();
                let lines: &[&str] = &[$($doc),*];
                for line in lines {
                    description.push_str(line.trim());
                    description.push('\n');
                }
                $(
                    let doc: &[&str] = &[$($vdoc.trim()),*];
                    let zh: &str = str_enum!(@opt $($zh)?);
                    if !doc.is_empty() || !zh.is_empty() {
                        description.push_str(&format!("\n- `{}`", $s));
                        if !zh.is_empty() { description.push_str(&format!(" {zh}")); }
                        if !doc.is_empty() { description.push_str(&format!(": {}", doc.join(" "))); }
                    }
                )+
                let description = description.trim();
                // The Chinese labels, for front ends (the console's are generated from these).
                let mut labels = serde_json::Map::new();
                $(
                    let zh: &str = str_enum!(@opt $($zh)?);
                    if !zh.is_empty() {
                        labels.insert($s.to_owned(), zh.into());
                    }
                )+
                let extensions = (!labels.is_empty()).then(|| {
                    utoipa::openapi::extensions::ExtensionsBuilder::new()
                        .add("x-labels-zh", serde_json::Value::Object(labels))
                        .build()
                });
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($s),+]))
                    .description((!description.is_empty()).then(|| description.to_owned()))
                    .extensions(extensions)
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $crate::domain::WireEnum for $name {
            fn all() -> &'static [Self] {
                Self::ALL
            }

            fn from_wire(s: &str) -> Option<Self> {
                Self::parse(s)
            }

            fn label(self) -> &'static str {
                self.label_zh()
            }
        }
    };
    (@zh $code:literal) => { $code };
    (@zh $code:literal, $zh:literal) => { $zh };
    (@opt) => { "" };
    (@opt $zh:literal) => { $zh };
}

/// Every `str_enum!`: lets a test compare the published schema with what serde writes.
pub trait WireEnum: utoipa::ToSchema + serde::Serialize + Copy + Sized + 'static {
    fn all() -> &'static [Self];
    fn from_wire(s: &str) -> Option<Self>;
    /// The Chinese name (`label_zh`).
    fn label(self) -> &'static str;
}

pub mod bridge;
pub mod calendar;
pub mod credit_code;
pub mod date;
pub mod demand;
pub mod event;
pub mod lang;
pub mod lifecycle;
pub mod matching;
pub mod money;
pub mod network;
pub mod org;
pub mod product;
pub mod profile;
pub mod qualification;
pub mod rate;
pub mod region;
pub mod renewal;
pub mod risk;
pub mod rollup;
pub mod scope;
pub mod servicing;
pub mod size_class;
pub mod stats;
pub mod subsidy;
pub mod throttle;
