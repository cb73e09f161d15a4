//! One validated [`Config`] from the config file, environment variables and
//! flags (flags > environment > file > defaults). Errors name the key.

pub mod flags;
pub mod frontdoor;
pub mod helm;
pub mod kubernetes;
mod limits;
pub mod sessions;
pub mod tenant;
pub mod trust;

use crate::error::{Error, Result};
pub use flags::{ServeArgs, Transport};
pub use limits::{LimitsDocument, parse_toml};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_COMPONENTS_DIR: &str = "./components";
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;
pub const DEFAULT_TENANT: &str = "default";
/// The reference server's listen address (`:8080` means every interface).
pub const ENV_MCP_ADDR: &str = "MCP_ADDR";

/// The configuration file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default)]
    pub sandbox: SandboxSection,
    /// Operator settings per component, keyed by service name.
    #[serde(default)]
    pub components: BTreeMap<String, ComponentConfig>,
    /// Cluster access and policy of the `kube` host capability.
    #[serde(default)]
    pub kubernetes: crate::config::kubernetes::KubeSection,
    /// Front door: authentication and roles.
    #[serde(default)]
    pub auth: crate::config::frontdoor::AuthSection,
    #[serde(default)]
    pub ratelimit: crate::config::frontdoor::RateLimitSection,
    #[serde(default)]
    pub audit: crate::config::frontdoor::AuditSection,
    /// The metrics and health listener.
    #[serde(default)]
    pub admin: crate::config::frontdoor::AdminSection,
    /// The `helm` host capability (helm binary, per-tenant state, file roots).
    #[serde(default)]
    pub helm: crate::config::helm::HelmSection,
    /// Tenants hosted by this server (see `tenant`); none: one implicit tenant.
    #[serde(default)]
    pub tenants: BTreeMap<String, crate::config::tenant::TenantSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub transport: Option<Transport>,
    pub listen: Option<String>,
    pub max_in_flight: Option<usize>,
    /// `Host` header values accepted by the HTTP transport (DNS-rebinding defence).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted by the HTTP transport.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    pub insecure_no_auth: Option<bool>,
    /// Only read-only tools are listed and callable.
    pub read_only: Option<bool>,
    /// Tenant id passed to components (multi-tenancy configures more).
    pub tenant: Option<String>,
    /// Reload when the config file or the components directories change.
    pub watch: Option<bool>,
    /// Bounds on streamable-HTTP sessions (`config::sessions`).
    pub max_sessions: Option<usize>,
    pub max_sessions_per_credential: Option<usize>,
    pub session_idle_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSection {
    pub components_dir: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    /// Base64 ed25519 public keys whose signatures (`<name>.wasm.sig`) are trusted.
    #[serde(default)]
    pub trusted_keys: Vec<String>,
    /// Refuse every component without a valid signature.
    pub require_signatures: Option<bool>,
    /// Fail start-up and reloads on any component that cannot be loaded,
    /// instead of leaving it out (default false).
    pub strict: Option<bool>,
    /// Most tools one component may declare (default 512).
    pub max_tools: Option<usize>,
    /// Most bytes of tool descriptors (names, descriptions, schemas) one
    /// component may declare (default 4 MiB).
    pub max_descriptor_bytes: Option<usize>,
}

/// How components are admitted when they load: a component that fails is
/// left out (and reported) unless `strict`; descriptors are bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadRules {
    pub strict: bool,
    pub max_tools: usize,
    pub max_descriptor_bytes: usize,
}

impl Default for LoadRules {
    fn default() -> Self {
        Self { strict: false, max_tools: 512, max_descriptor_bytes: 4 * 1024 * 1024 }
    }
}

