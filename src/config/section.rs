//! A model's config section, held by the generic [`super::Config`] without knowing its type:
//! the model types it ([`SectionType::of`]) and reads it back ([`super::Config::section`]).

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

/// What the generic code needs of a model's section value: serialisation and a way back to the
/// concrete type. Implemented for every serde type.
pub trait SectionData: Any + Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;
    /// The section's keys as TOML (`pretty`: nested tables as `[a.b]` headers).
    fn to_toml(&self, pretty: bool) -> Result<String, toml::ser::Error>;
    /// The section under its header `[name]` (pretty).
    fn to_toml_under(&self, name: &str) -> Result<String, toml::ser::Error>;
    /// The section as a TOML value (for the range checks).
    fn to_value(&self) -> Result<toml::Value, toml::ser::Error>;
}

impl<T: Serialize + Debug + Send + Sync + 'static> SectionData for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn to_toml(&self, pretty: bool) -> Result<String, toml::ser::Error> {
        if pretty {
            toml::to_string_pretty(self)
        } else {
            toml::to_string(self)
        }
    }
    fn to_toml_under(&self, name: &str) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(&BTreeMap::from([(name, self)]))
    }
    fn to_value(&self) -> Result<toml::Value, toml::ser::Error> {
        toml::Value::try_from(self)
    }
}

/// A typed section value.
pub type Section = Arc<dyn SectionData>;

/// The typing error of a section: the path inside the section and serde's message.
pub type SectionError = serde_path_to_error::Error<toml::de::Error>;

/// A model's section type, as functions: type a TOML table, give the schema (docs, defaults,
/// ranges).
#[derive(Clone, Copy)]
pub struct SectionType {
    pub parse: fn(toml::Value) -> Result<Section, SectionError>,
    pub schema: fn() -> schemars::Schema,
}

impl SectionType {
    /// The section type `T`: a serde struct with `deny_unknown_fields`, defaults for every key
    /// that may be left out, `///` docs on the fields and schemars range attributes.
    pub fn of<T: SectionData + DeserializeOwned + JsonSchema>() -> SectionType {
        SectionType {
            parse: |v| serde_path_to_error::deserialize::<_, T>(v).map(|t| Arc::new(t) as Section),
            schema: || schemars::schema_for!(T),
        }
    }
}
