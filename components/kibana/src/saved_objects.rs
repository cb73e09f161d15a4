//! Saved objects API (`/api/saved_objects/...`): find, get, create, update,
//! delete, bulk delete, export (NDJSON) and import (multipart), plus the
//! shared helpers the dashboard, visualization and index-pattern tools use.

use crate::client::{Kibana, SpaceArg, array_arg, clip, object_arg, optional, paging, required, seg};
use k8s_mcp_sdk::prelude::*;

/// Types searched when a search names none.
pub const COMMON_TYPES: &[&str] =
    &["dashboard", "visualization", "lens", "search", "index-pattern", "map", "canvas-workpad"];
/// Largest export text returned (the NDJSON is meant to be fed back to import).
const MAX_EXPORT_BYTES: usize = 1024 * 1024;
const MAX_EXPORT_OBJECTS: usize = 100;

/// One `_find` request.
#[derive(Default)]
pub struct Find {
    pub types: Vec<String>,
    pub search: Option<String>,
    pub page: u32,
    pub per_page: u32,
    pub sort_field: Option<String>,
    pub has_reference: Option<String>,
    pub fields: Vec<String>,
}

/// GET /api/saved_objects/_find (Kibana docs: "Search for saved objects").
pub fn find(k: &Kibana, f: &Find) -> Result<Value, ToolError> {
    let mut q: Vec<(&str, Option<String>)> = f.types.iter().map(|t| ("type", Some(t.clone()))).collect();
    q.push(("page", Some(f.page.to_string())));
    q.push(("per_page", Some(f.per_page.to_string())));
    q.push(("search", f.search.clone()));
    q.push(("sort_field", f.sort_field.clone()));
    q.push(("has_reference", f.has_reference.clone()));
    for field in &f.fields {
        q.push(("fields", Some(field.clone())));
    }
    k.get("/api/saved_objects/_find", &q)
}

/// The title of a saved object (spaces and rules use `name`).
pub fn title_of(o: &Value) -> Value {
    let a = &o["attributes"];
    a.get("title").or_else(|| a.get("name")).cloned().unwrap_or(Value::Null)
}

/// A compact row for tables.
pub fn row(o: &Value, with_description: bool) -> Value {
    let mut r = json!({ "id": o["id"], "type": o["type"], "title": title_of(o), "updated_at": o["updated_at"] });
    if with_description && let Some(d) = o["attributes"].get("description").and_then(Value::as_str) {
        r["description"] = json!(clip(d, 300));
    }
    r
}

/// A `_find` answer as a bounded listing: compact rows unless `raw`.
pub fn listing(k: &Kibana, resp: &Value, raw: bool, with_description: bool) -> Value {
    let objects = resp["saved_objects"].as_array().cloned().unwrap_or_default();
    let items: Vec<Value> = if raw { objects } else { objects.iter().map(|o| row(o, with_description)).collect() };
    json!({
        "space": k.space(),
        "total": resp["total"],
        "page": resp["page"],
        "per_page": resp["per_page"],
        "count": items.len(),
        "saved_objects": items,
    })
}

/// GET /api/saved_objects/{type}/{id} ("Get a saved object").
pub fn get_object(k: &Kibana, kind: &str, id: &str) -> Result<Value, ToolError> {
    k.get(&format!("/api/saved_objects/{}/{}", seg(kind), seg(id)), &[])
}

/// POST /api/saved_objects/{type}[/{id}] ("Create a saved object").
pub fn create_object(k: &Kibana, kind: &str, id: Option<&str>, body: &Value) -> Result<Value, ToolError> {
    let path = match id {
        Some(id) => format!("/api/saved_objects/{}/{}", seg(kind), seg(id)),
        None => format!("/api/saved_objects/{}", seg(kind)),
    };
    k.write("POST", &path, &[], Some(body))
}

/// PUT /api/saved_objects/{type}/{id} ("Update a saved object").
pub fn update_object(k: &Kibana, kind: &str, id: &str, body: &Value) -> Result<Value, ToolError> {
    k.write("PUT", &format!("/api/saved_objects/{}/{}", seg(kind), seg(id)), &[], Some(body))
}

/// DELETE /api/saved_objects/{type}/{id} ("Delete a saved object").
pub fn delete_object(k: &Kibana, kind: &str, id: &str, force: bool) -> Result<Value, ToolError> {
    let query = [("force", force.then(|| "true".to_string()))];
    k.write("DELETE", &format!("/api/saved_objects/{}/{}", seg(kind), seg(id)), &query, None)?;
    Ok(json!({ "deleted": true, "type": kind, "id": id, "space": k.space() }))
}

