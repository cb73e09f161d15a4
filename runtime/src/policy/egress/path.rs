//! Path prefixes compared on the path a server will see. A path is
//! percent-decoded once and compared segment by segment; anything servers
//! disagree about is refused rather than guessed at: `;` parameters (`..;`
//! is `..` to Tomcat and Spring), backslashes (a separator to IIS and many
//! frameworks), dot segments, encoded dots, slashes, backslashes and
//! semicolons, double encoding (`%252e`, decoded twice by proxy and
//! application), control characters, stray `%`, invalid UTF-8 and the
//! full-width forms Unicode normalisation folds into `.`, `/`, `\` or `;`.

use percent_encoding::percent_decode_str;
use std::fmt;

/// Why a path cannot be compared with a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsafe {
    NotAbsolute,
    Parameter,
    Backslash,
    DotSegment,
    /// `%2e`, `%2f`, `%5c` or `%3b`: the character.
    Encoded(char),
    DoubleEncoded,
    StrayPercent,
    Control,
    NotUtf8,
    LookAlike(char),
}

impl fmt::Display for Unsafe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAbsolute => f.write_str("the path does not start with `/`"),
            Self::Parameter => f.write_str("the path has a `;` parameter"),
            Self::Backslash => f.write_str("the path has a backslash"),
            Self::DotSegment => f.write_str("the path has a `.` or `..` segment"),
            Self::Encoded(c) => write!(f, "the path percent-encodes `{c}`"),
            Self::DoubleEncoded => f.write_str("the path is double-encoded (`%25`)"),
            Self::StrayPercent => f.write_str("the path has a `%` not followed by two hex digits"),
            Self::Control => f.write_str("the path has a control character"),
            Self::NotUtf8 => f.write_str("the path does not decode to UTF-8"),
            Self::LookAlike(c) => write!(f, "the path has U+{:04X}, which normalises to punctuation", u32::from(*c)),
        }
    }
}

/// Characters that Unicode compatibility normalisation (NFKC) turns into
/// `.`, `/`, `\` or `;`.
const LOOK_ALIKES: &[char] =
    &['\u{2024}', '\u{FE52}', '\u{FF0E}', '\u{FF0F}', '\u{FE68}', '\u{FF3C}', '\u{FE54}', '\u{FF1B}'];

/// The decoded path (query and fragment cut off), or why it is refused.
pub fn normalize(raw: &str) -> Result<String, Unsafe> {
    let path = raw.split(['?', '#']).next().unwrap_or("");
    let path = if path.is_empty() { "/" } else { path };
    if !path.starts_with('/') {
        return Err(Unsafe::NotAbsolute);
    }
    let bytes = path.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b';' => return Err(Unsafe::Parameter),
            b'\\' => return Err(Unsafe::Backslash),
            c if c.is_ascii_control() => return Err(Unsafe::Control),
            b'%' => {
                let byte = match bytes.get(i + 1..i + 3) {
                    Some(&[h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => hex(h) << 4 | hex(l),
                    _ => return Err(Unsafe::StrayPercent),
                };
                match byte {
                    b'.' | b'/' | b'\\' | b';' => return Err(Unsafe::Encoded(char::from(byte))),
                    b'%' => return Err(Unsafe::DoubleEncoded),
                    b if b.is_ascii_control() => return Err(Unsafe::Control),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let decoded = percent_decode_str(path).decode_utf8().map_err(|_| Unsafe::NotUtf8)?;
    if let Some(c) = decoded.chars().find(|c| LOOK_ALIKES.contains(c)) {
        return Err(Unsafe::LookAlike(c));
    }
    if decoded.split('/').any(|s| s == "." || s == "..") {
        return Err(Unsafe::DotSegment);
    }
    Ok(decoded.into_owned())
}

fn hex(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        _ => (digit | 0x20) - b'a' + 10,
    }
}

/// A rule's prefix in the form [`within`] compares: normalised, without a
/// trailing slash (except the root).
pub fn normalize_prefix(raw: &str) -> Result<String, Unsafe> {
    let decoded = normalize(raw)?;
    let trimmed = decoded.trim_end_matches('/');
    Ok(if trimmed.is_empty() { "/".to_string() } else { trimmed.to_string() })
}

/// Whether a normalised `path` lies at or below a normalised `prefix`,
/// segment by segment (`/v1` covers `/v1` and `/v1/x`, not `/v10`).
pub fn within(path: &str, prefix: &str) -> bool {
    prefix == "/" || path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_decode_and_lose_their_query() {
        assert_eq!(normalize("/v1/q?x=%2e%2e/..;"), Ok("/v1/q".to_string()));
        assert_eq!(normalize("/%76%31/x"), Ok("/v1/x".to_string()));
        assert_eq!(normalize("/a%20b/caf%C3%A9"), Ok("/a b/café".to_string()));
        assert_eq!(normalize(""), Ok("/".to_string()));
        assert_eq!(normalize("/v1//x/"), Ok("/v1//x/".to_string()));
    }

    #[test]
    fn each_ambiguity_is_refused() {
        for (path, why) in [
            ("/v1/..;/admin", Unsafe::Parameter),
            ("/v1;x=1/admin", Unsafe::Parameter),
            ("/v1/%252e%252e/admin", Unsafe::DoubleEncoded),
            ("/v1/..%5cadmin", Unsafe::Encoded('\\')),
            ("/v1/..\\admin", Unsafe::Backslash),
            ("/v1/../admin", Unsafe::DotSegment),
            ("/v1/./admin", Unsafe::DotSegment),
            ("/v1/..", Unsafe::DotSegment),
            ("/v1/%2e%2e/admin", Unsafe::Encoded('.')),
            ("/v1/%2E./admin", Unsafe::Encoded('.')),
            ("/v1%2f..%2fadmin", Unsafe::Encoded('/')),
            ("/v1/..%3badmin", Unsafe::Encoded(';')),
            ("/v1/%zz", Unsafe::StrayPercent),
            ("/v1/%2", Unsafe::StrayPercent),
            ("/v1/%00", Unsafe::Control),
            ("/v1/a\tb", Unsafe::Control),
            ("/v1/%c0%ae%c0%ae/admin", Unsafe::NotUtf8),
            ("/v1/%EF%BC%8E%EF%BC%8E/admin", Unsafe::LookAlike('\u{FF0E}')),
            ("v1/x", Unsafe::NotAbsolute),
        ] {
            assert_eq!(normalize(path), Err(why), "{path}");
        }
    }

    #[test]
    fn prefixes_are_segment_aware() {
        assert!(within("/v1", "/v1") && within("/v1/x", "/v1") && within("/anything", "/"));
        assert!(!within("/v10", "/v1") && !within("/", "/v1") && !within("/V1/x", "/v1"));
        assert_eq!(normalize_prefix("/v1/").as_deref(), Ok("/v1"));
        assert_eq!(normalize_prefix("/").as_deref(), Ok("/"));
        assert_eq!(normalize_prefix("/a%2fb"), Err(Unsafe::Encoded('/')));
        assert_eq!(normalize_prefix("/a;b"), Err(Unsafe::Parameter));
        assert_eq!(normalize("/%+1"), Err(Unsafe::StrayPercent));
    }
}
