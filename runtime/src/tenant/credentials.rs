//! Per-request backend credentials, as the reference server takes them:
//! `X-Mcp-Backend-<Service>-<Field>` request headers. Honoured only for the
//! services the caller's tenant lists in `allow_request_credentials` (for
//! other services they are ignored and the configured credentials apply),
//! and only for credential fields (token, API key, user name, password).
//! An address header must name the configured backend (egress never
//! follows a header); TLS, timeout and file fields are ignored, so no
//! header can name a server file or weaken TLS. Values become the call's
//! secrets, so they are redacted from output like any secret; they are
//! never logged, and the result cache keys calls carrying them by a digest
//! of the values.

use crate::policy::ComponentSettings;
use crate::sandbox::LoadedComponent;
use http::HeaderMap;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const HEADER_PREFIX: &str = "x-mcp-backend-";

/// The credential headers of a call for one service, applied.
pub struct RequestCredentials {
    /// The component with the caller's credentials in place of the configured ones.
    pub component: LoadedComponent,
    /// SHA-256 over the fields and values: part of the cache key.
    pub digest: String,
}

/// The setting or secret a header field names, for `service`'s component.
fn target(component: &LoadedComponent, field: &str) -> Option<(bool, String)> {
    let secrets: Vec<&String> =
        component.manifest.backend.as_ref().map(|b| b.secret_env.keys().collect()).unwrap_or_default();
    let has = |k: &str| secrets.iter().any(|s| s.as_str() == k);
    match field {
        "username" => Some((false, "username".into())),
        "token" | "bearer_token" if has("bearer_token") => Some((true, "bearer_token".into())),
        "api_key" if has("api_key") => Some((true, "api_key".into())),
        "api_key" if has("bearer_token") => Some((true, "bearer_token".into())),
        "password" if has("password") => Some((true, "password".into())),
        _ => None,
    }
}

/// Does `urls` (comma-separated) name exactly the configured backend?
fn is_configured_backend(component: &LoadedComponent, urls: &str) -> bool {
    let Some(key) = component.manifest.backend.as_ref().map(|b| &b.url_setting) else { return false };
    let Some(configured) = component.settings.settings.get(key) else { return false };
    let norm = |list: &str| -> Vec<String> {
        let mut v: Vec<String> = list
            .split(',')
            .map(|u| u.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|u| !u.is_empty())
            .collect();
        v.sort();
        v
    };
    let wanted = norm(urls);
    !wanted.is_empty() && wanted == norm(configured)
}

/// Read the headers meant for `component`; `Ok(None)` when there are none.
/// `allowed`: the tenant's `allow_request_credentials`.
/// Request credentials the tenant's policy refuses; the message names the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

pub fn from_headers(
    headers: Option<&HeaderMap>,
    component: &LoadedComponent,
    allowed: &[String],
    tenant: &str,
) -> Result<Option<RequestCredentials>, Refused> {
    let Some(headers) = headers else { return Ok(None) };
    let service = component.name.replace('_', "-");
    let prefix = format!("{HEADER_PREFIX}{service}-");
    let mut fields = BTreeMap::new();
    let accepted = allowed.iter().any(|s| s == &*component.name);
    for (name, value) in headers {
        let Some(field) = name.as_str().strip_prefix(&prefix) else { continue };
        let shown = format!("X-Mcp-Backend-{}-{field}", component.name);
        if !accepted {
            tracing::info!(tenant, header = %shown, "per-request backend header ignored: the tenant does not accept them");
            continue;
        }
        let field = field.replace('-', "_");
        if matches!(field.as_str(), "url" | "address" | "addresses") {
            let value = value.to_str().unwrap_or("");
            if !is_configured_backend(component, value) {
                return Err(Refused(format!(
                    "{shown}: not this tenant's configured backend for `{}`; the address comes from the \
                     server's configuration",
                    component.name
                )));
            }
            continue;
        }
        let Some(target) = target(component, &field) else {
            tracing::info!(tenant, header = %shown, "per-request backend header ignored: not a credential");
            continue;
        };
        let value = value.to_str().map_err(|_| Refused(format!("{shown}: not visible ASCII")))?.trim().to_string();
        if value.is_empty() {
            return Err(Refused(format!("{shown}: empty")));
        }
        fields.insert(target, value);
    }
    if fields.is_empty() {
        return Ok(None);
    }
    let mut settings = ComponentSettings::clone(&component.settings);
    // The caller's credentials replace the configured ones entirely.
    settings.secrets.clear();
    settings.settings.remove("username");
    let mut hasher = Sha256::new();
    for ((secret, key), value) in &fields {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
        if *secret {
            settings.secrets.insert(key.clone(), value.clone());
        } else {
            // Also a secret, so that output never echoes it.
            settings.settings.insert(key.clone(), value.clone());
            settings.secrets.insert(format!("request_{key}"), value.clone());
        }
    }
    let mut component = component.with_tools(Vec::new());
    component.settings = Arc::new(settings);
    component.overrides = None;
    Ok(Some(RequestCredentials { component, digest: hex::encode(hasher.finalize()) }))
}
