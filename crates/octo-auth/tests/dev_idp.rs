//! `AuthService` against the built-in development provider on a loopback port: the device flow
//! (the browser login is a form POST, as a browser sends it), polling intervals, expiry,
//! refresh with rotation shared by concurrent callers and replicas, token exchange, restarts,
//! and bearer-token validation (tampered, expired, wrong issuer).

mod common;

use std::sync::Arc;
use std::time::Duration;

use octo_auth::{
    AuthConfig, AuthService, BeginOutcome, CheckOutcome, ServerKey, SwitchOutcome, TokenRejected,
};
use octo_dev_idp::{DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DevIdp, DevIdpConfig, DevUser};
use octo_store::Store;
use serde_json::{Value, json};

use common::{poll_until_done, tenant};

const PASSWORD: &str = "admin-pass";

struct Idp {
    idp: DevIdp,
    issuer: String,
    key_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// A provider on a free port with a one-second poll interval; `adjust` changes the rest.
async fn provider(adjust: impl FnOnce(&mut DevIdpConfig)) -> Idp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let issuer = format!("http://{}/dev-idp", listener.local_addr().expect("addr"));
    let dir = tempfile::tempdir().expect("temp dir");
    let key_path = dir.path().join("idp-key.pem");
    let users = vec![
        DevUser::admin(PASSWORD),
        DevUser::new("bob", "bob-pass").with_tenants(["plant-a"]),
        DevUser::new("rita", "rita-pass").read_only(),
    ];
    let mut config = DevIdpConfig::new(issuer.clone(), users).key_path(&key_path);
    config.poll_interval = Duration::from_secs(1);
    adjust(&mut config);
    let idp = DevIdp::new(config).expect("provider");
    tokio::spawn(idp.clone().serve(listener));
    Idp {
        idp,
        issuer,
        key_path,
        _dir: dir,
    }
}

fn config(issuer: &str) -> AuthConfig {
    let mut config = AuthConfig::new(issuer, DEFAULT_CLIENT_ID);
    config.audience = Some(DEFAULT_AUDIENCE.to_owned());
    config.refresh_skew = Duration::ZERO;
    config
}

async fn store() -> Arc<dyn Store> {
    octo_store::open("sqlite::memory:").await.expect("store")
}

/// Submits the verification page's form like a browser.
async fn browser_login(idp: &Idp, user_code: &str, username: &str, password: &str) {
    let response = reqwest::Client::new()
        .post(format!("{}/device", idp.issuer))
        .form(&[
            ("user_code", user_code),
            ("username", username),
            ("password", password),
            ("action", "approve"),
        ])
        .send()
        .await
        .expect("login page answers");
    let status = response.status();
    let page = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "login failed ({status}): {page}");
}

/// A complete device-flow login of `username` for `tenant_id` in `session`.
async fn log_in(idp: &Idp, auth: &AuthService, session: &str, tenant_id: &str, user: (&str, &str)) {
    let BeginOutcome::Started(login) = auth
        .begin_device_flow(session, &tenant(tenant_id))
        .await
        .expect("begin")
    else {
        panic!("expected a new device flow");
    };
    browser_login(idp, &login.user_code, user.0, user.1).await;
    match poll_until_done(auth, session).await {
        CheckOutcome::Authenticated(login) => {
            assert_eq!(login.tenant.as_str(), tenant_id);
        }
        other => panic!("expected a login, got {other:?}"),
    }
}

#[tokio::test]
async fn full_device_flow_pending_then_success() {
    let idp = provider(|_| {}).await;
    let auth = AuthService::new(
        store().await,
        config(&idp.issuer),
        &ServerKey::generate().expect("key"),
    )
    .expect("service");
    let BeginOutcome::Started(login) = auth
        .begin_device_flow("s1", &tenant("plant-a"))
        .await
        .expect("begin")
    else {
        panic!("expected a new device flow");
    };
    assert!(
        login.verification_uri.ends_with("/dev-idp/device"),
        "{}",
        login.verification_uri
    );
    assert!(login.verification_uri_complete.is_some());
    assert!(login.expires_in_secs > 60);

    // Before the interval has passed nothing is sent; the answer says when to come back.
    match auth.check_device_flow("s1").await.expect("check") {
        CheckOutcome::Pending {
            retry_after_secs,
            user_code,
            ..
        } => {
            assert!((1..=1).contains(&retry_after_secs), "{retry_after_secs}");
            assert_eq!(user_code, login.user_code);
        }
        other => panic!("expected pending, got {other:?}"),
    }
    // After it, the provider is asked and says pending.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(matches!(
        auth.check_device_flow("s1").await.expect("check"),
        CheckOutcome::Pending {
            slowed_down: false,
            ..
        }
    ));

    browser_login(&idp, &login.user_code, "admin", PASSWORD).await;
    let CheckOutcome::Authenticated(done) = poll_until_done(&auth, "s1").await else {
        panic!("expected a login");
    };
    assert_eq!(done.identity.sub, "admin");
    assert_eq!(done.identity.tenant_id.as_deref(), Some("plant-a"));
    assert!(done.identity.scopes.iter().any(|s| s == "octo_api"));

    // The session now holds the login; authenticating again says so.
    let held = auth
        .login_for("s1", &tenant("plant-a"))
        .await
        .expect("login")
        .expect("present");
    assert!(!held.was_refreshed);
    assert!(matches!(
        auth.begin_device_flow("s1", &tenant("plant-a"))
            .await
            .expect("begin"),
        BeginOutcome::AlreadyAuthenticated(_)
    ));
    // With no flow running, check says who is logged in.
    assert!(matches!(
        auth.check_device_flow("s1").await.expect("check"),
        CheckOutcome::NoFlow(Some(_))
    ));
}

