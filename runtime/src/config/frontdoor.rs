//! The `[auth]`, `[ratelimit]`, `[audit]` and `[admin]` sections of the
//! config file, the reference server's `MCP_AUTH_*` / `MCP_RATELIMIT_*`
//! environment variables, and their validation into [`FrontDoorConfig`].

mod lockout;

use crate::error::{Error, Result};
pub use lockout::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

pub const ENV_AUTH_ENABLED: &str = "MCP_AUTH_ENABLED";
pub const ENV_AUTH_MODE: &str = "MCP_AUTH_MODE";
pub const ENV_AUTH_API_KEY: &str = "MCP_AUTH_API_KEY";
pub const ENV_AUTH_BEARER_TOKEN: &str = "MCP_AUTH_BEARER_TOKEN";
pub const ENV_AUTH_USERNAME: &str = "MCP_AUTH_USERNAME";
pub const ENV_AUTH_PASSWORD: &str = "MCP_AUTH_PASSWORD";
pub const ENV_AUTH_JWT_SECRET: &str = "MCP_AUTH_JWT_SECRET";
pub const ENV_AUTH_JWT_ALGORITHM: &str = "MCP_AUTH_JWT_ALGORITHM";
pub const ENV_AUTH_OIDC_ISSUER: &str = "MCP_AUTH_OIDC_ISSUER";
pub const ENV_AUTH_OIDC_ISSUER_URL: &str = "MCP_AUTH_OIDC_ISSUER_URL";
pub const ENV_AUTH_OIDC_DISCOVERY_URL: &str = "MCP_AUTH_OIDC_DISCOVERY_URL";
pub const ENV_AUTH_OIDC_AUDIENCE: &str = "MCP_AUTH_OIDC_AUDIENCE";
pub const ENV_AUTH_OIDC_CLIENT_ID: &str = "MCP_AUTH_OIDC_CLIENT_ID";
pub const ENV_AUTH_OIDC_JWKS_URL: &str = "MCP_AUTH_OIDC_JWKS_URL";
pub const ENV_AUTH_OIDC_HTTP_TIMEOUT: &str = "MCP_AUTH_OIDC_HTTP_TIMEOUT";
pub const ENV_AUTH_OIDC_JWKS_CACHE_TTL: &str = "MCP_AUTH_OIDC_JWKS_CACHE_TTL";
/// Both spellings of the reference are accepted.
pub const ENV_RATELIMIT_PREFIXES: [&str; 2] = ["MCP_RATELIMIT_", "MCP_RATE_LIMIT_"];

pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9464";

