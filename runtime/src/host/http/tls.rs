//! TLS client configurations: the public web PKI by default, and per
//! component a backend configuration from its settings (`tls_ca_file`,
//! `tls_cert_file` + `tls_key_file`, `tls_skip_verify`), e.g. from
//! `MCP_PROM_TLS_CA_FILE`.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn web_roots() -> RootCertStore {
    RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() }
}

/// The configuration for hosts without special settings.
pub fn default_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let config = ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .expect("ring supports the default protocol versions")
                .with_root_certificates(web_roots())
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// A backend configuration from settings, or `None` when no TLS setting is
/// present. Errors name the setting.
pub fn backend_config(settings: &BTreeMap<String, String>) -> Result<Option<Arc<ClientConfig>>, (String, String)> {
    let flag = |k: &str| settings.get(k).map(|v| v.trim().to_ascii_lowercase());
    let skip = match flag("tls_skip_verify").as_deref() {
        None | Some("" | "false" | "0" | "no") => false,
        Some("true" | "1" | "yes") => true,
        Some(other) => return Err(("tls_skip_verify".into(), format!("`{other}` is not true or false"))),
    };
    let file = |k: &str| settings.get(k).map(String::as_str).filter(|v| !v.trim().is_empty());
    let (ca, cert, key) = (file("tls_ca_file"), file("tls_cert_file"), file("tls_key_file"));
    if !skip && ca.is_none() && cert.is_none() && key.is_none() {
        return Ok(None);
    }
    if skip && (ca.is_some() || cert.is_some()) {
        return Err(("tls_skip_verify".into(), "cannot be combined with tls_ca_file or tls_cert_file".into()));
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ("tls".to_string(), e.to_string()))?;
    let builder = if skip {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider())))
    } else {
        let mut roots = web_roots();
        if let Some(path) = ca {
            let certs = read_certs(path).map_err(|m| ("tls_ca_file".to_string(), m.to_string()))?;
            for c in certs {
                roots.add(c).map_err(|e| ("tls_ca_file".to_string(), format!("{path}: {e}")))?;
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match (cert, key) {
        (Some(cert), Some(key)) => {
            let certs = read_certs(cert).map_err(|m| ("tls_cert_file".to_string(), m.to_string()))?;
            let key =
                PrivateKeyDer::from_pem_file(key).map_err(|e| ("tls_key_file".to_string(), format!("{key}: {e}")))?;
            builder.with_client_auth_cert(certs, key).map_err(|e| ("tls_cert_file".to_string(), e.to_string()))?
        }
        (None, None) => builder.with_no_client_auth(),
        (Some(_), None) => return Err(("tls_key_file".into(), "required with tls_cert_file".into())),
        (None, Some(_)) => return Err(("tls_cert_file".into(), "required with tls_key_file".into())),
    };
    Ok(Some(Arc::new(config)))
}

/// A certificate file that cannot be used.
#[derive(Debug, thiserror::Error)]
enum CertError {
    #[error("{path}: {source}")]
    Pem {
        path: String,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("{0}: no PEM certificate found")]
    Empty(String),
}

fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let pem = |source| CertError::Pem { path: path.to_string(), source };
    let certs = CertificateDer::pem_file_iter(path).map_err(pem)?.collect::<Result<Vec<_>, _>>().map_err(pem)?;
    if certs.is_empty() { Err(CertError::Empty(path.to_string())) } else { Ok(certs) }
}

/// `tls_skip_verify`: accept any server certificate (signatures on the
/// handshake are still checked). For test and lab backends only.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn no_tls_settings_means_default() {
        assert!(backend_config(&settings(&[])).unwrap().is_none());
        assert!(backend_config(&settings(&[("tls_skip_verify", "false")])).unwrap().is_none());
    }

    #[test]
    fn errors_name_the_setting() {
        let err = backend_config(&settings(&[("tls_skip_verify", "maybe")])).unwrap_err();
        assert_eq!(err.0, "tls_skip_verify");
        let err = backend_config(&settings(&[("tls_skip_verify", "true"), ("tls_ca_file", "/x")])).unwrap_err();
        assert_eq!(err.0, "tls_skip_verify");
        let err = backend_config(&settings(&[("tls_ca_file", "/nonexistent/ca.pem")])).unwrap_err();
        assert_eq!(err.0, "tls_ca_file");
        let err = backend_config(&settings(&[("tls_cert_file", "/x.pem")])).unwrap_err();
        assert_eq!(err.0, "tls_key_file");
    }

    #[test]
    fn skip_verify_builds() {
        assert!(backend_config(&settings(&[("tls_skip_verify", "true")])).unwrap().is_some());
    }
}