#[tokio::test]
async fn an_expired_user_code_is_reported() {
    let idp = provider(|config| config.device_code_lifetime = Duration::from_secs(1)).await;
    let auth = AuthService::new(
        store().await,
        config(&idp.issuer),
        &ServerKey::generate().expect("key"),
    )
    .expect("service");
    auth.begin_device_flow("s1", &tenant("plant-a"))
        .await
        .expect("begin");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(matches!(
        auth.check_device_flow("s1").await.expect("check"),
        CheckOutcome::Expired { .. }
    ));
    // The flow is gone: checking again finds none.
    assert!(matches!(
        auth.check_device_flow("s1").await.expect("check"),
        CheckOutcome::NoFlow(None)
    ));
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_for_concurrent_callers_and_replicas() {
    let idp = provider(|config| config.access_token_lifetime = Duration::from_secs(2)).await;
    let store = store().await;
    let key = ServerKey::generate().expect("key");
    let auth = AuthService::new(Arc::clone(&store), config(&idp.issuer), &key).expect("service");
    log_in(&idp, &auth, "s1", "plant-a", ("admin", PASSWORD)).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // Two "replicas" on the same store, several calls each: the provider refuses a refresh
    // token used twice, so every call succeeding means the refresh happened once.
    let replica = AuthService::new(Arc::clone(&store), config(&idp.issuer), &key).expect("service");
    let mut calls = tokio::task::JoinSet::new();
    for service in [auth.clone(), replica.clone(), auth.clone(), replica] {
        calls.spawn(async move { service.login_for("s1", &tenant("plant-a")).await });
    }
    let logins: Vec<_> = calls
        .join_all()
        .await
        .into_iter()
        .map(|login| login.expect("no error").expect("still logged in"))
        .collect();
    assert_eq!(logins.iter().filter(|login| login.was_refreshed).count(), 1);
    assert!(
        logins
            .iter()
            .all(|login| login.identity.is_valid_at(chrono::Utc::now()))
    );
}

#[tokio::test]
async fn a_refresh_token_that_is_gone_means_not_authenticated() {
    let idp = provider(|config| {
        config.access_token_lifetime = Duration::from_secs(1);
        config.refresh_token_lifetime = Duration::from_secs(1);
    })
    .await;
    let store = store().await;
    let auth = AuthService::new(
        Arc::clone(&store),
        config(&idp.issuer),
        &ServerKey::generate().expect("key"),
    )
    .expect("service");
    log_in(&idp, &auth, "s1", "plant-a", ("admin", PASSWORD)).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        auth.login_for("s1", &tenant("plant-a"))
            .await
            .expect("no error")
            .is_none()
    );
    assert!(store.list_auth_tokens("s1").await.expect("list").is_empty());
}

#[tokio::test]
async fn sessions_and_tenants_are_isolated() {
    let idp = provider(|_| {}).await;
    let auth = AuthService::new(
        store().await,
        config(&idp.issuer),
        &ServerKey::generate().expect("key"),
    )
    .expect("service");
    log_in(&idp, &auth, "s1", "plant-a", ("bob", "bob-pass")).await;
    assert!(
        auth.login_for("s2", &tenant("plant-a"))
            .await
            .expect("ok")
            .is_none()
    );
    assert!(auth.latest_login("s2").await.expect("ok").is_none());
    // Bob may use plant-a only: his login does not allow plant-b.
    assert!(
        auth.login_allowing("s1", &tenant("plant-a"))
            .await
            .expect("ok")
            .is_some()
    );
    assert!(
        auth.login_allowing("s1", &tenant("plant-b"))
            .await
            .expect("ok")
            .is_none()
    );
}