impl LoadRules {
    fn from_section(s: &SandboxSection) -> Result<Self> {
        let d = Self::default();
        let rules = Self {
            strict: s.strict.unwrap_or(d.strict),
            max_tools: s.max_tools.unwrap_or(d.max_tools),
            max_descriptor_bytes: s.max_descriptor_bytes.unwrap_or(d.max_descriptor_bytes),
        };
        if !(1..=100_000).contains(&rules.max_tools) {
            return Err(Error::invalid("sandbox.max_tools", "must be between 1 and 100000"));
        }
        if !(1024..=256 * 1024 * 1024).contains(&rules.max_descriptor_bytes) {
            return Err(Error::invalid("sandbox.max_descriptor_bytes", "must be between 1 KiB and 256 MiB"));
        }
        Ok(rules)
    }
}

/// What the operator grants or narrows for one component.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentConfig {
    /// Extra egress rules, same syntax as the policy's `http.allow`.
    #[serde(default)]
    pub allow_http: Vec<String>,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Values may be literal, `env:VAR` or `file:/path`; resolved at start-up.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    #[serde(default)]
    pub limits: LimitsDocument,
    /// Expected SHA-256 digest (hex) of the component file; others are refused.
    pub sha256: Option<String>,
    /// Host capabilities granted to the component (`config`, `log`,
    /// `progress`, `http`, `kube`, `helm`); absent: the defaults (see
    /// `policy::grants`).
    pub grants: Option<Vec<String>>,
}

/// The effective, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub components_dir: PathBuf,
    pub transport: Transport,
    pub listen: SocketAddr,
    pub max_in_flight: usize,
    pub cache_dir: Option<PathBuf>,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub insecure_no_auth: bool,
    pub read_only: bool,
    pub tenant: String,
    pub components: BTreeMap<String, ComponentConfig>,
    pub kubernetes: crate::config::kubernetes::KubeSection,
    pub frontdoor: crate::config::frontdoor::FrontDoorConfig,
    pub helm: crate::config::helm::HelmSection,
    /// Secrets resolved; names validated.
    pub tenants: BTreeMap<String, crate::config::tenant::TenantSection>,
    pub trust: crate::config::trust::Trust,
    /// How components are admitted when they load.
    pub load: LoadRules,
    /// Reload on changes to the config file and components directories.
    pub watch: bool,
    pub sessions: crate::config::sessions::SessionLimits,
}

/// Serving HTTP beyond loopback, authentication is mandatory unless the
/// operator opted out with `--insecure-no-auth`.
fn requires_auth(transport: Transport, listen: SocketAddr, insecure_no_auth: bool) -> bool {
    transport == Transport::Http && !listen.ip().is_loopback() && !insecure_no_auth
}

impl Config {
    /// Whether this configuration may only serve authenticated callers.
    pub fn requires_auth(&self) -> bool {
        requires_auth(self.transport, self.listen, self.insecure_no_auth)
    }

