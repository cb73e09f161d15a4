//! Chart repositories (per tenant), search, chart metadata and the
//! repository cache, through the runtime's `helm` capability.

use crate::common::*;
use k8s_mcp_sdk::helm;
use k8s_mcp_sdk::prelude::*;

fn parse(text: &str) -> R<Value> {
    Ok(serde_json::from_str(text)?)
}

#[derive(Deserialize, JsonSchema)]
pub struct NoArgs {}

pub fn list_repos(_: NoArgs, _: &Context) -> R<Output> {
    let repos = parse(&helm::repo_list()?)?;
    Output::json(&json!({ "count": repos.as_array().map_or(0, Vec::len), "repositories": repos }))
}

#[derive(Deserialize, JsonSchema)]
pub struct AddArgs {
    /// Repository name (used as `<name>/<chart>`).
    pub name: String,
    /// Repository URL (must be allowed by the helm component's egress policy).
    pub url: String,
}

pub fn add_repository(a: AddArgs, _: &Context) -> R<Output> {
    let (name, url) = (required("name", &a.name)?, required("url", &a.url)?);
    let message = helm::repo_add(name, url)?;
    Output::json(&json!({ "name": name, "url": url, "added": true, "message": message.trim() }))
}

#[derive(Deserialize, JsonSchema)]
pub struct RemoveArgs {
    /// Repository name.
    pub name: String,
}

pub fn remove_repository(a: RemoveArgs, _: &Context) -> R<Output> {
    let name = required("name", &a.name)?;
    let message = helm::repo_remove(name)?;
    Output::json(&json!({ "name": name, "removed": true, "message": message.trim() }))
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// Only these repositories (default: all).
    #[serde(default)]
    pub names: Option<Vec<String>>,
}

pub fn update_repositories(a: UpdateArgs, _: &Context) -> R<Output> {
    let out = parse(&helm::repo_update(&a.names.unwrap_or_default())?)?;
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Search term (matched against chart names and descriptions); empty: every chart.
    #[serde(default)]
    pub keyword: Option<String>,
    /// Alias of `keyword`.
    #[serde(default)]
    pub query: Option<String>,
    /// Include development versions (pre-releases).
    #[serde(default)]
    pub devel: Option<bool>,
    /// Every version, not only the newest of each chart.
    #[serde(default)]
    pub versions: Option<bool>,
}

pub fn search_charts(a: SearchArgs, _: &Context) -> R<Output> {
    let keyword = optional(&a.keyword).or_else(|| optional(&a.query)).unwrap_or_default();
    let charts = parse(&helm::search(&keyword, a.devel.unwrap_or(false), a.versions.unwrap_or(false))?)?;
    Output::json(&json!({ "keyword": keyword, "count": charts.as_array().map_or(0, Vec::len), "charts": charts }))
}

#[derive(Deserialize, JsonSchema)]
pub struct ChartInfoArgs {
    /// `repo/chart`, an http(s):// or oci:// reference, or a local chart path.
    pub chart: String,
    /// Chart version (default: the newest).
    #[serde(default)]
    pub version: Option<String>,
}

pub fn get_chart_info(a: ChartInfoArgs, _: &Context) -> R<Output> {
    let chart = required("chart", &a.chart)?;
    let text = helm::show_chart(chart, optional(&a.version).as_deref())?;
    let metadata: Value = serde_saphyr::from_str(&text)
        .map_err(|e| ToolError::upstream(format!("helm show chart printed invalid YAML: {e}")))?;
    let mut out = json!({
        "chart": chart,
        "name": metadata["name"],
        "version": metadata["version"],
        "appVersion": metadata["appVersion"],
        "description": metadata["description"],
        "maintainers": metadata.get("maintainers").cloned().unwrap_or(json!([])),
        "dependencies": metadata.get("dependencies").cloned().unwrap_or(json!([])),
        "metadata": metadata,
    });
    // For repository charts, every version the cached index knows.
    if let Some((repo, name)) = chart.split_once('/')
        && !chart.contains("://")
        && !repo.is_empty()
        && let Ok(found) = helm::search(chart, true, true)
        && let Ok(Value::Array(list)) = serde_json::from_str::<Value>(&found)
    {
        let want = format!("{repo}/{name}");
        let versions: Vec<Value> =
            list.into_iter().filter(|c| c["name"] == want.as_str()).map(|c| c["version"].clone()).collect();
        out["versions"] = json!(versions);
    }
    Output::json(&out)
}

pub fn cache_stats(_: NoArgs, _: &Context) -> R<Output> {
    Output::json(&parse(&helm::cache_stats()?)?)
}

pub fn clear_cache(_: NoArgs, _: &Context) -> R<Output> {
    Output::json(&parse(&helm::cache_clear()?)?)
}
