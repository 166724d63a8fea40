//! The ES256 (P-256) signing key: loaded from or created in its PEM file, or ephemeral.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest as _, Sha256};

use crate::error::DevIdpError;
use crate::random;

/// The one algorithm of this provider.
pub(crate) const ALGORITHM: Algorithm = Algorithm::ES256;

pub(crate) struct SigningKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    x: String,
    y: String,
}

impl SigningKey {
    /// Reads the key at `path`, or creates it there when the file does not exist; a fresh
    /// in-memory key for `None`.
    pub(crate) fn load_or_create(path: Option<&Path>) -> Result<Self, DevIdpError> {
        let Some(path) = path else {
            return Self::from_secret(&generate()?);
        };
        match fs::read_to_string(path) {
            Ok(pem) => {
                Self::from_secret(&parse_pem(&pem).map_err(|reason| DevIdpError::KeyFormat {
                    path: path.to_owned(),
                    reason,
                })?)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = generate()?;
                let pem = secret
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| DevIdpError::Crypto(format!("encoding the key as PEM: {e}")))?;
                write_private(path, pem.as_bytes()).map_err(|source| DevIdpError::KeyIo {
                    path: path.to_owned(),
                    source,
                })?;
                Self::from_secret(&secret)
            }
            Err(source) => Err(DevIdpError::KeyIo {
                path: path.to_owned(),
                source,
            }),
        }
    }

    fn from_secret(secret: &SecretKey) -> Result<Self, DevIdpError> {
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| DevIdpError::Crypto(format!("encoding the key as PKCS#8: {e}")))?;
        let point = secret.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(DevIdpError::Crypto(
                "the public key is the identity point".to_owned(),
            ));
        };
        let x = URL_SAFE_NO_PAD.encode(x);
        let y = URL_SAFE_NO_PAD.encode(y);
        // RFC 7638 thumbprint: the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Ok(Self {
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            decoding: DecodingKey::from_ec_components(&x, &y)?,
            kid,
            x,
            y,
        })
    }

    /// The key id: the RFC 7638 SHA-256 thumbprint of the public key.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub(crate) fn public_jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": self.x,
            "y": self.y,
            "kid": self.kid,
            "use": "sig",
            "alg": "ES256",
        })
    }

    /// Signs `claims` as a compact JWS with this key's `kid` and the header `typ`.
    pub(crate) fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, DevIdpError> {
        let mut header = Header::new(ALGORITHM);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }

    /// Verifies the signature and the rules in `validation` (whose algorithm must be ES256).
    pub(crate) fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<T, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<T>(token, &self.decoding, validation).map(|data| data.claims)
    }
}

fn generate() -> Result<SecretKey, DevIdpError> {
    // A uniformly random 32-byte string is a valid scalar except with probability ~2^-32.
    loop {
        if let Ok(secret) = SecretKey::from_slice(&random::bytes(32)?) {
            return Ok(secret);
        }
    }
}

fn parse_pem(pem: &str) -> Result<SecretKey, String> {
    if pem.contains("-----BEGIN EC PRIVATE KEY-----") {
        SecretKey::from_sec1_pem(pem).map_err(|e| e.to_string())
    } else {
        SecretKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())
    }
}

/// Writes `contents` readable by the owner only, through a temporary file renamed into place so
/// a crash never leaves half a key behind.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = Path::new(&tmp_name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_file_is_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/dev-idp-key.pem");
        let first = SigningKey::load_or_create(Some(&path)).expect("creates");
        let pem = fs::read_to_string(&path).expect("written");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = SigningKey::load_or_create(Some(&path)).expect("loads");
        assert_eq!(first.kid(), second.kid());
        let ephemeral = SigningKey::load_or_create(None).expect("ephemeral");
        assert_ne!(first.kid(), ephemeral.kid());
    }

    #[test]
    fn a_sec1_key_is_read_and_garbage_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = generate().expect("key");
        let sec1 = secret.to_sec1_pem(LineEnding::LF).expect("sec1");
        let path = dir.path().join("sec1.pem");
        fs::write(&path, sec1.as_bytes()).expect("write");
        let key = SigningKey::load_or_create(Some(&path)).expect("reads SEC1");
        assert_eq!(
            key.kid(),
            SigningKey::from_secret(&secret).expect("key").kid()
        );

        let bad = dir.path().join("bad.pem");
        fs::write(&bad, "not a key").expect("write");
        let err = SigningKey::load_or_create(Some(&bad)).err().expect("fails");
        assert!(matches!(err, DevIdpError::KeyFormat { .. }), "{err}");
    }

    #[test]
    fn signed_tokens_verify_with_the_public_key() {
        let key = SigningKey::load_or_create(None).expect("key");
        let token = key
            .sign("JWT", &serde_json::json!({"sub": "x", "exp": u64::MAX / 2}))
            .expect("signs");
        let mut validation = Validation::new(ALGORITHM);
        validation.validate_aud = false;
        let claims: serde_json::Value = key.verify(&token, &validation).expect("verifies");
        assert_eq!(claims["sub"], "x");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
    }
}
