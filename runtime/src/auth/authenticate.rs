//! Authentication: API keys (`X-API-Key` or `?api_key=`, stored as SHA-256
//! hashes, with expiry), HTTP basic (argon2 or SHA-256 password hashes), a
//! static bearer token, and verified JWTs. Several may be enabled at once;
//! `auth.mode` narrows to one. Credentials never leave this module.

use super::identity::{AuthMethod, Identity};
use super::jwt::JwtVerifier;
use crate::config::frontdoor::AuthSection;
use crate::error::{Error, Result};
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use axum::http::HeaderMap;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::SystemTime;
use subtle::ConstantTimeEq;

/// Upper bound on presented credentials; longer ones are refused unread.
const MAX_CREDENTIAL_LEN: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No credential was presented.
    Missing,
    /// A credential was presented and refused; the reason is safe to show.
    Invalid(String),
}

struct KeyEntry {
    identity: Identity,
    expires: Option<SystemTime>,
}

#[derive(Clone)]
enum PasswordCheck {
    Sha256([u8; 32]),
    Argon2(String),
}

struct User {
    check: PasswordCheck,
    identity: Identity,
}

pub struct Authenticator {
    keys: HashMap<[u8; 32], KeyEntry>,
    users: HashMap<String, User>,
    bearer: Option<([u8; 32], Identity)>,
    jwt: Option<JwtVerifier>,
    mode: Option<String>,
    api_key_query: bool,
    default_tenant: String,
    /// Verified for an unknown user name, so its refusal costs what a known
    /// user's does: an argon2 hash of a configured user when there is one.
    dummy: PasswordCheck,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn parse_sha256(key: &str, value: &str) -> Result<[u8; 32]> {
    let hex_text =
        value.strip_prefix("sha256:").ok_or_else(|| Error::invalid(key, "must be `sha256:<64 hex digits>`"))?;
    let bytes = hex::decode(hex_text.trim()).map_err(|_| Error::invalid(key, "must be `sha256:<64 hex digits>`"))?;
    bytes.try_into().map_err(|_| Error::invalid(key, "must be `sha256:<64 hex digits>`"))
}

impl Authenticator {
    pub fn new(a: &AuthSection, default_tenant: &str) -> Result<Self> {
        let tenant = |t: &Option<String>| t.clone().unwrap_or_else(|| default_tenant.to_string());
        let mut keys = HashMap::new();
        for (i, k) in a.api_keys.iter().enumerate() {
            let key = format!("auth.api_keys[{i}]");
            let hash = parse_sha256(&format!("{key}.hash"), &k.hash)?;
            let expires = match &k.expires {
                None => None,
                Some(text) => Some(crate::audit::parse_time(text).ok_or_else(|| {
                    Error::invalid(format!("{key}.expires"), format!("`{text}` is not an RFC 3339 time"))
                })?),
            };
            let identity = Identity {
                subject: k.subject.clone().unwrap_or_else(|| k.name.clone()),
                tenant: tenant(&k.tenant),
                roles: k.roles.clone(),
                method: AuthMethod::ApiKey,
                credential: format!("apikey:{}", k.name),
            };
            if keys.insert(hash, KeyEntry { identity, expires }).is_some() {
                return Err(Error::invalid(format!("{key}.hash"), "the same key is configured twice"));
            }
        }
        if let Some(plain) = &a.api_key {
            let identity = Identity {
                subject: "apikey".into(),
                tenant: default_tenant.into(),
                roles: a.default_roles.clone(),
                method: AuthMethod::ApiKey,
                credential: "apikey:default".into(),
            };
            keys.insert(sha256(plain.trim().as_bytes()), KeyEntry { identity, expires: None });
        }
        let mut users = HashMap::new();
        for (i, u) in a.users.iter().enumerate() {
            let key = format!("auth.users[{i}].password_hash");
            let check = if u.password_hash.starts_with("$argon2") {
                PasswordHash::new(&u.password_hash)
                    .map_err(|e| Error::invalid(&key, format!("not an argon2 hash: {e}")))?;
                PasswordCheck::Argon2(u.password_hash.clone())
            } else {
                PasswordCheck::Sha256(parse_sha256(&key, &u.password_hash)?)
            };
            let identity = Identity {
                subject: u.username.clone(),
                tenant: tenant(&u.tenant),
                roles: u.roles.clone(),
                method: AuthMethod::Basic,
                credential: format!("basic:{}", u.username),
            };
            users.insert(u.username.clone(), User { check, identity });
        }
        if let (Some(name), Some(password)) = (&a.username, &a.password) {
            let identity = Identity {
                subject: name.clone(),
                tenant: default_tenant.into(),
                roles: a.default_roles.clone(),
                method: AuthMethod::Basic,
                credential: format!("basic:{name}"),
            };
            users.insert(name.clone(), User { check: PasswordCheck::Sha256(sha256(password.as_bytes())), identity });
        }
        let dummy = users
            .values()
            .map(|u: &User| u.check.clone())
            .find(|c| matches!(c, PasswordCheck::Argon2(_)))
            .unwrap_or(PasswordCheck::Sha256([0; 32]));
        let bearer = a.bearer_token.as_ref().map(|t| {
            let identity = Identity {
                subject: "bearer".into(),
                tenant: default_tenant.into(),
                roles: a.default_roles.clone(),
                method: AuthMethod::BearerToken,
                credential: "bearer:default".into(),
            };
            (sha256(t.trim().as_bytes()), identity)
        });
        let jwt = match &a.jwt {
            Some(j) => Some(JwtVerifier::new(j, a.resource.as_deref())?),
            None => None,
        };
        Ok(Self {
            keys,
            users,
            bearer,
            jwt,
            mode: a.mode.clone(),
            api_key_query: a.api_key_query.unwrap_or(true),
            default_tenant: default_tenant.into(),
            dummy,
        })
    }

