//! Identity through the core with in-memory ports: every token attack a Cognito verifier must refuse (each
//! its own test), the positive edges (no `typ`, leeway, rotation), the JWKS penalty box, the verified-token
//! cache, API keys and usage plans, and the authorization table.

mod support;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use support::*;

fn header() -> Value {
    json!({"kid": "kid-1", "alg": "RS256"})
}

fn claims() -> Value {
    access_claims("user-1", None)
}

fn with(mut value: Value, key: &str, replacement: Value) -> Value {
    value[key] = replacement;
    value
}

fn without(mut value: Value, key: &str) -> Value {
    value.as_object_mut().expect("object").remove(key);
    value
}

/// Asserts that `token` is refused on a signed-in route with 401 and `code`.
fn refused(token: &str, code: &str) {
    let (app, _) = app();
    let reply = get_as(&app, "/users/me", Some(token));
    assert_eq!(reply.status, 401, "{}", reply.json);
    assert_eq!(reply.json["error"]["code"], code, "{}", reply.json);
    assert_eq!(reply.headers["cache-control"], "no-store");
    let challenge = reply.headers["www-authenticate"].to_str().expect("ascii");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    if code != "UNAUTHORIZED" {
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    }
}

fn unsigned(header: Value, claims: Value) -> String {
    format!("{}.{}.", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()))
}

macro_rules! refuses {
    ($($name:ident: $token:expr => $code:expr;)*) => {$(
        #[test]
        fn $name() {
            refused(&$token, $code);
        }
    )*};
}

fn hs256(header: Value, claims: Value, secret: &[u8]) -> String {
    let signed = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("hmac");
    mac.update(signed.as_bytes());
    format!("{signed}.{}", b64(&mac.finalize().into_bytes()))
}

fn public_key_pem() -> Vec<u8> {
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    key(1).to_public_key().to_public_key_pem(LineEnding::LF).expect("pem").into_bytes()
}

fn tamper_payload(token: &str, claims: Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], b64(claims.to_string().as_bytes()), parts[2])
}

