//! Tool declarations: a name, a description, a typed handler.

use crate::bindings::k8s_mcp::tools::types::{Annotations, ToolDescriptor};
use crate::{Context, Output, ToolError};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

type Handler = Box<dyn Fn(&str, &Context) -> Result<Output, ToolError>>;
type SchemaFn = fn() -> serde_json::Value;

/// A component's set of tools.
pub trait Service {
    /// The tools this component offers. Called once per invocation: keep it cheap.
    fn tools() -> Vec<Tool>;
}

/// One tool: metadata plus a handler taking typed arguments.
pub struct Tool {
    name: String,
    title: Option<String>,
    description: String,
    input_schema: SchemaFn,
    output_schema: Option<SchemaFn>,
    annotations: Annotations,
    handler: Handler,
}

/// Deserialize tool arguments; the error names the offending argument
/// (`seconds: invalid type: string "x", expected f64`).
fn parse_args<A: DeserializeOwned>(raw: &str) -> Result<A, ToolError> {
    let mut de = serde_json::Deserializer::from_str(raw);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // serde_json appends " at line 1 column N", meaningless for a tool call.
        let msg = msg.split(" at line ").next().unwrap_or(&msg);
        if path.is_empty() || path == "." {
            ToolError::invalid(msg)
        } else {
            ToolError::invalid(format!("`{path}`: {msg}"))
        }
    })
}

fn schema_of<T: JsonSchema>() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    if let Some(obj) = schema.as_object_mut() {
        // MCP wants an object schema; a unit/empty struct yields `true`-like schemas.
        obj.entry("type").or_insert_with(|| "object".into());
        obj.remove("$schema");
    }
    objects_for_boolean_schemas(&mut schema);
    schema
}

/// `true`/`false` are valid JSON Schemas (schemars emits `true` for a
/// free-form `serde_json::Value` field), but MCP clients validate property
/// and definition schemas as objects: use the equivalent `{}` / `{"not": {}}`.
fn objects_for_boolean_schemas(schema: &mut serde_json::Value) {
    let Some(obj) = schema.as_object_mut() else { return };
    for (key, value) in obj.iter_mut() {
        match key.as_str() {
            "properties" | "$defs" | "definitions" | "patternProperties" => {
                if let Some(map) = value.as_object_mut() {
                    for sub in map.values_mut() {
                        match sub {
                            serde_json::Value::Bool(true) => *sub = serde_json::json!({}),
                            serde_json::Value::Bool(false) => *sub = serde_json::json!({"not": {}}),
                            other => objects_for_boolean_schemas(other),
                        }
                    }
                }
            }
            "items" | "additionalProperties" => objects_for_boolean_schemas(value),
            "anyOf" | "oneOf" | "allOf" => {
                if let Some(list) = value.as_array_mut() {
                    list.iter_mut().for_each(objects_for_boolean_schemas);
                }
            }
            _ => {}
        }
    }
}

impl Tool {
    /// Declare a tool whose arguments deserialize into `A`.
    ///
    /// Missing or `null` arguments are treated as `{}`, so argument structs
    /// whose fields are all optional accept an empty call.
    pub fn new<A, F>(name: impl Into<String>, description: impl Into<String>, handler: F) -> Self
    where
        A: DeserializeOwned + JsonSchema + 'static,
        F: Fn(A, &Context) -> Result<Output, ToolError> + 'static,
    {
        let handler: Handler = Box::new(move |raw: &str, ctx: &Context| {
            let raw = raw.trim();
            let raw = if raw.is_empty() || raw == "null" { "{}" } else { raw };
            let args: A = parse_args(raw)?;
            handler(args, ctx)
        });
        Self {
            name: name.into(),
            title: None,
            description: description.into(),
            input_schema: schema_of::<A>,
            output_schema: None,
            annotations: Annotations { read_only: false, destructive: false, idempotent: false, open_world: false },
            handler,
        }
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The tool does not change its environment.
    pub fn read_only(mut self) -> Self {
        self.annotations.read_only = true;
        self.annotations.idempotent = true;
        self
    }

    /// The tool may delete or overwrite things.
    pub fn destructive(mut self) -> Self {
        self.annotations.destructive = true;
        self
    }

    /// Calling twice with the same arguments has no further effect.
    pub fn idempotent(mut self) -> Self {
        self.annotations.idempotent = true;
        self
    }

    /// The tool talks to an open set of external things (e.g. the web).
    pub fn open_world(mut self) -> Self {
        self.annotations.open_world = true;
        self
    }

    /// Declare the JSON schema of the structured output.
    pub fn output<T: JsonSchema>(mut self) -> Self {
        self.output_schema = Some(schema_of::<T>);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn descriptor(&self) -> ToolDescriptor {
        ToolDescriptor {
            name: self.name.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            input_schema: (self.input_schema)().to_string(),
            output_schema: self.output_schema.map(|f| f().to_string()),
            annotations: self.annotations,
        }
    }

    pub(crate) fn invoke(&self, arguments: &str, ctx: &Context) -> Result<Output, ToolError> {
        (self.handler)(arguments, ctx)
    }
}
