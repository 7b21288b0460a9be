//! The transaction endpoints, with the seed's exact JSON shapes: parse -> store -> cache.

use std::sync::Arc;

use bytes::Bytes;
use salvo::http::HeaderValue;
use salvo::http::header::CONTENT_TYPE;
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Serialize;

use super::body::{JsonFields, JsonText};
use super::state::{AppState, MatchedRoute};
use crate::cache::{Key, Lookup, Ticket, Write};
use crate::domain::{Amount, Description, FieldError, parse_id_json, parse_id_text};
use crate::error::ApiError;
use crate::store::Creation;

/// `{"result": [...]}`, plus `next_after_id` when more rows follow the page.
#[derive(Debug, Serialize, ToSchema)]
#[salvo(schema(name = TransactionList))]
pub(crate) struct TransactionList {
    pub result: Vec<ListedTransaction>,
    /// Pass as `after_id` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[salvo(schema(name = ListedTransaction))]
pub(crate) struct ListedTransaction {
    pub id: i64,
    /// Exact decimal, at most 2 fractional digits; an integer amount is an integer.
    #[salvo(schema(value_type = f64))]
    pub amount: Amount,
    pub description: String,
}

/// One transaction, with the seed's `desc` field name.
#[derive(Debug, Serialize, ToSchema)]
#[salvo(schema(name = SingleTransaction))]
pub(crate) struct SingleTransaction {
    pub id: i64,
    #[salvo(schema(value_type = f64))]
    pub amount: Amount,
    pub desc: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[salvo(schema(name = Created))]
pub(crate) struct Created {
    /// `added transaction successfully`
    pub message: String,
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[salvo(schema(name = Message))]
pub(crate) struct Message {
    pub message: String,
}

/// `POST /transaction` body.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[salvo(schema(name = NewTransaction))]
pub(crate) struct NewTransaction {
    /// Greater than 0, at most 1000000000, at most 2 fractional digits.
    amount: f64,
    /// 1 to 255 characters.
    description: String,
}

/// `{"id": N}` body of the by-body variants.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[salvo(schema(name = IdBody))]
pub(crate) struct IdBody {
    id: i64,
}

/// The shared state, which the request context injects before any handler runs.
fn state(depot: &Depot) -> Result<Arc<AppState>, ApiError> {
    depot
        .get_typed::<Arc<AppState>>()
        .ok()
        .cloned()
        .ok_or(ApiError::Unwired)
}

/// Every transaction in id order, or one page of them with `?limit=&after_id=`.
#[endpoint(
    tags("transactions"),
    parameters(
        ("limit" = Option<u32>, Query, description = "Page size, capped by the spec's max_page_size"),
        ("after_id" = Option<i64>, Query, description = "Return transactions with a larger id (cursor)"),
    )
)]
pub async fn list_transactions(
    req: &mut Request,
    depot: &mut Depot,
) -> Result<JsonText<TransactionList>, ApiError> {
    let state = state(depot)?;
    let max = u64::from(state.settings.max_page_size);
    let mut errors = Vec::new();
    let limit = match req.queries().get("limit") {
        None => None,
        Some(text) => match parse_id_text(text, &["query", "limit"]) {
            Ok(n) if n >= 1 => Some(u64::try_from(n).unwrap_or(max).min(max)),
            Ok(_) => {
                errors.push(FieldError::new(
                    &["query", "limit"],
                    "greater_than_equal",
                    "Input should be greater than or equal to 1",
                ));
                None
            }
            Err(error) => {
                errors.push(error);
                None
            }
        },
    };
    let after = match req.queries().get("after_id") {
        None => None,
        Some(text) => match parse_id_text(text, &["query", "after_id"]) {
            Ok(id) => Some(id),
            Err(error) => {
                errors.push(error);
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let paginated = limit.is_some() || after.is_some();
    if route_is_cached(depot) && !paginated {
        let read = {
            let state = state.clone();
            move |ticket| read_list_into_cache(state, ticket)
        };
        if let Some(text) = state.cache.list(read).await {
            return Ok(JsonText::new(text));
        }
        // The cache is unusable right now, or the shared read failed: read alone, to answer
        // with the reason.
    }
    Ok(JsonText::new(
        list_page(&state, after, limit.unwrap_or(max)).await?,
    ))
}

/// The whole list (the first `max_page_size` rows) from the database, filling the cache under
/// `ticket`.
async fn read_list_into_cache(state: Arc<AppState>, ticket: Ticket) -> Option<Bytes> {
    let body = list_page(&state, None, u64::from(state.settings.max_page_size))
        .await
        .ok()?;
    state.cache.fill(ticket, body.clone()).await;
    Some(body)
}

/// One page of up to `page` transactions after `after`, as the response's JSON text.
async fn list_page(state: &AppState, after: Option<i64>, page: u64) -> Result<Bytes, ApiError> {
    // One row more than the page tells whether another page follows.
    let mut rows = state.store.list(after, page + 1).await?;
    let more = rows.len() as u64 > page;
    rows.truncate(usize::try_from(page).unwrap_or(usize::MAX));
    let next_after_id = if more {
        rows.last().map(|t| t.id)
    } else {
        None
    };
    let list = TransactionList {
        result: rows
            .into_iter()
            .map(|row| ListedTransaction {
                id: row.id,
                amount: row.amount,
                description: row.description,
            })
            .collect(),
        next_after_id,
    };
    Ok(Bytes::from(
        serde_json::to_vec(&list).map_err(ApiError::Encode)?,
    ))
}

/// Adds a transaction. With an `Idempotency-Key` header, a retry of the same request returns
/// the first result (and `Idempotent-Replayed: true`) instead of adding a duplicate.
#[endpoint(
    tags("transactions"),
    request_body(content = NewTransaction, content_type = "application/json"),
    parameters(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible ASCII characters, kept 24 h"))
)]
pub async fn create_transaction(
    req: &mut Request,
    depot: &mut Depot,
    res: &mut Response,
) -> Result<JsonText<Created>, ApiError> {
    let state = state(depot)?;
    let fields = read_fields(req, depot, true).await?;
    let amount = fields.get("amount").map_or_else(
        || Err(missing("amount")),
        |raw| Amount::parse_json(raw, &["body", "amount"]),
    );
    let description = fields.get("description").map_or_else(
        || Err(missing("description")),
        |raw| Description::parse_json(raw, &["body", "description"]),
    );
    let (amount, description) = match (amount, description) {
        (Ok(amount), Ok(description)) => (amount, description),
        (amount, description) => {
            return Err(ApiError::Validation(
                [amount.err(), description.err()]
                    .into_iter()
                    .flatten()
                    .collect(),
            ));
        }
    };
    let id = match idempotency_key(req)? {
        None => state.store.create(amount, description).await?,
        Some(key) => match state.store.create_once(&key, amount, description).await? {
            Creation::Created(id) => id,
            Creation::Replayed(id) => {
                res.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                return created(id);
            }
            Creation::KeyReused => {
                return Err(ApiError::Validation(vec![FieldError::new(
                    &["header", IDEMPOTENCY_HEADER],
                    "idempotency_key_reused",
                    "This Idempotency-Key was already used with a different request",
                )]));
            }
        },
    };
    state.cache.invalidate(Write::Created).await;
    created(id)
}

fn created(id: i64) -> Result<JsonText<Created>, ApiError> {
    JsonText::of(&Created {
        message: "added transaction successfully".to_owned(),
        id,
    })
}

const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The optional `Idempotency-Key`: 1 to 255 visible ASCII characters.
fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key)
            if !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::Validation(vec![FieldError::new(
            &["header", IDEMPOTENCY_HEADER],
            "idempotency_key_invalid",
            "Idempotency-Key should be 1 to 255 visible ASCII characters",
        )])),
    }
}