    /// Merge file, environment (already folded into `args` by clap) and flags.
    pub fn build(args: &ServeArgs) -> Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => ConfigFile::default(),
        };
        Self::merge(args, file)
    }

    fn merge(args: &ServeArgs, file: ConfigFile) -> Result<Self> {
        Self::merge_with_env(args, file, &crate::config::frontdoor::process_env)
    }

    /// [`Config::merge`] with the reference server's `MCP_*` variables read through `env`.
    pub fn merge_with_env(args: &ServeArgs, file: ConfigFile, env: crate::config::frontdoor::Env<'_>) -> Result<Self> {
        let listen_text = args
            .listen
            .clone()
            .or_else(|| env(ENV_MCP_ADDR).map(|a| if a.starts_with(':') { format!("0.0.0.0{a}") } else { a }))
            .or(file.server.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            Error::invalid("server.listen", format!("`{listen_text}` is not an address like 127.0.0.1:8080"))
        })?;
        let max_in_flight = args.max_in_flight.or(file.server.max_in_flight).unwrap_or(DEFAULT_MAX_IN_FLIGHT);
        if !(1..=10_000).contains(&max_in_flight) {
            return Err(Error::invalid("server.max_in_flight", "must be between 1 and 10000"));
        }
        let insecure_no_auth = args.insecure_no_auth || file.server.insecure_no_auth.unwrap_or(false);
        let transport = args.transport.or(file.server.transport).unwrap_or(Transport::Stdio);
        let sections = crate::config::frontdoor::Sections {
            auth: file.auth,
            ratelimit: file.ratelimit,
            audit: file.audit,
            admin: file.admin,
        };
        let frontdoor = crate::config::frontdoor::FrontDoorConfig::build(sections, env, args.admin_listen.as_deref())?;
        if requires_auth(transport, listen, insecure_no_auth) && !frontdoor.auth_enabled {
            return Err(Error::invalid(
                "server.listen",
                format!(
                    "{listen} is not a loopback address and no authentication is configured; \
                     bind 127.0.0.1 or pass --insecure-no-auth"
                ),
            ));
        }
        let tenant = file.server.tenant.unwrap_or_else(|| DEFAULT_TENANT.into());
        if tenant.is_empty() {
            return Err(Error::invalid("server.tenant", "must not be empty"));
        }
        let mut components = file.components;
        for (name, c) in &mut components {
            for (key, value) in &mut c.secrets {
                *value = resolve_secret(value)
                    .map_err(|m| Error::invalid(format!("components.{name}.secrets.{key}"), m.to_string()))?;
            }
        }
        let tenants = validate_tenants(file.tenants, &frontdoor.auth)?;
        file.kubernetes.policy.validate_callers(frontdoor.auth.roles.keys())?;
        let trust = crate::config::trust::Trust::parse(
            &file.sandbox.trusted_keys,
            file.sandbox.require_signatures.unwrap_or(false),
            "sandbox.trusted_keys",
        )?;
        if let Some((name, _)) = tenants.iter().find(|(_, t)| t.require_signatures)
            && trust.keys.is_empty()
        {
            return Err(Error::invalid(format!("tenants.{name}.require_signatures"), "needs sandbox.trusted_keys"));
        }
        let load = LoadRules::from_section(&file.sandbox)?;
        let (total, per_credential, idle) =
            (file.server.max_sessions, file.server.max_sessions_per_credential, file.server.session_idle_seconds);
        let sessions = crate::config::sessions::SessionLimits::new(total, per_credential, idle)?;
        let mut allowed_hosts = file.server.allowed_hosts;
        if allowed_hosts.is_empty() {
            allowed_hosts = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
            if !listen.ip().is_loopback() && !listen.ip().is_unspecified() {
                allowed_hosts.push(listen.ip().to_string());
            }
        }
        Ok(Self {
            components_dir: args
                .components
                .clone()
                .or(file.sandbox.components_dir)
                .unwrap_or_else(|| DEFAULT_COMPONENTS_DIR.into()),
            transport,
            listen,
            max_in_flight,
            cache_dir: cache_dir(args.cache_dir.clone().or(file.sandbox.cache_dir)),
            allowed_hosts,
            allowed_origins: file.server.allowed_origins,
            insecure_no_auth,
            read_only: args.read_only || file.server.read_only.unwrap_or(false),
            tenant,
            components,
            kubernetes: file.kubernetes,
            frontdoor,
            helm: file.helm,
            tenants,
            trust,
            load,
            watch: file.server.watch.unwrap_or(false),
            sessions,
        })
    }
}

/// Tenant names are simple, their secrets resolve, and every credential
/// the front door knows maps to a declared tenant.
fn validate_tenants(
    mut tenants: BTreeMap<String, crate::config::tenant::TenantSection>,
    auth: &crate::config::frontdoor::AuthSection,
) -> Result<BTreeMap<String, crate::config::tenant::TenantSection>> {
    for (name, t) in &mut tenants {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !valid {
            return Err(Error::invalid(
                format!("tenants.{name}"),
                "name must be 1-64 chars of A-Z, a-z, 0-9, `-`, `_`, `.`",
            ));
        }
        for (component, c) in &mut t.components {
            for (key, value) in &mut c.secrets {
                *value = resolve_secret(value).map_err(|m| {
                    Error::invalid(format!("tenants.{name}.components.{component}.secrets.{key}"), m.to_string())
                })?;
            }
        }
    }
    if tenants.is_empty() {
        return Ok(tenants);
    }
    let keys = auth.api_keys.iter().map(|k| (format!("auth.api_keys `{}`", k.name), &k.tenant));
    let users = auth.users.iter().map(|u| (format!("auth.users `{}`", u.username), &u.tenant));
    for (what, tenant) in keys.chain(users) {
        if let Some(t) = tenant
            && !tenants.contains_key(t)
        {
            return Err(Error::invalid(format!("{what}.tenant"), format!("no [tenants.{t}] is declared")));
        }
    }
    let rules = auth.jwt.iter().flat_map(|j| j.tenants.iter());
    if let Some(rule) = rules.into_iter().find(|r| !tenants.contains_key(&r.tenant)) {
        return Err(Error::invalid("auth.jwt.tenants.tenant", format!("no [tenants.{}] is declared", rule.tenant)));
    }
    Ok(tenants)
}

