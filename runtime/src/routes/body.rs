//! JSON bodies as the handlers answer them: already-serialized text, documented as its type.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use bytes::Bytes;
use salvo::http::header::{CONTENT_TYPE, HeaderValue};
use salvo::oapi::{Components, EndpointOutRegister, Operation, ToResponse, ToSchema};
use salvo::prelude::*;
use serde::Serialize;

use crate::error::ApiError;

/// A JSON body already serialized (from the cache or just now), documented as `T`.
pub struct JsonText<T>(pub Bytes, PhantomData<T>);

impl<T> JsonText<T> {
    pub fn new(text: impl Into<Bytes>) -> Self {
        Self(text.into(), PhantomData)
    }
}

impl<T: Serialize> JsonText<T> {
    pub fn of(value: &T) -> Result<Self, ApiError> {
        Ok(Self::new(
            serde_json::to_vec(value).map_err(ApiError::Encode)?,
        ))
    }
}

impl<T: Send> Scribe for JsonText<T> {
    fn render(self, res: &mut Response) {
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        let _ignored = res.write_body(self.0);
    }
}

/// Documented exactly as salvo documents `Json<T>`.
impl<T: ToSchema> EndpointOutRegister for JsonText<T> {
    fn register(components: &mut Components, operation: &mut Operation) {
        operation
            .responses
            .insert("200", Json::<T>::to_response(components));
    }
}

/// Maps of JSON fields by name, kept as their literal text.
pub type JsonFields = BTreeMap<String, Box<serde_json::value::RawValue>>;
