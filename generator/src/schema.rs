//! JSON Schemas derived from the spec types.
use schemars::{Schema, SchemaGenerator};
pub fn environment_layer(generator: &mut SchemaGenerator) -> Schema { generator.subschema_for::<crate::spec::Environment>() }
pub fn environment_layers(generator: &mut SchemaGenerator) -> Schema { generator.subschema_for::<std::collections::BTreeMap<String, crate::spec::Environment>>() }
