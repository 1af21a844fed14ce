//! Premium video: CloudFront-format signatures matched byte for byte with OpenSSL's (fixtures/cloudfront), the
//! canonical resource URL, the gate's every refusal, the entitlement matrix, and presigned uploads.

mod support;

use futures_executor::block_on;
use momentum_core::db::{Cell as DbCell, ResultSet, SqlValue};
use momentum_core::media::cloudfront::{self, canonical_url, cf_base64, encode, Policy, PolicyError};
use momentum_core::media::crypto::RustMediaSigner;
use momentum_core::media::gate::ClientIp;
use momentum_core::media::{pem_der, HashAlgorithm, MediaKeys, PrivateKey, PublicKey};
use momentum_core::ports::MediaSigner;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use serde_json::{json, Value};
use support::*;

const KEY_PEM: &str = include_str!("fixtures/cloudfront/test-only-key.pem");
const PUBLIC_PEM: &str = include_str!("fixtures/cloudfront/test-only-key.pub.pem");
const AWS_CLI_KEY_PEM: &str = include_str!("fixtures/cloudfront/aws-cli-test-rsa-key.pem");
const VECTORS: &str = include_str!("fixtures/cloudfront/vectors.json");
const DOMAIN: &str = "media.momentum.example";
const LESSON: &str = "30010001-0000-4000-8000-000001000003";
const KEY_ID: &str = "KTESTONLY";

fn private(pem: &str) -> PrivateKey {
    PrivateKey { pkcs8_der: pem_der(pem).expect("pem") }
}

fn keys() -> MediaKeys {
    MediaKeys {
        key_pair_id: KEY_ID.into(),
        private: private(KEY_PEM),
        public: vec![PublicKey { id: KEY_ID.into(), spki_der: pem_der(PUBLIC_PEM).expect("pem") }],
    }
}

fn sign(pem: &str, hash: HashAlgorithm, policy: &str) -> String {
    cf_base64(&block_on(RustMediaSigner.sign(&private(pem), hash, policy.as_bytes())).expect("sign"))
}

#[test]
fn signatures_match_openssl_byte_for_byte() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).expect("vectors");
    let folder = format!("https://{DOMAIN}/media/lessons/{LESSON}/*");
    // Our builders must produce exactly the policy bytes OpenSSL signed.
    let built = [
        (
            "aws-cli-vector",
            Policy::new("https://d111111abcdef8.cloudfront.net/image.jpg", 1767290400).unwrap().canned_json(),
        ),
        (
            "canned-awkward-video",
            Policy::new(
                &canonical_url(DOMAIN, &format!("lessons/{LESSON}/Day 3 – Intro, part=1.mp4"), &[]),
                1800000600,
            )
            .unwrap()
            .canned_json(),
        ),
        (
            "canned-notes-with-disposition",
            Policy::new(
                &canonical_url(
                    DOMAIN,
                    &format!("lessons/{LESSON}/Instructor's notes.pdf"),
                    &[(
                        "response-content-disposition",
                        "attachment; filename*=UTF-8''Instructor%E2%80%99s%20notes.pdf",
                    )],
                ),
                1800000600,
            )
            .unwrap()
            .canned_json(),
        ),
        ("custom-hls-folder", Policy::new(&folder, 1800001500).unwrap().custom_json()),
        (
            "custom-start-and-ip",
            Policy::new(&folder, 1800001500)
                .unwrap()
                .with_start(1799999000)
                .with_ip("192.0.2.0/24")
                .unwrap()
                .custom_json(),
        ),
    ];
    assert_eq!(vectors.len(), built.len());
    for (vector, (name, policy)) in vectors.iter().zip(built) {
        assert_eq!(vector["name"], name);
        assert_eq!(vector["policy"], policy.as_str(), "{name}: policy bytes");
        let pem = if vector["key"] == "aws-cli-test-rsa-key.pem" { AWS_CLI_KEY_PEM } else { KEY_PEM };
        assert_eq!(vector["sha1"], sign(pem, HashAlgorithm::Sha1, &policy).as_str(), "{name}: SHA-1");
        assert_eq!(vector["sha256"], sign(pem, HashAlgorithm::Sha256, &policy).as_str(), "{name}: SHA-256");
        // And the gate's verifier accepts OpenSSL's signature, and only for these bytes.
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("key");
        let spki = key.to_public_key().to_public_key_der().expect("spki").as_bytes().to_vec();
        let public = PublicKey { id: "k".into(), spki_der: spki };
        for (hash, field) in [(HashAlgorithm::Sha1, "sha1"), (HashAlgorithm::Sha256, "sha256")] {
            let signature = cloudfront::cf_base64_decode(vector[field].as_str().unwrap()).expect("cf base64");
            assert!(block_on(RustMediaSigner.verify(&public, hash, policy.as_bytes(), &signature)).unwrap());
            let tampered = policy.replace("1800", "1900").replace("17672", "17673");
            assert!(!block_on(RustMediaSigner.verify(&public, hash, tampered.as_bytes(), &signature)).unwrap());
        }
    }
}

