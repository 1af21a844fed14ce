//! Premium lesson video: the edge decides who may watch (`playback`), hands out signatures in CloudFront's
//! format (`cloudfront`), and checks them itself before proxying to the media origin (`gate`), so the same links
//! work behind CloudFront and on a CDN without it. Admins get presigned S3 uploads (`uploads`).
//!
//! All of it is optional: without `CLOUDFRONT_KEY_PAIR_ID` the media routes answer 501 and the rest of the API
//! runs as before.

pub mod cloudfront;
#[cfg(feature = "rust-crypto")]
pub mod crypto;
pub mod gate;
pub mod playback;
pub mod resource;
pub mod uploads;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The hash of CloudFront's RSA PKCS#1 v1.5 signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1: CloudFront's default (no `Hash-Algorithm` parameter).
    Sha1,
    /// SHA-256 (`Hash-Algorithm=SHA256`).
    Sha256,
}

impl HashAlgorithm {
    /// The value of `Hash-Algorithm` (absent means SHA-1).
    pub fn parse(value: Option<&str>) -> Option<HashAlgorithm> {
        match value {
            None | Some("SHA1") => Some(HashAlgorithm::Sha1),
            Some("SHA256") => Some(HashAlgorithm::Sha256),
            Some(_) => None,
        }
    }
}

/// The signing key: PKCS#8 DER. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey {
    /// PKCS#8 `PrivateKeyInfo`, DER.
    pub pkcs8_der: Vec<u8>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// A public key the gate trusts, by its CloudFront public-key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The `Key-Pair-Id` it answers to.
    pub id: String,
    /// `SubjectPublicKeyInfo`, DER.
    pub spki_der: Vec<u8>,
}

/// The key pair the edge signs with and the public keys the gate accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaKeys {
    /// `Key-Pair-Id` of the signing key.
    pub key_pair_id: String,
    /// The signing key.
    pub private: PrivateKey,
    /// The keys the gate verifies with (the signing key's public half among them).
    pub public: Vec<PublicKey>,
}

/// Media settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaConfig {
    /// Keys.
    pub keys: MediaKeys,
    /// The hash new signatures use.
    pub hash: HashAlgorithm,
    /// The public host of media URLs (`media.momentum.example`): signed URLs are `https://{domain}/media/{key}`,
    /// cookies are scoped to it, and the gate checks requests as if addressed to it.
    pub domain: String,
    /// Where the gate fetches objects: `{origin}/{key}` (an S3 bucket URL, or the local origin's media folder).
    pub origin: String,
    /// Lifetime of a playback answer, in seconds (a lesson's length plus a margin).
    pub ttl_secs: u64,
    /// Presigned uploads, when configured.
    pub uploads: Option<uploads::UploadConfig>,
}

/// The upper bound of `MEDIA_URL_TTL_SECONDS`.
pub const MAX_TTL_SECS: u64 = 24 * 3600;

/// The DER inside a PEM block (or bare base64), lenient about line breaks written as `\n` in variables.
pub fn pem_der(text: &str) -> Option<Vec<u8>> {
    let text = text.replace("\\n", "\n");
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).ok().filter(|der| !der.is_empty())
}

impl MediaConfig {
    /// Reads `CLOUDFRONT_KEY_PAIR_ID`; when it is unset, media is off (`Ok(None)`). Otherwise requires
    /// `CLOUDFRONT_PRIVATE_KEY` (PKCS#8 PEM, a secret), `CLOUDFRONT_PUBLIC_KEYS` (JSON `{"id": "PEM", …}`),
    /// `MEDIA_DOMAIN`, `MEDIA_ORIGIN_URL`; optional `CLOUDFRONT_HASH_ALGORITHM` (`SHA1`, the default, or
    /// `SHA256`), `MEDIA_URL_TTL_SECONDS` (1500: a 20-minute lesson plus 5 minutes; at most a day) and the
    /// upload settings (see [`uploads::UploadConfig::from_vars`]). Errors name the variable, never a key.
    pub fn from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Option<MediaConfig>, String> {
        let get = |name: &str| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let Some(key_pair_id) = get("CLOUDFRONT_KEY_PAIR_ID") else {
            return Ok(None);
        };
        let required = |name: &str| get(name).ok_or_else(|| format!("variable {name} is not set"));
        let private =
            pem_der(&required("CLOUDFRONT_PRIVATE_KEY")?).ok_or("variable CLOUDFRONT_PRIVATE_KEY is not a PEM key")?;
        let listed: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&required("CLOUDFRONT_PUBLIC_KEYS")?)
                .map_err(|_| "variable CLOUDFRONT_PUBLIC_KEYS is not a JSON object of id → PEM")?;
        let mut public = Vec::new();
        for (id, pem) in listed {
            let der = pem.as_str().and_then(pem_der);
            let der = der.ok_or_else(|| format!("variable CLOUDFRONT_PUBLIC_KEYS: key {id} is not a PEM key"))?;
            public.push(PublicKey { id, spki_der: der });
        }
        let hash = HashAlgorithm::parse(get("CLOUDFRONT_HASH_ALGORITHM").as_deref())
            .ok_or("variable CLOUDFRONT_HASH_ALGORITHM must be SHA1 or SHA256")?;
        let domain = required("MEDIA_DOMAIN")?;
        if domain.contains(['/', ':', '"', ';', ' ']) {
            return Err("variable MEDIA_DOMAIN must be a host name only".into());
        }
        let origin = required("MEDIA_ORIGIN_URL")?.trim_end_matches('/').to_owned();
        if !(origin.starts_with("https://") || origin.starts_with("http://")) {
            return Err("variable MEDIA_ORIGIN_URL must be an http(s) URL".into());
        }
        let ttl_secs = match get("MEDIA_URL_TTL_SECONDS") {
            None => 1500,
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|ttl| (1..=MAX_TTL_SECS).contains(ttl))
                .ok_or("variable MEDIA_URL_TTL_SECONDS must be 1..=86400")?,
        };
        Ok(Some(MediaConfig {
            keys: MediaKeys { key_pair_id, private: PrivateKey { pkcs8_der: private }, public },
            hash,
            domain,
            origin,
            ttl_secs,
            uploads: uploads::UploadConfig::from_vars(var)?,
        }))
    }
}
