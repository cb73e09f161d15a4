//! Audit: one JSON line per tool call to a file (append, optional fsync per
//! line, size rotation) and/or stdout. With `fsync = "always"` a line is on
//! disk before the call is answered, so no acknowledged call is lost to a
//! crash. Argument values under sensitive names are redacted.

use crate::config::frontdoor::{AuditSection, Fsync};
use crate::error::{Error, Result};
use crate::telemetry as metrics;
use serde::Serialize;
use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub const REDACTED: &str = "[REDACTED]";
/// Argument names containing any of these (case-insensitive) are redacted.
const SENSITIVE: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "authorization",
    "credential",
    "private_key",
    "cookie",
];

#[derive(Debug, Serialize)]
pub struct AuditRecord {
    pub time: String,
    pub request_id: String,
    pub tenant: String,
    /// The tenant's `audit_tag`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    pub subject: String,
    pub tool: String,
    pub arguments: Value,
    /// `ok`, `tool_error`, `error` or `denied`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
    pub fuel_used: u64,
}

struct FileSink {
    path: PathBuf,
    file: File,
    size: u64,
}

pub struct AuditLog {
    file: Option<Mutex<FileSink>>,
    stdout: bool,
    fsync: Fsync,
    max_bytes: u64,
    max_backups: u32,
    redact: Vec<String>,
}

