//! Where log lines go: request threads append each formatted line to one shared buffer, and a
//! thread of its own writes whatever has gathered, every `FLUSH_INTERVAL` or as soon as
//! `FLUSH_BYTES` are waiting, in one `write`.
//!
//! A channel with one message per line (as `tracing-appender` has) woke the writer thread for
//! nearly every line under load, and it wrote about one line per `write` call: more kernel time
//! than the request itself (BENCHMARKS.md). Here a request thread wakes the writer
//! only when it was idle or when a batch is full, so a busy server makes about
//! `1 s / FLUSH_INTERVAL` writes a second whatever its request rate.
//!
//! No line is dropped: past `max_pending` bytes waiting, a request thread waits for the writer
//! (stdout is the log pipeline; losing lines silently would be worse than slowing down). A line
//! is at most `FLUSH_INTERVAL` late, and the `Guard` writes what is waiting when it is dropped.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a line may wait for the lines after it before it is written.
pub(crate) const FLUSH_INTERVAL: Duration = Duration::from_millis(10);

/// A batch this large is written at once, without waiting for the interval.
const FLUSH_BYTES: usize = 256 * 1024;

/// Past this many bytes waiting, writers wait for the writer thread.
pub(crate) const MAX_PENDING: usize = 16 * 1024 * 1024;

type Sink = Box<dyn Write + Send>;

struct Shared {
    pending: Mutex<Pending>,
    /// Wakes the writer thread (idle, or a batch is full, or closing).
    to_writer: Condvar,
    /// Wakes request threads waiting for room.
    room: Condvar,
    /// Used by the writer thread, and directly by lines logged after the guard is dropped.
    sink: Mutex<Sink>,
    max_pending: usize,
}

#[derive(Default)]
struct Pending {
    lines: Vec<u8>,
    /// The writer thread waits for a first line (and must be woken for it).
    writer_idle: bool,
    /// Request threads waiting for room.
    waiting_for_room: usize,
    closed: bool,
}

/// The `MakeWriter` of the log subscriber: each `write` appends one formatted line.
#[derive(Clone)]
pub(crate) struct LineWriter(Arc<Shared>);

/// Keep until exit: dropping it writes every line still waiting and stops the writer thread.
pub struct Guard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the writer thread, writing to `sink`.
pub(crate) fn spawn(sink: impl Write + Send + 'static, max_pending: usize) -> (LineWriter, Guard) {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        to_writer: Condvar::new(),
        room: Condvar::new(),
        sink: Mutex::new(Box::new(sink)),
        max_pending,
    });
    let thread = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("log-writer".to_owned())
            .spawn(move || write_batches(&shared))
    };
    let thread = match thread {
        Ok(thread) => Some(thread),
        Err(error) => {
            // Without a thread, every line is written where it is logged.
            lock(&shared.pending).closed = true;
            eprintln!("cannot start the log writer thread ({error}); logging synchronously");
            None
        }
    };
    (LineWriter(shared.clone()), Guard { shared, thread })
}

impl Write for LineWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let shared = &*self.0;
        let mut pending = lock(&shared.pending);
        while pending.lines.len() >= shared.max_pending && !pending.closed {
            pending.waiting_for_room += 1;
            pending = shared
                .room
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
            pending.waiting_for_room -= 1;
        }
        if pending.closed {
            drop(pending);
            let mut sink = lock(&shared.sink);
            sink.write_all(line)?;
            sink.flush()?;
            return Ok(line.len());
        }
        let before = pending.lines.len();
        pending.lines.extend_from_slice(line);
        // A condvar notification is a syscall: only when the writer is idle, or a batch fills.
        let wake = std::mem::take(&mut pending.writer_idle)
            || (before < FLUSH_BYTES && pending.lines.len() >= FLUSH_BYTES);
        drop(pending);
        if wake {
            shared.to_writer.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LineWriter {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        lock(&self.shared.pending).closed = true;
        self.shared.to_writer.notify_one();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _finished = thread.join();
        }
    }
}

