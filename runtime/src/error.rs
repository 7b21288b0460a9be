//! API errors and how each becomes a JSON response: FastAPI's shape (`detail`) plus a readable
//! `message`. Bad input is always a 4xx; only an unreachable database is a 503.

use std::time::Duration;

use salvo::http::StatusCode;
use salvo::http::header::{HeaderValue, RETRY_AFTER};
use salvo::oapi::{self, Components, EndpointOutRegister, Operation, ToSchema};
use salvo::prelude::*;
use serde::Serialize;

use crate::domain::FieldError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request validation failed: {}", summarize(.0))]
    Validation(Vec<FieldError>),
    #[error("malformed JSON body: {0}")]
    MalformedJson(String),
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    #[error("unsupported content type `{0}`: send application/json")]
    UnsupportedMediaType(String),
    #[error("transaction with id {0} not found")]
    TransactionNotFound(i64),
    #[error("too many requests: retry after {} seconds", .retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] StoreError),
    #[error("internal error")]
    Encode(#[source] serde_json::Error),
    /// A handler ran without the request context (a wiring bug).
    #[error("internal error")]
    Unwired,
}

fn summarize(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.dotted_loc(), e.msg))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        if error.is_unavailable() {
            ApiError::DatabaseUnavailable(error)
        } else {
            ApiError::Internal(error)
        }
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[salvo(schema(name = ErrorBody))]
pub struct ErrorBody {
    /// A readable summary of what went wrong.
    pub message: String,
    /// FastAPI's `detail`: the failed checks for 422 and 400, a short text otherwise.
    pub detail: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[salvo(schema(name = ErrorDetail))]
pub enum ErrorDetail {
    Fields(Vec<FieldError>),
    Text(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TransactionNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) | ApiError::Encode(_) | ApiError::Unwired => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    pub fn body(&self) -> ErrorBody {
        let message = self.to_string();
        let detail = match self {
            ApiError::Validation(errors) => ErrorDetail::Fields(errors.clone()),
            ApiError::MalformedJson(reason) => ErrorDetail::Fields(vec![FieldError::new(
                &["body"],
                "json_invalid",
                format!("JSON decode error: {reason}"),
            )]),
            ApiError::TransactionNotFound(_) => {
                ErrorDetail::Text("Transaction not found".to_owned())
            }
            ApiError::PayloadTooLarge { .. } => {
                ErrorDetail::Text("Request body too large".to_owned())
            }
            ApiError::UnsupportedMediaType(_) => {
                ErrorDetail::Text("Unsupported media type".to_owned())
            }
            ApiError::RateLimited { .. } => ErrorDetail::Text("Too many requests".to_owned()),
            ApiError::DatabaseUnavailable(_) => ErrorDetail::Text("Service unavailable".to_owned()),
            ApiError::Internal(_) | ApiError::Encode(_) | ApiError::Unwired => {
                ErrorDetail::Text("An error occurred".to_owned())
            }
        };
        ErrorBody { message, detail }
    }
}

/// Writes a plain error for a status the framework decided (404, 405, 413 from the server).
pub fn status_body(status: StatusCode) -> ErrorBody {
    let text = status.canonical_reason().unwrap_or("Error").to_owned();
    let message = match status {
        StatusCode::NOT_FOUND => "no route matches this path".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this path".to_owned(),
        _ => text.to_lowercase(),
    };
    ErrorBody {
        message,
        detail: ErrorDetail::Text(text),
    }
}

impl Scribe for ApiError {
    fn render(self, res: &mut Response) {
        match &self {
            ApiError::DatabaseUnavailable(source) => {
                tracing::warn!(error = %source, "database unavailable");
            }
            ApiError::Internal(source) => tracing::error!(error = %source, "internal error"),
            ApiError::Encode(source) => tracing::error!(error = %source, "encoding a response"),
            _ => {}
        }
        res.status_code(self.status());
        if let ApiError::RateLimited { retry_after } = &self {
            let seconds = retry_after.as_secs().max(1);
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                res.headers_mut().insert(RETRY_AFTER, value);
            }
        }
        res.render(Json(self.body()));
    }
}

impl EndpointOutRegister for ApiError {
    fn register(components: &mut Components, operation: &mut Operation) {
        let schema = ErrorBody::to_schema(components);
        for (code, description) in [
            ("400", "Malformed JSON"),
            ("413", "Body over the route's limit"),
            ("404", "No such transaction, or no such route"),
            ("415", "Content type is not application/json"),
            ("422", "Validation failed (FastAPI `detail` list)"),
            ("429", "Rate limited; see Retry-After"),
            ("503", "Database unavailable"),
        ] {
            let response = oapi::Response::new(description)
                .add_content("application/json", oapi::Content::new(schema.clone()));
            operation.responses.insert(code, response);
        }
    }
}
