//! The tools that dashboards and visualizations share: one object, a page
//! of objects, update, delete and copy, for one saved-object type.

use crate::client::{Kibana, kibana, optional, paging, required};
use crate::saved_objects::{
    Find, clone_object, delete_object, find, get_object, listing, update_object, version_arg, written,
};
use k8s_mcp_sdk::prelude::*;
use serde_json::Map;

/// `searchSourceJSON` of a new object: an empty KQL query and no filters.
pub const EMPTY_SEARCH_SOURCE: &str = r#"{"query":{"query":"","language":"kuery"},"filter":[]}"#;

/// A saved-object type with tools of its own, and the argument that names
/// one object of it.
pub struct ObjectType {
    /// The saved-object type, e.g. `dashboard`.
    pub kind: &'static str,
    /// The name of the ID argument, e.g. `dashboard_id`.
    pub id_arg: &'static str,
}

impl ObjectType {
    /// The saved object `id`, as Kibana returns it.
    pub fn get(&self, id: &str, space: Option<&str>, ctx: &Context) -> Result<Output, ToolError> {
        let k = kibana(ctx, space)?;
        Output::json(&get_object(&k, self.kind, required(self.id_arg, id)?)?)
    }

    /// Change `attributes` of the saved object `id`; `version`, when given,
    /// must be the stored one.
    pub fn update(
        &self,
        k: &Kibana,
        id: &str,
        attributes: Map<String, Value>,
        version: &Option<Value>,
    ) -> Result<Output, ToolError> {
        let mut body = json!({ "attributes": attributes });
        if let Some(v) = version_arg(version)? {
            body["version"] = json!(v);
        }
        Output::json(&written(&update_object(k, self.kind, id, &body)?, k))
    }

    /// Delete the saved object `id`.
    pub fn delete(&self, id: &str, space: Option<&str>, ctx: &Context) -> Result<Output, ToolError> {
        let k = kibana(ctx, space)?;
        Output::json(&delete_object(&k, self.kind, required(self.id_arg, id)?, false)?)
    }

    /// Copy the saved object `id` under `new_title`.
    pub fn copy(&self, id: &str, new_title: &str, space: Option<&str>, ctx: &Context) -> Result<Output, ToolError> {
        let k = kibana(ctx, space)?;
        let id = required(self.id_arg, id)?;
        Output::json(&clone_object(&k, self.kind, id, required("new_title", new_title)?)?)
    }

    /// One page of objects whose titles match `search`: the `_find` answer,
    /// and its compact listing with `has_more`.
    pub fn page(
        &self,
        k: &Kibana,
        search: &Option<String>,
        page: Option<u32>,
        per_page: Option<u32>,
        with_description: bool,
    ) -> Result<(Value, Value), ToolError> {
        let (page, per_page) = paging(page, per_page)?;
        let f = Find { types: vec![self.kind.into()], search: optional(search), page, per_page, ..Find::default() };
        let resp = find(k, &f)?;
        let mut out = listing(k, &resp, false, with_description);
        let total = resp["total"].as_u64().unwrap_or(0);
        out["has_more"] = json!(u64::from(page) * u64::from(per_page) < total);
        Ok((resp, out))
    }
}
