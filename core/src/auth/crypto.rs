//! A pure-Rust RS256 verifier (the `rsa` crate), for runtimes without native crypto behind the port.

use super::jwks::RsaJwk;
use crate::ports::RsaVerifier;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use sha2::Sha256;

/// RS256 in Rust. Stateless; cheap to construct.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustRsaVerifier;

impl RsaVerifier for RustRsaVerifier {
    async fn verify_rs256(&self, key: &RsaJwk, message: &[u8], signature: &[u8]) -> Result<bool, String> {
        let public = RsaPublicKey::new(BigUint::from_bytes_be(&key.n_bytes), BigUint::from_bytes_be(&key.e_bytes))
            .map_err(|err| format!("key {}: {err}", key.kid))?;
        let Ok(signature) = Signature::try_from(signature) else {
            return Ok(false);
        };
        Ok(VerifyingKey::<Sha256>::new(public).verify(message, &signature).is_ok())
    }
}
