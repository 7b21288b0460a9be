//! A read shared by the callers that asked before it started: one read per round trip instead
//! of one per request.

use std::sync::Arc;
use std::sync::Mutex;

/// A read shared by the callers that asked before it started: a caller joins the next read to
/// start, never one already on its way, so every answer it gets was read after it asked. While
/// one read is in flight, the callers that arrive wait for the next, which then serves them all.
/// Under load this turns one read per request into one read per round trip.
///
/// Before each read the reader yields once to the scheduler, which then polls the sockets and
/// runs the requests that were ready: they join this read instead of waiting for the next one.
/// Under load that puts more requests on each `MGET` and shortens the tail (BENCHMARKS.md).
pub struct Batched<T> {
    state: Mutex<BatchState<T>>,
}

struct BatchState<T> {
    reading: bool,
    waiting: Vec<tokio::sync::oneshot::Sender<T>>,
}

impl<T> Default for Batched<T> {
    fn default() -> Self {
        Self {
            state: Mutex::new(BatchState {
                reading: false,
                waiting: Vec::new(),
            }),
        }
    }
}

impl<T> std::fmt::Debug for Batched<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Batched")
    }
}

impl<T: Clone + Send + 'static> Batched<T> {
    /// The answer of a `read` started after this call began (`None` if that read panicked).
    /// Callers pass equivalent reads: the one of the caller that starts the reader is used.
    pub async fn get<R, F>(self: &Arc<Self>, read: R) -> Option<T>
    where
        R: Fn() -> F + Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let start_reader = {
            let mut state = lock(&self.state);
            state.waiting.push(sender);
            !std::mem::replace(&mut state.reading, true)
        };
        if start_reader {
            // Its own task: a caller that goes away must not strand the others.
            tokio::spawn(self.clone().read_while_waited_for(read));
        }
        receiver.await.ok()
    }

    async fn read_while_waited_for<R, F>(self: Arc<Self>, read: R)
    where
        R: Fn() -> F,
        F: Future<Output = T>,
    {
        // However the reader ends (a panicking read included), the next caller starts a new one;
        // callers still waiting then see a closed channel.
        let _reset = ResetOnDrop(&self.state);
        loop {
            // Still fresh: whoever joins now asked before the read below is sent.
            tokio::task::yield_now().await;
            let waiting = {
                let mut state = lock(&self.state);
                if state.waiting.is_empty() {
                    return;
                }
                std::mem::take(&mut state.waiting)
            };
            let answer = read().await;
            for waiter in waiting {
                let _gone = waiter.send(answer.clone());
            }
        }
    }
}

struct ResetOnDrop<'a, T>(&'a Mutex<BatchState<T>>);

impl<T> Drop for ResetOnDrop<'_, T> {
    fn drop(&mut self) {
        let mut state = lock(self.0);
        state.reading = false;
        state.waiting.clear();
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave a map half-written in a way that matters: the
    // worst case is a stale-stamped entry, which lookups reject, or a waiter left to time out.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::Notify;

    use super::*;

    /// A `Batched`, and the count of the reads made through it.
    fn counted() -> (Arc<Batched<usize>>, Arc<AtomicUsize>) {
        (Arc::default(), Arc::default())
    }

    /// A read that counts itself and answers with its own number (1 for the first read).
    fn read(reads: &Arc<AtomicUsize>) -> impl Fn() -> std::future::Ready<usize> + Send + 'static {
        let reads = reads.clone();
        move || std::future::ready(reads.fetch_add(1, Ordering::SeqCst) + 1)
    }

    #[cfg(unix)]
    #[tokio::test(flavor = "current_thread")]
    async fn a_request_whose_bytes_arrive_as_the_reader_starts_joins_its_read() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let (batched, reads) = counted();
        let (mut client, mut server) = tokio::net::UnixStream::pair().expect("socket pair");
        // `late` is a request waiting for its bytes; `first` starts the reader just after the
        // bytes are sent, so they are there when the scheduler next polls the sockets.
        let late = tokio::spawn({
            let (batched, read) = (batched.clone(), read(&reads));
            async move {
                let mut request = [0; 1];
                server.read_exact(&mut request).await.expect("request");
                batched.get(read).await
            }
        });
        tokio::task::yield_now().await;
        let first = tokio::spawn({
            let (batched, read) = (batched.clone(), read(&reads));
            async move {
                client.write_all(b"!").await.expect("sent");
                batched.get(read).await
            }
        });
        assert_eq!(first.await.expect("first"), Some(1));
        assert_eq!(late.await.expect("late"), Some(1));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_caller_never_gets_a_read_sent_before_it_asked() {
        let (batched, reads) = counted();
        let gate = Arc::new(Notify::new());
        // The first read waits on the gate: it has been sent, and is still on its way.
        let slow_read = {
            let (reads, gate) = (reads.clone(), gate.clone());
            move || {
                let (reads, gate) = (reads.clone(), gate.clone());
                async move {
                    let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
                    if n == 1 {
                        gate.notified().await;
                    }
                    n
                }
            }
        };
        let first = tokio::spawn({
            let batched = batched.clone();
            async move { batched.get(slow_read).await }
        });
        while reads.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let second = tokio::spawn({
            let (batched, read) = (batched.clone(), read(&reads));
            async move { batched.get(read).await }
        });
        tokio::task::yield_now().await;
        gate.notify_one();
        assert_eq!(first.await.expect("first"), Some(1));
        assert_eq!(second.await.expect("second"), Some(2));
    }
}
