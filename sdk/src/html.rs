//! Reduce HTML to readable text: drop scripts, styles and tags, decode the
//! common entities, keep paragraph breaks.

/// Convert an HTML document into plain text.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let lower = html.to_ascii_lowercase();
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let rest = &lower[i..];
            if rest.starts_with("<!--") {
                i = rest.find("-->").map_or(bytes.len(), |e| i + e + 3);
                continue;
            }
            let tag: String = rest[1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '/').collect();
            if tag == "script" || tag == "style" || tag == "noscript" || tag == "head" {
                let close = format!("</{tag}");
                i = match rest.find(&close) {
                    Some(e) => rest[e..].find('>').map_or(bytes.len(), |g| i + e + g + 1),
                    None => bytes.len(),
                };
                continue;
            }
            let block = matches!(
                tag.trim_start_matches('/'),
                "p" | "div"
                    | "br"
                    | "li"
                    | "tr"
                    | "h1"
                    | "h2"
                    | "h3"
                    | "h4"
                    | "h5"
                    | "h6"
                    | "section"
                    | "article"
                    | "header"
                    | "footer"
                    | "pre"
                    | "table"
                    | "ul"
                    | "ol"
                    | "title"
                    | "blockquote"
            );
            i = rest.find('>').map_or(bytes.len(), |e| i + e + 1);
            if block {
                out.push('\n');
            } else {
                out.push(' ');
            }
            continue;
        }
        let next = html[i..].find('<').map_or(bytes.len(), |e| i + e);
        out.push_str(&decode_entities(&html[i..next]));
        i = next;
    }
    collapse_whitespace(&out)
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let end = rest.find(';').filter(|e| *e <= 10);
        let Some(end) = end else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            e if e.starts_with("#x") || e.starts_with("#X") => {
                u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32)
            }
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn collapse_whitespace(s: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in s.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            if lines.last().is_some_and(|l| !l.is_empty()) {
                lines.push(String::new());
            }
        } else {
            lines.push(words.join(" "));
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn strips_tags_scripts_and_entities() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body>\
                    <h1>Hello &amp; welcome</h1><script>alert(1)</script><p>One&nbsp;two</p></body></html>";
        assert_eq!(to_text(html), "Hello & welcome\n\nOne two");
    }
}