/// The writer thread: waits for a first line, lets the lines after it gather for up to
/// `FLUSH_INTERVAL`, writes them all, and again, until closed and empty.
fn write_batches(shared: &Shared) {
    let mut batch = Vec::with_capacity(FLUSH_BYTES);
    loop {
        let mut pending = lock(&shared.pending);
        if pending.lines.is_empty() && !pending.closed {
            pending.writer_idle = true;
            pending = shared
                .to_writer
                .wait_while(pending, |p| p.writer_idle && !p.closed)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if pending.lines.len() < FLUSH_BYTES && !pending.closed {
            pending = shared
                .to_writer
                .wait_timeout_while(pending, FLUSH_INTERVAL, |p| {
                    p.lines.len() < FLUSH_BYTES && !p.closed
                })
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        std::mem::swap(&mut pending.lines, &mut batch);
        let closed = pending.closed;
        let waiting = pending.waiting_for_room > 0;
        drop(pending);
        if waiting {
            shared.room.notify_all();
        }
        if !batch.is_empty() {
            let mut sink = lock(&shared.sink);
            // Nowhere to report a failed log write but the log itself; the lines are gone.
            let _written = sink.write_all(&batch).and_then(|()| sink.flush());
            batch.clear();
        }
        // Once closed, request threads write directly, so nothing more arrives here.
        if closed {
            return;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A byte buffer and flags: a panic elsewhere cannot leave them unusable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A sink that records what it was given and how many `write` calls it took, and can be
    /// held shut until released.
    #[derive(Clone, Default)]
    struct Recorder {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<AtomicUsize>,
        gate: Arc<(Mutex<bool>, Condvar)>,
    }

    impl Recorder {
        fn held() -> Self {
            let recorder = Self::default();
            *recorder.gate.0.lock().expect("gate") = true;
            recorder
        }

        fn release(&self) {
            *self.gate.0.lock().expect("gate") = false;
            self.gate.1.notify_all();
        }

        fn text(&self) -> String {
            String::from_utf8(self.bytes.lock().expect("bytes").clone()).expect("UTF-8")
        }
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let (held, opened) = &*self.gate;
            let _open = opened
                .wait_while(held.lock().expect("gate"), |held| *held)
                .expect("gate");
            self.writes.fetch_add(1, Ordering::SeqCst);
            self.bytes.lock().expect("bytes").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn log_lines(writer: &LineWriter, thread: usize, lines: usize) {
        let mut writer = writer.clone();
        for n in 0..lines {
            writer
                .write_all(format!("{thread} {n}\n").as_bytes())
                .expect("appended");
        }
    }

    /// Every line of every thread arrives whole and in its thread's order.
    fn assert_complete(text: &str, threads: usize, lines: usize) {
        let mut next = vec![0usize; threads];
        for line in text.lines() {
            let (thread, n) = line.split_once(' ').expect("whole line");
            let thread: usize = thread.parse().expect("thread");
            assert_eq!(n.parse::<usize>().expect("n"), next[thread], "{line}");
            next[thread] += 1;
        }
        assert_eq!(next, vec![lines; threads]);
    }

    #[test]
    fn lines_from_many_threads_arrive_whole_in_order_and_in_few_writes() {
        let sink = Recorder::default();
        let (writer, guard) = spawn(sink.clone(), MAX_PENDING);
        let (threads, lines) = (4, 20_000);
        std::thread::scope(|scope| {
            for thread in 0..threads {
                let writer = &writer;
                scope.spawn(move || log_lines(writer, thread, lines));
            }
        });
        drop(guard);
        assert_complete(&sink.text(), threads, lines);
        // One write per line would be 80,000; batches are written every 10 ms or 256 KiB.
        let writes = sink.writes.load(Ordering::SeqCst);
        assert!(writes <= threads * lines / 100, "{writes} writes");
    }

    #[test]
    fn a_full_buffer_makes_loggers_wait_instead_of_dropping_lines() {
        let sink = Recorder::held();
        let (writer, guard) = spawn(sink.clone(), 1024);
        let logged = Arc::new(AtomicUsize::new(0));
        let logger = {
            let (writer, logged) = (writer.clone(), logged.clone());
            std::thread::spawn(move || {
                let mut writer = writer;
                for n in 0..1000 {
                    writer
                        .write_all(format!("0 {n}\n").as_bytes())
                        .expect("appended");
                    logged.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        // The sink is shut: the writer thread holds one batch, the buffer fills to 1 KiB, and
        // the logger waits for room (it cannot have logged all 1,000 lines of ~6 bytes).
        while logged.load(Ordering::SeqCst) < 100 {
            std::thread::yield_now();
        }
        std::thread::sleep(FLUSH_INTERVAL * 5);
        assert!(logged.load(Ordering::SeqCst) < 1000);
        sink.release();
        logger.join().expect("logger finishes");
        drop(guard);
        assert_complete(&sink.text(), 1, 1000);
    }

    #[test]
    fn a_line_logged_after_the_guard_is_dropped_is_written_directly() {
        let sink = Recorder::default();
        let (writer, guard) = spawn(sink.clone(), MAX_PENDING);
        log_lines(&writer, 0, 3);
        drop(guard);
        let mut late = writer.clone();
        late.write_all(b"0 3\n").expect("written");
        assert_complete(&sink.text(), 1, 4);
    }
}
