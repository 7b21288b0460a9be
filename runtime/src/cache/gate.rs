//! A test seam: a cache fill stopped between its database read and its write to the cache,
//! so a test can make a slow reader race a writer deterministically.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Test seam: stops one cache fill between the database read and the cache write.
#[derive(Debug, Default)]
pub struct FillGate {
    armed: AtomicBool,
    reached: Notify,
    released: Notify,
}

impl FillGate {
    /// The next fill will stop at the gate.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Waits until a fill has stopped at the gate.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Lets the stopped fill go on.
    pub fn release(&self) {
        self.released.notify_one();
    }

    pub(super) async fn pass(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.reached.notify_one();
            self.released.notified().await;
        }
    }
}
