//! Spaces API (`/api/spaces/space`, Kibana docs: "Spaces"). Spaces are
//! global, so these routes never take a space prefix.

use crate::client::{Kibana, array_arg, clip, kibana, optional, required, seg, valid_space};
use crate::saved_objects::{COMMON_TYPES, Find, find};
use k8s_mcp_sdk::prelude::*;

const MAX_SPACES: usize = 100;

fn row(s: &Value) -> Value {
    let mut r = json!({ "id": s["id"], "name": s["name"], "disabledFeatures": s["disabledFeatures"] });
    if let Some(d) = s.get("description").and_then(Value::as_str) {
        r["description"] = json!(clip(d, 200));
    }
    r
}

fn all_spaces(k: &Kibana) -> Result<Vec<Value>, ToolError> {
    Ok(k.global("GET", "/api/spaces/space", None)?.as_array().cloned().unwrap_or_default())
}

#[derive(Deserialize, JsonSchema)]
pub struct ListArgs {
    /// Return the full space objects.
    raw: Option<bool>,
}

/// GET /api/spaces/space ("Get all spaces").
pub fn get_spaces(a: ListArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = kibana(ctx, None)?;
    let all = all_spaces(&k)?;
    let items: Vec<Value> =
        all.iter().take(MAX_SPACES).map(|s| if a.raw == Some(true) { s.clone() } else { row(s) }).collect();
    Output::json(&json!({ "total": all.len(), "count": items.len(), "spaces": items }))
}

#[derive(Deserialize, JsonSchema)]
pub struct SummaryArgs {
    /// Most spaces to list (default 20, at most 100).
    limit: Option<u32>,
}

pub fn spaces_summary(a: SummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let limit = match a.limit {
        Some(0) => return Err(ToolError::invalid("`limit` must be at least 1")),
        Some(n) => (n as usize).min(MAX_SPACES),
        None => 20,
    };
    let k = kibana(ctx, None)?;
    let all = all_spaces(&k)?;
    let items: Vec<Value> = all.iter().take(limit).map(|s| json!({ "id": s["id"], "name": s["name"] })).collect();
    Output::json(
        &json!({ "total": all.len(), "count": items.len(), "truncated": all.len() > items.len(), "spaces": items }),
    )
}

#[derive(Deserialize, JsonSchema)]
pub struct IdArgs {
    /// Space ID.
    #[serde(alias = "spaceId")]
    space_id: String,
}

/// GET /api/spaces/space/{id} ("Get a space").
pub fn get_space(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = kibana(ctx, None)?;
    let id = valid_space(required("space_id", &a.space_id)?, "space_id")?;
    Output::json(&k.global("GET", &format!("/api/spaces/space/{}", seg(&id)), None)?)
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Space ID (lowercase letters, digits, `_`, `-`); used in URLs as `/s/{id}`.
    id: String,
    /// Display name.
    name: String,
    description: Option<String>,
    /// Avatar colour, e.g. `#aabbcc`.
    color: Option<String>,
    /// Avatar initials (at most 2 characters).
    initials: Option<String>,
    /// Features hidden in this space, e.g. `["dev_tools"]`.
    #[serde(rename = "disabledFeatures", alias = "disabled_features")]
    disabled_features: Option<Value>,
}

fn features(v: Option<Value>) -> Result<Option<Vec<Value>>, ToolError> {
    let f = array_arg("disabledFeatures", v)?;
    if let Some(f) = &f
        && f.iter().any(|x| !x.is_string())
    {
        return Err(ToolError::invalid("`disabledFeatures` must be strings"));
    }
    Ok(f)
}

fn check_initials(i: &Option<String>) -> Result<(), ToolError> {
    match i {
        Some(i) if i.chars().count() > 2 => Err(ToolError::invalid("`initials` takes at most 2 characters")),
        _ => Ok(()),
    }
}

/// POST /api/spaces/space ("Create a space").
pub fn create_space(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = kibana(ctx, None)?;
    let id = valid_space(required("id", &a.id)?, "id")?;
    check_initials(&a.initials)?;
    let mut body = json!({ "id": id, "name": required("name", &a.name)? });
    if let Some(d) = &a.description {
        body["description"] = json!(d);
    }
    if let Some(c) = optional(&a.color) {
        body["color"] = json!(c);
    }
    if let Some(i) = optional(&a.initials) {
        body["initials"] = json!(i);
    }
    body["disabledFeatures"] = json!(features(a.disabled_features)?.unwrap_or_default());
    Output::json(&k.global("POST", "/api/spaces/space", Some(&body))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// Space ID.
    #[serde(alias = "spaceId")]
    space_id: String,
    name: Option<String>,
    description: Option<String>,
    color: Option<String>,
    initials: Option<String>,
    #[serde(rename = "disabledFeatures", alias = "disabled_features")]
    disabled_features: Option<Value>,
}

/// GET the space, merge, PUT /api/spaces/space/{id} ("Update a space"; the API wants the whole space).
pub fn update_space(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = kibana(ctx, None)?;
    let id = valid_space(required("space_id", &a.space_id)?, "space_id")?;
    check_initials(&a.initials)?;
    let path = format!("/api/spaces/space/{}", seg(&id));
    let mut space = k.global("GET", &path, None)?;
    let mut changed = false;
    for (key, v) in [
        ("name", optional(&a.name)),
        ("description", a.description.clone()),
        ("color", optional(&a.color)),
        ("initials", optional(&a.initials)),
    ] {
        if let Some(v) = v {
            space[key] = json!(v);
            changed = true;
        }
    }
    if let Some(f) = features(a.disabled_features)? {
        space["disabledFeatures"] = json!(f);
        changed = true;
    }
    if !changed {
        return Err(ToolError::invalid(
            "nothing to update: give name, description, color, initials or disabledFeatures",
        ));
    }
    if let Some(o) = space.as_object_mut() {
        o.remove("_reserved");
    }
    Output::json(&k.global("PUT", &path, Some(&space))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct DeleteArgs {
    /// Space ID.
    #[serde(alias = "spaceId")]
    space_id: String,
    /// Delete even when the space still holds saved objects (they are deleted with it).
    force: Option<bool>,
}

/// DELETE /api/spaces/space/{id} ("Delete a space"). Kibana deletes the
/// space's saved objects with it, so without `force` a non-empty space is refused.
pub fn delete_space(a: DeleteArgs, ctx: &Context) -> Result<Output, ToolError> {
    let id = valid_space(required("space_id", &a.space_id)?, "space_id")?;
    let k = kibana(ctx, Some(&id))?;
    let path = format!("/api/spaces/space/{}", seg(&id));
    let space = k.global("GET", &path, None)?;
    if space.get("_reserved").and_then(Value::as_bool) == Some(true) {
        return Err(ToolError::invalid(format!("space `{id}` is reserved and cannot be deleted")));
    }
    if !a.force.unwrap_or(false) {
        let f = Find {
            types: COMMON_TYPES.iter().map(|s| s.to_string()).collect(),
            page: 1,
            per_page: 1,
            ..Find::default()
        };
        let total = find(&k, &f)?["total"].as_u64().unwrap_or(0);
        if total > 0 {
            return Err(ToolError::invalid(format!(
                "space `{id}` still holds {total} saved object(s) that would be deleted with it; pass force=true to delete anyway"
            )));
        }
    }
    k.global("DELETE", &path, None)?;
    Output::json(&json!({ "deleted": true, "space_id": id }))
}