refuses! {
    alg_none: unsigned(json!({"kid": "kid-1", "alg": "none"}), claims()) => "TOKEN_INVALID";
    alg_none_capitalised: unsigned(json!({"kid": "kid-1", "alg": "None"}), claims()) => "TOKEN_INVALID";
    alg_none_upper: unsigned(json!({"kid": "kid-1", "alg": "NONE"}), claims()) => "TOKEN_INVALID";
    alg_none_signed_anyway: mint(json!({"kid": "kid-1", "alg": "none"}), claims(), 1) => "TOKEN_INVALID";
    hs256_keyed_with_the_public_key: hs256(json!({"kid": "kid-1", "alg": "HS256"}), claims(), &public_key_pem()) => "TOKEN_INVALID";
    hs512_keyed_with_the_public_key: hs256(json!({"kid": "kid-1", "alg": "HS512"}), claims(), &public_key_pem()) => "TOKEN_INVALID";
    rs512_header_against_rs256_key: mint(json!({"kid": "kid-1", "alg": "RS512"}), claims(), 1) => "TOKEN_INVALID";
    ps256_header: mint(json!({"kid": "kid-1", "alg": "PS256"}), claims(), 1) => "TOKEN_INVALID";
    es256_header: mint(json!({"kid": "kid-1", "alg": "ES256"}), claims(), 1) => "TOKEN_INVALID";
    lowercase_alg: mint(json!({"kid": "kid-1", "alg": "rs256"}), claims(), 1) => "TOKEN_INVALID";
    missing_kid: mint(json!({"alg": "RS256"}), claims(), 1) => "TOKEN_INVALID";
    empty_kid: mint(json!({"kid": "", "alg": "RS256"}), claims(), 1) => "TOKEN_INVALID";
    numeric_kid: mint(json!({"kid": 1, "alg": "RS256"}), claims(), 1) => "TOKEN_INVALID";
    unknown_kid: mint(json!({"kid": "kid-404", "alg": "RS256"}), claims(), 1) => "TOKEN_INVALID";
    kid_with_path_characters: mint(json!({"kid": "../../dev/null", "alg": "RS256"}), claims(), 1) => "TOKEN_INVALID";
    kid_with_sql: mint(json!({"kid": "' OR 1=1 --", "alg": "RS256"}), claims(), 1) => "TOKEN_INVALID";
    embedded_jwk: mint(json!({"kid": "kid-1", "alg": "RS256", "jwk": jwk("kid-1", &key(2))}), claims(), 2) => "TOKEN_INVALID";
    embedded_jwk_with_a_trusted_kid: mint(json!({"kid": "kid-1", "alg": "RS256", "jwk": jwk("kid-1", &key(1))}), claims(), 1) => "TOKEN_INVALID";
    jku_header: mint(json!({"kid": "kid-1", "alg": "RS256", "jku": "https://evil.example/jwks.json"}), claims(), 1) => "TOKEN_INVALID";
    x5u_header: mint(json!({"kid": "kid-1", "alg": "RS256", "x5u": "https://evil.example/cert.pem"}), claims(), 1) => "TOKEN_INVALID";
    x5c_header: mint(json!({"kid": "kid-1", "alg": "RS256", "x5c": ["MIIB"]}), claims(), 1) => "TOKEN_INVALID";
    crit_header: mint(json!({"kid": "kid-1", "alg": "RS256", "crit": ["exp"]}), claims(), 1) => "TOKEN_INVALID";
    two_parts: { let t = token("user-1", None); t[..t.rfind('.').expect("dot")].to_owned() } => "TOKEN_INVALID";
    four_parts: format!("{}.e30", token("user-1", None)) => "TOKEN_INVALID";
    empty_signature: { let t = token("user-1", None); format!("{}.", &t[..t.rfind('.').expect("dot")]) } => "TOKEN_INVALID";
    truncated_signature: { let t = token("user-1", None); t[..t.len() - 4].to_owned() } => "TOKEN_INVALID";
    standard_base64_characters: token("user-1", None).replace('-', "+").replace('_', "/") + "+/" => "TOKEN_INVALID";
    padded_base64: format!("{}==", token("user-1", None)) => "TOKEN_INVALID";
    whitespace_inside: { let t = token("user-1", None); format!("{} {}", &t[..10], &t[10..]) } => "TOKEN_INVALID";
    signed_by_another_key: mint(header(), claims(), 2) => "TOKEN_INVALID";
    tampered_payload: tamper_payload(&token("user-1", None), access_claims("user-1", Some(&["admin"]))) => "TOKEN_INVALID";
    expired_beyond_leeway: mint(header(), with(claims(), "exp", json!(NOW_SECS - 61)), 1) => "TOKEN_EXPIRED";
    expired_long_ago: mint(header(), with(claims(), "exp", json!(1_000)), 1) => "TOKEN_EXPIRED";
    not_before_in_the_future: mint(header(), with(claims(), "nbf", json!(NOW_SECS + 120)), 1) => "TOKEN_INVALID";
    no_exp: mint(header(), without(claims(), "exp"), 1) => "TOKEN_INVALID";
    exp_as_a_string: mint(header(), with(claims(), "exp", json!((NOW_SECS + 3600).to_string())), 1) => "TOKEN_INVALID";
    exp_huge: mint(header(), with(claims(), "exp", json!(1e300)), 1) => "TOKEN_INVALID";
    iat_as_a_string: mint(header(), with(claims(), "iat", json!("yesterday")), 1) => "TOKEN_INVALID";
    issuer_of_another_pool: mint(header(), with(claims(), "iss", json!(format!("https://cognito-idp.{REGION}.amazonaws.com/us-east-1_Other"))), 1) => "TOKEN_INVALID";
    issuer_of_another_region: mint(header(), with(claims(), "iss", json!(format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"))), 1) => "TOKEN_INVALID";
    issuer_with_trailing_slash: mint(header(), with(claims(), "iss", json!(format!("{}/", issuer()))), 1) => "TOKEN_INVALID";
    id_token_where_access_is_needed: mint(header(), with(with(without(claims(), "client_id"), "token_use", json!("id")), "aud", json!(CLIENT)), 1) => "TOKEN_INVALID";
    unknown_token_use: mint(header(), with(claims(), "token_use", json!("refresh")), 1) => "TOKEN_INVALID";
    missing_token_use: mint(header(), without(claims(), "token_use"), 1) => "TOKEN_INVALID";
    foreign_client_id: mint(header(), with(claims(), "client_id", json!("client-evil")), 1) => "TOKEN_INVALID";
    missing_client_id: mint(header(), without(claims(), "client_id"), 1) => "TOKEN_INVALID";
    array_aud_id_token: mint(header(), with(with(without(claims(), "client_id"), "token_use", json!("id")), "aud", json!([CLIENT])), 1) => "TOKEN_INVALID";
    missing_sub: mint(header(), without(claims(), "sub"), 1) => "TOKEN_INVALID";
    groups_not_a_list: mint(header(), with(claims(), "cognito:groups", json!("admin")), 1) => "TOKEN_INVALID";
    duplicate_token_use: sign_raw(r#"{"kid":"kid-1","alg":"RS256"}"#, &claims().to_string().replacen('{', r#"{"token_use":"id","#, 1), 1) => "TOKEN_INVALID";
    payload_not_an_object: sign_raw(r#"{"kid":"kid-1","alg":"RS256"}"#, "[1,2,3]", 1) => "TOKEN_INVALID";
    header_not_json: sign_raw("not json", &claims().to_string(), 1) => "TOKEN_INVALID";
    token_over_16_kib: mint(header(), with(claims(), "padding", json!("x".repeat(17 * 1024))), 1) => "TOKEN_INVALID";
    not_a_jwt_at_all: "hello".to_owned() => "TOKEN_INVALID";
}

#[test]
fn missing_token_is_unauthorized_without_error_attribute() {
    let (app, _) = app();
    let reply = get_as(&app, "/users/me", None);
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json["error"]["code"], "UNAUTHORIZED");
    assert_eq!(reply.headers["www-authenticate"], "Bearer realm=\"momentum\"");
}

#[test]
fn basic_auth_scheme_is_refused() {
    let (app, _) = app();
    let reply = call(&app, "GET", "/users/me", &[("x-api-key", API_KEY), ("authorization", "Basic dXNlcjpwYXNz")]);
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json["error"]["code"], "TOKEN_INVALID");
}

#[test]
fn a_valid_token_without_typ_is_accepted_and_provisions_the_user_once() {
    let (app, fakes) = app();
    let token = token("user-1", None);
    let reply = get_as(&app, "/users/me", Some(&token));
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["data"]["sub"], "user-1");
    assert_eq!(reply.json["data"]["role"], "free", "no groups claim means free");
    assert_eq!(reply.json["data"]["groups"], json!([]));
    assert_eq!(reply.headers["cache-control"], "private, no-store");
    let again = get_as(&app, "/users/me", Some(&token));
    assert_eq!(again.json["data"]["userId"], reply.json["data"]["userId"]);
    let upserts = fakes.statements.borrow().iter().filter(|s| s.starts_with("INSERT INTO users")).count();
    assert_eq!(upserts, 1, "the user row is created on first sight only");
}

#[test]
fn leeway_edges() {
    let (app, _) = app();
    let inside = mint(header(), with(claims(), "exp", json!(NOW_SECS - 59)), 1);
    assert_eq!(get_as(&app, "/users/me", Some(&inside)).status, 200);
    let nbf_inside = mint(header(), with(claims(), "nbf", json!(NOW_SECS + 59)), 1);
    assert_eq!(get_as(&app, "/users/me", Some(&nbf_inside)).status, 200);
    let (strict, _) = app_with(&[("JWT_LEEWAY_SECONDS", "0")]);
    let just_expired = mint(header(), with(claims(), "exp", json!(NOW_SECS - 1)), 1);
    assert_eq!(get_as(&strict, "/users/me", Some(&just_expired)).json["error"]["code"], "TOKEN_EXPIRED");
}

#[test]
fn verified_tokens_skip_the_rsa_check_until_they_expire() {
    let (app, fakes) = app();
    let token = mint(header(), with(claims(), "exp", json!(NOW_SECS + 100)), 1);
    for _ in 0..5 {
        assert_eq!(get_as(&app, "/users/me", Some(&token)).status, 200);
    }
    assert_eq!(fakes.rsa_checks.get(), 1);
    fakes.now_ms.set((NOW_SECS + 161) * 1000);
    assert_eq!(get_as(&app, "/users/me", Some(&token)).json["error"]["code"], "TOKEN_EXPIRED");
}

#[test]
fn token_cache_can_be_turned_off() {
    let (app, fakes) = app_with(&[("TOKEN_CACHE_SIZE", "0")]);
    let token = token("user-1", None);
    for _ in 0..3 {
        assert_eq!(get_as(&app, "/users/me", Some(&token)).status, 200);
    }
    assert_eq!(fakes.rsa_checks.get(), 3);
}

#[test]
fn key_rotation_refetches_once_and_succeeds() {
    let (app, fakes) = app();
    assert_eq!(get_as(&app, "/users/me", Some(&token("user-1", None))).status, 200);
    assert_eq!(fakes.jwks_fetches.get(), 1);
    *fakes.jwks.borrow_mut() = json!({"keys": [jwk("kid-1", &key(1)), jwk("kid-2", &key(2))]});
    let rotated = mint(json!({"kid": "kid-2", "alg": "RS256"}), claims(), 2);
    assert_eq!(get_as(&app, "/users/me", Some(&rotated)).status, 200);
    assert_eq!(fakes.jwks_fetches.get(), 2);
    assert_eq!(
        get_as(&app, "/users/me", Some(&mint(json!({"kid": "kid-2", "alg": "RS256"}), access_claims("u2", None), 2)))
            .status,
        200
    );
    assert_eq!(fakes.jwks_fetches.get(), 2, "a known kid needs no fetch");
}

#[test]
fn a_kid_flood_costs_at_most_one_fetch_per_window() {
    let (app, fakes) = app();
    assert_eq!(get_as(&app, "/users/me", Some(&token("user-1", None))).status, 200);
    for n in 0..200 {
        let forged = mint(json!({"kid": format!("made-up-{n}"), "alg": "RS256"}), claims(), 1);
        assert_eq!(get_as(&app, "/users/me", Some(&forged)).json["error"]["code"], "TOKEN_INVALID");
    }
    assert_eq!(fakes.jwks_fetches.get(), 2, "the first unknown kid fetches; the rest hit the penalty box");
    assert_eq!(get_as(&app, "/users/me", Some(&token("user-2", None))).status, 200, "known keys still verify");
    fakes.now_ms.set(fakes.now_ms.get() + 10_000);
    get_as(&app, "/users/me", Some(&mint(json!({"kid": "made-up-x", "alg": "RS256"}), claims(), 1)));
    assert_eq!(fakes.jwks_fetches.get(), 3, "one more fetch after the window");
}

#[test]
fn roles_come_from_groups() {
    let (app, _) = app();
    for (groups, role) in [
        (Some(&["premium"][..]), "premium"),
        (Some(&["admin", "premium"][..]), "admin"),
        (Some(&[][..]), "free"),
        (Some(&["other"][..]), "free"),
        (None, "free"),
    ] {
        let reply = get_as(&app, "/users/me", Some(&token("user-r", groups)));
        assert_eq!(reply.json["data"]["role"], role, "{groups:?}");
    }
}

#[test]
fn api_key_is_required_everywhere_but_health() {
    let (app, _) = app();
    for headers in [vec![], vec![("x-api-key", "wrong")], vec![("x-api-key", "")]] {
        let reply = call(&app, "GET", "/courses", &headers);
        assert_eq!(reply.status, 403);
        assert_eq!(reply.json["error"]["code"], "API_KEY_INVALID");
    }
    let reply = call(&app, "GET", "/nope", &[]);
    assert_eq!(reply.json["error"]["code"], "API_KEY_INVALID", "no route enumeration without a key");
    assert_eq!(call(&app, "GET", "/health", &[]).status, 200);
    let ok = call(&app, "GET", "/categories", &[("x-api-key", API_KEY)]);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.headers["ratelimit-limit"], "1000");
    assert_eq!(ok.headers["ratelimit-remaining"], "999");
}

#[test]
fn over_the_plan_is_429_with_retry_after() {
    let (app, _) = app();
    let tiny = [("x-api-key", "tiny-key")];
    assert_eq!(call(&app, "GET", "/categories", &tiny).headers["ratelimit-remaining"], "1");
    assert_eq!(call(&app, "GET", "/categories", &tiny).headers["ratelimit-remaining"], "0");
    let limited = call(&app, "GET", "/categories", &tiny);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.json["error"]["code"], "RATE_LIMITED");
    assert_eq!(limited.headers["retry-after"], "100");
    assert_eq!(limited.headers["ratelimit-remaining"], "0");
    // Another key is not affected.
    assert_eq!(call(&app, "GET", "/categories", &[("x-api-key", API_KEY)]).status, 200);
}