/// Copy an object under a new title (GET, then POST with a fresh id).
pub fn clone_object(k: &Kibana, kind: &str, id: &str, new_title: &str) -> Result<Value, ToolError> {
    let source = get_object(k, kind, id)?;
    let mut attributes = source["attributes"].clone();
    attributes["title"] = json!(new_title);
    let body =
        json!({ "attributes": attributes, "references": source["references"].as_array().cloned().unwrap_or_default() });
    let created = create_object(k, kind, None, &body)?;
    Ok(json!({ "cloned_from": id, "id": created["id"], "type": kind, "title": new_title, "space": k.space() }))
}

/// A saved-object version: the API's opaque string (numbers accepted too).
pub fn version_arg(v: &Option<Value>) -> Result<Option<String>, ToolError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ToolError::invalid("`version` must be a string")),
    }
}

/// The summary of a write: no full payload unless the caller asks for it.
pub fn written(o: &Value, k: &Kibana) -> Value {
    json!({ "id": o["id"], "type": o["type"], "title": title_of(o), "version": o["version"], "updated_at": o["updated_at"], "space": k.space() })
}

#[derive(Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Saved object type (dashboard, visualization, lens, search, index-pattern, map, ...); default the common types.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Search text (Elasticsearch simple_query_string over titles; `web*` for prefixes).
    search: Option<String>,
    /// Page number from 1.
    page: Option<u32>,
    /// Objects per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    /// Return the full saved objects instead of compact rows.
    raw: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

fn types_of(kind: &Option<String>) -> Vec<String> {
    match optional(kind) {
        Some(t) => t.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        None => COMMON_TYPES.iter().map(|s| s.to_string()).collect(),
    }
}

pub fn search_saved_objects(a: SearchArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, a.per_page)?;
    let f = Find { types: types_of(&a.kind), search: optional(&a.search), page, per_page, ..Find::default() };
    Output::json(&listing(&k, &find(&k, &f)?, a.raw.unwrap_or(false), true))
}

#[derive(Deserialize, JsonSchema)]
pub struct AdvancedArgs {
    /// Saved object type(s), comma-separated; default the common types.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Search text (simple_query_string).
    search: Option<String>,
    /// Page number from 1.
    page: Option<u32>,
    /// Objects per page (default 30, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    /// Field Kibana sorts by (default `title`).
    #[serde(alias = "sortField")]
    sort_field: Option<String>,
    /// `asc` or `desc` (default asc). Kibana's find API sorts ascending; `desc` reverses the returned page.
    #[serde(alias = "sortOrder")]
    sort_order: Option<String>,
    /// Only objects referencing this object: `type:id` or `{"type":..,"id":..}`.
    #[serde(alias = "hasReference")]
    has_reference: Option<String>,
    /// Attributes to return (others are left out of each object).
    fields: Option<Value>,
    /// Return full saved objects instead of compact rows.
    raw: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

fn reference_filter(r: &str) -> Result<String, ToolError> {
    if r.trim_start().starts_with('{') {
        let v: Value = serde_json::from_str(r).map_err(|_| ToolError::invalid("`has_reference` is not valid JSON"))?;
        if v.get("type").and_then(Value::as_str).is_none() || v.get("id").and_then(Value::as_str).is_none() {
            return Err(ToolError::invalid("`has_reference` needs `type` and `id`"));
        }
        return Ok(v.to_string());
    }
    match r.split_once(':') {
        Some((t, id)) if !t.trim().is_empty() && !id.trim().is_empty() => {
            Ok(json!({ "type": t.trim(), "id": id.trim() }).to_string())
        }
        _ => Err(ToolError::invalid("`has_reference` must be `type:id` or a JSON object with type and id")),
    }
}

pub fn search_saved_objects_advanced(a: AdvancedArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, Some(a.per_page.unwrap_or(30)))?;
    let desc = match optional(&a.sort_order).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(o) => return Err(ToolError::invalid(format!("`sort_order` must be asc or desc, got `{o}`"))),
    };
    let fields = array_arg("fields", a.fields)?
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.as_str().map(str::to_string).ok_or_else(|| ToolError::invalid("`fields` must be strings")))
        .collect::<Result<Vec<_>, _>>()?;
    let f = Find {
        types: types_of(&a.kind),
        search: optional(&a.search),
        page,
        per_page,
        sort_field: Some(optional(&a.sort_field).unwrap_or_else(|| "title".into())),
        has_reference: optional(&a.has_reference).map(|r| reference_filter(&r)).transpose()?,
        fields,
    };
    let mut out = listing(&k, &find(&k, &f)?, a.raw.unwrap_or(false), true);
    if desc && let Some(items) = out["saved_objects"].as_array_mut() {
        items.reverse();
    }
    out["sort"] = json!({ "field": f.sort_field, "order": if desc { "desc" } else { "asc" } });
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct TypeListArgs {
    /// Page number from 1.
    page: Option<u32>,
    /// Objects per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    /// Search text over titles.
    search: Option<String>,
    /// Return full saved objects instead of compact rows.
    raw: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// A bounded listing of one saved-object type.
pub fn list_type(kind: &str, a: TypeListArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, a.per_page)?;
    let f = Find { types: vec![kind.to_string()], search: optional(&a.search), page, per_page, ..Find::default() };
    Output::json(&listing(&k, &find(&k, &f)?, a.raw.unwrap_or(false), true))
}

