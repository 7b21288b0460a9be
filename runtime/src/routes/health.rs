//! Liveness (`200` while the process lives, with component states) and readiness (`503` while
//! the database is unreachable). Neither ever shows a connection string or secret. Both answer
//! from a probe at most 500 ms old (`crate::probe`), so polling them under load costs nothing.

use std::cell::RefCell;

use bytes::Bytes;
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Serialize;

use super::body::JsonText;
use super::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[salvo(schema(name = HealthBody))]
pub(crate) struct HealthBody {
    /// `healthy`, or `degraded` when a component is disconnected.
    pub status: &'static str,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// `connected` or `disconnected`.
    pub database: &'static str,
    /// `connected`, `disconnected`, or `disabled` (no Redis configured: in-process cache).
    pub redis: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[salvo(schema(name = ReadyBody))]
pub(crate) struct ReadyBody {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    pub database: &'static str,
}

fn state(depot: &Depot) -> Option<std::sync::Arc<AppState>> {
    depot.get_typed::<std::sync::Arc<AppState>>().ok().cloned()
}

/// Liveness and component states.
#[endpoint(tags("operations"))]
pub async fn health(depot: &mut Depot) -> JsonText<HealthBody> {
    let Some(state) = state(depot) else {
        return health_body("healthy", "disconnected", "disabled");
    };
    let database = if state.store.reachable().await {
        "connected"
    } else {
        "disconnected"
    };
    let redis = match &state.redis {
        None => "disabled",
        Some(redis) if redis.reachable().await => "connected",
        Some(_) => "disconnected",
    };
    let status = if database == "connected" && redis != "disconnected" {
        "healthy"
    } else {
        "degraded"
    };
    health_body(status, database, redis)
}

/// The body for these states, made once a second per thread: the timestamp has whole seconds,
/// and monitors, load balancers and kubelets poll this endpoint hard.
fn health_body(
    status: &'static str,
    database: &'static str,
    redis: &'static str,
) -> JsonText<HealthBody> {
    thread_local! {
        static LAST: RefCell<Option<(i64, [&'static str; 3], Bytes)>> = const { RefCell::new(None) };
    }
    let now = chrono::Utc::now();
    let (second, states) = (now.timestamp(), [status, database, redis]);
    LAST.with_borrow_mut(|last| {
        if let Some((at, of, body)) = last.as_ref()
            && (*at, *of) == (second, states)
        {
            return JsonText::new(body.clone());
        }
        let body = HealthBody {
            status,
            timestamp: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            database,
            redis,
        };
        // Static text and a timestamp: serde_json has nothing here that can fail.
        let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_else(|error| {
            tracing::error!(%error, "encoding the health body");
            Vec::new()
        }));
        *last = Some((second, states, body.clone()));
        JsonText::new(body)
    })
}

/// Readiness: 503 while the database is unreachable.
#[endpoint(
    tags("operations"),
    responses(
        (status_code = 200, description = "The database answers", body = ReadyBody),
        (status_code = 503, description = "The database is unreachable", body = ReadyBody),
    )
)]
pub async fn ready(depot: &mut Depot, res: &mut Response) -> Json<ReadyBody> {
    let connected = match state(depot) {
        Some(state) => state.store.reachable().await,
        None => false,
    };
    if connected {
        Json(ReadyBody {
            status: "ready",
            database: "connected",
        })
    } else {
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        Json(ReadyBody {
            status: "not_ready",
            database: "disconnected",
        })
    }
}
