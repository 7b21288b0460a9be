//! JSON logs, one object per line on stdout, as the seed's structlog setup writes them:
//! `timestamp`, `level`, `message`, the event's fields, and the `correlation_id` of the request
//! the line was written for (bound for the request's duration, like structlog's contextvars).
//!
//! The formatter writes each line straight into the subscriber's buffer: the general-purpose
//! JSON formatter of `tracing-subscriber` went through serde and a UTF-8 check per write, and
//! tagging lines through a span cost a span per request, which the load benchmark's profiles
//! showed as a large share of the server's CPU (BENCHMARKS.md).

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::future::Future;

use chrono::{Datelike, Timelike};
use generator::spec::LogLevel;
use salvo::http::HeaderValue;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::json::{Escaped, write_i64, write_string, write_u64};

mod writer;

tokio::task_local! {
    static CORRELATION_ID: HeaderValue;
}

/// Runs `request` with `correlation_id` on every line it logs (in its own task; tasks it
/// spawns do not inherit it).
pub async fn with_correlation_id<F: Future>(correlation_id: HeaderValue, request: F) -> F::Output {
    CORRELATION_ID.scope(correlation_id, request).await
}

/// Installs the JSON log subscriber once per process; `RUST_LOG` overrides the spec's level.
///
/// Lines are formatted on the request's thread and written to stdout by a thread of their own,
/// in batches (`writer`): a request never waits for stdout unless 16 MiB of lines are waiting;
/// then it does, rather than a line being dropped. Keep the guard until exit: dropping it writes
/// what is waiting.
pub fn init(level: LogLevel) -> Option<writer::Guard> {
    let level = match level {
        LogLevel::Error => "error",
        LogLevel::Warn => "warn",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
        LogLevel::Trace => "trace",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_no_rust_log| {
            tracing_subscriber::EnvFilter::new(format!("{level},sqlx=warn,sea_orm=warn"))
        });
    let (writer, guard) = writer::spawn(std::io::stdout(), writer::MAX_PENDING);
    // A second server in the same process (tests) keeps the first subscriber.
    tracing_subscriber::fmt()
        .event_format(JsonLines)
        .with_env_filter(filter)
        .with_writer(writer)
        .try_init()
        .ok()
        .map(|()| guard)
}

/// Formats an event as one JSON object and a newline.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        thread_local! {
            static LINE: RefCell<String> = const { RefCell::new(String::new()) };
        }
        // The line is put together in a plain `String` (each piece a direct push, not a call
        // through `dyn Write`), then handed over whole. An event logged while formatting one
        // (a `Debug` impl that logs) gets a buffer of its own.
        LINE.with(|line| match line.try_borrow_mut() {
            Ok(mut line) => {
                line.clear();
                write_line(&mut line, event)?;
                writer.write_str(&line)
            }
            Err(_) => {
                let mut line = String::new();
                write_line(&mut line, event)?;
                writer.write_str(&line)
            }
        })
    }
}

fn write_line(line: &mut String, event: &Event<'_>) -> fmt::Result {
    line.push_str("{\"timestamp\":\"");
    write_timestamp(line, chrono::Utc::now())?;
    line.push_str("\",\"level\":\"");
    line.push_str(event.metadata().level().as_str());
    line.push('"');
    let mut fields = JsonFields {
        writer: &mut *line,
        result: Ok(()),
    };
    event.record(&mut fields);
    fields.result?;
    // Outside a request (startup, background tasks) there is none.
    let in_request = CORRELATION_ID.try_with(|id| match id.to_str() {
        Ok(id) => {
            line.push_str(",\"correlation_id\":");
            write_string(line, id)
        }
        Err(_) => Ok(()),
    });
    if let Ok(written) = in_request {
        written?;
    }
    line.push_str("}\n");
    Ok(())
}

/// RFC 3339 in UTC with microseconds, e.g. `2026-11-22T09:41:07.123456Z`. The text up to the
/// second is formatted once a second per thread; each line adds only its microseconds.
fn write_timestamp(w: &mut impl fmt::Write, now: chrono::DateTime<chrono::Utc>) -> fmt::Result {
    thread_local! {
        static SECOND: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
    }
    // A leap second shows as nanoseconds past 1e9; keep the field six digits.
    let micros = (now.nanosecond() % 1_000_000_000) / 1_000;
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != now.timestamp() {
            *second = now.timestamp();
            text.clear();
            write!(
                text,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.",
                now.year(),
                now.month(),
                now.day(),
                now.hour(),
                now.minute(),
                now.second(),
            )?;
        }
        w.write_str(text)?;
        let mut digits = *b"000000Z";
        let mut rest = micros;
        for digit in digits[..6].iter_mut().rev() {
            // `rest % 10` is a single decimal digit.
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        w.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)
    })
}

