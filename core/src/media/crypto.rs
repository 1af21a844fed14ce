//! A pure-Rust [`MediaSigner`] (the `rsa`, `sha1` and `sha2` crates), for runtimes without native crypto
//! behind the port (Spin, native tests). Signing PKCS#1 v1.5 is deterministic: no randomness is needed.

use super::{HashAlgorithm, PrivateKey, PublicKey};
use crate::ports::MediaSigner;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::Sha256;

/// CloudFront signatures in Rust. Stateless: keys are decoded per call (Spin instantiates per request anyway).
#[derive(Debug, Clone, Copy, Default)]
pub struct RustMediaSigner;

impl MediaSigner for RustMediaSigner {
    async fn sign(&self, key: &PrivateKey, hash: HashAlgorithm, message: &[u8]) -> Result<Vec<u8>, String> {
        let key = RsaPrivateKey::from_pkcs8_der(&key.pkcs8_der).map_err(|_| "the signing key is not PKCS#8 RSA")?;
        let signature = match hash {
            HashAlgorithm::Sha1 => SigningKey::<Sha1>::new(key).try_sign(message),
            HashAlgorithm::Sha256 => SigningKey::<Sha256>::new(key).try_sign(message),
        };
        signature.map(|s| s.to_vec()).map_err(|err| format!("signing: {err}"))
    }

    async fn verify(
        &self,
        key: &PublicKey,
        hash: HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        let public = RsaPublicKey::from_public_key_der(&key.spki_der)
            .map_err(|_| format!("key {} is not an RSA key", key.id))?;
        let Ok(signature) = Signature::try_from(signature) else {
            return Ok(false);
        };
        Ok(match hash {
            HashAlgorithm::Sha1 => VerifyingKey::<Sha1>::new(public).verify(message, &signature).is_ok(),
            HashAlgorithm::Sha256 => VerifyingKey::<Sha256>::new(public).verify(message, &signature).is_ok(),
        })
    }
}