    /// The user name of a basic credential in `headers`, if any (for the
    /// failed-login limits, before anything is verified).
    pub fn basic_user(&self, headers: &HeaderMap) -> Option<String> {
        let value = headers.get("authorization")?.to_str().ok()?.trim();
        let (scheme, rest) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") || !self.allows("basic") || value.len() > MAX_CREDENTIAL_LEN {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        text.split_once(':').map(|(name, _)| name.to_string())
    }

    fn allows(&self, mode: &str) -> bool {
        self.mode.as_deref().is_none_or(|m| m == mode)
    }

    pub fn accepts_basic(&self) -> bool {
        self.allows("basic") && !self.users.is_empty()
    }

    /// Identify the caller of a request from its headers and query string.
    pub async fn authenticate(&self, headers: &HeaderMap, query: Option<&str>) -> Result<Identity, AuthError> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        if let Some(value) = header("authorization") {
            if value.len() > MAX_CREDENTIAL_LEN {
                return Err(AuthError::Invalid("credential too long".into()));
            }
            let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
            let rest = rest.trim();
            if scheme.eq_ignore_ascii_case("bearer") && self.allows("bearer") {
                return self.bearer(rest).await;
            }
            if scheme.eq_ignore_ascii_case("basic") && self.allows("basic") {
                return self.basic(rest).await;
            }
        }
        if self.allows("apikey") && !self.keys.is_empty() {
            let from_query = || {
                self.api_key_query
                    .then(|| {
                        url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                            .find(|(k, _)| k == "api_key")
                            .map(|(_, v)| v.into_owned())
                    })
                    .flatten()
            };
            if let Some(key) = header("x-api-key").map(str::to_string).or_else(from_query) {
                return self.api_key(&key);
            }
        }
        Err(AuthError::Missing)
    }

    fn api_key(&self, presented: &str) -> Result<Identity, AuthError> {
        let presented = presented.trim().trim_matches(['"', '\'']);
        if presented.is_empty() || presented.len() > MAX_CREDENTIAL_LEN {
            return Err(AuthError::Invalid("invalid API key".into()));
        }
        let entry = self.keys.get(&sha256(presented.as_bytes())).ok_or(AuthError::Invalid("invalid API key".into()))?;
        if entry.expires.is_some_and(|e| e <= SystemTime::now()) {
            return Err(AuthError::Invalid("API key expired".into()));
        }
        Ok(entry.identity.clone())
    }

    async fn basic(&self, encoded: &str) -> Result<Identity, AuthError> {
        let invalid = || AuthError::Invalid("invalid user name or password".into());
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| invalid())?;
        let text = String::from_utf8(decoded).map_err(|_| invalid())?;
        let (name, password) = text.split_once(':').ok_or_else(invalid)?;
        let user = self.users.get(name);
        // An unknown user is checked against the dummy, so the answer takes as long.
        let check = user.map_or(&self.dummy, |u| &u.check).clone();
        let ok = verify(check, password.to_string()).await;
        match user {
            Some(u) if ok => Ok(u.identity.clone()),
            _ => Err(invalid()),
        }
    }

    async fn bearer(&self, token: &str) -> Result<Identity, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Invalid("empty bearer token".into()));
        }
        if let Some((hash, identity)) = &self.bearer
            && bool::from(sha256(token.as_bytes()).ct_eq(hash))
        {
            return Ok(identity.clone());
        }
        match &self.jwt {
            Some(jwt) => jwt.verify(token, &self.default_tenant).await.map_err(|r| AuthError::Invalid(r.0)),
            None => Err(AuthError::Invalid("invalid bearer token".into())),
        }
    }
}

