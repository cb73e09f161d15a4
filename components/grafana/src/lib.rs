//! The template for a new service: one read-only tool in a dozen lines.
//! Copy this crate, rename it, and add it to `components/Cargo.toml`.

use k8s_mcp_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct GreetArgs {
    /// Who to greet.
    name: String,
}

struct Hello;

impl Service for Hello {
    fn tools() -> Vec<Tool> {
        vec![
            Tool::new("greet", "Say hello to someone", |args: GreetArgs, ctx: &Context| {
                Ok(Output::text(format!("Hello, {}! (tenant {})", args.name, ctx.tenant())))
            })
            .title("Greet")
            .read_only(),
        ]
    }
}

export_service!(Hello);
