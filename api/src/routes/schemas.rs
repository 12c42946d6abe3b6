//! Schemas the OpenAPI document shows for fields whose Rust type says less
//! than the server checks: a `String` that must be one of a few values or
//! match a pattern. Only the document uses them (`value_type = ..., inline`);
//! the fields stay `String` and the domain checks them (422
//! `validation_failed`), with the same constants.

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        ObjectBuilder, RefOr,
        schema::{Schema, Type},
    },
};

fn one_of(values: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.iter().copied())).into()
}

/// A hashtag as slots keep it: `#` and 1 to 50 ASCII letters, digits or `_`.
pub(crate) struct Hashtag;

impl PartialSchema for Hashtag {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).pattern(Some("^#[A-Za-z0-9_]{1,50}$")).into()
    }
}

impl ToSchema for Hashtag {}

/// Who a credential is for.
pub(crate) struct CredentialProvider;

impl PartialSchema for CredentialProvider {
    fn schema() -> RefOr<Schema> {
        one_of(&domain::integrations::credentials::PROVIDERS)
    }
}

impl ToSchema for CredentialProvider {}

/// Which prompt of a project's library.
pub(crate) struct PromptKind;

impl PartialSchema for PromptKind {
    fn schema() -> RefOr<Schema> {
        one_of(&domain::planning::prompts::KINDS)
    }
}

impl ToSchema for PromptKind {}

/// How a slot's video is made.
pub(crate) struct SlotFormat;

impl PartialSchema for SlotFormat {
    fn schema() -> RefOr<Schema> {
        one_of(&domain::planning::generation::FORMATS)
    }
}

impl ToSchema for SlotFormat {}