/// Check a password; argon2 runs on the blocking pool, never on an async worker.
async fn verify(check: PasswordCheck, password: String) -> bool {
    match check {
        PasswordCheck::Sha256(want) => bool::from(sha256(password.as_bytes()).ct_eq(&want)),
        PasswordCheck::Argon2(phc) => tokio::task::spawn_blocking(move || {
            PasswordHash::new(&phc)
                .is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        })
        .await
        .unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::frontdoor::{ApiKeyEntry, UserEntry};

    fn hash_of(s: &str) -> String {
        format!("sha256:{}", hex::encode(sha256(s.as_bytes())))
    }

    fn auth() -> Authenticator {
        let section = AuthSection {
            api_keys: vec![
                ApiKeyEntry {
                    name: "ci".into(),
                    hash: hash_of("key-one"),
                    subject: Some("ci-bot".into()),
                    tenant: Some("team-a".into()),
                    roles: vec!["viewer".into()],
                    expires: None,
                },
                ApiKeyEntry {
                    name: "old".into(),
                    hash: hash_of("key-old"),
                    subject: None,
                    tenant: None,
                    roles: vec![],
                    expires: Some("2001-01-01".into()),
                },
            ],
            users: vec![UserEntry {
                username: "alice".into(),
                password_hash: hash_of("wonderland"),
                tenant: None,
                roles: vec!["admin".into()],
            }],
            bearer_token: Some("static-token".into()),
            ..Default::default()
        };
        Authenticator::new(&section, "default").unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[tokio::test]
    async fn each_method_maps_to_its_identity() {
        let a = auth();
        let id = a.authenticate(&headers(&[("x-api-key", "key-one")]), None).await.unwrap();
        assert_eq!((id.subject.as_str(), id.tenant.as_str(), id.method), ("ci-bot", "team-a", AuthMethod::ApiKey));
        assert_eq!(a.authenticate(&HeaderMap::new(), Some("api_key=key-one")).await.unwrap().subject, "ci-bot");
        let basic = base64::engine::general_purpose::STANDARD.encode("alice:wonderland");
        let id = a.authenticate(&headers(&[("authorization", &format!("Basic {basic}"))]), None).await.unwrap();
        assert_eq!((id.subject.as_str(), id.roles.clone()), ("alice", vec!["admin".to_string()]));
        let id = a.authenticate(&headers(&[("authorization", "Bearer static-token")]), None).await.unwrap();
        assert_eq!(id.method, AuthMethod::BearerToken);
    }

    #[tokio::test]
    async fn wrong_expired_and_missing_credentials_are_refused() {
        let a = auth();
        assert_eq!(a.authenticate(&HeaderMap::new(), None).await, Err(AuthError::Missing));
        let e = a.authenticate(&headers(&[("x-api-key", "key-two")]), None).await.unwrap_err();
        assert_eq!(e, AuthError::Invalid("invalid API key".into()));
        let e = a.authenticate(&headers(&[("x-api-key", "key-old")]), None).await.unwrap_err();
        assert_eq!(e, AuthError::Invalid("API key expired".into()));
        let basic = base64::engine::general_purpose::STANDARD.encode("alice:guess");
        assert!(a.authenticate(&headers(&[("authorization", &format!("Basic {basic}"))]), None).await.is_err());
        assert!(a.authenticate(&headers(&[("authorization", "Basic !!!")]), None).await.is_err());
        assert!(a.authenticate(&headers(&[("authorization", "Bearer nope")]), None).await.is_err());
    }

    #[tokio::test]
    async fn argon2_password_hashes_verify() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"fixed-test-salt!").unwrap();
        let phc = argon2::Argon2::default().hash_password(b"s3cret", &salt).unwrap().to_string();
        let section = AuthSection {
            users: vec![UserEntry { username: "bob".into(), password_hash: phc, tenant: None, roles: vec![] }],
            ..Default::default()
        };
        let a = Authenticator::new(&section, "t").unwrap();
        let basic = |p: &str| base64::engine::general_purpose::STANDARD.encode(format!("bob:{p}"));
        let ok = a.authenticate(&headers(&[("authorization", &format!("Basic {}", basic("s3cret")))]), None).await;
        assert_eq!(ok.unwrap().subject, "bob");
        let bad = a.authenticate(&headers(&[("authorization", &format!("Basic {}", basic("guess")))]), None).await;
        assert!(bad.is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_credentials_never_panic(value in "[ -~]{0,200}", query in ".{0,100}") {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let a = auth();
            for name in ["authorization", "x-api-key"] {
                for v in [value.clone(), format!("Bearer {value}"), format!("Basic {value}")] {
                    let mut h = HeaderMap::new();
                    if let Ok(v) = v.parse() {
                        h.insert(name, v);
                    }
                    let _ = rt.block_on(a.authenticate(&h, Some(&query)));
                }
            }
        }
    }

    #[test]
    fn bad_hashes_name_the_key() {
        let section = AuthSection {
            api_keys: vec![ApiKeyEntry {
                name: "x".into(),
                hash: "plaintext".into(),
                subject: None,
                tenant: None,
                roles: vec![],
                expires: None,
            }],
            ..Default::default()
        };
        let msg = Authenticator::new(&section, "t").err().unwrap().to_string();
        assert!(msg.contains("auth.api_keys[0].hash"), "{msg}");
    }
}
