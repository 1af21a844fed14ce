//! The user pool's RS256 signing keys: two on disk (`local-1`, `local-2`), more made at run time by the test
//! controls, each either published in the JWKS or not.
//!
//! Cognito gives every user pool two RSA key pairs; so does this stand-in. The on-disk keys survive restarts, so
//! a token minted by `local-origin mint-token` (another process) verifies against the running server's JWKS.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;
use sha2::Sha256;

use super::CognitoError;

/// The key ids of the keys kept on disk, as `{kid}.pem` in the keys folder.
pub const FILE_KIDS: [&str; 2] = ["local-1", "local-2"];
/// Modulus size of every key, in bits (Cognito's).
pub const KEY_BITS: usize = 2048;

/// One RSA key pair with its id.
#[derive(Clone)]
pub struct Key {
    /// The `kid` tokens name it by.
    pub kid: String,
    /// Signs RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
    pub signer: Arc<SigningKey<Sha256>>,
    /// The public half, for the JWKS.
    pub public: RsaPublicKey,
}

impl Key {
    /// Wraps a private key under an id.
    pub fn new(kid: impl Into<String>, private: RsaPrivateKey) -> Key {
        Key { kid: kid.into(), public: private.to_public_key(), signer: Arc::new(SigningKey::<Sha256>::new(private)) }
    }

    /// The private half.
    #[cfg(test)]
    pub fn private(&self) -> &RsaPrivateKey {
        (*self.signer).as_ref()
    }

    /// The key as a JWK, as Cognito publishes it.
    pub fn jwk(&self) -> Jwk {
        Jwk {
            kid: self.kid.clone(),
            kty: "RSA",
            alg: "RS256",
            r#use: "sig",
            n: URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be()),
        }
    }
}

/// One entry of `{"keys":[…]}`: members in Cognito's order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Jwk {
    pub kid: String,
    pub kty: &'static str,
    pub alg: &'static str,
    pub r#use: &'static str,
    /// Modulus, big-endian, base64url without padding (no leading zero byte).
    pub n: String,
    /// Public exponent, likewise (`AQAB` for 65537).
    pub e: String,
}

/// The JWKS document.
#[derive(Debug, Serialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// A fresh RSA-2048 key from the operating system's randomness. Slow (about a second optimised; the dev profile
/// optimises the bignum crates for this reason): call it off the async runtime.
pub fn generate() -> Result<RsaPrivateKey, CognitoError> {
    RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)
        .map_err(|e| CognitoError(format!("cannot generate an RSA key: {e}")))
}

/// Reads `{dir}/{kid}.pem` for each of [`FILE_KIDS`], generating and writing (PKCS#8 PEM, mode 0600) those that
/// are missing. Two processes starting at once agree on one key: a new file appears only whole, and only once.
pub fn load_or_generate(dir: &Path) -> Result<Vec<Key>, CognitoError> {
    create_private_dir(dir)?;
    FILE_KIDS.iter().map(|kid| Ok(Key::new(*kid, load_or_generate_one(&dir.join(format!("{kid}.pem")))?))).collect()
}

fn create_private_dir(dir: &Path) -> Result<(), CognitoError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| CognitoError(format!("cannot create {}: {e}", dir.display())))
}

fn load_or_generate_one(path: &Path) -> Result<RsaPrivateKey, CognitoError> {
    match std::fs::read_to_string(path) {
        Ok(pem) => return parse_pem(path, &pem),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CognitoError(format!("cannot read {}: {e}", path.display()))),
    }
    let key = generate()?;
    let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| CognitoError(format!("cannot encode a key as PEM: {e}")))?;
    // Written whole under a temporary name, then linked into place: `hard_link` fails if the file appeared
    // meanwhile (another process won the race), and then that process's key is the one to use.
    let tmp = temp_name(path);
    write_private(&tmp, pem.as_bytes())?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a Cognito signing key");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| CognitoError(format!("cannot read {}: {e}", path.display())))?;
            parse_pem(path, &pem)
        }
        Err(e) => Err(CognitoError(format!("cannot write {}: {e}", path.display()))),
    }
}

fn temp_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CognitoError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|e| CognitoError(format!("cannot write {}: {e}", path.display())))
}

fn parse_pem(path: &Path, pem: &str) -> Result<RsaPrivateKey, CognitoError> {
    let key = RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| {
        CognitoError(format!(
            "{} is not a PKCS#8 PEM RSA private key ({e}); delete it to have a new one generated",
            path.display()
        ))
    })?;
    let bits = key.n().bits();
    if bits != KEY_BITS {
        return Err(CognitoError(format!(
            "{} holds a {bits}-bit key; RSA-{KEY_BITS} is required (delete it to have a new one generated)",
            path.display()
        )));
    }
    Ok(key)
}

struct Entry {
    key: Key,
    published: bool,
}

