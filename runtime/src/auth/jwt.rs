//! Bearer JWT verification: signature (HS256 secret, RS256/ES256 static PEM
//! keys or a JWKS URL), then `exp`, `nbf`, `iss` and `aud`. Only a token
//! that passes every check yields an [`Identity`].

use super::identity::{AuthMethod, Identity};
use crate::config::frontdoor::JwtSection;
use crate::error::{Error, Result};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Map, Value};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A JWKS is fetched again after this long, or when a token names an
/// unknown `kid` (at most once per `JWKS_MIN_REFRESH`).
const DEFAULT_JWKS_TTL: Duration = Duration::from_secs(600);
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(10);
const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Key {
    kid: Option<String>,
    /// Algorithms this key may verify.
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
}

struct Jwks {
    url: String,
    /// The URL names an OpenID discovery document, not the key set.
    discovery: bool,
    ttl: Duration,
    client: reqwest::Client,
    cached: tokio::sync::Mutex<Option<(Instant, Vec<Key>)>>,
    last_fetch: Mutex<Option<Instant>>,
}

pub struct JwtVerifier {
    keys: Vec<Key>,
    jwks: Option<Jwks>,
    algorithms: Vec<Algorithm>,
    issuer: Option<String>,
    audience: String,
    leeway: u64,
    tenant_claim: String,
    tenant_rules: Vec<crate::config::frontdoor::JwtTenantRule>,
    roles_claim: String,
}

fn alg(name: &str) -> Result<Algorithm> {
    match Algorithm::from_str(name) {
        Ok(a) if a != Algorithm::EdDSA => Ok(a),
        _ => Err(Error::invalid("auth.jwt.algorithms", format!("`{name}` is not a supported JWT algorithm"))),
    }
}

impl JwtVerifier {
    /// `resource`: the server's resource identifier, the default audience.
    pub fn new(section: &JwtSection, resource: Option<&str>) -> Result<Self> {
        let resolve =
            |key: &str, v: &str| crate::config::resolve_secret(v).map_err(|m| Error::invalid(key, m.to_string()));
        let mut keys = Vec::new();
        if let Some(secret) = &section.secret {
            let secret = resolve("auth.jwt.secret", secret)?;
            if secret.len() < 32 {
                return Err(Error::invalid("auth.jwt.secret", "an HS256 secret must be at least 32 bytes"));
            }
            keys.push(Key {
                kid: None,
                algorithms: vec![Algorithm::HS256],
                key: DecodingKey::from_secret(secret.as_bytes()),
            });
        }
        for (i, pem) in section.public_keys.iter().enumerate() {
            let k = format!("auth.jwt.public_keys[{i}]");
            let pem = resolve(&k, pem)?;
            let key = if let Ok(key) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
                Key {
                    kid: None,
                    algorithms: vec![Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256],
                    key,
                }
            } else if let Ok(key) = DecodingKey::from_ec_pem(pem.as_bytes()) {
                Key { kid: None, algorithms: vec![Algorithm::ES256, Algorithm::ES384], key }
            } else {
                return Err(Error::invalid(k, "not a PEM RSA or EC public key"));
            };
            keys.push(key);
        }
        let jwks = match (&section.jwks_url, &section.discovery_url) {
            (None, None) => None,
            (url, discovery) => {
                let timeout = section.http_timeout_secs.map_or(DEFAULT_HTTP_TIMEOUT, Duration::from_secs);
                let client = reqwest::Client::builder()
                    .use_preconfigured_tls((*crate::host::http::tls::default_config()).clone())
                    .timeout(timeout)
                    .build()
                    .map_err(|e| Error::invalid("auth.jwt.jwks_url", format!("HTTP client: {e}")))?;
                let (url, discovery) = match url {
                    Some(u) => (u.clone(), false),
                    None => (discovery.clone().unwrap_or_default(), true),
                };
                url::Url::parse(&url).map_err(|e| Error::invalid("auth.jwt.jwks_url", format!("`{url}`: {e}")))?;
                Some(Jwks {
                    url,
                    discovery,
                    ttl: section.jwks_cache_ttl_secs.map_or(DEFAULT_JWKS_TTL, Duration::from_secs),
                    client,
                    cached: tokio::sync::Mutex::new(None),
                    last_fetch: Mutex::new(None),
                })
            }
        };
        if keys.is_empty() && jwks.is_none() {
            return Err(Error::invalid("auth.jwt", "needs a secret, public_keys or a jwks_url"));
        }
        let algorithms = if section.algorithms.is_empty() {
            let mut a = Vec::new();
            if section.secret.is_some() {
                a.push(Algorithm::HS256);
            }
            if !section.public_keys.is_empty() || jwks.is_some() {
                a.extend([Algorithm::RS256, Algorithm::ES256]);
            }
            a
        } else {
            section.algorithms.iter().map(|a| alg(a)).collect::<Result<_>>()?
        };
        let audience = section.audience.clone().or(resource.map(str::to_string)).ok_or_else(|| {
            Error::invalid(
                "auth.jwt.audience",
                "JWTs need an audience to check: set auth.jwt.audience or auth.resource",
            )
        })?;
        Ok(Self {
            keys,
            jwks,
            algorithms,
            issuer: section.issuer.clone(),
            audience,
            leeway: section.leeway_secs.unwrap_or(30),
            tenant_claim: section.tenant_claim.clone().unwrap_or_else(|| "tenant".into()),
            tenant_rules: section.tenants.clone(),
            roles_claim: section.roles_claim.clone().unwrap_or_else(|| "roles".into()),
        })
    }

    /// Verify `token`; the error is a short reason fit for a 401.
    pub async fn verify(&self, token: &str, default_tenant: &str) -> Result<Identity, Rejected> {
        let header = decode_header(token).map_err(|_| Rejected::from("malformed token"))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(Rejected(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[&self.audience]);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "aud", "sub"];
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let mut last = "no key verifies this token".to_string();
        let try_keys = |keys: &[Key], last: &mut String| -> Option<Map<String, Value>> {
            for k in keys.iter().filter(|k| k.algorithms.contains(&header.alg)) {
                if let (Some(want), Some(have)) = (&header.kid, &k.kid)
                    && want != have
                {
                    continue;
                }
                match decode::<Map<String, Value>>(token, &k.key, &validation) {
                    Ok(data) => return Some(data.claims),
                    Err(e) => *last = reason(&e),
                }
            }
            None
        };
        let mut claims = try_keys(&self.keys, &mut last);
        if claims.is_none()
            && let Some(jwks) = &self.jwks
        {
            for force in [false, true] {
                let set = jwks.keys(force, header.kid.as_deref()).await?;
                claims = try_keys(&set, &mut last);
                if claims.is_some()
                    || !force && header.kid.as_ref().is_some_and(|k| set.iter().any(|s| s.kid.as_ref() == Some(k)))
                {
                    break;
                }
            }
        }
        let claims = claims.ok_or(last)?;
        let subject =
            claims.get("sub").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or("token has no subject")?;
        let issuer = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        let tenant = claims
            .get(&self.tenant_claim)
            .and_then(Value::as_str)
            .or_else(|| self.tenant_by_rule(issuer, subject))
            .unwrap_or(default_tenant);
        let roles = match claims.get(&self.roles_claim) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
            _ => Vec::new(),
        };
        Ok(Identity {
            subject: subject.to_string(),
            tenant: tenant.to_string(),
            roles,
            method: AuthMethod::Jwt,
            credential: format!("jwt:{issuer}:{subject}"),
        })
    }
}