#[test]
fn the_aws_cli_vector_is_the_published_one() {
    let policy = r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400}}}]}"#;
    assert_eq!(
        sign(AWS_CLI_KEY_PEM, HashAlgorithm::Sha1, policy),
        "iONoMLnhiCy9q1~WB9GkR2DiHz18I85i3o6kZ64REf-fCSOg-AyXEZiq7fJuS~DT-kbZXjVpgIQqI4sCTcBW9XpO6dyJ5sh8Igk3V~OVncS9acGVnI~ZhHBWiGhU8GmkEMAhn6R2RGO-wKGClrXdJGEUE26XoALdHUzHbmU6AGI_"
    );
}

#[test]
fn the_canonical_url_is_encoded_once() {
    let url = canonical_url(DOMAIN, "lessons/L/Day 3 – Intro, part=1.mp4", &[]);
    assert_eq!(url, "https://media.momentum.example/media/lessons/L/Day%203%20%E2%80%93%20Intro%2C%20part%3D1.mp4");
    assert_eq!(encode("lessons/L/Instructor's notes.pdf", b"/"), "lessons/L/Instructor%27s%20notes.pdf");
    // Already encoded: never twice; and the encoding is a fixed point.
    assert_eq!(encode("lessons/L/a%20b%E2%80%93.mp4", b"/"), "lessons/L/a%20b%E2%80%93.mp4");
    for raw in ["a b", "x%2", "100%", "ünï/cödé", "[x]"] {
        let once = encode(raw, b"/");
        assert_eq!(encode(&once, b"/"), once, "{raw}");
    }
    assert_eq!(encode("[x] 100%", b""), "%5Bx%5D%20100%25");
    // Query values are raw: their own percent signs are encoded.
    assert_eq!(canonical_url(DOMAIN, "k", &[("a b", "50%")]), "https://media.momentum.example/media/k?a%20b=50%25");
}

#[test]
fn quotes_cannot_inject_into_a_policy() {
    assert_eq!(Policy::new("https://x.example/a\"}]}", 1).unwrap_err(), PolicyError::Injection("resource"));
    assert_eq!(Policy::new("ftp://x.example/a", 1).unwrap_err(), PolicyError::Scheme);
    let policy = Policy::new("https://x.example/a", 1).unwrap();
    assert_eq!(policy.clone().with_ip("1.2.3.4\"").unwrap_err(), PolicyError::Injection("ip"));
    assert_eq!(policy.clone().with_ip("::1").unwrap_err(), PolicyError::Ip);
    assert_eq!(policy.with_ip("1.2.3.4").unwrap().ip.as_deref(), Some("1.2.3.4/32"));
}

#[test]
fn policies_parse_strictly() {
    let ok = br#"{"Statement":[{"Resource":"https://a/*","Condition":{"DateLessThan":{"AWS:EpochTime":1800001500}}}]}"#;
    assert_eq!(Policy::parse(ok).expect("policy").expires, 1800001500);
    let refused: [&[u8]; 6] = [
        br#"{"Statement":[{"Resource":"https://a/*","Condition":{"DateLessThan":{"AWS:EpochTime":1800001500000}}}]}"#,
        br#"{"Statement":[{"Resource":"https://a/*","Condition":{"DateLessThan":{"AWS:EpochTime":"1800001500"}}}]}"#,
        br#"{"Statement":[{"Resource":"https://a/*","Condition":{}}]}"#,
        br#"{"Statement":[{"Resource":"https://a/*","Condition":{"DateLessThan":{"AWS:EpochTime":1.5}}}]}"#,
        br#"{"Statement":[{"Resource":"https://a/*","Condition":{"DateLessThan":{"AWS:EpochTime":1}}},{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}"#,
        br#"{"Statement":[{"Resource":"https://a/*","Condition":{"DateLessThan":{"AWS:EpochTime":1},"Sneaky":{}}}]}"#,
    ];
    for json in refused {
        assert_eq!(Policy::parse(json), None, "{}", String::from_utf8_lossy(json));
    }
}