/// `[auth]`: which credentials are accepted and what they may do.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    /// Default: on when any credential is configured.
    pub enabled: Option<bool>,
    /// Restrict to one method: `apikey`, `bearer` or `basic` (the reference's single mode).
    pub mode: Option<String>,
    /// The protected resource's identifier (RFC 9728 `resource`), e.g.
    /// `https://mcp.example.com/mcp`; the default JWT audience.
    pub resource: Option<String>,
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    /// Plain single credentials of the reference server (hashed at start-up).
    pub api_key: Option<String>,
    pub bearer_token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Roles of the single credentials above.
    #[serde(default)]
    pub default_roles: Vec<String>,
    /// Accept API keys in the `api_key` query parameter too (the reference does).
    pub api_key_query: Option<bool>,
    #[serde(default)]
    pub api_keys: Vec<ApiKeyEntry>,
    #[serde(default)]
    pub users: Vec<UserEntry>,
    pub jwt: Option<JwtSection>,
    /// Role name -> what it may call. No roles table: every identity may call every tool.
    #[serde(default)]
    pub roles: BTreeMap<String, RoleSection>,
    /// Refused credentials naming one user before it is locked out (0: no limit).
    pub failed_login_limit: Option<u32>,
    /// Refused credentials from one client address before it is locked out (0: no limit).
    pub failed_login_limit_per_address: Option<u32>,
    /// The first lockout in seconds; it doubles with each further failure (at most 15 minutes).
    pub failed_login_backoff_seconds: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyEntry {
    /// Non-secret label (logs, metrics, rate-limit key).
    pub name: String,
    /// `sha256:<hex>` of the key (`printf %s KEY | sha256sum`).
    pub hash: String,
    pub subject: Option<String>,
    pub tenant: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// RFC 3339 time or date after which the key is refused.
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub username: String,
    /// An argon2 PHC string (`$argon2id$...`) or `sha256:<hex>`.
    pub password_hash: String,
    pub tenant: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSection {
    /// HS256 shared secret (literal, `env:VAR` or `file:/path`).
    pub secret: Option<String>,
    /// PEM public keys (RS256 / ES256), literal or `file:/path`.
    #[serde(default)]
    pub public_keys: Vec<String>,
    pub jwks_url: Option<String>,
    /// OpenID discovery document whose `jwks_uri` (and `issuer`) to use.
    pub discovery_url: Option<String>,
    pub issuer: Option<String>,
    /// Default: `auth.resource`.
    pub audience: Option<String>,
    /// Default: HS256 with a secret, RS256 and ES256 with keys.
    #[serde(default)]
    pub algorithms: Vec<String>,
    pub tenant_claim: Option<String>,
    /// Tenants of tokens without the tenant claim, by issuer and/or subject
    /// pattern; the first matching rule wins.
    #[serde(default)]
    pub tenants: Vec<JwtTenantRule>,
    pub roles_claim: Option<String>,
    pub leeway_secs: Option<u64>,
    pub jwks_cache_ttl_secs: Option<u64>,
    pub http_timeout_secs: Option<u64>,
}

/// `[[auth.jwt.tenants]]`: tokens from `issuer` (exact) whose subject
/// matches `subject` (a `*`/`?` pattern) belong to `tenant`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtTenantRule {
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub tenant: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSection {
    /// Tool name patterns (`*`, `?`), e.g. `utilities_*`.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Service (component) name patterns.
    #[serde(default)]
    pub services: Vec<String>,
    /// Only tools annotated read-only.
    #[serde(default)]
    pub read_only: bool,
}

/// `[ratelimit]`: token buckets. `requests_per_second` / `burst` are the
/// reference's per-credential limit; tenant and global buckets are extra.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSection {
    pub enabled: Option<bool>,
    pub requests_per_second: Option<f64>,
    pub burst: Option<u32>,
    pub tenant: Option<Bucket>,
    /// Authenticated requests of every caller together.
    pub global: Option<Bucket>,
    /// Requests without a valid credential, apart from everyone else's.
    pub unauthenticated: Option<Bucket>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub requests_per_second: f64,
    pub burst: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fsync {
    /// Every line reaches the disk before the call is answered.
    #[default]
    Always,
    /// Left to the operating system (fast; lines can be lost on power failure).
    Never,
}

/// `[audit]`: one JSON line per tool call.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    pub enabled: Option<bool>,
    pub path: Option<PathBuf>,
    #[serde(default)]
    pub stdout: bool,
    #[serde(default)]
    pub fsync: Fsync,
    /// Rotate when the file would grow past this size (0: never).
    pub max_size_mb: Option<u64>,
    pub max_backups: Option<u32>,
    /// Argument names (case-insensitive substrings) whose values are redacted,
    /// in addition to the built-in list.
    #[serde(default)]
    pub redact_fields: Vec<String>,
}

/// `[admin]`: the metrics and health listener.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSection {
    pub enabled: Option<bool>,
    pub listen: Option<String>,
    /// Bearer token `/metrics` requires (literal, `env:VAR` or `file:/path`); probes stay open.
    pub token: Option<String>,
}

/// Validated front-door settings.
#[derive(Debug, Clone, Default)]
pub struct FrontDoorConfig {
    pub auth: AuthSection,
    pub auth_enabled: bool,
    pub ratelimit: Option<Limits>,
    pub audit: Option<AuditSection>,
    pub admin_listen: Option<SocketAddr>,
    /// Resolved `admin.token`.
    pub admin_token: Option<String>,
    /// How long in-flight calls may finish after a shutdown signal.
    pub shutdown_grace: std::time::Duration,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub credential: Bucket,
    pub tenant: Option<Bucket>,
    pub global: Option<Bucket>,
    pub unauthenticated: Option<Bucket>,
}

