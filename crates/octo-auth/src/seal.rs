//! Encryption at rest for tokens and device codes: [`ServerKey`] and [`Sealer`].
//!
//! XChaCha20-Poly1305 with a random 192-bit nonce per value (large enough that random nonces
//! never repeat in practice). The associated data binds each sealed value to what it is and to
//! its tenant and session, so a row copied to another session or tenant in the database does
//! not open there. The key comes from configuration (`--auth-key`, base64 of 32 bytes) or from
//! the file `auth.key` in the data folder, created on first start; replicas must share it.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::error::AuthError;

const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;

/// The 256-bit key that seals login state in the store.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(<redacted>)")
    }
}

impl ServerKey {
    /// A key written as base64 (standard or URL-safe alphabet) of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, AuthError> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| AuthError::Key("it is not base64".to_owned()))?;
        let key: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            AuthError::Key(format!("it is {} bytes long, expected 32", bytes.len()))
        })?;
        Ok(Self(key))
    }

    /// A new random key.
    pub fn generate() -> Result<Self, AuthError> {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key)
            .map_err(|error| AuthError::Key(format!("no randomness from the OS: {error}")))?;
        Ok(Self(key))
    }

    /// The key in `path`, created (readable by the owner only) when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, AuthError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text).map_err(|error| {
                AuthError::Key(format!(
                    "{} is not a valid key file: {error}",
                    path.display()
                ))
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                write_private(path, &format!("{}\n", STANDARD.encode(key.0))).map_err(|error| {
                    AuthError::Key(format!("cannot write {}: {error}", path.display()))
                })?;
                tracing::info!(path = %path.display(), "created the key that seals login state");
                Ok(key)
            }
            Err(error) => Err(AuthError::Key(format!(
                "cannot read {}: {error}",
                path.display()
            ))),
        }
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Seals and opens values with the server key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer")
    }
}

impl Sealer {
    pub fn new(key: &ServerKey) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new((&key.0).into()),
        }
    }

    /// Encrypts `plain`, bound to `context` (e.g. `tokens|tenant|session`).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<String, AuthError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce)
            .map_err(|error| AuthError::Key(format!("no randomness from the OS: {error}")))?;
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| AuthError::Sealed("encryption failed".to_owned()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Decrypts what [`Sealer::seal`] produced for the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, AuthError> {
        let body = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| AuthError::Sealed("unknown format".to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| AuthError::Sealed("not base64".to_owned()))?;
        if bytes.len() < NONCE_LEN {
            return Err(AuthError::Sealed("too short".to_owned()));
        }
        let (nonce, cipher_text) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: cipher_text,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                AuthError::Sealed(
                    "it does not open with this server's key (was the key changed?)".to_owned(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_context_and_with_their_key() {
        let key = ServerKey::generate().expect("key");
        let sealer = Sealer::new(&key);
        let sealed = sealer.seal("tokens|a|s1", b"secret").expect("seal");
        assert!(!sealed.contains("secret"));
        assert_eq!(
            sealer.open("tokens|a|s1", &sealed).expect("open"),
            b"secret"
        );
        assert!(sealer.open("tokens|a|s2", &sealed).is_err());
        let other = Sealer::new(&ServerKey::generate().expect("key"));
        assert!(other.open("tokens|a|s1", &sealed).is_err());
        // Two seals of the same value differ (fresh nonce).
        assert_ne!(sealed, sealer.seal("tokens|a|s1", b"secret").expect("seal"));
    }

    #[test]
    fn keys_parse_from_base64_of_32_bytes() {
        let text = STANDARD.encode([7u8; 32]);
        assert!(ServerKey::from_base64(&text).is_ok());
        let short = ServerKey::from_base64(&STANDARD.encode([7u8; 16])).expect_err("short");
        assert!(short.to_string().contains("16 bytes"), "{short}");
        assert!(ServerKey::from_base64("not base64!").is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("octo-auth-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("auth.key");
        std::fs::remove_file(&path).ok();
        let first = ServerKey::load_or_create(&path).expect("created");
        let second = ServerKey::load_or_create(&path).expect("read");
        assert_eq!(first.0, second.0);
        std::fs::remove_dir_all(&dir).ok();
    }
}