// ---- The app: playback, the gate, uploads ----

fn media_app(extra: &[(&str, &str)]) -> (momentum_core::App<TestPorts>, std::rc::Rc<Fakes>) {
    let public = json!({ KEY_ID: PUBLIC_PEM }).to_string();
    let mut vars = vec![
        ("CLOUDFRONT_KEY_PAIR_ID", KEY_ID),
        ("CLOUDFRONT_PRIVATE_KEY", KEY_PEM),
        ("CLOUDFRONT_PUBLIC_KEYS", public.as_str()),
        ("MEDIA_DOMAIN", DOMAIN),
        ("MEDIA_ORIGIN_URL", MEDIA_ORIGIN),
        ("MEDIA_URL_TTL_SECONDS", "1500"),
        ("S3_BUCKET", "momentum-media"),
    ];
    vars.extend_from_slice(extra);
    app_with(&vars)
}

/// An entitlement row as the statement returns it.
fn entitlement(
    video: Option<&str>,
    paid_course: bool,
    enrolled: bool,
    paid: bool,
    role: &str,
    unlocked: bool,
) -> ResultSet {
    let columns = ["video_url", "paid_course", "enrolled", "paid", "role", "unlocks_at", "unlocked"];
    ResultSet {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows: vec![vec![
            video.map_or(DbCell::Null, |v| DbCell::Text(v.into())),
            DbCell::Bool(paid_course),
            DbCell::Bool(enrolled),
            DbCell::Bool(paid),
            DbCell::Text(role.into()),
            if enrolled { DbCell::Text("2027-01-16 11:00:00".into()) } else { DbCell::Null },
            DbCell::Bool(unlocked),
        ]],
        rows_updated: 0,
    }
}

fn script(fakes: &Fakes, rows: ResultSet) {
    *fakes.scripted.borrow_mut() = vec![("AS unlocks_at", rows)];
}

fn playback(app: &momentum_core::App<TestPorts>, token: &str) -> Reply {
    get_as(app, &format!("/media/lessons/{LESSON}/playback"), Some(token))
}

/// `GET` a media URL through the gate as a player would: no API key, the path and query of the signed URL.
fn fetch(app: &momentum_core::App<TestPorts>, url: &str, headers: &[(&str, &str)]) -> Reply {
    let path = url.strip_prefix(&format!("https://{DOMAIN}")).expect("a media URL");
    call(app, "GET", path, headers)
}

fn video(name: &str) -> String {
    format!("https://{DOMAIN}/lessons/{LESSON}/{name}")
}

