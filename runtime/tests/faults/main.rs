//! The fault suite: each scenario runs a steady mixed load (`load`) against the runtime while
//! something fails (Redis, the database, the process, a cluster master, the database server
//! restarting, the database lost and restored from a backup), then checks that every
//! acknowledged write is in the database exactly once and prints a report line. Every load is
//! bounded in requests and time and targets only 127.0.0.1. Each scenario prints its report:
//! `cargo test -p runtime --test faults`.

#[path = "../api/helpers/mod.rs"]
mod helpers;
mod load;

mod database;
mod database_restart;
mod processes;
mod redis_cluster;
mod redis_outages;
mod replicas;
mod restore_drill;

fn main() -> std::process::ExitCode {
    testkit::main(
        [
            database::tests(),
            database_restart::tests(),
            processes::tests(),
            redis_cluster::tests(),
            redis_outages::tests(),
            replicas::tests(),
            restore_drill::tests(),
        ]
        .into_iter()
        .flatten()
        .collect(),
    )
}

/// Every route's rate limit raised out of the load's way (the limiter still runs, and still
/// leases each client's budget from Redis).
pub fn unthrottled(settings: &mut runtime::Settings) {
    for route in &mut settings.routes {
        if route.rate_limit.is_some() {
            route.rate_limit = Some(runtime::config::RateLimit {
                requests: 1_000_000,
                window: std::time::Duration::from_secs(60),
            });
        }
    }
}

/// Polls `condition` every 50 ms for up to `limit`; whether it became true.
pub async fn eventually<F, Fut>(limit: std::time::Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    loop {
        if condition().await {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
