//! The provider over real HTTP, as an MCP client and a browser would use it.

use std::time::Duration;

use bytes::Bytes;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use octo_dev_idp::{
    AccessTokenClaims, DevIdp, DevIdpConfig, DevUser, GRANT_TYPE_DEVICE_CODE,
    GRANT_TYPE_REFRESH_TOKEN, GRANT_TYPE_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN,
};
use reqwest::StatusCode;
use serde_json::Value;

const CLIENT: &str = "octo-mcpServices-device";
const ADMIN_PASSWORD: &str = "admin-pass-123";

struct Idp {
    idp: DevIdp,
    http: reqwest::Client,
    issuer: String,
}

fn users() -> Vec<DevUser> {
    vec![
        DevUser::admin(ADMIN_PASSWORD),
        DevUser::new("bob", "bob-pass")
            .with_tenants(["plant-a", "plant-c"])
            .with_roles(["Reader"]),
        DevUser::new("rita", "rita-pass").read_only(),
    ]
}

/// Starts a provider on a free port; `adjust` changes the configuration first (the poll interval
/// is zero unless it sets one).
async fn start(adjust: impl FnOnce(&mut DevIdpConfig)) -> Idp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let issuer = format!("http://{}/dev-idp", listener.local_addr().expect("addr"));
    let mut config = DevIdpConfig::new(issuer.clone(), users());
    config.poll_interval = Duration::ZERO;
    adjust(&mut config);
    let idp = DevIdp::new(config).expect("provider");
    tokio::spawn(idp.clone().serve(listener));
    Idp {
        idp,
        http: reqwest::Client::new(),
        issuer,
    }
}