#[test]
fn the_entitlement_matrix() {
    let (app, fakes) = media_app(&[]);
    let free = token("free-user", None);
    let premium = token("premium-user", Some(&["premium"]));
    let admin = token("admin-user", Some(&["admin"]));
    let mp4 = video("intro.mp4");
    let cases: Vec<(&str, &String, ResultSet, u16, &str)> = vec![
        (
            "not enrolled",
            &free,
            entitlement(Some(&mp4), false, false, false, "free", false),
            403,
            "ENROLLMENT_REQUIRED",
        ),
        ("locked day", &premium, entitlement(Some(&mp4), true, true, false, "premium", false), 403, "LESSON_LOCKED"),
        ("free user, paid course", &free, entitlement(Some(&mp4), true, true, false, "free", true), 403, "FORBIDDEN"),
        ("free user, paid enrollment", &free, entitlement(Some(&mp4), true, true, true, "free", true), 200, ""),
        ("free user, free course", &free, entitlement(Some(&mp4), false, true, false, "free", true), 200, ""),
        ("premium, paid course", &premium, entitlement(Some(&mp4), true, true, false, "premium", true), 200, ""),
        ("admin, not enrolled", &admin, entitlement(Some(&mp4), true, false, false, "admin", false), 200, ""),
        ("no video", &admin, entitlement(None, true, false, false, "admin", false), 404, "NOT_FOUND"),
        ("no lesson", &admin, ResultSet { columns: vec![], rows: vec![], rows_updated: 0 }, 404, "NOT_FOUND"),
    ];
    for (name, who, rows, status, code) in cases {
        script(&fakes, rows);
        let reply = playback(&app, who);
        assert_eq!(reply.status, status, "{name}: {}", reply.json);
        if status == 200 {
            let url = reply.json["data"]["url"].as_str().expect("url");
            assert!(url.contains("Signature="), "{name}: {url}");
            assert_eq!(reply.headers.get("cache-control").unwrap(), "private, no-store");
        } else {
            assert_eq!(reply.json["error"]["code"], code, "{name}");
            assert!(!reply.json.to_string().contains("Signature"), "{name}: never a signature");
        }
        if name == "locked day" {
            assert_eq!(reply.json["error"]["details"]["unlocksAt"], "2027-01-16T11:00:00Z");
        }
        if name == "free user, paid course" {
            assert_eq!(reply.json["error"]["details"]["reason"], "PREMIUM_REQUIRED");
        }
    }
    // One statement, every value a typed parameter; now from the clock port (NOW_SECS = 2027-01-15 08:00:00 UTC).
    let params = fakes.params.borrow().last().cloned().expect("params");
    let now = params.iter().find(|p| p.name == "now").expect("now");
    assert_eq!(now.value, SqlValue::Timestamp("2027-01-15 08:00:00.000".into()));
    assert!(params.iter().any(|p| p.name == "lesson_id" && p.value == SqlValue::Uuid(LESSON.into())));
    let reply = get_as(&app, "/media/lessons/not-a-uuid/playback", Some(&admin));
    assert_eq!(reply.status, 404);
    assert_eq!(get_as(&app, &format!("/media/lessons/{LESSON}/playback"), None).status, 401);
}

#[test]
fn a_single_file_gets_a_canned_url_the_gate_accepts() {
    let (app, fakes) = media_app(&[]);
    let admin = token("admin-user", Some(&["admin"]));
    for name in ["Day 3 – Intro, part=1.mp4", "Instructor's notes.pdf", "plain.mp4"] {
        script(&fakes, entitlement(Some(&video(name)), false, false, false, "admin", false));
        let reply = playback(&app, &admin);
        let data = reply.json["data"].clone();
        let url = data["url"].as_str().expect("url");
        let base = canonical_url(DOMAIN, &format!("lessons/{LESSON}/{name}"), &[]);
        assert!(url.starts_with(&format!("{base}?Expires=1800001500&Signature=")), "{url}");
        assert!(url.contains(&format!("&Key-Pair-Id={KEY_ID}")) && !url.contains("Hash-Algorithm"), "{url}");
        assert_eq!(data["expiresAt"], "2027-01-15T08:25:00Z");
        assert!(data.get("cookies").is_none());
        let served = fetch(&app, url, &[]);
        assert_eq!(served.status, 200, "{name}: {}", served.json);
        assert_eq!(served.body, b"whole object");
        let (origin_url, _) = fakes.media_fetches.borrow().last().cloned().expect("fetched");
        assert_eq!(
            origin_url,
            base.replace(&format!("https://{DOMAIN}/media"), MEDIA_ORIGIN),
            "signing params stripped"
        );
    }
}

#[test]
fn sha256_is_an_option() {
    let (app, fakes) = media_app(&[("CLOUDFRONT_HASH_ALGORITHM", "SHA256")]);
    let admin = token("admin-user", Some(&["admin"]));
    script(&fakes, entitlement(Some(&video("a.mp4")), false, false, false, "admin", false));
    let url = playback(&app, &admin).json["data"]["url"].as_str().expect("url").to_owned();
    assert!(url.ends_with("&Hash-Algorithm=SHA256"), "{url}");
    assert_eq!(fetch(&app, &url, &[]).status, 200);
    // The same signature claimed as SHA-1 fails.
    assert_eq!(fetch(&app, &url.replace("&Hash-Algorithm=SHA256", ""), &[]).status, 403);
    assert_eq!(fetch(&app, &url.replace("SHA256", "MD5"), &[]).status, 403);
}

