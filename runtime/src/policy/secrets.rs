//! A component's settings and secrets, and the redaction of secret values
//! from everything that leaves a call (output, logs, errors).

use std::collections::BTreeMap;

/// Settings and secrets of one component (shared by all its calls).
#[derive(Debug, Default, Clone)]
pub struct ComponentSettings {
    pub settings: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
}

impl ComponentSettings {
    /// Secret values worth redacting from output and logs. A secret holding a
    /// JSON object (e.g. `headers`) contributes each of its string values too.
    pub fn secret_values(&self) -> Vec<String> {
        let mut values = Vec::new();
        for secret in self.secrets.values() {
            if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(secret) {
                values.extend(map.values().filter_map(|v| v.as_str()).map(str::to_string));
            }
            values.push(secret.clone());
        }
        values.retain(|v| v.len() >= 4);
        // Longest first, so a value containing another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values
    }
}

/// Replace every secret value in `text` with `[REDACTED]`.
pub fn redact(text: &str, settings: &ComponentSettings) -> String {
    let mut out = text.to_string();
    for secret in settings.secret_values() {
        if out.contains(&secret) {
            out = out.replace(&secret, "[REDACTED]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_object_secrets_redact_each_value() {
        let mut s = ComponentSettings::default();
        s.secrets.insert("headers".into(), r#"{"X-Auth-Token":"tok-12345","X-Org":"7"}"#.into());
        s.secrets.insert("password".into(), "hunter22".into());
        let out = redact("sent X-Auth-Token: tok-12345 with hunter22 for org 7", &s);
        assert_eq!(out, "sent X-Auth-Token: [REDACTED] with [REDACTED] for org 7");
    }
}