impl Idp {
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.issuer))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("json body"))
    }

    async fn authorize(&self, scope: &str, tenant: Option<&str>) -> Value {
        let acr = tenant.map(|t| format!("tenant:{t}")).unwrap_or_default();
        let (status, body) = self
            .post(
                "/connect/deviceauthorization",
                &[
                    ("client_id", CLIENT),
                    ("scope", scope),
                    ("acr_values", &acr),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn poll(&self, device_code: &str) -> (StatusCode, Value) {
        self.post(
            "/connect/token",
            &[
                ("grant_type", GRANT_TYPE_DEVICE_CODE),
                ("device_code", device_code),
                ("client_id", CLIENT),
            ],
        )
        .await
    }

    /// Submits the verification page's form like a browser.
    async fn login(
        &self,
        user_code: &str,
        username: &str,
        password: &str,
        extra: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut form = vec![
            ("user_code", user_code),
            ("username", username),
            ("password", password),
            ("action", "approve"),
        ];
        form.extend_from_slice(extra);
        let response = self
            .http
            .post(format!("{}/device", self.issuer))
            .form(&form)
            .send()
            .await
            .expect("request");
        let status = response.status();
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/html"),
            "the page is HTML"
        );
        (status, response.text().await.expect("body"))
    }

    /// The whole device flow for one user; returns the token response.
    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        scope: &str,
        tenant: Option<&str>,
    ) -> Value {
        let auth = self.authorize(scope, tenant).await;
        let (status, page) = self
            .login(str_of(&auth, "user_code"), username, password, &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let (status, tokens) = self.poll(str_of(&auth, "device_code")).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        tokens
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.post(
            "/connect/token",
            &[
                ("grant_type", GRANT_TYPE_REFRESH_TOKEN),
                ("refresh_token", refresh_token),
                ("client_id", CLIENT),
            ],
        )
        .await
    }

    async fn exchange(&self, subject_token: &str, tenant: &str) -> (StatusCode, Value) {
        let acr = format!("tenant:{tenant}");
        self.post(
            "/connect/token",
            &[
                ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
                ("subject_token", subject_token),
                ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
                ("acr_values", &acr),
                ("client_id", CLIENT),
            ],
        )
        .await
    }

    /// Verifies an access token the way a resource server does: the key from `/jwks` by `kid`,
    /// ES256, issuer, audience and expiry.
    async fn verify(&self, token: &str) -> AccessTokenClaims {
        let jwks: JwkSet = self
            .http
            .get(format!("{}/jwks", self.issuer))
            .send()
            .await
            .expect("jwks")
            .json()
            .await
            .expect("jwk set");
        let header = jsonwebtoken::decode_header(token).expect("header");
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        let jwk = jwks
            .find(header.kid.as_deref().expect("kid"))
            .expect("key in the set");
        let key = DecodingKey::from_jwk(jwk).expect("decoding key");
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&["octo-mcp"]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<AccessTokenClaims>(token, &key, &validation)
            .expect("valid access token")
            .claims
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("'{key}' in {v}"))
}

fn error_of(v: &Value) -> &str {
    str_of(v, "error")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

#[tokio::test]
async fn discovery_names_the_endpoints_grants_and_scopes() {
    let idp = start(|_| {}).await;
    let doc: Value = idp
        .http
        .get(format!("{}/.well-known/openid-configuration", idp.issuer))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["issuer"], idp.issuer.as_str());
    assert_eq!(idp.idp.issuer(), idp.issuer);
    assert_eq!(
        doc["token_endpoint"],
        format!("{}/connect/token", idp.issuer)
    );
    assert_eq!(
        doc["device_authorization_endpoint"],
        format!("{}/connect/deviceauthorization", idp.issuer)
    );
    assert_eq!(doc["jwks_uri"], format!("{}/jwks", idp.issuer));
    let grants: Vec<&str> = doc["grant_types_supported"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for grant in [
        GRANT_TYPE_DEVICE_CODE,
        GRANT_TYPE_REFRESH_TOKEN,
        GRANT_TYPE_TOKEN_EXCHANGE,
    ] {
        assert!(grants.contains(&grant), "{grant} in {grants:?}");
    }
    let scopes: Vec<&str> = doc["scopes_supported"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for scope in ["offline_access", "octo_api", "octo_api.read_only", "openid"] {
        assert!(scopes.contains(&scope), "{scope} in {scopes:?}");
    }

    let jwks: Value = idp
        .http
        .get(str_of(&doc, "jwks_uri"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-256");
    assert_eq!(key["alg"], "ES256");
    assert_eq!(key["kid"], idp.idp.key_id());
    assert!(key.get("d").is_none(), "never the private part");

    // The root page points at the verification page; unknown paths are 404.
    let root = idp.http.get(&idp.issuer).send().await.expect("root");
    assert_eq!(root.status(), StatusCode::OK);
    assert!(root.text().await.expect("text").contains("/device"));
    let missing = idp
        .http
        .get(format!("{}/nope", idp.issuer))
        .send()
        .await
        .expect("404");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_full_device_flow_gives_tokens_that_verify_against_the_jwks() {
    let idp = start(|_| {}).await;
    let auth = idp
        .authorize("openid profile offline_access octo_api", Some("octosystem"))
        .await;
    let user_code = str_of(&auth, "user_code");
    let device_code = str_of(&auth, "device_code");
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(device_code.len() >= 43, "at least 256 bits: {device_code}");
    assert_eq!(auth["verification_uri"], format!("{}/device", idp.issuer));
    assert_eq!(
        auth["verification_uri_complete"],
        format!("{}/device?user_code={user_code}", idp.issuer)
    );
    assert_eq!(auth["expires_in"], 600);
    assert_eq!(auth["interval"], 0);

    let (status, pending) = idp.poll(device_code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&pending), "authorization_pending");
    assert!(pending["error_description"].is_string());

    // The browser opens the complete URI: the form is there with the code filled in.
    let page = idp
        .http
        .get(str_of(&auth, "verification_uri_complete"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains(&format!("value=\"{user_code}\"")), "{html}");
    assert!(
        html.contains("octosystem"),
        "the page names the tenant: {html}"
    );
    assert!(html.contains("name=\"password\""));

    // People type codes in lower case, without the dash.
    let typed = user_code.replace('-', "").to_lowercase();
    let (status, done) = idp.login(&typed, "admin", ADMIN_PASSWORD, &[]).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("Device connected"), "{done}");

    let (status, tokens) = idp.poll(device_code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 300);
    assert_eq!(tokens["scope"], "openid profile offline_access octo_api");
    assert!(tokens["id_token"].is_string());
    assert!(tokens["refresh_token"].is_string());

    let claims = idp.verify(str_of(&tokens, "access_token")).await;
    assert_eq!(claims.iss, idp.issuer);
    assert_eq!(claims.aud, "octo-mcp");
    assert_eq!(claims.sub, "admin");
    assert_eq!(claims.preferred_username, "admin");
    assert_eq!(claims.name, "Administrator");
    assert_eq!(claims.email, "admin@localhost");
    assert_eq!(claims.tenant_id.as_deref(), Some("octosystem"));
    assert_eq!(claims.allowed_tenants, vec!["*".to_owned()]);
    assert_eq!(claims.role, vec!["TenantAdministrator".to_owned()]);
    assert_eq!(claims.client_id, CLIENT);
    assert_eq!(
        claims.scp,
        vec!["openid", "profile", "offline_access", "octo_api"]
    );
    assert!(claims.exp > now() && claims.exp <= now() + 301);
    assert!(claims.nbf <= now() && claims.iat <= now());
    assert!(!claims.jti.is_empty());
    assert_eq!(
        idp.idp
            .verify_access_token(str_of(&tokens, "access_token"))
            .expect("valid"),
        claims
    );

    // The ID token is for the client, not for the API.
    let id_token = str_of(&tokens, "id_token");
    let id: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(id_token)
        .expect("jwt")
        .claims;
    assert_eq!(id["aud"], CLIENT);
    assert_eq!(id["sub"], "admin");
    assert!(idp.idp.verify_access_token(id_token).is_err());

    // A device code is exchanged once.
    let (status, again) = idp.poll(device_code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&again), "invalid_grant");
}

#[tokio::test]
async fn polling_faster_than_the_interval_gets_slow_down() {
    let idp = start(|c| c.poll_interval = Duration::from_secs(1)).await;
    let auth = idp.authorize("octo_api", None).await;
    assert_eq!(auth["interval"], 1);
    let device_code = str_of(&auth, "device_code");
    let (_, first) = idp.poll(device_code).await;
    assert_eq!(error_of(&first), "authorization_pending");
    let (status, second) = idp.poll(device_code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&second), "slow_down");
    // The interval is now 6 s: one second later is still too fast.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, third) = idp.poll(device_code).await;
    assert_eq!(error_of(&third), "slow_down");
}

#[tokio::test]
async fn an_expired_code_gives_expired_token_and_an_expired_page() {
    let idp = start(|c| c.device_code_lifetime = Duration::from_millis(300)).await;
    let auth = idp.authorize("octo_api", None).await;
    assert_eq!(auth["expires_in"], 1, "rounded up to whole seconds");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, page) = idp
        .login(str_of(&auth, "user_code"), "admin", ADMIN_PASSWORD, &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("expired"), "{page}");
    let (status, expired) = idp.poll(str_of(&auth, "device_code")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&expired), "expired_token");
}

#[tokio::test]
async fn a_wrong_password_shows_an_error_and_the_code_stays_pending() {
    let idp = start(|_| {}).await;
    let auth = idp.authorize("octo_api", Some("octosystem")).await;
    let user_code = str_of(&auth, "user_code");
    let (status, page) = idp.login(user_code, "admin", "wrong", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Wrong user name or password"), "{page}");
    assert!(
        page.contains(&format!("value=\"{user_code}\"")),
        "the form is shown again: {page}"
    );
    assert!(!page.contains("wrong\""), "the password is not echoed");
    assert!(
        page.contains("octosystem"),
        "with what the application asked for: {page}"
    );
    assert!(
        !page.contains("name=\"tenant\""),
        "the client named the tenant: {page}"
    );
    assert!(page.contains("current-password\" autofocus"), "{page}");
    let (_, pending) = idp.poll(str_of(&auth, "device_code")).await;
    assert_eq!(error_of(&pending), "authorization_pending");

    let (status, page) = idp.login(user_code, "nobody", ADMIN_PASSWORD, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Wrong user name or password"), "{page}");

    let (status, page) = idp.login("BCDF-GHJK", "admin", ADMIN_PASSWORD, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown code");
    assert!(page.contains("Unknown code"), "{page}");

    // User names ignore case; then it works.
    let (status, page) = idp.login(user_code, "Admin", ADMIN_PASSWORD, &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (status, tokens) = idp.poll(str_of(&auth, "device_code")).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert!(
        tokens.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
}

#[tokio::test]
async fn too_many_wrong_passwords_deny_the_code() {
    let idp = start(|_| {}).await;
    let auth = idp.authorize("octo_api", None).await;
    let user_code = str_of(&auth, "user_code");
    for _ in 0..9 {
        let (status, _) = idp.login(user_code, "admin", "guess", &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, page) = idp.login(user_code, "admin", "guess", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Too many"), "{page}");
    let (status, _) = idp.login(user_code, "admin", ADMIN_PASSWORD, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the code is spent");
    let (_, denied) = idp.poll(str_of(&auth, "device_code")).await;
    assert_eq!(error_of(&denied), "access_denied");
}

#[tokio::test]
async fn a_user_not_allowed_in_the_tenant_is_denied() {
    let idp = start(|_| {}).await;
    let auth = idp.authorize("octo_api", Some("plant-b")).await;
    let (status, page) = idp
        .login(str_of(&auth, "user_code"), "bob", "bob-pass", &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("may not use tenant"), "{page}");
    assert!(page.contains("plant-b"), "{page}");
    let (status, denied) = idp.poll(str_of(&auth, "device_code")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&denied), "access_denied");
}

#[tokio::test]
async fn the_deny_button_denies() {
    let idp = start(|_| {}).await;
    let auth = idp.authorize("octo_api", None).await;
    let response = idp
        .http
        .post(format!("{}/device", idp.issuer))
        .form(&[
            ("user_code", str_of(&auth, "user_code")),
            ("action", "deny"),
        ])
        .send()
        .await
        .expect("deny");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("Access denied")
    );
    let (_, denied) = idp.poll(str_of(&auth, "device_code")).await;
    assert_eq!(error_of(&denied), "access_denied");
}

#[tokio::test]
async fn without_a_tenant_from_the_client_the_page_asks_for_one() {
    let idp = start(|_| {}).await;
    let auth = idp.authorize("octo_api", None).await;
    let html = idp
        .http
        .get(str_of(&auth, "verification_uri_complete"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("name=\"tenant\""), "{html}");
    let (status, page) = idp
        .login(
            str_of(&auth, "user_code"),
            "bob",
            "bob-pass",
            &[("tenant", "Plant-C")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, tokens) = idp.poll(str_of(&auth, "device_code")).await;
    let claims = idp.verify(str_of(&tokens, "access_token")).await;
    assert_eq!(claims.tenant_id.as_deref(), Some("plant-c"));
    assert_eq!(
        claims.allowed_tenants,
        vec!["plant-a".to_owned(), "plant-c".to_owned()]
    );
    assert_eq!(claims.role, vec!["Reader".to_owned()]);

    // No tenant at all is fine too: the token then has none.
    let tokens = idp.sign_in("admin", ADMIN_PASSWORD, "octo_api", None).await;
    let claims = idp.verify(str_of(&tokens, "access_token")).await;
    assert_eq!(claims.tenant_id, None);
}

#[tokio::test]
async fn a_read_only_user_gets_the_read_only_scope() {
    let idp = start(|_| {}).await;
    let tokens = idp
        .sign_in(
            "rita",
            "rita-pass",
            "openid octo_api offline_access",
            Some("octosystem"),
        )
        .await;
    assert_eq!(tokens["scope"], "openid octo_api.read_only offline_access");
    let claims = idp.verify(str_of(&tokens, "access_token")).await;
    assert_eq!(claims.scope, "openid octo_api.read_only offline_access");
    assert!(!claims.scp.contains(&"octo_api".to_owned()));
    // Refreshing keeps it read-only.
    let (_, refreshed) = idp.refresh(str_of(&tokens, "refresh_token")).await;
    assert_eq!(
        refreshed["scope"],
        "openid octo_api.read_only offline_access"
    );
}

#[tokio::test]
async fn refresh_returns_a_new_working_token_and_rotates() {
    let idp = start(|_| {}).await;
    let tokens = idp
        .sign_in(
            "bob",
            "bob-pass",
            "openid offline_access octo_api",
            Some("plant-a"),
        )
        .await;
    let first_refresh = str_of(&tokens, "refresh_token");

    let (status, refreshed) = idp.refresh(first_refresh).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let second_refresh = str_of(&refreshed, "refresh_token");
    assert_ne!(second_refresh, first_refresh, "rotated");
    assert_ne!(refreshed["access_token"], tokens["access_token"]);
    assert_eq!(refreshed["token_type"], "Bearer");
    let claims = idp.verify(str_of(&refreshed, "access_token")).await;
    assert_eq!(claims.sub, "bob");
    assert_eq!(
        claims.tenant_id.as_deref(),
        Some("plant-a"),
        "the tenant of the login stays"
    );

    // The used one is refused; the new one works; a narrower scope is allowed, a wider one not.
    let (status, reused) = idp.refresh(first_refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&reused), "invalid_grant");
    let (status, narrowed) = idp
        .post(
            "/connect/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", second_refresh),
                ("scope", "octo_api"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{narrowed}");
    assert_eq!(narrowed["scope"], "octo_api");
    assert!(
        narrowed.get("refresh_token").is_none(),
        "offline_access was dropped"
    );

    let tokens = idp
        .sign_in(
            "bob",
            "bob-pass",
            "offline_access octo_api",
            Some("plant-a"),
        )
        .await;
    let (status, wider) = idp
        .post(
            "/connect/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", str_of(&tokens, "refresh_token")),
                ("scope", "octo_api email"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&wider), "invalid_scope");
}

#[tokio::test]
async fn tampered_or_foreign_refresh_tokens_are_invalid_grant() {
    let idp = start(|_| {}).await;
    let tokens = idp
        .sign_in("admin", ADMIN_PASSWORD, "offline_access octo_api", None)
        .await;
    let refresh = str_of(&tokens, "refresh_token");

    // Change the payload (sub → someone else) but keep the signature.
    let parts: Vec<&str> = refresh.split('.').collect();
    let mut payload: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(refresh)
        .expect("jwt")
        .claims;
    payload["sub"] = Value::from("bob");
    use base64::Engine as _;
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&payload).expect("json")),
        parts[2]
    );
    let access = str_of(&tokens, "access_token");
    let other_idp =
        DevIdp::new(DevIdpConfig::new(idp.issuer.clone(), users())).expect("another key");
    // A refresh token of another provider with the same issuer but its own key.
    let foreign = sign_in_direct(
        &other_idp,
        "admin",
        ADMIN_PASSWORD,
        "offline_access octo_api",
    );
    for bad in [
        forged.as_str(),
        "not-a-jwt",
        access,
        foreign.as_str(),
        &other_idp.issue_access_token("admin", None).expect("token"),
    ] {
        let (status, body) = idp.refresh(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_of(&body), "invalid_grant", "{body}");
    }
    // And it is not taken as an access token either.
    assert!(idp.idp.verify_access_token(refresh).is_err());
    // The untouched one still works.
    let (status, _) = idp.refresh(refresh).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let idp = start(|c| c.refresh_token_lifetime = Duration::from_secs(1)).await;
    let tokens = idp
        .sign_in("admin", ADMIN_PASSWORD, "offline_access octo_api", None)
        .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = idp.refresh(str_of(&tokens, "refresh_token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body), "invalid_grant", "{body}");
}

#[tokio::test]
async fn token_exchange_switches_to_an_allowed_tenant_only() {
    let idp = start(|_| {}).await;
    let tokens = idp
        .sign_in(
            "bob",
            "bob-pass",
            "openid offline_access octo_api",
            Some("plant-a"),
        )
        .await;
    let access = str_of(&tokens, "access_token");

    let (status, exchanged) = idp.exchange(access, "plant-c").await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    assert_eq!(exchanged["issued_token_type"], TOKEN_TYPE_ACCESS_TOKEN);
    assert_eq!(exchanged["token_type"], "Bearer");
    assert!(exchanged.get("refresh_token").is_none());
    let claims = idp.verify(str_of(&exchanged, "access_token")).await;
    assert_eq!(claims.tenant_id.as_deref(), Some("plant-c"));
    assert_eq!(claims.sub, "bob");
    assert_eq!(claims.scope, "openid octo_api");

    let (status, denied) = idp.exchange(access, "plant-b").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&denied), "access_denied", "{denied}");

    let refresh = str_of(&tokens, "refresh_token");
    let (status, wrong) = idp.exchange(refresh, "plant-c").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_of(&wrong),
        "invalid_grant",
        "a refresh token is no subject token: {wrong}"
    );
    let (_, garbage) = idp.exchange("x.y.z", "plant-c").await;
    assert_eq!(error_of(&garbage), "invalid_grant");

    let (status, missing) = idp
        .post(
            "/connect/token",
            &[
                ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
                ("subject_token", access),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_of(&missing),
        "invalid_request",
        "no tenant named: {missing}"
    );
}

#[tokio::test]
async fn request_errors_are_rfc_6749_json() {
    let idp = start(|_| {}).await;
    let (status, body) = idp
        .post(
            "/connect/deviceauthorization",
            &[("client_id", "someone-else")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body), "invalid_client");
    let (status, body) = idp
        .post(
            "/connect/deviceauthorization",
            &[("client_id", CLIENT), ("acr_values", "tenant:a b<")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "only the tenant:… value counts: {body}"
    );
    let (status, body) = idp
        .post(
            "/connect/deviceauthorization",
            &[("client_id", CLIENT), ("acr_values", "tenant:<x>")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body), "invalid_request");
    let (status, body) = idp
        .post("/connect/token", &[("grant_type", "password")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body), "unsupported_grant_type");
    let (_, body) = idp.post("/connect/token", &[]).await;
    assert_eq!(error_of(&body), "invalid_request");
    let (_, body) = idp
        .post(
            "/connect/token",
            &[
                ("grant_type", GRANT_TYPE_DEVICE_CODE),
                ("device_code", "nope"),
            ],
        )
        .await;
    assert_eq!(error_of(&body), "invalid_grant");
    let (_, body) = idp
        .post(
            "/connect/token",
            &[
                ("grant_type", "refresh_token"),
                ("grant_type", "refresh_token"),
            ],
        )
        .await;
    assert_eq!(error_of(&body), "invalid_request", "repeated parameters");

    let get = idp
        .http
        .get(format!("{}/connect/token", idp.issuer))
        .send()
        .await
        .expect("get");
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.headers()["allow"], "POST");
    let token_response = idp
        .http
        .post(format!("{}/connect/token", idp.issuer))
        .send()
        .await
        .expect("post");
    assert_eq!(token_response.headers()["cache-control"], "no-store");
    assert_eq!(token_response.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn the_key_file_outlives_the_provider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = dir.path().join("data/dev-idp-key.pem");
    let idp = start(|c| c.key_path = Some(key_path.clone())).await;
    assert!(key_path.exists());
    let tokens = idp
        .sign_in(
            "admin",
            ADMIN_PASSWORD,
            "offline_access octo_api",
            Some("octosystem"),
        )
        .await;

    // A second provider (a restart) with the same key file and issuer.
    let mut config = DevIdpConfig::new(idp.issuer.clone(), users());
    config.key_path = Some(key_path);
    let restarted = DevIdp::new(config).expect("restart");
    assert_eq!(restarted.key_id(), idp.idp.key_id());
    assert_eq!(restarted.jwks(), idp.idp.jwks());
    let claims = restarted
        .verify_access_token(str_of(&tokens, "access_token"))
        .expect("the old token verifies");
    assert_eq!(claims.tenant_id.as_deref(), Some("octosystem"));

    // Its refresh token works with the restarted provider (called directly, as a host mounts it).
    let body = form_urlencoded_body(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", str_of(&tokens, "refresh_token")),
    ]);
    let request = http::Request::post("/dev-idp/connect/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(body))
        .expect("request");
    let response = restarted.handle(request);
    assert_eq!(response.status(), http::StatusCode::OK);
    let refreshed: Value = serde_json::from_slice(response.body()).expect("json");
    assert!(
        idp.idp
            .verify_access_token(str_of(&refreshed, "access_token"))
            .is_ok()
    );

    // A provider with a fresh key rejects the old tokens.
    let fresh = DevIdp::new(DevIdpConfig::new(idp.issuer.clone(), users())).expect("ephemeral");
    assert!(
        fresh
            .verify_access_token(str_of(&tokens, "access_token"))
            .is_err()
    );
}

/// The device flow through [`DevIdp::handle`] without a server, as a host that mounts it does;
/// returns the refresh token.
fn sign_in_direct(idp: &DevIdp, username: &str, password: &str, scope: &str) -> String {
    let call = |path: &str, pairs: &[(&str, &str)]| {
        let request = http::Request::post(format!("{}{path}", idp.path_prefix()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(form_urlencoded_body(pairs)))
            .expect("request");
        idp.handle(request)
    };
    let auth = call(
        "/connect/deviceauthorization",
        &[("client_id", CLIENT), ("scope", scope)],
    );
    assert_eq!(auth.status(), http::StatusCode::OK);
    let auth: Value = serde_json::from_slice(auth.body()).expect("json");
    let page = call(
        "/device",
        &[
            ("user_code", str_of(&auth, "user_code")),
            ("username", username),
            ("password", password),
        ],
    );
    assert_eq!(page.status(), http::StatusCode::OK);
    let tokens = call(
        "/connect/token",
        &[
            ("grant_type", GRANT_TYPE_DEVICE_CODE),
            ("device_code", str_of(&auth, "device_code")),
        ],
    );
    assert_eq!(tokens.status(), http::StatusCode::OK);
    let tokens: Value = serde_json::from_slice(tokens.body()).expect("json");
    str_of(&tokens, "refresh_token").to_owned()
}

fn form_urlencoded_body(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
