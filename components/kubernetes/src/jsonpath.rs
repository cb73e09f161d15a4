//! A small JSONPath subset: `{.status.phase}` or `status.phase`, `[0]`,
//! `[*]`, `['key.with.dots']`, `\.` escapes inside names, and filters
//! `[?(@.type=="Ready")]` (`==`/`!=` against a quoted string, number or bool).

use k8s_mcp_sdk::prelude::*;

#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(i64),
    All,
    /// `?(@.a.b == "v")`: keep array elements whose `a.b` equals (or not) `v`.
    Filter(Vec<String>, bool, Value),
}

fn parse_filter(inner: &str) -> Option<Step> {
    let body = inner.strip_prefix("?(")?.strip_suffix(')')?.trim();
    let (lhs, rhs, eq) = match body.split_once("!=") {
        Some((l, r)) => (l, r, false),
        None => body.split_once("==").map(|(l, r)| (l, r, true))?,
    };
    let path: Vec<String> = lhs.trim().strip_prefix("@.")?.split('.').map(String::from).collect();
    let rhs = rhs.trim();
    let value = if let Some(q) = rhs
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| rhs.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
    {
        Value::String(q.to_string())
    } else {
        serde_json::from_str(rhs).unwrap_or_else(|_| Value::String(rhs.to_string()))
    };
    Some(Step::Filter(path, eq, value))
}

fn parse(path: &str) -> Result<Vec<Step>, ToolError> {
    let mut p = path.trim();
    if let Some(inner) = p.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        p = inner.trim();
    }
    let p = p.strip_prefix('$').unwrap_or(p);
    let bad = |why: &str| ToolError::invalid(format!("jsonpath `{path}`: {why}"));
    let chars: Vec<char> = p.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    let mut key = String::new();
    let flush = |key: &mut String, steps: &mut Vec<Step>| {
        if !key.is_empty() {
            steps.push(Step::Key(std::mem::take(key)));
        }
    };
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                key.push(chars[i + 1]);
                i += 2;
            }
            '.' => {
                flush(&mut key, &mut steps);
                i += 1;
            }
            '[' => {
                flush(&mut key, &mut steps);
                let end = chars[i..].iter().position(|&c| c == ']').ok_or_else(|| bad("unclosed `[`"))? + i;
                let inner: String = chars[i + 1..end].iter().collect();
                let inner = inner.trim();
                if inner == "*" {
                    steps.push(Step::All);
                } else if inner.starts_with('?') {
                    steps.push(
                        parse_filter(inner).ok_or_else(|| {
                            bad(&format!("unsupported filter `[{inner}]` (use ?(@.field==\"value\"))"))
                        })?,
                    );
                } else if let Some(q) = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                {
                    steps.push(Step::Key(q.to_string()));
                } else {
                    let n: i64 =
                        inner.parse().map_err(|_| bad(&format!("`[{inner}]` is not an index, `*` or a quoted key")))?;
                    steps.push(Step::Index(n));
                }
                i = end + 1;
            }
            '*' if key.is_empty() => {
                steps.push(Step::All);
                i += 1;
            }
            c => {
                key.push(c);
                i += 1;
            }
        }
    }
    flush(&mut key, &mut steps);
    Ok(steps)
}

fn walk(v: &Value, steps: &[Step], out: &mut Vec<Value>) {
    let Some((first, rest)) = steps.split_first() else {
        out.push(v.clone());
        return;
    };
    match first {
        Step::Key(k) => {
            if let Some(next) = v.get(k.as_str()) {
                walk(next, rest, out);
            }
        }
        Step::Index(n) => {
            if let Some(arr) = v.as_array() {
                let idx = if *n < 0 { arr.len() as i64 + n } else { *n };
                if idx >= 0
                    && let Some(next) = arr.get(idx as usize)
                {
                    walk(next, rest, out);
                }
            }
        }
        Step::Filter(path, eq, want) => {
            for x in v.as_array().into_iter().flatten() {
                let got = path.iter().try_fold(x, |cur, k| cur.get(k.as_str()));
                if (got == Some(want)) == *eq {
                    walk(x, rest, out);
                }
            }
        }
        Step::All => match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, rest, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, rest, out)),
            _ => {}
        },
    }
}

/// Evaluate `path` on `v`: one match gives that value, `[*]` several an array.
/// No match is an error naming the path.
pub fn eval(v: &Value, path: &str) -> Result<Value, ToolError> {
    let steps = parse(path)?;
    let wildcard = steps.contains(&Step::All);
    let filtered = steps.iter().any(|s| matches!(s, Step::Filter(..)));
    let mut out = Vec::new();
    walk(v, &steps, &mut out);
    if wildcard || (filtered && out.len() != 1) {
        return Ok(Value::Array(out));
    }
    out.pop().ok_or_else(|| ToolError::not_found(format!("jsonpath `{path}` matched nothing")))
}