#[derive(Deserialize, JsonSchema)]
pub struct SavedSearchArgs {
    /// Saved search (Discover session) ID.
    #[serde(alias = "searchId")]
    search_id: String,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn get_saved_search(a: SavedSearchArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    Output::json(&get_object(&k, "search", required("search_id", &a.search_id)?)?)
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Saved object type, e.g. `dashboard`, `visualization`, `search`, `tag`.
    #[serde(rename = "type")]
    kind: String,
    /// The object's attributes.
    attributes: Value,
    /// References to other saved objects: `[{"name","type","id"}]`.
    references: Option<Value>,
    /// Accepted for compatibility with the Go server; Kibana has no such option and it is not sent.
    #[serde(alias = "initial_object_type")]
    #[serde(rename = "initialObjectType")]
    _initial_object_type: Option<String>,
    /// Identifier for the new object (default: Kibana generates one).
    id: Option<String>,
    /// Replace an existing object of that id.
    overwrite: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn create_saved_object(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let kind = required("type", &a.kind)?;
    let attributes = object_arg("attributes", Some(a.attributes))?
        .ok_or_else(|| ToolError::invalid("`attributes` must be a non-empty object"))?;
    let mut body = json!({ "attributes": attributes });
    if let Some(r) = array_arg("references", a.references)? {
        body["references"] = json!(r);
    }
    let path = match optional(&a.id) {
        Some(id) => format!("/api/saved_objects/{}/{}", seg(kind), seg(&id)),
        None => format!("/api/saved_objects/{}", seg(kind)),
    };
    let query = [("overwrite", a.overwrite.filter(|o| *o).map(|_| "true".to_string()))];
    let created = k.write("POST", &path, &query, Some(&body))?;
    Output::json(&written(&created, &k))
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// Saved object type.
    #[serde(rename = "type")]
    kind: String,
    /// Saved object ID.
    #[serde(alias = "objectId")]
    object_id: String,
    /// Attributes to change (merged into the stored ones).
    attributes: Option<Value>,
    /// New references (replace the stored ones).
    references: Option<Value>,
    /// Version from a previous read, for optimistic concurrency.
    version: Option<Value>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn update_saved_object(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let kind = required("type", &a.kind)?;
    let id = required("object_id", &a.object_id)?;
    let attributes = object_arg("attributes", a.attributes)?;
    let references = array_arg("references", a.references)?;
    if attributes.is_none() && references.is_none() {
        return Err(ToolError::invalid("give `attributes` and/or `references` to change"));
    }
    let mut body = json!({ "attributes": attributes.unwrap_or_else(|| json!({})) });
    if let Some(r) = references {
        body["references"] = json!(r);
    }
    if let Some(v) = version_arg(&a.version)? {
        body["version"] = json!(v);
    }
    let updated = update_object(&k, kind, id, &body)?;
    Output::json(&written(&updated, &k))
}

#[derive(Deserialize, JsonSchema)]
pub struct DeleteArgs {
    /// Saved object type.
    #[serde(rename = "type")]
    kind: String,
    /// Saved object ID.
    #[serde(alias = "objectId")]
    object_id: String,
    /// Delete even when the object is shared to several spaces.
    force: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn delete_saved_object(a: DeleteArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let out =
        delete_object(&k, required("type", &a.kind)?, required("object_id", &a.object_id)?, a.force.unwrap_or(false))?;
    Output::json(&out)
}

/// `[{type, id}]` from the argument, validated.
fn object_refs(value: Value, max: usize) -> Result<Vec<Value>, ToolError> {
    let items = array_arg("objects", Some(value))?.unwrap_or_default();
    if items.is_empty() {
        return Err(ToolError::invalid("`objects` needs at least one {\"type\", \"id\"}"));
    }
    if items.len() > max {
        return Err(ToolError::invalid(format!("`objects` takes at most {max} entries, got {}", items.len())));
    }
    items
        .iter()
        .map(|o| match (o.get("type").and_then(Value::as_str), o.get("id").and_then(Value::as_str)) {
            (Some(t), Some(id)) if !t.is_empty() && !id.is_empty() => Ok(json!({ "type": t, "id": id })),
            _ => Err(ToolError::invalid("each entry of `objects` needs string `type` and `id`")),
        })
        .collect()
}

#[derive(Deserialize, JsonSchema)]
pub struct BulkDeleteArgs {
    /// Objects to delete: `[{"type": "dashboard", "id": "..."}]` (at most 100).
    objects: Value,
    /// Delete objects shared to several spaces too.
    force: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn bulk_delete_saved_objects(a: BulkDeleteArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let objects = json!(object_refs(a.objects, 100)?);
    let query = [("force", a.force.filter(|f| *f).map(|_| "true".to_string()))];
    let resp = k.write("POST", "/api/saved_objects/_bulk_delete", &query, Some(&objects))?;
    let statuses = resp["statuses"].as_array().cloned().unwrap_or_default();
    let deleted = statuses.iter().filter(|s| s["success"] == json!(true)).count();
    Output::json(
        &json!({ "space": k.space(), "deleted": deleted, "failed": statuses.len() - deleted, "statuses": statuses }),
    )
}

#[derive(Deserialize, JsonSchema)]
pub struct ExportArgs {
    /// Objects to export: `[{"type": "dashboard", "id": "..."}]` (at most 100).
    objects: Value,
    /// Include the objects they reference, recursively (default true).
    #[serde(rename = "includeReferences", alias = "include_references")]
    include_references: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn export_saved_objects(a: ExportArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let objects = object_refs(a.objects, MAX_EXPORT_OBJECTS)?;
    let body = json!({ "objects": objects, "includeReferencesDeep": a.include_references.unwrap_or(true) });
    let req = k.request("POST", &k.scoped("/api/saved_objects/_export"), &[]).json_body(&body)?;
    let resp = k.send_raw(req.max_response_bytes(MAX_EXPORT_BYTES))?;
    let text = resp.text();
    let mut exported = Vec::new();
    let mut details = Value::Null;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line)
            .map_err(|e| ToolError::upstream(format!("kibana export: bad NDJSON line: {e}")))?;
        if v.get("exportedCount").is_some() {
            details = v;
        } else {
            exported.push(json!({ "type": v["type"], "id": v["id"], "title": title_of(&v) }));
        }
    }
    Output::json(
        &json!({ "space": k.space(), "count": exported.len(), "objects": exported, "details": details, "ndjson": text }),
    )
}

#[derive(Deserialize, JsonSchema)]
pub struct ImportArgs {
    /// NDJSON content as produced by export (one saved object per line).
    file: String,
    /// Import as new copies with fresh IDs (cannot be combined with `overwrite`).
    #[serde(rename = "createNewCopies", alias = "create_new_copies")]
    create_new_copies: Option<bool>,
    /// Overwrite objects that already exist.
    overwrite: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn import_saved_objects(a: ImportArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let content = required("file", &a.file)?;
    for (n, line) in content.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        if !serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object()) {
            return Err(ToolError::invalid(format!("`file` line {} is not a JSON object (NDJSON expected)", n + 1)));
        }
    }
    let copies = a.create_new_copies.unwrap_or(false);
    let overwrite = a.overwrite.unwrap_or(false);
    if copies && overwrite {
        return Err(ToolError::invalid("`createNewCopies` and `overwrite` cannot be combined"));
    }
    let mut boundary = "kibana-import-5f1c2a9e7b".to_string();
    while content.contains(&boundary) {
        boundary.push('x');
    }
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"import.ndjson\"\r\n\
         Content-Type: application/ndjson\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    let query =
        [("createNewCopies", copies.then(|| "true".to_string())), ("overwrite", overwrite.then(|| "true".to_string()))];
    let req = k
        .request("POST", &k.scoped("/api/saved_objects/_import"), &query)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body);
    let resp = k.send(req)?;
    Output::json(&json!({
        "space": k.space(),
        "success": resp["success"],
        "successCount": resp["successCount"],
        "successResults": resp["successResults"],
        "errors": resp.get("errors").cloned().unwrap_or_else(|| json!([])),
    }))
}