/// Deletes every transaction.
#[endpoint(tags("transactions"))]
pub async fn delete_all_transactions(depot: &mut Depot) -> Result<JsonText<Message>, ApiError> {
    let state = state(depot)?;
    state.store.delete_all().await?;
    state.cache.invalidate(Write::DeletedAll).await;
    JsonText::of(&Message {
        message: "delete function execution finished.".to_owned(),
    })
}

/// The seed's `GET /transaction/id` with `{"id": N}` in the body.
#[endpoint(tags("transactions"), request_body(content = IdBody, content_type = "application/json"))]
pub async fn get_transaction_by_body(
    req: &mut Request,
    depot: &mut Depot,
) -> Result<JsonText<SingleTransaction>, ApiError> {
    let id = id_from_body(req, depot).await?;
    fetch_one(&*state(depot)?, id, route_is_cached(depot)).await
}

/// One transaction by the id in the path.
#[endpoint(tags("transactions"), parameters(("id" = i64, Path, description = "Transaction id")))]
pub async fn get_transaction(
    req: &mut Request,
    depot: &mut Depot,
) -> Result<JsonText<SingleTransaction>, ApiError> {
    let id = id_from_path(req)?;
    fetch_one(&*state(depot)?, id, route_is_cached(depot)).await
}

/// The seed's `DELETE /transaction/id` with `{"id": N}` in the body.
#[endpoint(tags("transactions"), request_body(content = IdBody, content_type = "application/json"))]
pub async fn delete_transaction_by_body(
    req: &mut Request,
    depot: &mut Depot,
) -> Result<JsonText<Message>, ApiError> {
    let id = id_from_body(req, depot).await?;
    delete_one(&*state(depot)?, id).await
}

