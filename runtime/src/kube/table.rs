//! LIST rendered by the API server as a table (`as=Table`, what kubectl
//! prints). The server renders the columns for every kind it serves (CRDs
//! through their printer columns) and sends kilobytes instead of whole
//! objects, so summary lists cost less than the plain LIST they replace.

use super::KubeService;
use super::api::{ListOptions, ResourceRef};
use super::ops::{KubeFailure, list_request, parse_answer, shape_list};
use http::HeaderValue;
use http::header::ACCEPT;
use serde_json::{Map, Value, json};

/// Tables in meta.k8s.io v1 (1.15+) or v1beta1, else the plain list.
const TABLE_ACCEPT: &str =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// LIST as the server's table, rows with `{name, namespace, labels}` when
/// `row_metadata`; a server without tables answers with the plain list,
/// shaped as [`super::ops::list`] shapes it.
pub async fn list_table(
    svc: &KubeService,
    ctx: Option<&str>,
    target: &ResourceRef,
    o: &ListOptions,
    row_metadata: bool,
) -> Result<String, KubeFailure> {
    let mut req = list_request(svc, ctx, target, o).await?;
    let include = if row_metadata { "Metadata" } else { "None" };
    let uri = req.uri().to_string();
    let sep = if uri.ends_with('?') { "" } else { "&" };
    *req.uri_mut() =
        format!("{uri}{sep}includeObject={include}").parse().map_err(|e| KubeFailure::Invalid(format!("{e}")))?;
    req.headers_mut().insert(ACCEPT, HeaderValue::from_static(TABLE_ACCEPT));
    let mut v = parse_answer(&svc.client(ctx)?.request_text(req).await?)?;
    if v.get("kind").and_then(Value::as_str) != Some("Table") {
        return Ok(shape_list(svc, v));
    }
    slim(&mut v);
    svc.policy.redact_table(&mut v);
    Ok(v.to_string())
}

/// Drop column descriptions (documentation, repeated on every page) and
/// keep only name, namespace and labels of each row's object.
fn slim(table: &mut Value) {
    for column in table.get_mut("columnDefinitions").and_then(Value::as_array_mut).into_iter().flatten() {
        column.as_object_mut().map(|c| c.remove("description"));
    }
    for row in table.get_mut("rows").and_then(Value::as_array_mut).into_iter().flatten() {
        let Some(row) = row.as_object_mut() else { continue };
        let Some(object) = row.remove("object") else { continue };
        let mut meta = Map::new();
        for key in ["name", "namespace", "labels"] {
            if let Some(v) = object.pointer(&format!("/metadata/{key}")) {
                meta.insert(key.into(), v.clone());
            }
        }
        row.insert("object".into(), json!({ "metadata": meta }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slim_keeps_cells_and_identity_only() {
        let mut t = json!({"kind": "Table",
        "columnDefinitions": [{"name": "Name", "type": "string", "description": "long text", "priority": 0}],
        "rows": [
            {"cells": ["a"], "object": {"kind": "PartialObjectMetadata", "metadata": {"name": "a", "namespace": "n",
                "labels": {"app": "x"}, "annotations": {"big": "…"}, "managedFields": [{"manager": "kubectl"}]}}},
            {"cells": ["b"]}
        ]});
        slim(&mut t);
        assert_eq!(t["columnDefinitions"][0], json!({"name": "Name", "type": "string", "priority": 0}));
        assert_eq!(
            t["rows"][0]["object"],
            json!({"metadata": {"name": "a", "namespace": "n", "labels": {"app": "x"}}})
        );
        assert_eq!(t["rows"][1], json!({"cells": ["b"]}));
    }
}