/// Environment lookup, injectable for tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn boolish(key: &str, v: &str) -> Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(Error::invalid(key, format!("`{v}` is not a boolean"))),
    }
}

fn number<T: std::str::FromStr>(key: &str, v: &str) -> Result<T> {
    v.trim().parse().map_err(|_| Error::invalid(key, format!("`{v}` is not a number")))
}

/// Sections of the file after the environment variables are folded in.
pub struct Sections {
    pub auth: AuthSection,
    pub ratelimit: RateLimitSection,
    pub audit: AuditSection,
    pub admin: AdminSection,
}

impl FrontDoorConfig {
    /// `admin_flag`: `--admin-listen` (`off` disables the listener).
    pub fn build(mut s: Sections, env: Env<'_>, admin_flag: Option<&str>) -> Result<Self> {
        let a = &mut s.auth;
        if let Some(v) = env(ENV_AUTH_ENABLED) {
            a.enabled = Some(boolish(ENV_AUTH_ENABLED, &v)?);
        }
        for (var, slot) in [
            (ENV_AUTH_MODE, &mut a.mode),
            (ENV_AUTH_API_KEY, &mut a.api_key),
            (ENV_AUTH_BEARER_TOKEN, &mut a.bearer_token),
            (ENV_AUTH_USERNAME, &mut a.username),
            (ENV_AUTH_PASSWORD, &mut a.password),
        ] {
            if let Some(v) = env(var) {
                *slot = Some(v);
            }
        }
        let jwt_env = [
            ENV_AUTH_JWT_SECRET,
            ENV_AUTH_OIDC_ISSUER,
            ENV_AUTH_OIDC_ISSUER_URL,
            ENV_AUTH_OIDC_DISCOVERY_URL,
            ENV_AUTH_OIDC_AUDIENCE,
            ENV_AUTH_OIDC_CLIENT_ID,
            ENV_AUTH_OIDC_JWKS_URL,
        ];
        if jwt_env.iter().any(|v| env(v).is_some()) {
            let j = a.jwt.get_or_insert_with(JwtSection::default);
            if let Some(v) = env(ENV_AUTH_JWT_SECRET) {
                j.secret = Some(v);
            }
            if let Some(v) = env(ENV_AUTH_JWT_ALGORITHM) {
                j.algorithms = vec![v];
            }
            if let Some(v) = env(ENV_AUTH_OIDC_ISSUER).or_else(|| env(ENV_AUTH_OIDC_ISSUER_URL)) {
                j.issuer = Some(v);
            }
            if let Some(v) = env(ENV_AUTH_OIDC_JWKS_URL) {
                j.jwks_url = Some(v);
            } else if j.jwks_url.is_none()
                && let Some(url) = env(ENV_AUTH_OIDC_DISCOVERY_URL).or_else(|| {
                    env(ENV_AUTH_OIDC_ISSUER_URL)
                        .map(|i| format!("{}/.well-known/openid-configuration", i.trim_end_matches('/')))
                })
            {
                j.discovery_url = Some(url);
            }
            if let Some(v) = env(ENV_AUTH_OIDC_AUDIENCE).or_else(|| env(ENV_AUTH_OIDC_CLIENT_ID)) {
                j.audience = Some(v);
            }
            if let Some(v) = env(ENV_AUTH_OIDC_HTTP_TIMEOUT) {
                j.http_timeout_secs = Some(number(ENV_AUTH_OIDC_HTTP_TIMEOUT, &v)?);
            }
            if let Some(v) = env(ENV_AUTH_OIDC_JWKS_CACHE_TTL) {
                j.jwks_cache_ttl_secs = Some(number(ENV_AUTH_OIDC_JWKS_CACHE_TTL, &v)?);
            }
        }
        let any_credential = a.api_key.is_some()
            || a.bearer_token.is_some()
            || a.username.is_some()
            || !a.api_keys.is_empty()
            || !a.users.is_empty()
            || a.jwt.is_some();
        let auth_enabled = a.enabled.unwrap_or(any_credential);
        if auth_enabled && !any_credential {
            return Err(Error::invalid("auth.enabled", "authentication is enabled but no credential is configured"));
        }
        if let Some(mode) = &a.mode {
            let has = match mode.as_str() {
                "apikey" => a.api_key.is_some() || !a.api_keys.is_empty(),
                "bearer" => a.bearer_token.is_some() || a.jwt.is_some(),
                "basic" => a.username.is_some() || !a.users.is_empty(),
                _ => return Err(Error::invalid("auth.mode", format!("`{mode}` is not one of apikey, bearer, basic"))),
            };
            if auth_enabled && !has {
                return Err(Error::invalid(
                    "auth.mode",
                    format!("mode `{mode}` is set but no {mode} credential is configured"),
                ));
            }
        }
        if a.username.is_some() != a.password.is_some() {
            return Err(Error::invalid("auth.password", "auth.username and auth.password go together"));
        }

        let r = &mut s.ratelimit;
        for prefix in ENV_RATELIMIT_PREFIXES {
            if let Some(v) = env(&format!("{prefix}ENABLED")) {
                r.enabled = Some(boolish("MCP_RATELIMIT_ENABLED", &v)?);
            }
            if let Some(v) = env(&format!("{prefix}REQUESTS_PER_SECOND")) {
                r.requests_per_second = Some(number("MCP_RATELIMIT_REQUESTS_PER_SECOND", &v)?);
            }
            if let Some(v) = env(&format!("{prefix}BURST")) {
                r.burst = Some(number("MCP_RATELIMIT_BURST", &v)?);
            }
        }
        let ratelimit = if r.enabled.unwrap_or(false) {
            let credential =
                Bucket { requests_per_second: r.requests_per_second.unwrap_or(10.0), burst: r.burst.unwrap_or(20) };
            check_bucket("ratelimit", &credential)?;
            if let Some(b) = &r.tenant {
                check_bucket("ratelimit.tenant", b)?;
            }
            if let Some(b) = &r.global {
                check_bucket("ratelimit.global", b)?;
            }
            let unauthenticated = r.unauthenticated.unwrap_or(DEFAULT_UNAUTHENTICATED);
            check_bucket("ratelimit.unauthenticated", &unauthenticated)?;
            Some(Limits { credential, tenant: r.tenant, global: r.global, unauthenticated: Some(unauthenticated) })
        } else {
            None
        };

        let audit = if s.audit.enabled.unwrap_or(s.audit.path.is_some() || s.audit.stdout) {
            if s.audit.path.is_none() && !s.audit.stdout {
                return Err(Error::invalid("audit.path", "audit is enabled but neither a path nor stdout is set"));
            }
            Some(s.audit)
        } else {
            None
        };

        let admin_text = admin_flag.map(str::to_string).or(s.admin.listen);
        let admin_listen = if !s.admin.enabled.unwrap_or(true) || admin_text.as_deref() == Some("off") {
            None
        } else {
            let text = admin_text.unwrap_or_else(|| DEFAULT_ADMIN_LISTEN.into());
            Some(text.parse().map_err(|_| {
                Error::invalid("admin.listen", format!("`{text}` is not an address like {DEFAULT_ADMIN_LISTEN}"))
            })?)
        };
        let admin_token = match s.admin.token.as_deref() {
            None => None,
            Some(t) => {
                let t = crate::config::resolve_secret(t).map_err(|e| Error::invalid("admin.token", e.to_string()))?;
                if t.trim().is_empty() {
                    return Err(Error::invalid("admin.token", "is empty"));
                }
                Some(t.trim().to_string())
            }
        };
        Ok(Self {
            auth: s.auth,
            auth_enabled,
            ratelimit,
            audit,
            admin_listen,
            admin_token,
            shutdown_grace: std::time::Duration::from_secs(10),
        })
    }
}

