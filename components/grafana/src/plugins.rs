//! Plugins, links into the Grafana UI, and panel rendering (HTTP API >
//! Plugin API; Image rendering; the UI's URL scheme).

use crate::client::*;
use k8s_mcp_sdk::backend::encode;
use k8s_mcp_sdk::prelude::*;

const LOGS_APP: &str = "grafana-lokiexplore-app";
/// Rendered images larger than this are refused (they would not fit a tool result).
const MAX_IMAGE_BYTES: usize = 3 * 1024 * 1024;

#[derive(Deserialize, JsonSchema)]
pub struct PluginArgs {
    /// Most plugins: 1-100 (default 20).
    limit: Option<Num>,
    /// Only plugins of this type: datasource, panel or app.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Accepted for compatibility; has no effect.
    #[allow(dead_code)]
    debug: Option<Value>,
}

fn plugin_list(a: &PluginArgs, ctx: &Context) -> Result<Vec<Value>, ToolError> {
    let kind = optional(&a.kind);
    if let Some(k) = &kind
        && !["datasource", "panel", "app", "renderer"].contains(&k.as_str())
    {
        return Err(ToolError::invalid(format!("`type` must be datasource, panel, app or renderer, got `{k}`")));
    }
    as_list(Grafana::new(ctx)?.get("/api/plugins", &[("type", kind)])?, "plugins")
}

fn plugin_row(p: &Value) -> Value {
    let mut row = pick(p, &["id", "name", "type", "enabled", "signature"]);
    row["version"] = p["info"].get("version").cloned().unwrap_or(Value::Null);
    row
}

pub fn plugins(a: PluginArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let items = plugin_list(&a, ctx)?;
    let total = items.len();
    Output::json(&listing("plugins", items, n, Some(total)))
}

pub fn plugins_summary(a: PluginArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let items = plugin_list(&a, ctx)?;
    let total = items.len();
    Output::json(&listing("plugins", items.iter().map(plugin_row).collect(), n, Some(total)))
}

#[derive(Deserialize, JsonSchema)]
pub struct PluginIdArgs {
    /// Plugin ID, e.g. `prometheus` or `grafana-lokiexplore-app`.
    #[serde(rename = "pluginID", alias = "pluginId", alias = "id")]
    plugin_id: String,
    /// Accepted for compatibility; has no effect.
    #[allow(dead_code)]
    debug: Option<Value>,
}

fn plugin_settings(g: &Grafana, id: &str) -> Result<Value, ToolError> {
    let path = format!("/api/plugins/{}/settings", segment("pluginID", id)?);
    g.get(&path, &[]).map_err(missing(format!("plugin `{}`", id.trim())))
}

pub fn plugin_detail(a: PluginIdArgs, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&plugin_settings(&Grafana::new(ctx)?, &a.plugin_id)?)
}

/// `from`/`to` as Grafana's URLs take them: epoch ms or relative (`now-1h`).
fn url_time(name: &str, v: &Option<String>) -> Result<Option<String>, ToolError> {
    let Some(t) = optional(v) else { return Ok(None) };
    if t.starts_with("now") {
        time_ms(name, &t)?; // validate the form; Grafana resolves it itself
        return Ok(Some(t));
    }
    Ok(Some(time_ms(name, &t)?.to_string()))
}

