//! Argument helpers every component needs: required and optional strings,
//! and argument groups that tools share (`#[serde(flatten)]` them into an
//! argument struct; the schema lists their properties as if they were the
//! struct's own).
//!
//! ```ignore
//! #[derive(Deserialize, JsonSchema)]
//! struct ScaleArgs {
//!     #[serde(flatten)]
//!     target: ObjectRef,
//!     replicas: i64,
//!     #[serde(flatten)]
//!     context: ContextArg,
//! }
//! ```
//!
//! serde deserializes a flattened struct from buffered values, outside the
//! path tracking that lets an argument error name its argument. A group
//! declared with [`flattened_args!`](crate::flattened_args) tracks the path
//! itself, so `{"kind": 5}` still fails with "`kind`: invalid type ...".

use crate::ToolError;
use crate::kube::{self, ResourceRef};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};

/// A required argument: trimmed, and not blank.
pub fn required<'a>(name: &str, value: &'a str) -> Result<&'a str, ToolError> {
    let v = value.trim();
    if v.is_empty() { Err(ToolError::invalid(format!("`{name}` must not be empty"))) } else { Ok(v) }
}

/// An optional argument, trimmed; blank counts as absent.
pub fn optional(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

/// Deserialize an argument group through `inner` (the group's derived
/// `deserialize`, see [`flattened_args!`](crate::flattened_args)), prefixing
/// an error with the field it concerns.
#[doc(hidden)]
pub fn naming_fields<'de, D, T>(
    deserializer: D,
    inner: impl FnOnce(serde_path_to_error::Deserializer<'_, '_, D>) -> Result<T, D::Error>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let mut track = serde_path_to_error::Track::new();
    inner(serde_path_to_error::Deserializer::new(deserializer, &mut track)).map_err(|e| {
        let path = track.path().to_string();
        if path.is_empty() || path == "." { e } else { D::Error::custom(format!("`{path}`: {e}")) }
    })
}

/// Implement `Deserialize` for an argument group meant to be flattened into
/// tool arguments, so that errors name the offending argument. Only for
/// groups: a struct that is itself a tool's argument type is already
/// tracked by the SDK (its errors would name the argument twice). The group
/// derives `Deserialize` with `#[serde(remote = "Self")]`:
///
/// ```ignore
/// #[derive(Deserialize, JsonSchema)]
/// #[serde(remote = "Self")]
/// pub struct Paging { /// Page size.
///     #[serde(default)] pub limit: Option<i64> }
/// k8s_mcp_sdk::flattened_args!(Paging);
/// ```
#[macro_export]
macro_rules! flattened_args {
    ($group:ty) => {
        impl<'de> $crate::serde::Deserialize<'de> for $group {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::args::naming_fields(deserializer, |d| <$group>::deserialize(d))
            }
        }
    };
}

// One Kubernetes object: `kind`, `name`, `namespace` and `apiVersion`.
// (Groups carry no doc comment: schemars would make it the description of
// every argument struct that flattens them.)
#[derive(Deserialize, JsonSchema, Debug, Clone, Default)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct ObjectRef {
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    /// API version (`v1`, `apps/v1`); omitted: resolved through discovery, core group first.
    #[serde(default, alias = "api_version")]
    pub api_version: Option<String>,
}
crate::flattened_args!(ObjectRef);

impl ObjectRef {
    /// The object's name, which must not be blank.
    pub fn name(&self) -> Result<&str, ToolError> {
        required("name", &self.name)
    }

    /// The object as the `kube` capability addresses it (see [`kube::resource_ref`]).
    pub fn resource(&self) -> Result<ResourceRef, ToolError> {
        kube::resource_ref(&self.kind, &self.api_version, &self.namespace, Some(self.name()?))
    }
}

// The `context` argument: which kubeconfig context a call uses.
#[derive(Deserialize, JsonSchema, Debug, Clone, Default)]
#[serde(remote = "Self")]
pub struct ContextArg {
    /// Kubeconfig context to use (default: the runtime's default context).
    #[serde(default)]
    pub context: Option<String>,
}
crate::flattened_args!(ContextArg);

impl ContextArg {
    /// Select this context for the rest of the call (see [`select_context`]).
    pub fn select(&self) -> Result<(), ToolError> {
        select_context(&self.context)
    }
}

/// Select the kubeconfig context named by a `context` argument for the rest
/// of the call; absent or blank: the runtime's default context. The runtime
/// refuses a context its configuration does not offer.
pub fn select_context(context: &Option<String>) -> Result<(), ToolError> {
    Ok(kube::use_context(optional(context).as_deref())?)
}

