//! The core's `RsaVerifier` and `MediaSigner` ports over WebCrypto (`crypto.subtle`): RS256 checks run in the runtime's native
//! code instead of RSA arithmetic in wasm. Imported keys are kept per isolate, by kid and modulus.

use momentum_core::auth::jwks::RsaJwk;
use momentum_core::media::{HashAlgorithm, PrivateKey, PublicKey};
use momentum_core::ports::{MediaSigner, RsaVerifier};
use std::cell::RefCell;
use std::collections::HashMap;
use worker::js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// RS256 through WebCrypto.
#[derive(Debug, Default)]
pub struct WebCryptoRsa {
    keys: RefCell<HashMap<(String, String), JsValue>>,
}

fn js_error(context: &str, err: JsValue) -> String {
    format!("{context}: {}", err.as_string().unwrap_or_else(|| format!("{err:?}")))
}

fn object(pairs: &[(&str, JsValue)]) -> Result<Object, String> {
    let object = Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(name), value).map_err(|err| js_error("building an object", err))?;
    }
    Ok(object)
}

async fn subtle_call(method: &str, args: &Array) -> Result<JsValue, String> {
    let crypto =
        Reflect::get(&worker::js_sys::global(), &JsValue::from_str("crypto")).map_err(|err| js_error("crypto", err))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(|err| js_error("crypto.subtle", err))?;
    let function: Function = Reflect::get(&subtle, &JsValue::from_str(method))
        .map_err(|err| js_error(method, err))?
        .dyn_into()
        .map_err(|err| js_error(method, err))?;
    let promise: Promise = function
        .apply(&subtle, args)
        .map_err(|err| js_error(method, err))?
        .dyn_into()
        .map_err(|err| js_error(method, err))?;
    JsFuture::from(promise).await.map_err(|err| js_error(method, err))
}

impl WebCryptoRsa {
    async fn import(&self, key: &RsaJwk) -> Result<JsValue, String> {
        let cache_key = (key.kid.clone(), key.n.clone());
        if let Some(imported) = self.keys.borrow().get(&cache_key) {
            return Ok(imported.clone());
        }
        let jwk = object(&[
            ("kty", "RSA".into()),
            ("n", key.n.as_str().into()),
            ("e", key.e.as_str().into()),
            ("alg", "RS256".into()),
            ("ext", true.into()),
        ])?;
        let algorithm =
            object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", object(&[("name", "SHA-256".into())])?.into())])?;
        let usages = Array::of1(&"verify".into());
        let args = Array::of5(&"jwk".into(), &jwk, &algorithm, &false.into(), &usages);
        let imported = subtle_call("importKey", &args).await?;
        let mut keys = self.keys.borrow_mut();
        if keys.len() > 32 {
            keys.clear();
        }
        keys.insert(cache_key, imported.clone());
        Ok(imported)
    }
}

impl RsaVerifier for WebCryptoRsa {
    async fn verify_rs256(&self, key: &RsaJwk, message: &[u8], signature: &[u8]) -> Result<bool, String> {
        let imported = self.import(key).await?;
        let algorithm = object(&[("name", "RSASSA-PKCS1-v1_5".into())])?;
        let args = Array::of4(&algorithm, &imported, &Uint8Array::from(signature), &Uint8Array::from(message));
        Ok(subtle_call("verify", &args).await?.as_bool().unwrap_or(false))
    }
}

/// CloudFront signatures (RSASSA-PKCS1-v1_5 with SHA-1 or SHA-256) through WebCrypto: the media port. Imported
/// keys are kept per isolate, by use, hash and key bytes; key material is never logged.
#[derive(Default)]
pub struct WebCryptoMedia {
    keys: RefCell<HashMap<MediaKeyId, JsValue>>,
}

/// Counts the imported keys: their ids hold the private key's DER bytes, which no `{:?}` may print.
impl std::fmt::Debug for WebCryptoMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebCryptoMedia").field("imported_keys", &self.keys.borrow().len()).finish()
    }
}

/// An imported media key: its format (`pkcs8`, `spki`), hash name and DER bytes.
type MediaKeyId = (&'static str, &'static str, Vec<u8>);

impl WebCryptoMedia {
    async fn import(&self, format: &'static str, der: &[u8], hash: HashAlgorithm) -> Result<JsValue, String> {
        let hash_name = match hash {
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Sha256 => "SHA-256",
        };
        let cache_key = (format, hash_name, der.to_vec());
        if let Some(imported) = self.keys.borrow().get(&cache_key) {
            return Ok(imported.clone());
        }
        let algorithm =
            object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", object(&[("name", hash_name.into())])?.into())])?;
        let usage = if format == "pkcs8" { "sign" } else { "verify" };
        let args =
            Array::of5(&format.into(), &Uint8Array::from(der), &algorithm, &false.into(), &Array::of1(&usage.into()));
        // The runtime's message could quote the key: say only which import failed.
        let imported =
            subtle_call("importKey", &args).await.map_err(|_| format!("importing the {format} key failed"))?;
        let mut keys = self.keys.borrow_mut();
        if keys.len() > 32 {
            keys.clear();
        }
        keys.insert(cache_key, imported.clone());
        Ok(imported)
    }
}

impl MediaSigner for WebCryptoMedia {
    async fn sign(&self, key: &PrivateKey, hash: HashAlgorithm, message: &[u8]) -> Result<Vec<u8>, String> {
        let imported = self.import("pkcs8", &key.pkcs8_der, hash).await?;
        let algorithm = object(&[("name", "RSASSA-PKCS1-v1_5".into())])?;
        let args = Array::of3(&algorithm, &imported, &Uint8Array::from(message));
        let signature = subtle_call("sign", &args).await?;
        Ok(Uint8Array::new(&signature).to_vec())
    }

    async fn verify(
        &self,
        key: &PublicKey,
        hash: HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        let imported = self.import("spki", &key.spki_der, hash).await?;
        let algorithm = object(&[("name", "RSASSA-PKCS1-v1_5".into())])?;
        let args = Array::of4(&algorithm, &imported, &Uint8Array::from(signature), &Uint8Array::from(message));
        Ok(subtle_call("verify", &args).await?.as_bool().unwrap_or(false))
    }
}