impl AuditLog {
    pub fn open(section: &AuditSection) -> Result<Arc<Self>> {
        let file = match &section.path {
            Some(path) => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| Error::Io(format!("audit.path {}", path.display()), e))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                Some(Mutex::new(FileSink { path: path.clone(), file, size }))
            }
            None => None,
        };
        let mut redact: Vec<String> = SENSITIVE.iter().map(|s| s.to_string()).collect();
        redact.extend(section.redact_fields.iter().map(|f| f.to_ascii_lowercase()));
        Ok(Arc::new(Self {
            file,
            stdout: section.stdout,
            fsync: section.fsync,
            max_bytes: section.max_size_mb.unwrap_or(100).saturating_mul(1024 * 1024),
            max_backups: section.max_backups.unwrap_or(5),
            redact,
        }))
    }

    /// A copy of `arguments` with sensitive values replaced.
    pub fn redact(&self, arguments: &Value) -> Value {
        match arguments {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let lower = k.to_ascii_lowercase();
                        if self.redact.iter().any(|s| lower.contains(s.as_str())) {
                            (k.clone(), Value::String(REDACTED.into()))
                        } else {
                            (k.clone(), self.redact(v))
                        }
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.redact(v)).collect()),
            other => other.clone(),
        }
    }

    /// Write one record (blocking: call from a blocking-capable thread).
    pub fn write(&self, record: &AuditRecord) {
        let mut line = match serde_json::to_string(record) {
            Ok(l) => l,
            Err(_) => return,
        };
        line.push('\n');
        if self.stdout {
            let mut out = std::io::stdout().lock();
            if out.write_all(line.as_bytes()).and_then(|()| out.flush()).is_err() {
                metrics::get().audit_errors.with_label_values(&["stdout"]).inc();
            }
        }
        if let Some(file) = &self.file {
            let mut sink = file.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = self.append(&mut sink, line.as_bytes()) {
                metrics::get().audit_errors.with_label_values(&["file"]).inc();
                tracing::error!(path = %sink.path.display(), "audit write failed: {e}");
            }
        }
    }

    /// Write from async code without blocking the executor.
    pub async fn record(self: &Arc<Self>, record: AuditRecord) {
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || me.write(&record)).await;
    }

    fn append(&self, sink: &mut FileSink, bytes: &[u8]) -> std::io::Result<()> {
        if self.max_bytes > 0 && sink.size > 0 && sink.size + bytes.len() as u64 > self.max_bytes {
            self.rotate(sink)?;
        }
        sink.file.write_all(bytes)?;
        sink.size += bytes.len() as u64;
        if self.fsync == Fsync::Always {
            sink.file.sync_data()?;
        }
        Ok(())
    }

    /// `audit.log` -> `audit.log.1` -> ... -> `audit.log.<max_backups>` (dropped).
    fn rotate(&self, sink: &mut FileSink) -> std::io::Result<()> {
        sink.file.sync_all()?;
        let numbered = |n: u32| PathBuf::from(format!("{}.{n}", sink.path.display()));
        if self.max_backups == 0 {
            std::fs::remove_file(&sink.path)?;
        } else {
            let _ = std::fs::remove_file(numbered(self.max_backups));
            for n in (1..self.max_backups).rev() {
                let from = numbered(n);
                if from.exists() {
                    std::fs::rename(&from, numbered(n + 1))?;
                }
            }
            std::fs::rename(&sink.path, numbered(1))?;
        }
        sink.file = OpenOptions::new().create(true).append(true).open(&sink.path)?;
        sink.size = 0;
        Ok(())
    }

    /// Push everything written so far to disk (shutdown).
    pub fn flush(&self) {
        if let Some(file) = &self.file {
            let sink = file.lock().unwrap_or_else(|e| e.into_inner());
            let _ = sink.file.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(tool: &str) -> AuditRecord {
        AuditRecord {
            time: "t".into(),
            request_id: "1".into(),
            tenant: "default".into(),
            tag: None,
            subject: "alice".into(),
            tool: tool.into(),
            arguments: json!({}),
            outcome: "ok",
            error: None,
            duration_ms: 1,
            fuel_used: 2,
        }
    }

    #[test]
    fn sensitive_arguments_are_redacted_at_any_depth() {
        let section = AuditSection { redact_fields: vec!["Query".into()], stdout: true, ..Default::default() };
        let log = AuditLog::open(&section).unwrap();
        let out = log.redact(&json!({
            "url": "https://x", "Password": "p", "headers": {"Authorization": "Bearer x", "accept": "y"},
            "items": [{"api_key": "k"}], "query": "up"
        }));
        assert_eq!(
            out,
            json!({"url": "https://x", "Password": REDACTED, "headers": {"Authorization": REDACTED, "accept": "y"},
                   "items": [{"api_key": REDACTED}], "query": REDACTED})
        );
    }

    #[test]
    fn file_sink_appends_and_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let section = AuditSection { path: Some(path.clone()), max_size_mb: Some(0), ..Default::default() };
        let log = AuditLog::open(&section).unwrap();
        log.write(&record("a"));
        log.write(&record("b"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["tool"], "a");
        assert_eq!(first["fuel_used"], 2);

        let mut small = AuditLog::open(&section).unwrap();
        Arc::get_mut(&mut small).unwrap().max_bytes = 300;
        for i in 0..6 {
            small.write(&record(&format!("tool{i}")));
        }
        let rotated = PathBuf::from(format!("{}.1", path.display()));
        assert!(rotated.exists());
        assert!(std::fs::metadata(&path).unwrap().len() <= 300);
    }
}

/// `2026-11-26T01:02:03.456Z` (UTC, milliseconds), as audit lines carry it.
pub fn format_time(t: std::time::SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => format!("{ts:.3}"),
        Err(_) => String::from("1970-01-01T00:00:00.000Z"),
    }
}

/// An RFC 3339 time (`2026-11-26T01:02:03Z`, fractions and offsets allowed)
/// or a plain date (`2026-11-26`, midnight UTC).
pub fn parse_time(text: &str) -> Option<std::time::SystemTime> {
    let text = text.trim();
    let ts = match text.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => text.parse::<jiff::civil::Date>().ok()?.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp(),
    };
    Some(std::time::SystemTime::from(ts))
}

#[cfg(test)]
mod time_tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn known_values() {
        assert_eq!(format_time(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = parse_time("2026-11-26T01:02:03Z").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_795_654_923);
        assert_eq!(parse_time("2026-11-26T02:02:03+01:00"), Some(t));
        assert!(parse_time("2026-13-01").is_none());
        assert!(parse_time("soon").is_none());
        assert!(parse_time("").is_none());
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(secs in 0u64..8_000_000_000) {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            prop_assert_eq!(parse_time(&format_time(t)), Some(t));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".{0,40}") {
            let _ = parse_time(&s);
        }
    }
}
