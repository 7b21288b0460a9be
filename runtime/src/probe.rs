//! A reachability probe whose answer stands for a moment: `/health` and `/ready` are polled by
//! kubelets, load balancers and monitors, and under load each answer must not cost a database
//! and a Redis round trip. Concurrent callers share one probe; none waits for more than one.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a probe's answer is reused.
pub const PROBE_MAX_AGE: Duration = Duration::from_millis(500);

/// How long a probe waits for an answer before it counts as unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub struct Probe {
    last: Mutex<Option<(Instant, bool)>>,
    /// Held while one caller probes; the others then reuse its answer.
    probing: tokio::sync::Mutex<()>,
}

impl Probe {
    /// The answer of a probe at most `PROBE_MAX_AGE` old, probing with `probe` if there is none.
    pub async fn check<F: Future<Output = bool>>(&self, probe: impl FnOnce() -> F) -> bool {
        if let Some(reachable) = self.fresh() {
            return reachable;
        }
        // Boxed: nearly every call returns above, and should not carry (nor copy, when its
        // caller's future moves) the state of a database or Redis round trip.
        Box::pin(self.probe_once(probe)).await
    }

    /// Probes unless a caller that held the lock before this one already has.
    async fn probe_once<F: Future<Output = bool>>(&self, probe: impl FnOnce() -> F) -> bool {
        let _probing = self.probing.lock().await;
        if let Some(reachable) = self.fresh() {
            return reachable;
        }
        let reachable = probe().await;
        self.record(reachable);
        reachable
    }

    /// What a real call just showed (a success or a connection failure) counts as a probe.
    pub fn record(&self, reachable: bool) {
        *self.lock() = Some((Instant::now(), reachable));
    }

    fn fresh(&self) -> Option<bool> {
        self.lock()
            .filter(|(at, _)| at.elapsed() < PROBE_MAX_AGE)
            .map(|(_, reachable)| reachable)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, bool)>> {
        // A plain timestamp and flag: a poisoned lock still holds a valid value.
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_callers_share_one_probe_and_a_stale_answer_is_probed_again() {
        let probe = Arc::new(Probe::default());
        let probes = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..20)
            .map(|_| {
                let (probe, probes) = (probe.clone(), probes.clone());
                tokio::spawn(async move {
                    probe
                        .check(|| async {
                            probes.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            false
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            assert!(!caller.await.expect("the caller finishes"));
        }
        assert_eq!(probes.load(Ordering::SeqCst), 1);
        // A real call's outcome replaces the probe's answer at once.
        probe.record(true);
        assert!(probe.check(|| async { false }).await);
        tokio::time::sleep(PROBE_MAX_AGE).await;
        assert!(!probe.check(|| async { false }).await);
    }
}
