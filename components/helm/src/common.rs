//! Argument helpers shared by the tools, on top of the SDK's.

pub use crate::release::R;
use k8s_mcp_sdk::prelude::*;

pub use k8s_mcp_sdk::args::{DryRun, optional, required, select_context};

// A release: `name` and `namespace`, with the `context` whose cluster holds
// it. (No doc comment: schemars would make it the description of every
// argument struct that flattens it.)
#[derive(Deserialize, JsonSchema)]
#[serde(remote = "Self")]
pub struct ReleaseRef {
    pub name: String,
    pub namespace: String,
    #[serde(default)]
    pub context: Option<String>,
}
k8s_mcp_sdk::flattened_args!(ReleaseRef);

impl ReleaseRef {
    /// Name and namespace, neither blank.
    pub fn names(&self) -> R<(&str, &str)> {
        Ok((required("name", &self.name)?, required("namespace", &self.namespace)?))
    }

    /// Select the release's context for the rest of the call, then [`Self::names`].
    pub fn select(&self) -> R<(&str, &str)> {
        select_context(&self.context)?;
        self.names()
    }
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
    match optional(token) {
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