fn check_bucket(key: &str, b: &Bucket) -> Result<()> {
    if !(b.requests_per_second.is_finite() && b.requests_per_second > 0.0) {
        return Err(Error::invalid(format!("{key}.requests_per_second"), "must be greater than 0"));
    }
    if b.burst == 0 {
        return Err(Error::invalid(format!("{key}.burst"), "must be at least 1"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections() -> Sections {
        Sections {
            auth: AuthSection::default(),
            ratelimit: RateLimitSection::default(),
            audit: AuditSection::default(),
            admin: AdminSection::default(),
        }
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn reference_environment_variables_configure_auth_and_rate_limits() {
        let env = env_of(&[
            ("MCP_AUTH_ENABLED", "true"),
            ("MCP_AUTH_MODE", "apikey"),
            ("MCP_AUTH_API_KEY", "k"),
            ("MCP_RATE_LIMIT_ENABLED", "1"),
            ("MCP_RATELIMIT_REQUESTS_PER_SECOND", "2.5"),
            ("MCP_RATELIMIT_BURST", "7"),
            ("MCP_AUTH_OIDC_ISSUER_URL", "https://idp.test/"),
            ("MCP_AUTH_OIDC_CLIENT_ID", "mcp"),
        ]);
        let c = FrontDoorConfig::build(sections(), &env, None).unwrap();
        assert!(c.auth_enabled);
        assert_eq!(c.auth.mode.as_deref(), Some("apikey"));
        assert_eq!(c.ratelimit.unwrap().credential, Bucket { requests_per_second: 2.5, burst: 7 });
        let jwt = c.auth.jwt.unwrap();
        assert_eq!(jwt.discovery_url.as_deref(), Some("https://idp.test/.well-known/openid-configuration"));
        assert_eq!(jwt.audience.as_deref(), Some("mcp"));
        assert_eq!(c.admin_listen, Some(DEFAULT_ADMIN_LISTEN.parse().unwrap()));
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = |pairs: &'static [(&'static str, &'static str)]| {
            FrontDoorConfig::build(sections(), &env_of(pairs), None).unwrap_err().to_string()
        };
        assert!(err(&[("MCP_AUTH_ENABLED", "perhaps")]).contains("MCP_AUTH_ENABLED"));
        assert!(err(&[("MCP_AUTH_ENABLED", "true")]).contains("auth.enabled"));
        assert!(err(&[("MCP_AUTH_API_KEY", "k"), ("MCP_AUTH_MODE", "magic")]).contains("auth.mode"));
        assert!(err(&[("MCP_AUTH_API_KEY", "k"), ("MCP_AUTH_MODE", "basic")]).contains("no basic credential"));
        assert!(err(&[("MCP_RATELIMIT_ENABLED", "true"), ("MCP_RATELIMIT_BURST", "0")]).contains("ratelimit.burst"));
        assert!(
            err(&[("MCP_RATELIMIT_ENABLED", "true"), ("MCP_RATELIMIT_REQUESTS_PER_SECOND", "0")])
                .contains("ratelimit.requests_per_second")
        );
        let msg = FrontDoorConfig::build(sections(), &|_| None, Some("nowhere")).unwrap_err().to_string();
        assert!(msg.contains("admin.listen"), "{msg}");
        let s = Sections { audit: AuditSection { enabled: Some(true), ..Default::default() }, ..sections() };
        let msg = FrontDoorConfig::build(s, &|_| None, None).unwrap_err().to_string();
        assert!(msg.contains("audit.path"), "{msg}");
    }

    #[test]
    fn admin_listener_can_be_turned_off() {
        assert_eq!(FrontDoorConfig::build(sections(), &|_| None, Some("off")).unwrap().admin_listen, None);
        let s = Sections { admin: AdminSection { enabled: Some(false), ..Default::default() }, ..sections() };
        assert_eq!(FrontDoorConfig::build(s, &|_| None, None).unwrap().admin_listen, None);
    }
}