#[test]
fn an_hls_playlist_outside_its_lessons_folder_gets_no_wildcard() {
    let (app, fakes) = media_app(&[]);
    let admin = token("admin-user", Some(&["admin"]));
    // At the bucket's root the wildcard would open every lesson; in another lesson's folder, that lesson.
    for video_url in [
        format!("https://{DOMAIN}/index.m3u8"),
        format!("https://{DOMAIN}/lessons/index.m3u8"),
        format!("https://{DOMAIN}/lessons/30010001-0000-4000-8000-000001000001/index.m3u8"),
        format!("https://{DOMAIN}/lessons/{LESSON}x/index.m3u8"),
    ] {
        script(&fakes, entitlement(Some(&video_url), false, false, false, "admin", false));
        let reply = playback(&app, &admin);
        assert_eq!(reply.status, 500, "{video_url}: {}", reply.json);
        assert_eq!(reply.headers.get_all("set-cookie").iter().count(), 0, "{video_url}");
        assert!(!reply.json.to_string().contains("Signature"), "{video_url}");
    }
    // Below the lesson's own folder is fine, and the wildcard is that subfolder.
    script(&fakes, entitlement(Some(&video("hls/index.m3u8")), false, false, false, "admin", false));
    let reply = playback(&app, &admin);
    let set = reply.headers.get("set-cookie").expect("cookies").to_str().unwrap().to_owned();
    assert!(set.contains(&format!("; Path=/media/lessons/{LESSON}/hls/;")), "{set}");
}

#[test]
fn hls_gets_cookies_that_open_the_whole_folder_and_only_it() {
    let (app, fakes) = media_app(&[]);
    let admin = token("admin-user", Some(&["admin"]));
    script(&fakes, entitlement(Some(&video("index.m3u8")), false, false, false, "admin", false));
    let reply = playback(&app, &admin);
    let data = &reply.json["data"];
    let cookies = data["cookies"].as_object().expect("cookies");
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    let set: Vec<&str> = reply.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(set.len(), 3);
    for header in &set {
        assert!(
            header.ends_with(&format!(
                "; Domain={DOMAIN}; Path=/media/lessons/{LESSON}/; Secure; HttpOnly; SameSite=Lax"
            )),
            "{header}"
        );
    }
    let policy = cloudfront::cf_base64_decode(cookies["CloudFront-Policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        String::from_utf8(policy).unwrap(),
        format!(
            r#"{{"Statement":[{{"Resource":"https://{DOMAIN}/media/lessons/{LESSON}/*","Condition":{{"DateLessThan":{{"AWS:EpochTime":1800001500}}}}}}]}}"#
        )
    );
    let cookie = cookies.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap())).collect::<Vec<_>>().join("; ");
    // The playlist's own URL is signed too.
    assert_eq!(fetch(&app, data["url"].as_str().unwrap(), &[]).status, 200);
    for path in ["index.m3u8", "segment0.ts", "segment%201.ts", "sub/dir/x.ts?v=2"] {
        let reply = call(&app, "GET", &format!("/media/lessons/{LESSON}/{path}"), &[("cookie", &cookie)]);
        assert_eq!(reply.status, 200, "{path}: {}", reply.json);
    }
    let ranged = call(
        &app,
        "GET",
        &format!("/media/lessons/{LESSON}/segment0.ts"),
        &[("cookie", &cookie), ("range", "bytes=0-2")],
    );
    assert_eq!(ranged.status, 206);
    assert_eq!(ranged.headers.get("content-range").unwrap(), "bytes 0-2/12");
    assert_eq!(fakes.media_fetches.borrow().last().unwrap().1.as_deref(), Some("bytes=0-2"));
    // Another lesson's folder, and no credentials at all: refused without a trip to the origin.
    let before = fakes.media_fetches.borrow().len();
    let other =
        call(&app, "GET", "/media/lessons/30010001-0000-4000-8000-000001000004/index.m3u8", &[("cookie", &cookie)]);
    assert_eq!(other.status, 403);
    assert_eq!(call(&app, "GET", &format!("/media/lessons/{LESSON}/index.m3u8"), &[]).status, 403);
    assert_eq!(fakes.media_fetches.borrow().len(), before);
}