/// Deletes one transaction by the id in the path.
#[endpoint(tags("transactions"), parameters(("id" = i64, Path, description = "Transaction id")))]
pub async fn delete_transaction(
    req: &mut Request,
    depot: &mut Depot,
) -> Result<JsonText<Message>, ApiError> {
    let id = id_from_path(req)?;
    delete_one(&*state(depot)?, id).await
}

/// Whether the matched route reads through the cache (`cache = "cache-aside"` in the spec).
fn route_is_cached(depot: &Depot) -> bool {
    depot
        .get_typed::<Arc<MatchedRoute>>()
        .is_ok_and(|route| route.cached)
}

async fn fetch_one(
    state: &AppState,
    id: i64,
    cached: bool,
) -> Result<JsonText<SingleTransaction>, ApiError> {
    let ticket = if cached {
        match state.cache.lookup(Key::Item(id)).await {
            Lookup::Hit(text) => return Ok(JsonText::new(text)),
            Lookup::Miss(ticket) => ticket,
        }
    } else {
        None
    };
    let Some(transaction) = state.store.get(id).await? else {
        return Err(ApiError::TransactionNotFound(id));
    };
    let body = JsonText::of(&SingleTransaction {
        id: transaction.id,
        amount: transaction.amount,
        desc: transaction.description,
    })?;
    if let Some(ticket) = ticket {
        state.cache.fill(ticket, body.0.clone()).await;
    }
    Ok(body)
}

async fn delete_one(state: &AppState, id: i64) -> Result<JsonText<Message>, ApiError> {
    state.store.delete(id).await?;
    state.cache.invalidate(Write::Deleted(id)).await;
    JsonText::of(&Message {
        message: format!("transaction with id {id} seemingly deleted"),
    })
}

fn id_from_path(req: &Request) -> Result<i64, ApiError> {
    let text = req
        .params()
        .get("id")
        .map(String::as_str)
        .unwrap_or_default();
    parse_id_text(text, &["path", "id"]).map_err(|error| ApiError::Validation(vec![error]))
}

async fn id_from_body(req: &mut Request, depot: &Depot) -> Result<i64, ApiError> {
    let fields = read_fields(req, depot, false).await?;
    match fields.get("id") {
        None => Err(ApiError::Validation(vec![missing("id")])),
        Some(raw) => {
            parse_id_json(raw, &["body", "id"]).map_err(|error| ApiError::Validation(vec![error]))
        }
    }
}

fn missing(field: &str) -> FieldError {
    FieldError::new(&["body", field], "missing", "Field required")
}

/// Reads the body as a JSON object, field literals kept as written.
///
/// 415 for a declared non-JSON content type, 413 over the route's limit, 400 for malformed
/// JSON, 422 for an empty body or a body that is not an object.
async fn read_fields(
    req: &mut Request,
    depot: &Depot,
    require_json_type: bool,
) -> Result<JsonFields, ApiError> {
    if let Some(content_type) = req.headers().get(CONTENT_TYPE) {
        let declared = content_type.to_str().unwrap_or("");
        let essence = declared.split(';').next().unwrap_or("").trim();
        let is_json = essence.eq_ignore_ascii_case("application/json")
            || essence
                .get(essence.len().saturating_sub(5)..)
                .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"));
        if !is_json && (require_json_type || !essence.is_empty()) {
            return Err(ApiError::UnsupportedMediaType(essence.to_ascii_lowercase()));
        }
    }
    let limit = depot
        .get_typed::<Arc<MatchedRoute>>()
        .map_or(1_048_576, |route| route.body_limit);
    if let Some(length) = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > limit
    {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let bytes = match req
        .payload_with_max_size(usize::try_from(limit).unwrap_or(usize::MAX))
        .await
    {
        Ok(bytes) => bytes.clone(),
        Err(salvo::http::ParseError::PayloadTooLarge) => {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        Err(error) => return Err(ApiError::MalformedJson(error.to_string())),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Validation(vec![FieldError::new(
            &["body"],
            "missing",
            "Field required",
        )]));
    }
    // An object parses straight into its fields; anything else is parsed again to tell
    // malformed JSON (400) from valid JSON that is not an object (422).
    serde_json::from_slice::<JsonFields>(&bytes).map_err(
        |not_fields| match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Err(malformed) => ApiError::MalformedJson(malformed.to_string()),
            Ok(value) if !value.is_object() => ApiError::Validation(vec![FieldError::new(
                &["body"],
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            )]),
            Ok(_) => ApiError::MalformedJson(not_fields.to_string()),
        },
    )
}
