//! JWS compact serialisation with RS256: `b64url(header) . b64url(payload) . b64url(signature)`.
//!
//! Header and payload are signed exactly as the caller serialised them, so the test controls can craft
//! tokens with any member order, duplicate members or odd values, and still carry a valid signature.

pub use crate::json_text::compact;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde::Serialize;
use sha2::Sha256;

/// The header Cognito sends: `kid` then `alg`, and no `typ`.
#[derive(Debug, Serialize)]
pub struct Header<'a> {
    pub kid: &'a str,
    pub alg: &'static str,
}

impl<'a> Header<'a> {
    /// An RS256 header naming `kid`.
    pub fn rs256(kid: &'a str) -> Self {
        Header { kid, alg: "RS256" }
    }
}

/// Signs the given serialised header and payload (the bytes are base64url-encoded as they are).
pub fn sign_raw(key: &SigningKey<Sha256>, header_json: &[u8], payload_json: &[u8]) -> String {
    let mut token = URL_SAFE_NO_PAD.encode(header_json);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(payload_json));
    let signature = key.sign(token.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
    token
}

/// Signs a header and a payload serialised with serde_json, compact (struct members in declaration order).
pub fn sign<H: Serialize, P: Serialize>(key: &SigningKey<Sha256>, header: &H, payload: &P) -> String {
    // Serialising plain structs and `serde_json::Value`s cannot fail.
    let header = serde_json::to_vec(header).unwrap_or_default();
    let payload = serde_json::to_vec(payload).unwrap_or_default();
    sign_raw(key, &header, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::test_keys;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;

    #[test]
    fn rs256_signature_verifies_with_the_public_key() {
        let key = &test_keys()[0];
        let token = sign(&key.signer, &Header::rs256(&key.kid), &serde_json::json!({"sub": "x"}));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[0]).expect("header"), br#"{"kid":"local-1","alg":"RS256"}"#);
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[1]).expect("payload"), br#"{"sub":"x"}"#);
        assert!(!token.contains(['=', '+', '/']));
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("signature");
        assert_eq!(signature.len(), 256);
        let verifier = VerifyingKey::<Sha256>::new(key.public.clone());
        let signed = format!("{}.{}", parts[0], parts[1]);
        let signature = Signature::try_from(signature.as_slice()).expect("signature");
        verifier.verify(signed.as_bytes(), &signature).expect("signature verifies");
        assert!(verifier.verify(b"something else", &signature).is_err());
        let other = VerifyingKey::<Sha256>::new(test_keys()[1].public.clone());
        assert!(other.verify(signed.as_bytes(), &signature).is_err());
    }
}
