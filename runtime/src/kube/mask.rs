//! Credential heuristics of the Kubernetes policy: which names suggest a
//! credential, and where credentials hide in ordinary text — a URL's
//! userinfo (`postgres://u:p@h/db`), `--password=...` / `--password x` arguments and
//! `password`/`secret`/`token` keys in properties, YAML, JSON and `.env`
//! content. Masked values become [`REDACTED`]; everything else is kept.

use serde_json::Value;

/// What a masked value becomes.
pub const REDACTED: &str = "***REDACTED***";

/// Whether a variable or key name suggests its value is a credential. A
/// name whose last word says it holds a reference (`TOKEN_FILE`,
/// `secretName`, `token_url`) does not.
pub fn looks_like_credential(name: &str) -> bool {
    const MARKERS: [&str; 12] = [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "privatekey",
        "private_key",
        "credential",
        "access_key",
    ];
    const REFERENCES: [&str; 14] = [
        "file", "path", "dir", "name", "ref", "url", "uri", "endpoint", "type", "ttl", "length", "policy", "mount",
        "env",
    ];
    let lower = name.to_ascii_lowercase();
    if !MARKERS.iter().any(|m| lower.contains(m)) {
        return false;
    }
    let last = last_word(name).to_ascii_lowercase();
    !REFERENCES.contains(&last.as_str())
}

/// The last word of `DB_TOKEN_FILE`, `secretName`, `spring.token-url`.
fn last_word(name: &str) -> &str {
    let trimmed = name.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut start = 0;
    let bytes = trimmed.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if !b.is_ascii_alphanumeric() {
            start = i + 1;
        } else if i > 0 && b.is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase() {
            start = i;
        }
    }
    &trimmed[start..]
}

/// `text` with every credential in it masked, or `None` when it holds none.
pub fn mask_text(text: &str) -> Option<String> {
    let pairs = mask_pairs(text);
    let urls = mask_userinfo(pairs.as_deref().unwrap_or(text));
    urls.or(pairs)
}

/// The password of every `scheme://user:password@host` in `text`.
fn mask_userinfo(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut masked = false;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(|c: char| "/?#\"'<> \t\r\n,;)]}`".contains(c)).unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(amp), Some(colon)) if colon < amp && authority[colon + 1..amp] != *REDACTED => {
                out.push_str(&authority[..=colon]);
                out.push_str(REDACTED);
                out.push_str(&authority[amp..]);
                masked = true;
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    masked.then_some(out)
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-.".contains(c)
}

/// Values of credential-like keys: `key=value`, `key: value`, `"key": "value"`,
/// `--key=value`, `?key=value&...`; a YAML block scalar (`key: |`) loses its
/// indented lines. References (`${VAR}`, `$(VAR)`, `{{ ... }}`) are kept.
fn mask_pairs(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut masked = false;
    let mut block_indent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        if let Some(key_indent) = block_indent {
            if body.trim().is_empty() || indent > key_indent {
                out.push_str(&line[..indent.min(body.len())]);
                if !body.trim().is_empty() {
                    out.push_str(REDACTED);
                }
                out.push_str(&line[body.len()..]);
                continue;
            }
            block_indent = None;
        }
        let (masked_line, block) = mask_line(body);
        if block {
            block_indent = Some(indent);
        }
        match masked_line {
            Some(l) => {
                masked = true;
                out.push_str(&l);
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
        masked |= block;
    }
    masked.then_some(out)
}

/// One line: its masked form, and whether it opens a YAML block scalar
/// whose lines are a credential.
fn mask_line(line: &str) -> (Option<String>, bool) {
    let mut out = String::with_capacity(line.len());
    let mut changed = false;
    let mut i = 0;
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let at_line_start = |pos: usize| {
        let before = line[..pos].trim_start();
        let before = before.strip_prefix("export ").unwrap_or(before).trim();
        before.is_empty() || before == "-" || before == "\"" || before == "'"
    };
    let mut last = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !is_key_char(c) || (i > 0 && is_key_char(chars[i - 1].1)) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && is_key_char(chars[j].1) {
            j += 1;
        }
        let key_end = chars.get(j).map_or(line.len(), |&(p, _)| p);
        let key = &line[start..key_end];
        let mut k = j;
        let quoted = chars.get(k).is_some_and(|&(_, q)| q == '"' || q == '\'');
        if quoted {
            k += 1;
        }
        while chars.get(k).is_some_and(|&(_, s)| s == ' ' || s == '\t') {
            k += 1;
        }
        let sep = chars.get(k).map(|&(_, s)| s);
        // `--password hunter2` inside one string: the next word is the value.
        if key.starts_with('-') && k > j && sep.is_some_and(|s| s != '-' && s != '=') {
            if looks_like_credential(key.trim_start_matches('-')) {
                let (vstart, _) = chars[k];
                let e = line[vstart..].find(|c: char| " \t;&|\"'`)".contains(c)).map_or(line.len(), |e| vstart + e);
                out.push_str(&line[last..vstart]);
                out.push_str(REDACTED);
                last = e;
                changed = true;
                i = chars.iter().position(|&(p, _)| p >= e.max(vstart + 1)).unwrap_or(chars.len());
            } else {
                i = j;
            }
            continue;
        }
        if !matches!(sep, Some('=') | Some(':')) || !looks_like_credential(key.trim_start_matches('-')) {
            i = j;
            continue;
        }
        // `key: value` only opens a line, follows a quoted key (JSON) or a `{`/`,`
        // (YAML flow); `a:b` inside a word (an image tag, a URL) is no pair.
        let flow = line[..start].trim_end_matches(['"', '\'']).trim_end().ends_with(['{', ',']);
        let spaced = chars.get(k + 1).is_some_and(|&(_, n)| n == ' ' || n == '\t');
        if sep == Some(':') && !(quoted || ((at_line_start(start) || flow) && spaced)) {
            i = j;
            continue;
        }
        k += 1;
        while chars.get(k).is_some_and(|&(_, s)| s == ' ' || s == '\t') {
            k += 1;
        }
        let Some(&(vstart, first)) = chars.get(k) else {
            i = k;
            continue;
        };
        let whole_line = at_line_start(start);
        let (from, to) = if first == '"' || first == '\'' {
            let mut e = k + 1;
            while e < chars.len() && chars[e].1 != first {
                e += if chars[e].1 == '\\' { 2 } else { 1 };
            }
            (vstart + 1, chars.get(e).map_or(line.len(), |&(p, _)| p))
        } else if whole_line {
            let v = line[vstart..].trim_end();
            let v = v.find(" #").map_or(v, |h| v[..h].trim_end()).trim_end_matches(',');
            (vstart, vstart + v.len())
        } else {
            let e = line[vstart..].find(|c: char| " \t&;,\"'}])`".contains(c)).map_or(line.len(), |e| vstart + e);
            (vstart, e)
        };
        let value = &line[from..to];
        let block = whole_line && sep == Some(':') && matches!(value, "|" | ">" | "|-" | ">-" | "|+" | ">+");
        if block {
            return (changed.then(|| format!("{out}{}", &line[last..])), true);
        }
        let reference = value.starts_with("${") || value.starts_with("$(") || value.starts_with("{{");
        if !(value.is_empty() || value == REDACTED || reference || first == '{' || first == '[') {
            out.push_str(&line[last..from]);
            out.push_str(REDACTED);
            last = to;
            changed = true;
        }
        i = chars.iter().position(|&(p, _)| p >= to.max(vstart + 1)).unwrap_or(chars.len());
    }
    (changed.then(|| format!("{out}{}", &line[last..])), false)
}