/// A custom policy signed with the test key, as URL parameters.
fn custom_url(path_and_query: &str, policy: &str, key_id: &str) -> String {
    let signature = sign(KEY_PEM, HashAlgorithm::Sha1, policy);
    let joiner = if path_and_query.contains('?') { '&' } else { '?' };
    format!(
        "{path_and_query}{joiner}Policy={}&Signature={signature}&Key-Pair-Id={key_id}",
        cf_base64(policy.as_bytes())
    )
}

fn policy_json(resource: &str, conditions: &str) -> String {
    format!(r#"{{"Statement":[{{"Resource":"{resource}","Condition":{{{conditions}}}}}]}}"#)
}

#[test]
fn the_gate_refuses_every_bad_credential_alike() {
    let (app, fakes) = media_app(&[]);
    let folder = format!("https://{DOMAIN}/media/lessons/{LESSON}/*");
    let path = format!("/media/lessons/{LESSON}/a.ts");
    let until = r#""DateLessThan":{"AWS:EpochTime":1800001500}"#;
    let good = custom_url(&path, &policy_json(&folder, until), KEY_ID);
    assert_eq!(call(&app, "GET", &good, &[]).status, 200, "the control case passes");

    let signature_at = good.find("Signature=").unwrap() + "Signature=".len();
    let mut tampered_signature = good.clone();
    let flipped = if &good[signature_at..signature_at + 1] == "A" { "B" } else { "A" };
    tampered_signature.replace_range(signature_at..signature_at + 1, flipped);
    let other_policy = cf_base64(policy_json(&format!("https://{DOMAIN}/media/*"), until).as_bytes());
    let policy_at = good.find("Policy=").unwrap() + "Policy=".len();
    let policy_end = good[policy_at..].find('&').unwrap() + policy_at;
    let mut tampered_policy = good.clone();
    tampered_policy.replace_range(policy_at..policy_end, &other_policy);
    let start = r#","DateGreaterThan":{"AWS:EpochTime":1800000100}"#;
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        ("tampered signature", tampered_signature, None),
        ("tampered policy", tampered_policy, None),
        (
            "expired",
            custom_url(&path, &policy_json(&folder, r#""DateLessThan":{"AWS:EpochTime":1800000000}"#), KEY_ID),
            None,
        ),
        ("not yet valid", custom_url(&path, &policy_json(&folder, &format!("{until}{start}")), KEY_ID), None),
        (
            "wrong IP",
            custom_url(
                &path,
                &policy_json(&folder, &format!(r#"{until},"IpAddress":{{"AWS:SourceIp":"192.0.2.0/24"}}"#)),
                KEY_ID,
            ),
            Some("198.51.100.7"),
        ),
        (
            "IP condition, client unknown",
            custom_url(
                &path,
                &policy_json(&folder, &format!(r#"{until},"IpAddress":{{"AWS:SourceIp":"192.0.2.0/24"}}"#)),
                KEY_ID,
            ),
            None,
        ),
        (
            "wildcard across domain → path",
            custom_url(&path, &policy_json(&format!("https://{DOMAIN}*/lessons/{LESSON}/a.ts"), until), KEY_ID),
            None,
        ),
        (
            "wildcard across path → query",
            custom_url(
                &format!("/media/lessons/{LESSON}/a?x=.ts"),
                &policy_json(&format!("https://{DOMAIN}/media/lessons/{LESSON}/a*.ts"), until),
                KEY_ID,
            ),
            None,
        ),
        (
            "millisecond epoch",
            custom_url(&path, &policy_json(&folder, r#""DateLessThan":{"AWS:EpochTime":1800001500000}"#), KEY_ID),
            None,
        ),
        ("unknown key", custom_url(&path, &policy_json(&folder, until), "KOTHER"), None),
        ("other path", good.replace("/a.ts", "/../b.ts").replace(&format!("lessons/{LESSON}/../"), "lessons/"), None),
        ("canned, wrong expiry", format!("{path}?Expires=1800001500&Signature=AAAA&Key-Pair-Id={KEY_ID}"), None),
        ("canned and custom at once", format!("{good}&Expires=1800001500"), None),
        ("signature given twice", format!("{good}&Signature=AAAA"), None),
    ];
    let before = fakes.media_fetches.borrow().len();
    for (name, target, ip) in cases {
        let mut request = request("GET", &target, &[]);
        if let Some(ip) = ip {
            request.extensions_mut().insert(ClientIp(ip.into()));
        }
        let reply = reply(block_on(app.handle(request)));
        assert_eq!(reply.status, 403, "{name}: {target}");
        assert_eq!(
            reply.json["error"],
            json!({"code": "FORBIDDEN", "message": "you may not do this", "details": {"reason": "signature_required"}}),
            "{name}: the same answer for every refusal"
        );
    }
    assert_eq!(fakes.media_fetches.borrow().len(), before, "nothing refused reached the origin");
    // The right IP passes; the start time passes once reached.
    let with_ip = custom_url(
        &path,
        &policy_json(&folder, &format!(r#"{until},"IpAddress":{{"AWS:SourceIp":"192.0.2.0/24"}}"#)),
        KEY_ID,
    );
    let mut request = request("GET", &with_ip, &[]);
    request.extensions_mut().insert(ClientIp("192.0.2.77".into()));
    assert_eq!(reply(block_on(app.handle(request))).status, 200);
    let later = custom_url(&path, &policy_json(&folder, &format!("{until}{start}")), KEY_ID);
    fakes.now_ms.set(1_800_000_100_000);
    assert_eq!(call(&app, "GET", &later, &[]).status, 200);
    fakes.now_ms.set(1_800_001_500_000);
    assert_eq!(call(&app, "GET", &good, &[]).status, 403, "expiry is exclusive");
}

#[test]
fn media_is_optional() {
    let (app, _) = app();
    let admin = token("admin-user", Some(&["admin"]));
    assert_eq!(playback(&app, &admin).status, 501);
    assert_eq!(call(&app, "GET", "/media/lessons/x/index.m3u8", &[]).status, 501);
    let config = momentum_core::Config::from_vars(vars(&[("CLOUDFRONT_KEY_PAIR_ID", "K1")])).unwrap_err();
    assert!(config.contains("CLOUDFRONT_PRIVATE_KEY"), "{config}");
    let bad = vars(&[
        ("CLOUDFRONT_KEY_PAIR_ID", "K1"),
        ("CLOUDFRONT_PRIVATE_KEY", KEY_PEM),
        ("CLOUDFRONT_PUBLIC_KEYS", "{}"),
        ("MEDIA_DOMAIN", DOMAIN),
        ("MEDIA_ORIGIN_URL", MEDIA_ORIGIN),
        ("MEDIA_URL_TTL_SECONDS", "999999"),
    ]);
    let err = momentum_core::Config::from_vars(bad).unwrap_err();
    assert!(err.contains("MEDIA_URL_TTL_SECONDS") && !err.contains("PRIVATE KEY"), "{err}");
    // Keys never show in Debug.
    assert!(!format!("{:?}", keys()).contains(&format!("{:?}", &keys().private.pkcs8_der[..8])));
}

#[test]
fn uploads_are_presigned_for_admins_with_pinned_type_and_length() {
    let (app, _) = media_app(&[]);
    let admin = token("admin-user", Some(&["admin"]));
    let bearer = format!("Bearer {admin}");
    let post = |body: &str| {
        let mut request = request("POST", "/uploads", &[("x-api-key", API_KEY), ("authorization", &bearer)]);
        *request.body_mut() = body.as_bytes().to_vec();
        reply(block_on(app.handle(request)))
    };
    let ok = post(&json!({"kind": "video", "lessonId": LESSON, "fileName": "Day 3 – Intro, part=1.mp4", "contentType": "video/mp4", "contentLength": 1234}).to_string());
    assert_eq!(ok.status, 201, "{}", ok.json);
    let data = &ok.json["data"];
    assert_eq!(data["key"], format!("lessons/{LESSON}/Day 3 – Intro, part=1.mp4"));
    assert_eq!(data["method"], "PUT");
    assert_eq!(data["headers"], json!({"Content-Type": "video/mp4", "Content-Length": "1234"}));
    assert_eq!(data["expiresAt"], "2027-01-15T08:05:00Z");
    assert!(data["url"].as_str().unwrap().contains("type=video/mp4&length=1234&expires=300&at=1800000000000"));
    let cases = [
        ("not json", "body"),
        (
            r#"{"kind":"audio","lessonId":"30010001-0000-4000-8000-000001000003","fileName":"a","contentType":"video/mp4","contentLength":1}"#,
            "kind",
        ),
        (r#"{"kind":"video","lessonId":"x","fileName":"a","contentType":"video/mp4","contentLength":1}"#, "lessonId"),
        (
            r#"{"kind":"video","lessonId":"30010001-0000-4000-8000-000001000003","fileName":"../a","contentType":"video/mp4","contentLength":1}"#,
            "fileName",
        ),
        (
            r#"{"kind":"video","lessonId":"30010001-0000-4000-8000-000001000003","fileName":"100%AB.mp4","contentType":"video/mp4","contentLength":1}"#,
            "fileName",
        ),
        (
            r#"{"kind":"thumbnail","lessonId":"30010001-0000-4000-8000-000001000003","fileName":"a","contentType":"video/mp4","contentLength":1}"#,
            "contentType",
        ),
        (
            r#"{"kind":"thumbnail","lessonId":"30010001-0000-4000-8000-000001000003","fileName":"a","contentType":"image/png","contentLength":6000000}"#,
            "contentLength",
        ),
        (
            r#"{"kind":"video","lessonId":"30010001-0000-4000-8000-000001000003","fileName":"a","contentType":"video/mp4","contentLength":1,"acl":"public-read"}"#,
            "acl",
        ),
    ];
    for (body, field) in cases {
        let reply = post(body);
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json["error"]["details"]["field"], field, "{body}");
    }
}

/// Signs `policy` for the test app's key into URL parameters, as playback would.
fn signed(policy: &Policy) -> String {
    let params =
        block_on(cloudfront::url_params(&RustMediaSigner, &keys(), HashAlgorithm::Sha1, policy)).expect("signed");
    cloudfront::append_params(policy.resource.as_deref().expect("resource"), &params)
}

#[test]
fn a_utf8_filename_in_a_disposition_query_is_signed_and_passed_to_the_origin() {
    let (app, fakes) = media_app(&[]);
    let disposition = "attachment; filename*=UTF-8''Instructor%E2%80%99s%20notes.pdf";
    let url = canonical_url(
        DOMAIN,
        &format!("lessons/{LESSON}/Instructor's notes.pdf"),
        &[("response-content-disposition", disposition)],
    );
    let signed = signed(&Policy::new(&url, 1800001500).unwrap());
    assert_eq!(fetch(&app, &signed, &[]).status, 200);
    let (origin_url, _) = fakes.media_fetches.borrow().last().cloned().expect("fetched");
    assert_eq!(
        origin_url,
        format!(
            "{MEDIA_ORIGIN}/lessons/{LESSON}/Instructor%27s%20notes.pdf?response-content-disposition=\
             attachment%3B%20filename%2A%3DUTF-8%27%27Instructor%25E2%2580%2599s%2520notes.pdf"
        )
    );
    // The query is part of what was signed.
    assert_eq!(fetch(&app, &signed.replace("notes.pdf&", "notes.pdf.exe&"), &[]).status, 403);
}

#[test]
fn canned_cookies_work_and_a_millisecond_expires_does_not() {
    let (app, _) = media_app(&[]);
    let url = canonical_url(DOMAIN, &format!("lessons/{LESSON}/a.mp4"), &[]);
    let path = url.strip_prefix(&format!("https://{DOMAIN}")).unwrap();
    let params = block_on(cloudfront::url_params(
        &RustMediaSigner,
        &keys(),
        HashAlgorithm::Sha1,
        &Policy::new(&url, 1800001500).unwrap(),
    ))
    .unwrap();
    let cookie = params.iter().map(|(k, v)| format!("CloudFront-{k}={v}")).collect::<Vec<_>>().join("; ");
    assert!(cookie.contains("CloudFront-Expires=1800001500"), "{cookie}");
    assert_eq!(call(&app, "GET", path, &[("cookie", &cookie)]).status, 200);
    // Signed URLs take precedence over cookies: a bad URL signature is not rescued by good cookies.
    let bad = format!("{path}?Expires=1800001500&Signature=AAAA&Key-Pair-Id={KEY_ID}");
    assert_eq!(call(&app, "GET", &bad, &[("cookie", &cookie)]).status, 403);
    // A millisecond epoch, however well signed, is refused (it would otherwise live for ever).
    let millis = signed(&Policy::new(&url, 1_800_001_500_000).unwrap());
    assert!(millis.contains("Expires=1800001500000&"));
    assert_eq!(fetch(&app, &millis, &[]).status, 403);
}
