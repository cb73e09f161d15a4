//! Go time layouts (`2006-01-02 15:04:05 MST`) translated to chrono.

use chrono::{DateTime, Utc};
use std::fmt::Write;

/// Named layouts from Go's `time` package.
const NAMED: &[(&str, &str)] = &[
    ("ANSIC", "Mon Jan _2 15:04:05 2006"),
    ("UnixDate", "Mon Jan _2 15:04:05 MST 2006"),
    ("RFC822", "02 Jan 06 15:04 MST"),
    ("RFC822Z", "02 Jan 06 15:04 -0700"),
    ("RFC850", "Monday, 02-Jan-06 15:04:05 MST"),
    ("RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"),
    ("RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"),
    ("RFC3339", "2006-01-02T15:04:05Z07:00"),
    ("RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"),
    ("Kitchen", "3:04PM"),
    ("Stamp", "Jan _2 15:04:05"),
    ("DateTime", "2006-01-02 15:04:05"),
    ("DateOnly", "2006-01-02"),
    ("TimeOnly", "15:04:05"),
];

/// Go layout tokens, longest first so that prefixes do not win.
const TOKENS: &[(&str, &str)] = &[
    ("January", "%B"),
    ("Monday", "%A"),
    (".000000000", "%.9f"),
    (".999999999", "%.9f"),
    (".000000", "%.6f"),
    (".999999", "%.6f"),
    (".000", "%.3f"),
    (".999", "%.3f"),
    ("Z07:00", "%:z"),
    ("-07:00", "%:z"),
    ("-0700", "%z"),
    ("2006", "%Y"),
    ("Jan", "%b"),
    ("Mon", "%a"),
    ("MST", "%Z"),
    ("002", "%j"),
    ("_2", "%e"),
    ("01", "%m"),
    ("02", "%d"),
    ("03", "%I"),
    ("04", "%M"),
    ("05", "%S"),
    ("06", "%y"),
    ("15", "%H"),
    ("PM", "%p"),
    ("pm", "%P"),
    ("1", "%-m"),
    ("2", "%-d"),
    ("3", "%-I"),
    ("4", "%-M"),
    ("5", "%-S"),
];

/// Format `t` with a Go layout, a named layout, or a strftime pattern (contains `%`).
pub fn format(t: &DateTime<Utc>, layout: &str) -> Result<String, String> {
    if layout.trim().is_empty() {
        return Err("`format` must not be empty".into());
    }
    if layout.len() > 256 {
        return Err("`format` is longer than 256 characters".into());
    }
    let layout = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(layout)).map_or(layout, |(_, l)| l);
    let strftime = if layout.contains('%') { layout.to_string() } else { go_to_strftime(layout) };
    let items: Vec<_> = chrono::format::StrftimeItems::new(&strftime).collect();
    if items.iter().any(|i| matches!(i, chrono::format::Item::Error)) {
        return Err(format!("invalid format `{layout}`"));
    }
    let mut out = String::new();
    write!(out, "{}", t.format_with_items(items.into_iter())).map_err(|_| format!("cannot format with `{layout}`"))?;
    // chrono prints `+00:00` where Go's `Z07:00` prints `Z` for UTC.
    if layout.contains("Z07:00") {
        out = out.replace("+00:00", "Z");
    }
    Ok(out)
}

fn go_to_strftime(layout: &str) -> String {
    let mut out = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for (go, st) in TOKENS {
            if rest.starts_with(go) {
                out.push_str(st);
                rest = &rest[go.len()..];
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}
