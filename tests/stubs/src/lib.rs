//! Shared plumbing for the stub servers under `src/bin/`: each binds a
//! loopback port, prints `listening on http://127.0.0.1:PORT` on stdout (the
//! tests read that line) and serves until killed. Query strings and the
//! clock are read the same way by every stub, so those helpers live here too.
//!
//! These are **stubs**: they follow the routes, status codes and JSON shapes
//! of the upstream projects' published API documentation, with in-memory
//! state, so the components can be exercised end to end where no real server
//! can be installed. They are not the real services.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;

/// Serve `app` on `127.0.0.1:<port>` (port from the first CLI argument, 0 =
/// any free port), announce the address on stdout and run until killed.
pub async fn serve(app: Router) {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let mut out = std::io::stdout();
    writeln!(out, "listening on http://{addr}").and_then(|()| out.flush()).expect("announce the address");
    axum::serve(listener, app).await.expect("serve");
}

/// The pairs of a raw query string, decoded, in order and with repeated keys
/// kept (`type=a&type=b`, `tag=k:v&tag=...`): the stubs' routes read list
/// parameters the way the real servers do, which a map would lose.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a
/// byte; a `%` without two hex digits stays as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of the first `key` in `pairs`, empty or not.
pub fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The proleptic Gregorian (year, month, day) of a day count since
/// 1970-01-01 (Howard Hinnant's `civil_from_days`), for the stubs' ISO 8601
/// timestamps without a date crate.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_decode_and_keep_repeats() {
        let p = query_pairs(Some("type=a&type=b+c&q=%41%2&h&=x&&s=%zz"));
        let want = [("type", "a"), ("type", "b c"), ("q", "A%2"), ("h", ""), ("", "x"), ("s", "%zz")];
        assert_eq!(p, want.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(first(&p, "type"), Some("a"));
        assert_eq!(first(&p, "h"), Some(""));
        assert_eq!(first(&p, "missing"), None);
        assert!(query_pairs(None).is_empty());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }
}