fn query_string(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> =
        pairs.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{}={}", encode(k), encode(v)))).collect();
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

#[derive(Deserialize, JsonSchema)]
pub struct DeeplinkArgs {
    /// dashboard, panel, folder or explore.
    #[serde(rename = "resourceType")]
    resource_type: String,
    /// UID of the dashboard or folder (explore: of the data source).
    #[serde(rename = "resourceUID", alias = "resourceUid")]
    resource_uid: String,
    /// Panel ID (resourceType panel).
    #[serde(rename = "panelID", alias = "panelId")]
    panel_id: Option<Num>,
    /// Data source UID for explore (default resourceUID).
    datasource: Option<String>,
    /// Start of the time range: `now-6h` or epoch ms.
    from: Option<String>,
    /// End of the time range: `now` or epoch ms.
    to: Option<String>,
}

pub fn generate_deeplink(a: DeeplinkArgs, ctx: &Context) -> Result<Output, ToolError> {
    let g = Grafana::new(ctx)?;
    let kind = required("resourceType", &a.resource_type)?.to_ascii_lowercase();
    let uid = segment("resourceUID", &a.resource_uid)?;
    let (from, to) = (url_time("from", &a.from)?, url_time("to", &a.to)?);
    let url = match kind.as_str() {
        "dashboard" => format!("{}/d/{uid}{}", g.base(), query_string(&[("from", from), ("to", to)])),
        "panel" => {
            let panel = a
                .panel_id
                .as_ref()
                .ok_or_else(|| ToolError::invalid("`panelID` is required for resourceType panel"))?
                .whole("panelID", 1, i64::MAX >> 11)?;
            let q = query_string(&[("viewPanel", Some(panel.to_string())), ("from", from), ("to", to)]);
            format!("{}/d/{uid}{q}", g.base())
        }
        "folder" => format!("{}/dashboards/f/{uid}", g.base()),
        "explore" => {
            let ds = optional(&a.datasource).unwrap_or_else(|| a.resource_uid.trim().to_string());
            let pane = json!({ "a": {
                "datasource": ds,
                "queries": [{ "refId": "A", "datasource": { "uid": ds } }],
                "range": { "from": from.unwrap_or_else(|| "now-1h".into()), "to": to.unwrap_or_else(|| "now".into()) },
            }});
            let q = query_string(&[("schemaVersion", Some("1".into())), ("panes", Some(pane.to_string()))]);
            format!("{}/explore{q}", g.base())
        }
        other => {
            return Err(ToolError::invalid(format!(
                "`resourceType` must be dashboard, panel, folder or explore, got `{other}`"
            )));
        }
    };
    Output::json(&json!({ "resourceType": kind, "url": url }))
}

#[derive(Deserialize, JsonSchema)]
pub struct DrilldownArgs {
    /// Start of the time range (default now-1h).
    from: Option<String>,
    /// End of the time range (default now).
    to: Option<String>,
    /// UID of the Loki data source.
    #[serde(rename = "datasourceUid", alias = "datasourceUID")]
    datasource_uid: Option<String>,
    /// Name of the Loki data source (looked up when no UID is given).
    #[serde(rename = "datasourceName")]
    datasource_name: Option<String>,
    /// Organization ID for the link.
    #[serde(rename = "orgId", alias = "orgID")]
    org_id: Option<Num>,
}

pub fn generate_logs_drilldown_link(a: DrilldownArgs, ctx: &Context) -> Result<Output, ToolError> {
    let g = Grafana::new(ctx)?;
    let from = url_time("from", &a.from)?.unwrap_or_else(|| "now-1h".into());
    let to = url_time("to", &a.to)?.unwrap_or_else(|| "now".into());
    let org = opt_whole("orgId", &a.org_id, 1, i64::MAX >> 11)?;
    let app = plugin_settings(&g, LOGS_APP).map_err(|e| match e {
        ToolError::NotFound(m) => ToolError::NotFound(format!("the Logs Drilldown app is not installed: {m}")),
        other => other,
    })?;
    if app.get("enabled").and_then(Value::as_bool) == Some(false) {
        return Err(ToolError::invalid("the Logs Drilldown app (grafana-lokiexplore-app) is installed but disabled"));
    }
    let ds = match (optional(&a.datasource_uid), optional(&a.datasource_name)) {
        (Some(uid), _) => Some(uid),
        (None, Some(name)) => {
            let path = format!("/api/datasources/name/{}", encode(&name));
            let d = g.get(&path, &[]).map_err(missing(format!("data source named `{name}`")))?;
            Some(s(&d, "uid").to_string())
        }
        (None, None) => None,
    };
    let q = query_string(&[
        ("var-ds", ds.clone()),
        ("from", Some(from)),
        ("to", Some(to)),
        ("orgId", org.map(|o| o.to_string())),
    ]);
    let url = format!("{}/a/{LOGS_APP}/explore{q}", g.base());
    Output::json(&json!({ "url": url, "datasourceUid": ds, "appVersion": app["info"].get("version") }))
}

#[derive(Deserialize, JsonSchema)]
pub struct RenderArgs {
    /// UID of the dashboard.
    #[serde(rename = "dashboardUID", alias = "dashboardUid")]
    dashboard_uid: String,
    /// ID of the panel to render.
    #[serde(rename = "panelID", alias = "panelId")]
    panel_id: Num,
    /// Width in pixels: 50-3000 (default 1000).
    width: Option<Num>,
    /// Height in pixels: 50-3000 (default 500).
    height: Option<Num>,
    /// Start of the time range (default now-1h).
    from: Option<String>,
    /// End of the time range (default now).
    to: Option<String>,
    /// Renderer timeout in seconds (default 30).
    timeout: Option<String>,
}

pub fn render_panel_image(a: RenderArgs, ctx: &Context) -> Result<Output, ToolError> {
    let g = Grafana::new(ctx)?;
    let uid = segment("dashboardUID", &a.dashboard_uid)?;
    let panel = a.panel_id.whole("panelID", 1, i64::MAX >> 11)?;
    let width = opt_whole("width", &a.width, 50, 3000)?.unwrap_or(1000);
    let height = opt_whole("height", &a.height, 50, 3000)?.unwrap_or(500);
    let timeout = match optional(&a.timeout) {
        None => 30,
        Some(t) => t
            .trim_end_matches('s')
            .parse::<u32>()
            .ok()
            .filter(|t| (1..=300).contains(t))
            .ok_or_else(|| ToolError::invalid(format!("`timeout` must be 1-300 seconds, got `{t}`")))?,
    };
    let from = url_time("from", &a.from)?.unwrap_or_else(|| "now-1h".into());
    let to = url_time("to", &a.to)?.unwrap_or_else(|| "now".into());
    let req = g
        .request(
            "GET",
            &format!("/render/d-solo/{uid}"),
            &[
                ("panelId", Some(panel.to_string())),
                ("width", Some(width.to_string())),
                ("height", Some(height.to_string())),
                ("from", Some(from)),
                ("to", Some(to)),
                ("timeout", Some(timeout.to_string())),
            ],
        )
        .header("accept", "image/png")
        .timeout_ms(u64::from(timeout) * 1000 + 5000)
        .max_response_bytes(MAX_IMAGE_BYTES);
    let (bytes, ctype) = g.get_bytes(req).map_err(missing(format!("dashboard `{}`", a.dashboard_uid.trim())))?;
    if !ctype.starts_with("image/") {
        return Err(ToolError::upstream(format!(
            "grafana answered {ctype} instead of an image (is the image renderer installed?)"
        )));
    }
    let summary = json!({
        "dashboardUID": a.dashboard_uid.trim(), "panelID": panel, "contentType": ctype, "bytes": bytes.len(),
        "width": width, "height": height,
    });
    Ok(Output::json(&summary)?.with_image(bytes, ctype))
}