/// The authorization table, route by route: (method, path, anon, free, premium, admin, other user).
#[test]
fn authorization_table() {
    let (app, _) = app();
    let free = token("free-user", None);
    let premium = token("premium-user", Some(&["premium"]));
    let admin = token("admin-user", Some(&["admin"]));
    let free_id = get_as(&app, "/users/me", Some(&free)).json["data"]["userId"].as_str().expect("id").to_owned();
    let premium_id = get_as(&app, "/users/me", Some(&premium)).json["data"]["userId"].as_str().expect("id").to_owned();
    let own = format!("/users/{free_id}");
    let others = format!("/users/{premium_id}");
    // Expected statuses: 200/400/404 = allowed and served (the fake database holds no such rows), 501 = allowed but not served yet, 401/403 = refused.
    let cases: Vec<(&str, String, [u16; 4])> = vec![
        ("GET", "/courses".into(), [200, 200, 200, 200]),
        ("GET", "/categories".into(), [200, 200, 200, 200]),
        ("GET", "/lessons?courseId=20000000-0000-4000-8000-000000000001".into(), [404, 404, 404, 404]),
        ("POST", "/courses".into(), [401, 403, 403, 400]),
        ("PUT", "/courses/x".into(), [401, 403, 403, 404]),
        ("DELETE", "/lessons/x".into(), [401, 403, 403, 404]),
        ("GET", "/analytics/overview".into(), [401, 403, 403, 501]),
        ("POST", "/ai-generation/generate-course".into(), [401, 403, 403, 400]),
        ("GET", "/ai-generation/jobs/j".into(), [401, 403, 403, 404]),
        ("POST", "/uploads".into(), [401, 403, 403, 501]),
        ("GET", "/enrollments".into(), [401, 200, 200, 200]),
        ("POST", "/progress".into(), [401, 400, 400, 400]),
        ("GET", "/badges".into(), [401, 501, 501, 501]),
        ("GET", "/recommendations".into(), [401, 501, 501, 501]),
        ("GET", "/users/me".into(), [401, 200, 200, 200]),
        ("GET", own.clone(), [401, 200, 403, 200]),
        ("GET", format!("{own}/stats"), [401, 404, 403, 404]),
        ("GET", format!("/progress/{free_id}"), [401, 404, 403, 404]),
        ("GET", others.clone(), [401, 403, 200, 200]),
    ];
    for (method, path, expected) in cases {
        for (who, want) in [None, Some(&free), Some(&premium), Some(&admin)].into_iter().zip(expected) {
            let bearer = who.map(|t| format!("Bearer {t}"));
            let mut headers = vec![("x-api-key", API_KEY)];
            if let Some(bearer) = &bearer {
                headers.push(("authorization", bearer.as_str()));
            }
            let reply = call(&app, method, &path, &headers);
            assert_eq!(reply.status, want, "{method} {path} as {}: {}", who.map_or("anon", |_| "user"), reply.json);
        }
    }
}
