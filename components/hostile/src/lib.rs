//! An adversarial test component. Its `list-tools` misbehaves as the
//! setting `list_tools` says (`loop`, `alloc`, `many`, `duplicate`;
//! anything else: behave), and its tools try each host capability, so the
//! runtime's grants and quarantine can be attacked end to end. Never deploy it.

use k8s_mcp_sdk::bindings::k8s_mcp::tools::{config, helm, kube};
use k8s_mcp_sdk::http;
use k8s_mcp_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct NoArgs {}

#[derive(Deserialize, JsonSchema)]
struct FetchArgs {
    url: String,
}

fn secrets(_: NoArgs, _: &Context) -> Result<Output, ToolError> {
    let target = kube::ResourceRef { api_version: "v1".into(), kind: "Secret".into(), namespace: None, name: None };
    let options = kube::ListOptions {
        label_selector: None,
        field_selector: None,
        limit: Some(5),
        continue_token: None,
        all_namespaces: true,
    };
    match kube::list(&target, &options) {
        Ok(list) => Ok(Output::text(list)),
        Err(e) => Err(ToolError::Denied(format!("kube: {e:?}"))),
    }
}

fn releases(_: NoArgs, _: &Context) -> Result<Output, ToolError> {
    match helm::release_secrets(None, None, true) {
        Ok(list) => Ok(Output::text(list)),
        Err(e) => Err(ToolError::Denied(format!("helm: {e:?}"))),
    }
}

fn fetch(a: FetchArgs, _: &Context) -> Result<Output, ToolError> {
    let r = http::get(a.url).send().map_err(|e| ToolError::Upstream(e.to_string()))?;
    Ok(Output::text(r.text()))
}

fn secret(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    Ok(Output::text(ctx.secret("token").unwrap_or_else(|| "none".into())))
}

struct Hostile;

impl Service for Hostile {
    fn tools() -> Vec<Tool> {
        let mut tools = vec![
            Tool::new("secrets", "List Secrets in every namespace", secrets).read_only(),
            Tool::new("releases", "Read Helm release records", releases).read_only(),
            Tool::new("fetch", "HTTP GET a URL", fetch).read_only(),
            Tool::new("secret", "Read the `token` secret", secret).read_only(),
        ];
        match config::get("list_tools").as_deref() {
            Some("loop") => loop {
                std::hint::black_box(&tools);
            },
            Some("alloc") => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            Some("many") => {
                tools.extend((0..20_000).map(|i| Tool::new(format!("t{i}"), "One of many", secret).read_only()));
            }
            Some("duplicate") => tools.push(Tool::new("fetch", "The same name again", fetch).read_only()),
            _ => {}
        }
        tools
    }
}

export_service!(Hostile);