/// Every key the server can sign with, in the order they were added, and which of them the JWKS lists.
pub struct KeyRing {
    entries: RwLock<Vec<Entry>>,
    rotated: AtomicU64,
}

impl KeyRing {
    /// A ring publishing all of `keys`.
    pub fn new(keys: Vec<Key>) -> KeyRing {
        KeyRing {
            entries: RwLock::new(keys.into_iter().map(|key| Entry { key, published: true }).collect()),
            rotated: AtomicU64::new(0),
        }
    }

    /// The key named `kid`, published or not.
    pub fn get(&self, kid: &str) -> Option<Key> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.iter().find(|e| e.key.kid == kid).map(|e| e.key.clone())
    }

    /// The JWKS: the published keys, oldest first.
    pub fn jwks(&self) -> Jwks {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        Jwks { keys: entries.iter().filter(|e| e.published).map(|e| e.key.jwk()).collect() }
    }

    /// The id the next rotated key gets: `rotated-1`, `rotated-2`, …
    pub fn next_rotated_kid(&self) -> String {
        format!("rotated-{}", self.rotated.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Adds a key and publishes it.
    pub fn publish(&self, key: Key) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.push(Entry { key, published: true });
    }

    /// Takes `kid` out of the JWKS (it still signs); false when no key has that id.
    pub fn unpublish(&self, kid: &str) -> bool {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        match entries.iter_mut().find(|e| e.key.kid == kid) {
            Some(entry) => {
                entry.published = false;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::test_keys;

    #[test]
    fn jwk_encodes_n_and_e_as_base64url_without_padding_or_leading_zero() {
        let key = test_keys()[0].clone();
        let jwk = key.jwk();
        assert_eq!((jwk.kid.as_str(), jwk.kty, jwk.alg, jwk.r#use), ("local-1", "RSA", "RS256", "sig"));
        assert_eq!(jwk.e, "AQAB");
        assert!(!jwk.n.contains(['=', '+', '/']));
        let n = URL_SAFE_NO_PAD.decode(&jwk.n).expect("base64url n");
        assert_eq!(n.len(), KEY_BITS / 8);
        assert_ne!(n[0], 0, "no leading zero byte");
        assert_eq!(rsa::BigUint::from_bytes_be(&n), *key.public.n());
        let json = serde_json::to_string(&jwk).expect("json");
        assert!(json.starts_with(r#"{"kid":"local-1","kty":"RSA","alg":"RS256","use":"sig","n":""#), "{json}");
        assert!(json.ends_with(r#","e":"AQAB"}"#), "{json}");
    }

    #[test]
    fn ring_publishes_rotates_and_unpublishes() {
        let ring = KeyRing::new(test_keys());
        let kids = |ring: &KeyRing| -> Vec<String> { ring.jwks().keys.into_iter().map(|k| k.kid).collect() };
        assert_eq!(kids(&ring), ["local-1", "local-2"]);
        let kid = ring.next_rotated_kid();
        assert_eq!(kid, "rotated-1");
        ring.publish(Key::new(kid, test_keys()[1].private().clone()));
        assert_eq!(kids(&ring), ["local-1", "local-2", "rotated-1"]);
        assert_eq!(ring.next_rotated_kid(), "rotated-2");
        assert!(ring.unpublish("local-1"));
        assert!(!ring.unpublish("nope"));
        assert_eq!(kids(&ring), ["local-2", "rotated-1"]);
        assert!(ring.get("local-1").is_some(), "an unpublished key still signs");
        assert!(ring.get("nope").is_none());
    }

    #[test]
    fn missing_keys_are_generated_as_private_pkcs8_files_and_read_back() {
        let dir = std::env::temp_dir().join(format!("local-origin-keys-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // local-1 exists (a shared test key, to save one generation); local-2 must be generated and written.
        create_private_dir(&dir).expect("dir");
        let existing = &test_keys()[0];
        let pem = existing.private().to_pkcs8_pem(LineEnding::LF).expect("pem");
        write_private(&dir.join("local-1.pem"), pem.as_bytes()).expect("write");

        let first = load_or_generate(&dir).expect("load and generate");
        assert_eq!(first.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), FILE_KIDS);
        assert_eq!(first[0].public, existing.public);
        assert_ne!(first[1].public, existing.public);
        let written = std::fs::read_to_string(dir.join("local-2.pem")).expect("read");
        assert!(written.starts_with("-----BEGIN PRIVATE KEY-----\n"), "PKCS#8");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode(&dir.join("local-2.pem")), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        assert_eq!(std::fs::read_dir(&dir).expect("list").count(), 2, "no temporary file left");

        let second = load_or_generate(&dir).expect("load");
        assert_eq!(second[1].public, first[1].public, "read back, not generated again");

        std::fs::write(dir.join("local-2.pem"), "not a key").expect("write");
        let err = load_or_generate(&dir).err().expect("a bad file is an error");
        assert!(err.0.contains("local-2.pem"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
