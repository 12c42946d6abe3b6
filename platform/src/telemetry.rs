//! Structured logs: JSON lines by default, with the fields of the current
//! span (request id, workflow id, activity id) on every event. Every line
//! passes through [`redact`] on its way out, so a secret that reaches a log
//! call by mistake (a bearer token, one of our tokens, a provider key, a
//! password in a URL) is masked before it is written.

use crate::config::{LogFormat, TelemetryConfig};
use regex::Regex;
use std::{
    io::{self, Write},
    sync::LazyLock,
};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

static SECRETS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+", "Bearer [redacted]"),
        (r"\b(rp[are])_[A-Za-z0-9_-]{16,}", "${1}_[redacted]"),
        (r"\bsk-[A-Za-z0-9_-]{12,}", "sk-[redacted]"),
        (r"\b(act|rft)\.[A-Za-z0-9._!*-]{8,}", "${1}.[redacted]"),
        (r"\b(hv[sbr])\.[A-Za-z0-9_-]{16,}", "${1}.[redacted]"),
        (r"(://[^:/@\s]+):[^@/\s]+@", "${1}:[redacted]@"),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (Regex::new(pattern).expect("the patterns are valid"), replacement))
    .collect()
});

/// Masks known secret shapes in a line of text.
pub fn redact(line: &str) -> String {
    SECRETS
        .iter()
        .fold(line.to_owned(), |text, (pattern, replacement)| pattern.replace_all(&text, *replacement).into_owned())
}

/// A writer that redacts each formatted event before passing it on.
pub struct Redacting<W>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_all(redact(&String::from_utf8_lossy(buf)).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Installs the global subscriber. Call once, at the start of a binary.
pub fn init(cfg: &TelemetryConfig) {
    init_with_writer(cfg, io::stdout);
}

/// [`init`] writing to `make_writer`'s writers instead of stdout (tests
/// capture the exact lines production would print).
pub fn init_with_writer<W: Write + 'static>(
    cfg: &TelemetryConfig,
    make_writer: impl Fn() -> W + Send + Sync + 'static,
) {
    let make_writer = std::sync::Arc::new(make_writer);
    let writer = {
        let make_writer = make_writer.clone();
        move || Redacting(make_writer())
    };
    let filter = EnvFilter::try_new(&cfg.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    match cfg.format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_target(true)
                    .with_writer(writer),
            )
            .init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact().with_writer(move || Redacting(make_writer()))).init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secret_shapes_are_masked_and_the_rest_is_kept() {
        let line = r#"{"message":"call failed","auth":"Bearer rpa_AbCdEfGhIjKlMnOpQrStUvWxYz012345","refresh":"rpr_0123456789abcdefghij","key":"sk-or-v1-abcdef0123456789","tiktok":"act.1a2b3c4d5e6f7g8h!1234","db":"postgres://app:hunter2@db:5432/reelpilot","vault":"hvs.CAESIJ0123456789abcdefXYZ","request_id":"req-42"}"#;
        let out = redact(line);
        for secret in ["AbCdEfGh", "0123456789abcdefghij", "abcdef0123456789", "1a2b3c4d5e6f7g8h", "hunter2", "CAESIJ"]
        {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        assert!(out.contains("Bearer [redacted]") && out.contains("rpr_[redacted]") && out.contains("sk-[redacted]"));
        assert!(out.contains("act.[redacted]") && out.contains("postgres://app:[redacted]@db:5432"));
        assert!(out.contains(r#""request_id":"req-42""#), "ordinary fields stay: {out}");
    }

    #[test]
    fn the_writer_redacts_what_passes_through_it() {
        let mut out = Redacting(Vec::new());
        write!(out, "token rpe_ZYXWVUTSRQPONMLKJIHGFEDCBA in a log line").unwrap();
        let written = String::from_utf8(out.0).unwrap();
        assert_eq!(written, "token rpe_[redacted] in a log line");
    }
}