#[tokio::test]
async fn switch_tenant_exchanges_the_token() {
    let idp = provider(|_| {}).await;
    let auth = AuthService::new(
        store().await,
        config(&idp.issuer),
        &ServerKey::generate().expect("key"),
    )
    .expect("service");
    assert!(matches!(
        auth.switch_tenant("s1", &tenant("plant-b"))
            .await
            .expect("switch"),
        SwitchOutcome::NotAuthenticated
    ));
    log_in(&idp, &auth, "s1", "plant-a", ("admin", PASSWORD)).await;
    let SwitchOutcome::Switched(login) = auth
        .switch_tenant("s1", &tenant("plant-b"))
        .await
        .expect("switch")
    else {
        panic!(
            "expected an exchange, got {:?}",
            auth.switch_tenant("s1", &tenant("plant-b")).await
        );
    };
    assert_eq!(login.identity.tenant_id.as_deref(), Some("plant-b"));
    assert!(matches!(
        auth.switch_tenant("s1", &tenant("plant-b"))
            .await
            .expect("switch"),
        SwitchOutcome::AlreadyOn(_)
    ));
}

#[tokio::test]
async fn a_restart_keeps_the_login_and_a_new_key_drops_it() {
    let idp = provider(|_| {}).await;
    let store = store().await;
    let key = ServerKey::generate().expect("key");
    let auth = AuthService::new(Arc::clone(&store), config(&idp.issuer), &key).expect("service");
    log_in(&idp, &auth, "s1", "plant-a", ("admin", PASSWORD)).await;
    drop(auth);
    let restarted =
        AuthService::new(Arc::clone(&store), config(&idp.issuer), &key).expect("service");
    assert!(
        restarted
            .login_for("s1", &tenant("plant-a"))
            .await
            .expect("ok")
            .is_some()
    );
    let rekeyed = AuthService::new(
        Arc::clone(&store),
        config(&idp.issuer),
        &ServerKey::generate().expect("key"),
    )
    .expect("service");
    assert!(
        rekeyed
            .login_for("s1", &tenant("plant-a"))
            .await
            .expect("ok")
            .is_none()
    );
}

/// Signs `claims` with the provider's own key, as a forger holding it (or the provider) could.
fn sign(idp: &Idp, claims: &Value) -> String {
    let pem = std::fs::read(&idp.key_path).expect("key file");
    let key = jsonwebtoken::EncodingKey::from_ec_pem(&pem).expect("EC key");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(idp.idp.key_id().to_owned());
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

#[tokio::test]
async fn bearer_tokens_are_validated() {
    let idp = provider(|_| {}).await;
    let auth = AuthService::new(
        store().await,
        config(&idp.issuer),
        &ServerKey::generate().expect("key"),
    )
    .expect("service");
    let good = idp
        .idp
        .issue_access_token("admin", Some("plant-a"))
        .expect("token");
    let identity = auth.validate_bearer(&good).await.expect("valid");
    assert_eq!(identity.tenant_id.as_deref(), Some("plant-a"));

    // Tampered: the payload changed after signing.
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let payload = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: Value =
            serde_json::from_slice(&engine.decode(&parts[1]).expect("b64")).expect("json");
        claims["tenant_id"] = json!("plant-z");
        engine.encode(serde_json::to_vec(&claims).expect("json"))
    };
    parts[1] = payload;
    assert_eq!(
        auth.validate_bearer(&parts.join(".")).await,
        Err(TokenRejected::Signature)
    );

    let now = chrono::Utc::now().timestamp();
    let base = json!({
        "iss": idp.issuer, "sub": "admin", "aud": DEFAULT_AUDIENCE,
        "iat": now - 60, "exp": now + 300, "tenant_id": "plant-a"
    });
    assert!(auth.validate_bearer(&sign(&idp, &base)).await.is_ok());
    let mut expired = base.clone();
    expired["exp"] = json!(now - 120);
    assert_eq!(
        auth.validate_bearer(&sign(&idp, &expired)).await,
        Err(TokenRejected::Expired)
    );
    let mut foreign = base.clone();
    foreign["iss"] = json!("https://evil.example.com");
    assert!(matches!(
        auth.validate_bearer(&sign(&idp, &foreign)).await,
        Err(TokenRejected::Issuer { .. })
    ));
    let mut other_audience = base.clone();
    other_audience["aud"] = json!("someone-else");
    assert!(matches!(
        auth.validate_bearer(&sign(&idp, &other_audience)).await,
        Err(TokenRejected::Audience { .. })
    ));
    assert!(matches!(
        auth.validate_bearer("not-a-jwt").await,
        Err(TokenRejected::Malformed(_))
    ));
    // A token from another provider's key is not verified by this one's JWKS.
    let stranger = provider(|_| {}).await;
    let strange = stranger
        .idp
        .issue_access_token("admin", Some("plant-a"))
        .expect("token");
    assert!(matches!(
        auth.validate_bearer(&strange).await,
        Err(TokenRejected::UnknownKey(_) | TokenRejected::Issuer { .. })
    ));
}