/// Read and parse a config file; errors name the file and key.
pub fn read_file(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io(path.display().to_string(), e))?;
    parse_toml(&text, &path.display().to_string())
}

/// A secret reference (`env:VAR`, `file:/path`) that does not resolve.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    #[error("cannot read {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn resolve_secret(value: &str) -> std::result::Result<String, SecretError> {
    if let Some(var) = value.strip_prefix("env:") {
        return std::env::var(var).map_err(|_| SecretError::MissingEnv(var.to_string()));
    }
    if let Some(path) = value.strip_prefix("file:") {
        return std::fs::read_to_string(path)
            .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
            .map_err(|source| SecretError::File { path: path.to_string(), source });
    }
    Ok(value.to_string())
}

/// The compiled-component cache: the configured folder, `off` for none, or
/// the user's cache folder by default (compiling large components takes
/// seconds; a cache hit takes milliseconds).
fn cache_dir(configured: Option<PathBuf>) -> Option<PathBuf> {
    match configured {
        Some(p) if p.as_os_str() == "off" => None,
        Some(p) => Some(p),
        None => std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))
            .map(|base| base.join("k8s-mcp-runtime")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile> {
        parse_toml(text, "test.toml")
    }

    #[test]
    fn defaults_are_safe() {
        let c = Config::merge(&ServeArgs::default(), ConfigFile::default()).unwrap();
        assert_eq!(c.transport, Transport::Stdio);
        assert!(c.listen.ip().is_loopback());
        assert_eq!(c.components_dir, PathBuf::from("./components"));
    }

    #[test]
    fn flags_override_file() {
        let file = parse("[server]\nlisten = \"127.0.0.1:9000\"\nmax_in_flight = 4\n").unwrap();
        let args = ServeArgs { max_in_flight: Some(8), ..Default::default() };
        let c = Config::merge(&args, file).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.max_in_flight, 8);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let msg = parse("[server]\nlisen = \"x\"\n").unwrap_err().to_string();
        assert!(msg.contains("test.toml") && msg.contains("lisen"), "{msg}");
        let msg = parse("[server]\nmax_in_flight = \"many\"\n").unwrap_err().to_string();
        assert!(msg.contains("server.max_in_flight"), "{msg}");
        let file = parse("[server]\nlisten = \"nowhere\"\n").unwrap();
        let msg = Config::merge(&ServeArgs::default(), file).unwrap_err().to_string();
        assert!(msg.contains("server.listen"), "{msg}");
        let file = parse("[server]\nmax_in_flight = 0\n").unwrap();
        let msg = Config::merge(&ServeArgs::default(), file).unwrap_err().to_string();
        assert!(msg.contains("server.max_in_flight"), "{msg}");
    }

    #[test]
    fn public_bind_without_auth_is_refused() {
        let args =
            ServeArgs { transport: Some(Transport::Http), listen: Some("0.0.0.0:8080".into()), ..Default::default() };
        let msg = Config::merge(&args, ConfigFile::default()).unwrap_err().to_string();
        assert!(msg.contains("--insecure-no-auth"), "{msg}");
        let args = ServeArgs { insecure_no_auth: true, ..args };
        assert!(Config::merge(&args, ConfigFile::default()).is_ok());
    }

    #[test]
    fn mcp_addr_is_the_listen_fallback_and_auth_allows_a_public_bind() {
        let env = |k: &str| (k == ENV_MCP_ADDR).then(|| ":9999".to_string());
        let c = Config::merge_with_env(&ServeArgs::default(), ConfigFile::default(), &env).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9999".parse().unwrap());
        let args = ServeArgs { listen: Some("127.0.0.1:7000".into()), ..Default::default() };
        assert_eq!(Config::merge_with_env(&args, ConfigFile::default(), &env).unwrap().listen.port(), 7000);
        let http = ServeArgs { transport: Some(Transport::Http), ..Default::default() };
        let msg = Config::merge_with_env(&http, ConfigFile::default(), &env).unwrap_err().to_string();
        assert!(msg.contains("--insecure-no-auth"), "{msg}");
        let with_key = |k: &str| match k {
            ENV_MCP_ADDR => Some(":9999".to_string()),
            "MCP_AUTH_API_KEY" => Some("k".to_string()),
            _ => None,
        };
        assert!(Config::merge_with_env(&http, ConfigFile::default(), &with_key).unwrap().frontdoor.auth_enabled);
    }

    #[test]
    fn tenants_are_validated_with_their_keys() {
        let key = "[[auth.api_keys]]\nname = \"k\"\nhash = \"sha256:00\"\ntenant = \"ghost\"\n";
        let file = parse(&format!("{key}[tenants.real]\n")).unwrap();
        let msg = Config::merge(&ServeArgs::default(), file).unwrap_err().to_string();
        assert!(msg.contains("auth.api_keys `k`.tenant") && msg.contains("ghost"), "{msg}");
        let rule = "[auth]\nresource = \"http://x/mcp\"\n[auth.jwt]\nsecret = \"s\"\n[[auth.jwt.tenants]]\nsubject = \"a*\"\ntenant = \"ghost\"\n";
        let file = parse(&format!("{rule}[tenants.real]\n")).unwrap();
        let msg = Config::merge(&ServeArgs::default(), file).unwrap_err().to_string();
        assert!(msg.contains("auth.jwt.tenants.tenant") && msg.contains("ghost"), "{msg}");
        let file = parse("[tenants.\"a b\"]\n").unwrap();
        let msg = Config::merge(&ServeArgs::default(), file).unwrap_err().to_string();
        assert!(msg.contains("tenants.a b"), "{msg}");
        let file =
            parse("[tenants.a.components.svc.secrets]\ntoken = \"env:K8S_MCP_TEST_SURELY_UNSET_VAR\"\n").unwrap();
        let msg = Config::merge(&ServeArgs::default(), file).unwrap_err().to_string();
        assert!(msg.contains("tenants.a.components.svc.secrets.token"), "{msg}");
        let file = parse("[tenants.a]\nrequire_signatures = true\n").unwrap();
        let msg = Config::merge(&ServeArgs::default(), file).unwrap_err().to_string();
        assert!(msg.contains("tenants.a.require_signatures"), "{msg}");
        let file = parse("[tenants.a]\nallow_tools = [\"x_*\"]\n").unwrap();
        assert_eq!(Config::merge(&ServeArgs::default(), file).unwrap().tenants["a"].allow_tools, vec!["x_*"]);
    }

    #[test]
    fn secrets_resolve_from_env_and_fail_with_key() {
        let file = parse("[components.svc.secrets]\ntoken = \"env:K8S_MCP_TEST_SURELY_UNSET_VAR\"\n").unwrap();
        let msg = Config::merge(&ServeArgs::default(), file).unwrap_err().to_string();
        assert!(msg.contains("components.svc.secrets.token"), "{msg}");
        let file = parse("[components.svc.secrets]\ntoken = \"literal-value\"\n").unwrap();
        let c = Config::merge(&ServeArgs::default(), file).unwrap();
        assert_eq!(c.components["svc"].secrets["token"], "literal-value");
    }
}
