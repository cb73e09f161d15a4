//! Test programs for the sandbox: each tool misbehaves in one specific way so
//! the runtime's fault handling can be checked end to end. Never deploy it.

use k8s_mcp_sdk::http;
use k8s_mcp_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct EchoArgs {
    /// Text to send back.
    message: String,
}

#[derive(Deserialize, JsonSchema)]
struct NoArgs {}

#[derive(Deserialize, JsonSchema)]
struct SizeArgs {
    /// How many bytes to produce.
    bytes: usize,
}

#[derive(Deserialize, JsonSchema)]
struct FetchArgs {
    url: String,
}

#[derive(Deserialize, JsonSchema)]
struct PostArgs {
    url: String,
    /// Size of the request body to send.
    bytes: usize,
}

struct Testkit;

impl Service for Testkit {
    fn tools() -> Vec<Tool> {
        vec![
            Tool::new("echo", "Return the message", |a: EchoArgs, _: &Context| Ok(Output::text(a.message))).read_only(),
            Tool::new("spin", "Loop forever (hits the wall-clock deadline)", |_: NoArgs, _: &Context| {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }),
            Tool::new("fuel_bomb", "Burn CPU until the fuel budget runs out", |_: NoArgs, _: &Context| {
                let mut x: u64 = 1;
                for i in 0..u64::MAX {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                }
                Ok(Output::text(x.to_string()))
            }),
            Tool::new("memory_bomb", "Allocate until the memory limit is hit", |_: NoArgs, _: &Context| {
                let mut blocks: Vec<Vec<u8>> = Vec::new();
                loop {
                    blocks.push(std::hint::black_box(vec![1u8; 1 << 20]));
                }
            }),
            Tool::new("panic", "Panic inside the guest", |_: NoArgs, _: &Context| -> Result<Output, ToolError> {
                panic!("testkit panic on purpose")
            }),
            Tool::new("big_output", "Return a text of the given size", |a: SizeArgs, _: &Context| {
                Ok(Output::text("x".repeat(a.bytes)))
            }),
            Tool::new("fetch", "HTTP GET a URL through the policy-checked client", |a: FetchArgs, _: &Context| {
                let resp = http::get(a.url).max_redirects(3).send()?;
                Output::json(&json!({ "status": resp.status, "body": resp.text(), "url": resp.url }))
            }),
            Tool::new("post", "HTTP POST a body of the given size", |a: PostArgs, _: &Context| {
                let resp = http::post(a.url).body(vec![b'x'; a.bytes]).send()?;
                Output::json(&json!({ "status": resp.status, "body": resp.text() }))
            }),
            Tool::new(
                "secret",
                "Return the configured secret `token` (the runtime must redact it)",
                |_: NoArgs, ctx: &Context| {
                    Ok(Output::text(format!("token={}", ctx.secret("token").unwrap_or_default())))
                },
            ),
            Tool::new("progress", "Report three progress steps", |_: NoArgs, ctx: &Context| {
                for i in 1..=3 {
                    ctx.progress(f64::from(i), Some(3.0), Some(&format!("step {i}")));
                }
                Ok(Output::text("done"))
            }),
        ]
    }
}

export_service!(Testkit);