/// Mask a string in place; whether anything changed.
fn mask_string(v: &mut Value) -> bool {
    match v.as_str().and_then(mask_text) {
        Some(m) => {
            *v = Value::String(m);
            true
        }
        None => false,
    }
}

/// Container `args`/`command`: each entry's text, and the value after a
/// credential-like flag given as its own entry (`["--password", "x"]`).
fn mask_args(items: &mut [Value]) -> bool {
    let mut masked = false;
    let mut next_is_secret = false;
    for item in items {
        let Some(s) = item.as_str() else { continue };
        if next_is_secret && !s.starts_with('-') {
            *item = Value::String(REDACTED.into());
            masked = true;
            next_is_secret = false;
            continue;
        }
        next_is_secret = s.starts_with('-') && !s.contains('=') && looks_like_credential(s.trim_start_matches('-'));
        masked |= mask_string(item);
    }
    masked
}

/// Mask env values (credential-like names outright, credentials in any
/// other value), container args and commands, and URL passwords in every
/// other string of the object.
pub(super) fn mask_object(v: &mut Value) -> bool {
    let mut masked = false;
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("env", Value::Array(entries)) => {
                        for e in entries {
                            let secret_name = e.get("name").and_then(Value::as_str).is_some_and(looks_like_credential);
                            if let Some(value) = e.get_mut("value").filter(|v| v.is_string()) {
                                if secret_name {
                                    *value = Value::String(REDACTED.into());
                                    masked = true;
                                } else {
                                    masked |= mask_string(value);
                                }
                            }
                        }
                    }
                    ("args" | "command", Value::Array(items)) => masked |= mask_args(items),
                    (_, child @ Value::String(_)) => masked |= mask_userinfo_in(child),
                    (_, child) => masked |= mask_object(child),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                masked |= match item {
                    Value::String(_) => mask_userinfo_in(item),
                    other => mask_object(other),
                };
            }
        }
        _ => {}
    }
    masked
}

fn mask_userinfo_in(v: &mut Value) -> bool {
    match v.as_str().filter(|s| s.contains("://")).and_then(mask_userinfo) {
        Some(m) => {
            *v = Value::String(m);
            true
        }
        None => false,
    }
}

/// ConfigMap `data`: a credential-like key masks its whole value; any other
/// value (a properties, YAML, JSON or `.env` file) loses the credentials in it.
pub(super) fn mask_configmap_data(obj: &mut Value) -> bool {
    let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut) else { return false };
    let mut masked = false;
    for (key, v) in data.iter_mut() {
        if looks_like_credential(key) && v.as_str().is_some_and(|s| !s.is_empty()) {
            *v = Value::String(REDACTED.into());
            masked = true;
        } else {
            masked |= mask_string(v);
        }
    }
    masked
}

#[cfg(test)]
#[path = "mask_tests.rs"]
mod tests;