impl JwtVerifier {
    /// The tenant of the first `[[auth.jwt.tenants]]` rule matching the token.
    fn tenant_by_rule(&self, issuer: &str, subject: &str) -> Option<&str> {
        self.tenant_rules
            .iter()
            .find(|r| {
                r.issuer.as_deref().is_none_or(|i| i == issuer)
                    && r.subject.as_deref().is_none_or(|p| super::identity::glob_match(p, subject))
            })
            .map(|r| r.tenant.as_str())
    }
}

fn reason(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => "token expired".into(),
        K::ImmatureSignature => "token not yet valid".into(),
        K::InvalidAudience => "token audience does not match this resource".into(),
        K::InvalidIssuer => "token issuer is not accepted".into(),
        K::InvalidSignature => "invalid signature".into(),
        K::MissingRequiredClaim(c) => format!("token lacks the `{c}` claim"),
        _ => "invalid token".into(),
    }
}

/// A token refused; the reason is short and safe to show in a 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Rejected(pub String);

impl From<&str> for Rejected {
    fn from(reason: &str) -> Self {
        Self(reason.to_string())
    }
}

impl From<String> for Rejected {
    fn from(reason: String) -> Self {
        Self(reason)
    }
}

/// Why the JWKS (or its discovery document) could not be fetched.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("discovery document has no jwks_uri")]
    NoJwksUri,
    #[error("not a JWKS: {0}")]
    Format(#[from] serde_json::Error),
}

impl Jwks {
    /// The cached key set, fetched when stale or (with `force`) when a
    /// token names a key the cache lacks.
    async fn keys(&self, force: bool, kid: Option<&str>) -> Result<Vec<Key>, Rejected> {
        let mut cached = self.cached.lock().await;
        let fresh = cached.as_ref().is_some_and(|(at, _)| at.elapsed() < self.ttl);
        let has_kid = |keys: &Vec<Key>| kid.is_none_or(|k| keys.iter().any(|x| x.kid.as_deref() == Some(k)));
        let recently = self.last_fetch.lock().ok().and_then(|l| *l).is_some_and(|t| t.elapsed() < JWKS_MIN_REFRESH);
        let need = !fresh || (force && !cached.as_ref().is_some_and(|(_, k)| has_kid(k)) && !recently);
        if need {
            if let Ok(mut l) = self.last_fetch.lock() {
                *l = Some(Instant::now());
            }
            match self.fetch().await {
                Ok(keys) => *cached = Some((Instant::now(), keys)),
                Err(e) => {
                    tracing::warn!(url = %self.url, "JWKS fetch failed: {e}");
                    if cached.is_none() {
                        return Err("signing keys unavailable".into());
                    }
                }
            }
        }
        Ok(cached.as_ref().map(|(_, k)| k.clone()).unwrap_or_default())
    }

    async fn fetch(&self) -> Result<Vec<Key>, FetchError> {
        let get = |url: String| async move {
            let r = self.client.get(&url).send().await?;
            if !r.status().is_success() {
                return Err(FetchError::Status { url, status: r.status().as_u16() });
            }
            Ok(r.json::<Value>().await?)
        };
        let url = if self.discovery {
            let doc = get(self.url.clone()).await?;
            doc.get("jwks_uri").and_then(Value::as_str).ok_or(FetchError::NoJwksUri)?.to_string()
        } else {
            self.url.clone()
        };
        let set: JwkSet = serde_json::from_value(get(url).await?)?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let Ok(key) = DecodingKey::from_jwk(jwk) else { continue };
            let algorithms = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => {
                    vec![Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256]
                }
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => vec![Algorithm::ES256, Algorithm::ES384],
                _ => continue,
            };
            keys.push(Key { kid: jwk.common.key_id.clone(), algorithms, key });
        }
        Ok(keys)
    }
}
