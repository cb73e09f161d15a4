//! Argument helpers shared by the tools.

pub use crate::release::R;
use k8s_mcp_sdk::kube;
use k8s_mcp_sdk::prelude::*;

/// Select the kubeconfig context for the rest of the call (none: default).
pub fn use_context(context: &Option<String>) -> R<()> {
    let name = context.as_deref().map(str::trim).filter(|c| !c.is_empty());
    kube::use_context(name)?;
    Ok(())
}

/// A required, non-blank string argument.
pub fn required<'a>(value: &'a str, what: &str) -> R<&'a str> {
    let v = value.trim();
    if v.is_empty() { Err(ToolError::invalid(format!("`{what}` must not be empty"))) } else { Ok(v) }
}

/// Trimmed, non-empty optional string.
pub fn opt(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

/// `limit` with a default and a cap; 0 or negative is invalid.
pub fn limit(value: Option<i64>, default: usize, cap: usize, what: &str) -> R<usize> {
    match value {
        None => Ok(default),
        Some(n) if n <= 0 => Err(ToolError::invalid(format!("`{what}` must be at least 1 (got {n})"))),
        Some(n) => Ok((n as usize).min(cap)),
    }
}

/// A flag sent as a boolean or as a string (`"true"`, `"1"`, `"yes"`).
pub fn truthy(v: &Option<Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on"),
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

/// `offset:N` paging tokens (as the reference server issues them).
pub fn offset_token(token: &Option<String>) -> R<usize> {
    match opt(token) {
        None => Ok(0),
        Some(t) => t
            .strip_prefix("offset:")
            .unwrap_or(&t)
            .parse()
            .map_err(|_| ToolError::invalid(format!("`continueToken` must look like `offset:N`, got `{t}`"))),
    }
}

/// One page of `items` from `offset`, with the token of the next page.
pub fn page(items: Vec<Value>, offset: usize, limit: usize) -> (Vec<Value>, Option<String>, usize) {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let next = (offset + page.len() < total).then(|| format!("offset:{}", offset + page.len()));
    (page, next, total)
}
