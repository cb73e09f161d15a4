//! Component integrity: a component may be pinned to a SHA-256 digest in
//! the configuration, and signed with ed25519 over its digest (the 32 raw
//! bytes) by a key the configuration trusts. The signature lives beside the
//! component as `<name>.wasm.sig` (base64). A pinned component whose bytes
//! differ is never compiled; where signatures are required, an unsigned
//! component is refused.

use crate::error::{Error, Result};
use base64::Engine as _;
use ed25519_dalek::Signature;
use std::path::{Path, PathBuf};

pub use crate::config::trust::Trust;

/// Where a component's signature is expected.
pub fn signature_path(component: &Path) -> PathBuf {
    let mut name = component.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// The pinned digest, when configured, must match.
pub fn check_pin(service: &str, path: &Path, digest: &str, pin: Option<&str>) -> Result<()> {
    let Some(pin) = pin else { return Ok(()) };
    let pin = pin.trim().trim_start_matches("sha256:").to_ascii_lowercase();
    if pin.len() != 64 || !pin.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(format!("components.{service}.sha256"), "must be 64 hex digits"));
    }
    if pin != digest {
        return Err(Error::invalid(
            format!("components.{service}.sha256"),
            format!("{} has digest {digest}, not the pinned {pin}: component refused", path.display()),
        ));
    }
    Ok(())
}

/// Why a present signature was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not base64: {source}", path.display())]
    Encoding {
        path: PathBuf,
        #[source]
        source: base64::DecodeError,
    },
    #[error("{} is not an ed25519 signature", path.display())]
    Malformed { path: PathBuf },
    #[error("digest is not hex: {0}")]
    Digest(#[from] hex::FromHexError),
    #[error("{} does not verify with any trusted key", path.display())]
    Untrusted { path: PathBuf },
}

/// Does a trusted key sign `digest` (hex)? `Ok(false)`: no signature file.
pub fn verify(trust: &Trust, path: &Path, digest: &str) -> std::result::Result<bool, SignatureError> {
    let sig_path = signature_path(path);
    let text = match std::fs::read_to_string(&sig_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => return Err(SignatureError::Read { path: sig_path, source }),
    };
    let bytes = match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
        Ok(bytes) => bytes,
        Err(source) => return Err(SignatureError::Encoding { path: sig_path, source }),
    };
    let Ok(signature) = Signature::from_slice(&bytes) else {
        return Err(SignatureError::Malformed { path: sig_path });
    };
    let digest = hex::decode(digest)?;
    if trust.keys.iter().any(|k| k.verify_strict(&digest, &signature).is_ok()) {
        Ok(true)
    } else {
        Err(SignatureError::Untrusted { path: sig_path })
    }
}

/// Apply pin and signature rules to one component; returns whether it is signed.
pub fn admit(trust: &Trust, service: &str, path: &Path, digest: &str, pin: Option<&str>) -> Result<bool> {
    check_pin(service, path, digest, pin)?;
    let signed = if trust.keys.is_empty() {
        false
    } else {
        match verify(trust, path, digest) {
            Ok(signed) => signed,
            Err(why) => {
                tracing::warn!(component = service, "component signature rejected: {why}");
                if trust.require_signatures {
                    return Err(Error::component(service, format!("refused: {why}")));
                }
                false
            }
        }
    };
    if trust.require_signatures && !signed {
        tracing::error!(component = service, path = %path.display(), "unsigned component refused");
        return Err(Error::component(
            service,
            format!("refused: no signature ({}) and sandbox.require_signatures is on", signature_path(path).display()),
        ));
    }
    Ok(signed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};
    use sha2::{Digest, Sha256};

    fn setup(bytes: &[u8], key: &SigningKey) -> (tempfile::TempDir, PathBuf, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("svc.wasm");
        std::fs::write(&path, bytes).unwrap();
        let digest = Sha256::digest(bytes);
        let sig = key.sign(&digest);
        let b64 = base64::engine::general_purpose::STANDARD.encode(sig.to_bytes());
        std::fs::write(signature_path(&path), b64).unwrap();
        (dir, path, hex::encode(digest))
    }

    fn trust(key: &SigningKey, require: bool) -> Trust {
        let b64 = base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes());
        Trust::parse(&[b64], require, "sandbox.trusted_keys").unwrap()
    }

    #[test]
    fn signed_component_is_admitted_and_tampering_is_refused() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let (_d, path, digest) = setup(b"component bytes", &key);
        assert!(admit(&trust(&key, true), "svc", &path, &digest, Some(&digest)).unwrap());
        // Same signature, other bytes.
        std::fs::write(&path, b"tampered bytes").unwrap();
        let tampered = hex::encode(Sha256::digest(b"tampered bytes"));
        let msg = admit(&trust(&key, true), "svc", &path, &tampered, None).unwrap_err().to_string();
        assert!(msg.contains("does not verify"), "{msg}");
        let msg = admit(&trust(&key, false), "svc", &path, &tampered, Some(&digest)).unwrap_err().to_string();
        assert!(msg.contains("components.svc.sha256") && msg.contains("refused"), "{msg}");
        // Not required: loads, but unsigned.
        assert!(!admit(&trust(&key, false), "svc", &path, &tampered, None).unwrap());
    }

    #[test]
    fn untrusted_key_and_missing_signature() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[9; 32]);
        let (_d, path, digest) = setup(b"bytes", &other);
        assert!(admit(&trust(&key, true), "svc", &path, &digest, None).is_err());
        std::fs::remove_file(signature_path(&path)).unwrap();
        let msg = admit(&trust(&key, true), "svc", &path, &digest, None).unwrap_err().to_string();
        assert!(msg.contains("no signature"), "{msg}");
        assert!(!admit(&Trust::default(), "svc", &path, &digest, None).unwrap());
    }

    #[test]
    fn bad_keys_and_pins_name_the_setting() {
        let msg = Trust::parse(&["!!".into()], false, "sandbox.trusted_keys").unwrap_err().to_string();
        assert!(msg.contains("sandbox.trusted_keys[0]"), "{msg}");
        let msg = Trust::parse(&["AAAA".into()], false, "sandbox.trusted_keys").unwrap_err().to_string();
        assert!(msg.contains("32 bytes"), "{msg}");
        let msg = Trust::parse(&[], true, "sandbox.trusted_keys").unwrap_err().to_string();
        assert!(msg.contains("sandbox.require_signatures"), "{msg}");
        let msg = check_pin("svc", Path::new("x"), "ab", Some("xyz")).unwrap_err().to_string();
        assert!(msg.contains("components.svc.sha256") && msg.contains("64 hex"), "{msg}");
    }
}