/// Writes each field as `,"name":value`: numbers and booleans as JSON numbers and booleans,
/// everything else as a JSON string.
struct JsonFields<'a, W> {
    writer: &'a mut W,
    result: fmt::Result,
}

impl<W: fmt::Write> JsonFields<'_, W> {
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self
                .writer
                .write_char(',')
                .and_then(|()| write_string(self.writer, field.name()))
                .and_then(|()| self.writer.write_char(':'))
                .and_then(|()| value(self.writer));
        }
    }
}

impl<W: fmt::Write> Visit for JsonFields<'_, W> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.field(field, |w| {
            if value.is_finite() {
                write!(w, "{value}")
            } else {
                w.write_str("null")
            }
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |w| write_i64(w, value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |w| write_u64(w, value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.field(field, |w| write!(w, "{value}"));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.field(field, |w| write!(w, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |w| write_string(w, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |w| {
            w.write_char('"')?;
            write!(Escaped(w), "{value:?}")?;
            w.write_char('"')
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;

        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    fn lines(captured: &Captured) -> Vec<serde_json::Value> {
        let bytes = captured.0.lock().expect("lock").clone();
        let text = String::from_utf8(bytes).expect("UTF-8");
        assert!(text.ends_with('\n'), "{text}");
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    #[tokio::test]
    async fn every_line_is_one_json_object_with_typed_fields_and_the_request_correlation_id() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(captured.clone())
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} é 🦀";
        tracing::info!(
            status_code = 201u16,
            duration_ms = 1.25,
            negative = -3,
            zero = 0u64,
            largest = u64::MAX,
            smallest = i64::MIN,
            ok = true,
            not_a_number = f64::NAN,
            text = awkward,
            shown = %"display",
            debugged = ?vec!["a\"b"],
            "request_completed"
        );
        with_correlation_id(HeaderValue::from_static("abc-123"), async {
            tracing::warn!(error = "boom", "redis unavailable, falling back");
        })
        .await;
        tracing::debug!("after the request");

        let lines = lines(&captured);
        assert_eq!(lines.len(), 3);
        let first = &lines[0];
        assert_eq!(first["level"], "INFO");
        assert_eq!(first["message"], "request_completed");
        assert_eq!(first["status_code"], 201);
        assert_eq!(first["duration_ms"], 1.25);
        assert_eq!(first["negative"], -3);
        assert_eq!(first["zero"], 0);
        assert_eq!(first["largest"], u64::MAX);
        assert_eq!(first["smallest"], i64::MIN);
        assert_eq!(first["ok"], true);
        assert!(first["not_a_number"].is_null());
        assert_eq!(first["text"], awkward);
        assert_eq!(first["shown"], "display");
        assert_eq!(first["debugged"], "[\"a\\\"b\"]");
        assert!(first.get("correlation_id").is_none(), "{first}");
        let timestamp = first["timestamp"].as_str().expect("timestamp");
        assert_eq!(
            timestamp.len(),
            "2026-11-22T09:41:07.123456Z".len(),
            "{timestamp}"
        );
        chrono::DateTime::parse_from_rfc3339(timestamp).expect("RFC 3339");

        assert_eq!(lines[1]["level"], "WARN");
        assert_eq!(lines[1]["correlation_id"], "abc-123");
        assert_eq!(lines[1]["error"], "boom");
        assert!(lines[2].get("correlation_id").is_none(), "{}", lines[2]);
    }

    #[test]
    fn timestamps_are_zero_padded_utc_with_microseconds() {
        let at = chrono::DateTime::parse_from_rfc3339("0987-01-02T03:04:05.000006789Z")
            .expect("valid")
            .with_timezone(&chrono::Utc);
        let mut text = String::new();
        write_timestamp(&mut text, at).expect("formats");
        assert_eq!(text, "0987-01-02T03:04:05.000006Z");
    }

    #[test]
    fn the_per_second_text_is_made_again_when_the_second_changes() {
        let mut text = String::new();
        for at in [
            "2026-11-22T09:41:07.5Z",
            "2026-11-22T09:41:07.999999Z",
            "2026-11-22T09:41:08Z",
            "2026-11-22T09:41:07.000001Z",
            "2027-01-01T00:00:00.25Z",
        ] {
            let at = chrono::DateTime::parse_from_rfc3339(at).expect("valid");
            write_timestamp(&mut text, at.with_timezone(&chrono::Utc)).expect("formats");
            text.push(' ');
        }
        assert_eq!(
            text,
            "2026-11-22T09:41:07.500000Z 2026-11-22T09:41:07.999999Z 2026-11-22T09:41:08.000000Z \
             2026-11-22T09:41:07.000001Z 2027-01-01T00:00:00.250000Z "
        );
    }
}
