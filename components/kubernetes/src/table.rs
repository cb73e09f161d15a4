//! Summary rows from the API server's table rendering: the columns kubectl
//! prints (CRDs: their printer columns), one object per row.

use k8s_mcp_sdk::prelude::*;
use serde_json::Map;

/// `Nominated Node` -> `nominatedNode`, `UP-TO-DATE` -> `upToDate`.
pub fn column_key(name: &str) -> String {
    let mut key = String::new();
    for (i, word) in name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).enumerate() {
        let lower = word.to_lowercase();
        let mut chars = lower.chars();
        match (i, chars.next()) {
            (0, Some(c)) => key.extend(std::iter::once(c).chain(chars)),
            (_, Some(c)) => key.extend(c.to_uppercase().chain(chars)),
            _ => {}
        }
    }
    if key.is_empty() { "column".into() } else { key }
}

/// Unset cells of the wide (priority > 0) columns are left out of a row.
fn blank(cell: &Value) -> bool {
    match cell {
        Value::Null => true,
        Value::String(s) => s.is_empty() || s == "<none>",
        _ => false,
    }
}

/// `{"columns": [...], "items": [...]}` from a `Table`: each row keyed by its
/// column keys, plus `namespace` unless the list is of one namespace and
/// `labels` when asked for (both from the row's object metadata).
pub fn rows(table: &Value, labels: bool, one_namespace: bool) -> Value {
    let mut keys: Vec<(String, bool)> = Vec::new();
    for c in table["columnDefinitions"].as_array().into_iter().flatten() {
        let mut key = column_key(c["name"].as_str().unwrap_or_default());
        if keys.iter().any(|(k, _)| *k == key) {
            key = format!("{key}{}", keys.len());
        }
        keys.push((key, c["priority"].as_i64().unwrap_or(0) > 0));
    }
    let items: Vec<Value> = table["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            let mut out = Map::new();
            let cells = row["cells"].as_array().map(Vec::as_slice).unwrap_or_default();
            for ((key, wide), cell) in keys.iter().zip(cells) {
                if !(*wide && blank(cell)) {
                    out.insert(key.clone(), cell.clone());
                }
            }
            let meta = &row["object"]["metadata"];
            if !one_namespace && let Some(ns) = meta["namespace"].as_str() {
                out.insert("namespace".into(), json!(ns));
            }
            if labels {
                out.insert("labels".into(), meta.get("labels").cloned().unwrap_or_else(|| json!({})));
            }
            Value::Object(out)
        })
        .collect();
    json!({"columns": keys.into_iter().map(|(k, _)| k).collect::<Vec<_>>(), "items": items})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_keys_are_camel_case() {
        assert_eq!(column_key("Name"), "name");
        assert_eq!(column_key("Nominated Node"), "nominatedNode");
        assert_eq!(column_key("UP-TO-DATE"), "upToDate");
        assert_eq!(column_key("IP"), "ip");
        assert_eq!(column_key("Created At"), "createdAt");
        assert_eq!(column_key("--"), "column");
    }

    #[test]
    fn rows_follow_columns_and_skip_blank_wide_cells() {
        let table = json!({"kind": "Table",
        "columnDefinitions": [
            {"name": "Name", "priority": 0}, {"name": "Status", "priority": 0},
            {"name": "Restarts", "priority": 0}, {"name": "Node", "priority": 1}, {"name": "Nominated Node", "priority": 1}],
        "rows": [
            {"cells": ["a", "Running", 0, "n1", "<none>"],
             "object": {"metadata": {"name": "a", "namespace": "x", "labels": {"app": "a"}}}},
            {"cells": ["b", "", 3, "<none>", "<none>"]}
        ]});
        let out = rows(&table, true, false);
        assert_eq!(out["columns"], json!(["name", "status", "restarts", "node", "nominatedNode"]));
        assert_eq!(
            out["items"][0],
            json!({"name": "a", "status": "Running", "restarts": 0, "node": "n1", "namespace": "x", "labels": {"app": "a"}})
        );
        assert_eq!(out["items"][1], json!({"name": "b", "status": "", "restarts": 3, "labels": {}}));
        let one_ns = rows(&table, false, true);
        assert_eq!(one_ns["items"][0], json!({"name": "a", "status": "Running", "restarts": 0, "node": "n1"}));
    }
}
