//! `[sandbox] trusted_keys`: the ed25519 keys whose component signatures are trusted.

use crate::error::{Error, Result};
use base64::Engine as _;
use ed25519_dalek::VerifyingKey;

/// Keys whose signatures are trusted, and whether every component needs one.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub keys: Vec<VerifyingKey>,
    pub require_signatures: bool,
}

impl Trust {
    /// Parse base64 public keys (32 bytes each); `key` names the setting.
    pub fn parse(keys: &[String], require_signatures: bool, key: &str) -> Result<Self> {
        let mut parsed = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(k.trim())
                .map_err(|e| Error::invalid(format!("{key}[{i}]"), format!("not base64: {e}")))?;
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| Error::invalid(format!("{key}[{i}]"), "an ed25519 public key is 32 bytes"))?;
            let vk = VerifyingKey::from_bytes(&bytes)
                .map_err(|e| Error::invalid(format!("{key}[{i}]"), format!("not an ed25519 public key: {e}")))?;
            parsed.push(vk);
        }
        if require_signatures && parsed.is_empty() {
            return Err(Error::invalid("sandbox.require_signatures", "needs sandbox.trusted_keys"));
        }
        Ok(Self { keys: parsed, require_signatures })
    }
}