// The `dry_run` argument (also accepted as `dryRun`) of a state-changing tool.
#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, Default)]
#[serde(remote = "Self")]
pub struct DryRun {
    #[serde(default, alias = "dryRun")]
    pub dry_run: Option<bool>,
}
crate::flattened_args!(DryRun);

impl DryRun {
    /// True when the caller asked for a dry run (default false).
    pub fn enabled(&self) -> bool {
        self.dry_run.unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    struct Args {
        #[serde(flatten)]
        target: ObjectRef,
        replicas: i64,
        #[serde(default, alias = "dry")]
        force: Option<bool>,
        #[serde(flatten)]
        dry_run: DryRun,
        #[serde(flatten)]
        context: ContextArg,
    }

    /// Parse as the SDK parses tool arguments: the error names its argument.
    fn parse(value: serde_json::Value) -> Result<Args, String> {
        let text = value.to_string();
        let mut de = serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            let msg = msg.split(" at line ").next().unwrap_or_default().to_string();
            if path == "." { msg } else { format!("`{path}`: {msg}") }
        })
    }

    #[test]
    fn strings_are_trimmed_and_blank_ones_refused_or_absent() {
        assert_eq!(required("name", "  web ").unwrap(), "web");
        assert_eq!(required("name", " \t").unwrap_err(), ToolError::invalid("`name` must not be empty"));
        assert_eq!(optional(&Some(" x ".into())), Some("x".into()));
        assert_eq!(optional(&Some("  ".into())), None);
        assert_eq!(optional(&None), None);
    }

    #[test]
    fn flattened_groups_read_their_fields_and_aliases() {
        let a = parse(json!({"kind": "deploy", "name": "web", "api_version": "apps/v1", "replicas": 2,
            "dryRun": true, "context": "prod"}))
        .unwrap();
        assert_eq!((a.target.kind.as_str(), a.target.name().unwrap()), ("deploy", "web"));
        assert_eq!(a.target.api_version.as_deref(), Some("apps/v1"));
        assert_eq!(a.target.namespace, None);
        assert_eq!((a.replicas, a.force), (2, None));
        assert!(a.dry_run.enabled());
        assert_eq!(a.context.context.as_deref(), Some("prod"));
        let a = parse(json!({"kind": "Pod", "name": "p", "namespace": "ns", "replicas": 0, "dry_run": false})).unwrap();
        assert!(!a.dry_run.enabled());
        assert_eq!(a.target.namespace.as_deref(), Some("ns"));
    }

    #[test]
    fn errors_in_flattened_groups_name_the_argument() {
        let base = json!({"kind": "Pod", "name": "p", "replicas": 1});
        let with = |k: &str, v: serde_json::Value| {
            let mut a = base.clone();
            a[k] = v;
            a
        };
        assert_eq!(
            parse(with("kind", json!(5))).err().unwrap(),
            "`kind`: invalid type: integer `5`, expected a string"
        );
        assert_eq!(
            parse(with("api_version", json!(1))).err().unwrap(),
            "`api_version`: invalid type: integer `1`, expected a string"
        );
        assert_eq!(
            parse(with("dryRun", json!("yes"))).err().unwrap(),
            "`dryRun`: invalid type: string \"yes\", expected a boolean"
        );
        assert_eq!(
            parse(with("context", json!([]))).err().unwrap(),
            "`context`: invalid type: sequence, expected a string"
        );
        assert_eq!(parse(json!({"name": "p", "replicas": 1})).err().unwrap(), "missing field `kind`");
        assert_eq!(
            parse(with("replicas", json!("x"))).err().unwrap(),
            "`replicas`: invalid type: string \"x\", expected i64"
        );
    }

    #[test]
    fn flattened_schema_lists_the_properties_in_place() {
        let schema = serde_json::to_value(schemars::schema_for!(Args)).unwrap();
        assert_eq!(schema["required"], json!(["kind", "name", "replicas"]));
        let props = schema["properties"].as_object().unwrap();
        let names: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(names, ["apiVersion", "context", "dry_run", "force", "kind", "name", "namespace", "replicas"]);
        assert_eq!(props["kind"], json!({"type": "string"}));
        assert_eq!(props["dry_run"], json!({"type": ["boolean", "null"], "default": null}));
        assert_eq!(
            props["context"]["description"],
            "Kubeconfig context to use (default: the runtime's default context)."
        );
        assert!(schema.get("description").is_none(), "a group adds no description of its own: {schema}");
    }
}
