//! Folders (HTTP API > Folder API).

use crate::client::*;
use k8s_mcp_sdk::prelude::*;

pub fn folders(a: LimitArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let items = as_list(Grafana::new(ctx)?.get("/api/folders", &[("limit", Some((n + 1).to_string()))])?, "folders")?;
    let items = if a.summary == Some(true) {
        items.iter().map(|f| pick(f, &["uid", "title", "parentUid"])).collect()
    } else {
        items
    };
    Output::json(&listing("folders", items, n, None))
}

fn path(uid: &str) -> Result<String, ToolError> {
    Ok(format!("/api/folders/{}", segment("uid", uid)?))
}

pub fn folder_detail(a: UidArgs, ctx: &Context) -> Result<Output, ToolError> {
    let out = Grafana::new(ctx)?.get(&path(&a.uid)?, &[]).map_err(missing(format!("folder `{}`", a.uid.trim())))?;
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Folder title.
    title: String,
    /// Fixed UID (default: Grafana generates one).
    uid: Option<String>,
    /// Parent folder UID (nested folders).
    #[serde(rename = "parentUid", alias = "parentUID")]
    parent_uid: Option<String>,
}

pub fn create_folder(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let mut body = json!({ "title": required("title", &a.title)? });
    if let Some(uid) = optional(&a.uid) {
        body["uid"] = json!(uid);
    }
    if let Some(p) = optional(&a.parent_uid) {
        body["parentUid"] = json!(p);
    }
    Output::json(&Grafana::new(ctx)?.with_body("POST", "/api/folders", &body)?)
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// UID of the folder.
    uid: String,
    /// New title.
    title: String,
    /// The folder's current version (default: read it first).
    version: Option<Num>,
    /// Save even if the folder changed since `version`.
    overwrite: Option<bool>,
}

pub fn update_folder(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let g = Grafana::new(ctx)?;
    let p = path(&a.uid)?;
    let title = required("title", &a.title)?;
    let overwrite = a.overwrite.unwrap_or(false);
    let version = match opt_whole("version", &a.version, 0, i64::MAX >> 11)? {
        Some(v) => Some(v),
        None if overwrite => None,
        None => {
            let current = g.get(&p, &[]).map_err(missing(format!("folder `{}`", a.uid.trim())))?;
            current.get("version").and_then(Value::as_i64)
        }
    };
    let mut body = json!({ "title": title, "overwrite": overwrite });
    if let Some(v) = version {
        body["version"] = json!(v);
    }
    Output::json(&g.with_body("PUT", &p, &body).map_err(missing(format!("folder `{}`", a.uid.trim())))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct DeleteArgs {
    /// UID of the folder.
    uid: String,
    /// Also delete the Grafana-managed alert rules stored in the folder.
    #[serde(rename = "forceDeleteRules")]
    force_delete_rules: Option<bool>,
}

pub fn delete_folder(a: DeleteArgs, ctx: &Context) -> Result<Output, ToolError> {
    let force = a.force_delete_rules.filter(|f| *f).map(|_| "true".to_string());
    let out = Grafana::new(ctx)?
        .delete(&path(&a.uid)?, &[("forceDeleteRules", force)])
        .map_err(missing(format!("folder `{}`", a.uid.trim())))?;
    Output::json(&out)
}
