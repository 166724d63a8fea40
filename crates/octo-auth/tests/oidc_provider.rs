//! `AuthService` against a certified external provider: the npm package `oidc-provider`,
//! configured by `crates/octo-test-support/oidc-provider/provider.mjs` and started per test.
//! The browser login is done over HTTP like a person's browser does it (verification page, user
//! code, confirmation, user name and password, consent; cookies and redirects).
//!
//! Needs Node.js 22 and the package: run through `cargo xtask test`, or set OCTO_TEST_NODE and
//! OCTO_TEST_NODE_MODULES (see `octo_test_support::oidc_provider`). Tests that keep login state
//! run on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;
use std::time::Duration;

use octo_auth::client::Poll;
use octo_auth::{
    AuthConfig, AuthService, BeginOutcome, CheckOutcome, OidcClient, ServerKey, SwitchOutcome,
    TokenRejected,
};
use octo_store::Store;
use octo_test_support::both_backends;
use octo_test_support::oidc_provider::{
    ADA, AUDIENCE, BOB, Browser, CLIENT_ID, OidcProvider, ProviderOptions, RITA, expect_title,
};

use common::{poll_until_done, tenant};

fn options(adjust: impl FnOnce(&mut ProviderOptions)) -> ProviderOptions {
    let mut options = ProviderOptions::default();
    adjust(&mut options);
    options
}

fn config(provider: &OidcProvider) -> AuthConfig {
    let mut config = AuthConfig::new(&provider.issuer, CLIENT_ID);
    config.audience = Some(AUDIENCE.to_owned());
    // The tests control expiry through the provider's lifetimes: refresh only when expired.
    config.refresh_skew = Duration::ZERO;
    config
}

fn service(store: &Arc<dyn Store>, provider: &OidcProvider, key: &ServerKey) -> AuthService {
    AuthService::new(Arc::clone(store), config(provider), key).expect("service")
}

/// Starts a device flow for `tenant_id` in `session` and logs `user` in with a browser; returns
/// what the next checks came to.
async fn device_login(
    auth: &AuthService,
    session: &str,
    tenant_id: &str,
    user: (&str, &str),
) -> CheckOutcome {
    let BeginOutcome::Started(login) = auth
        .begin_device_flow(session, &tenant(tenant_id))
        .await
        .expect("begin")
    else {
        panic!("expected a new device flow");
    };
    Browser::new()
        .log_in(&login.verification_uri, &login.user_code, user)
        .await;
    poll_until_done(auth, session).await
}

/// A complete login that must succeed for `tenant_id`.
async fn log_in(auth: &AuthService, session: &str, tenant_id: &str, user: (&str, &str)) {
    match device_login(auth, session, tenant_id, user).await {
        CheckOutcome::Authenticated(login) => assert_eq!(login.tenant.as_str(), tenant_id),
        other => panic!("expected a login, got {other:?}"),
    }
}

both_backends!(full_device_flow_pending_then_success);
async fn full_device_flow_pending_then_success(store: Arc<dyn Store>) {
    let provider = OidcProvider::start(&ProviderOptions::default()).await;
    let auth = service(&store, &provider, &ServerKey::generate().expect("key"));
    let BeginOutcome::Started(login) = auth
        .begin_device_flow("s1", &tenant("plant-a"))
        .await
        .expect("begin")
    else {
        panic!("expected a new device flow");
    };
    assert_eq!(
        login.verification_uri,
        format!("{}/device", provider.issuer)
    );
    assert!(
        login
            .verification_uri_complete
            .as_deref()
            .is_some_and(|uri| uri.contains(&login.user_code)),
        "{login:?}"
    );
    assert_eq!(login.expires_in_secs, 600);

    // Once the interval has passed, the provider is asked and says pending.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    match auth.check_device_flow("s1").await.expect("check") {
        CheckOutcome::Pending {
            slowed_down,
            user_code,
            retry_after_secs,
            ..
        } => {
            assert!(!slowed_down);
            assert_eq!(user_code, login.user_code);
            assert_eq!(retry_after_secs, 1);
        }
        other => panic!("expected pending, got {other:?}"),
    }

    // The person opens the complete verification link (the code is filled in) and logs in.
    let browser = Browser::new();
    let confirm = browser
        .open(
            login
                .verification_uri_complete
                .as_deref()
                .expect("complete uri"),
        )
        .await;
    expect_title(&confirm, "Confirm the sign-in");
    let sign_in = browser.submit(&confirm.form()).await;
    let form = sign_in
        .form()
        .fill("login", ADA.0)
        .fill("password", "wrong");
    let refused = browser.submit(&form).await;
    assert!(
        refused.html.contains("Wrong user name or password"),
        "{}",
        refused.html
    );
    let consent = browser
        .submit(&refused.form().fill("login", ADA.0).fill("password", ADA.1))
        .await;
    expect_title(&consent, "Allow access");
    expect_title(&browser.submit(&consent.form()).await, "Sign-in complete");

    let CheckOutcome::Authenticated(done) = poll_until_done(&auth, "s1").await else {
        panic!("expected a login");
    };
    assert_eq!(done.identity.sub, "ada");
    assert_eq!(done.identity.name.as_deref(), Some("ada"));
    assert_eq!(done.identity.tenant_id.as_deref(), Some("plant-a"));
    assert!(done.identity.scopes.iter().any(|s| s == "octo_api"));
    assert!(!done.identity.is_read_only());

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
    assert!(matches!(
        auth.check_device_flow("s1").await.expect("check"),
        CheckOutcome::NoFlow(Some(_))
    ));
}

both_backends!(an_expired_user_code_is_reported);
async fn an_expired_user_code_is_reported(store: Arc<dyn Store>) {
    let provider = OidcProvider::start(&options(|o| o.device_code_ttl = Some(2))).await;
    let auth = service(&store, &provider, &ServerKey::generate().expect("key"));
    let BeginOutcome::Started(login) = auth
        .begin_device_flow("s1", &tenant("plant-a"))
        .await
        .expect("begin")
    else {
        panic!("expected a new device flow");
    };
    assert_eq!(login.expires_in_secs, 2);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // The provider's verification page refuses the code, and the server says it expired.
    let refused = Browser::new()
        .enter_code(&login.verification_uri, &login.user_code)
        .await;
    assert!(
        refused.html.contains("not valid")
            && refused.form().fields.iter().any(|(n, _)| n == "user_code"),
        "expected the code entry page with an error, got:\n{}",
        refused.html
    );
    assert!(matches!(
        auth.check_device_flow("s1").await.expect("check"),
        CheckOutcome::Expired { .. }
    ));
    assert!(matches!(
        auth.check_device_flow("s1").await.expect("check"),
        CheckOutcome::NoFlow(None)
    ));
}

both_backends!(an_expired_access_token_is_refreshed_without_user_action);
async fn an_expired_access_token_is_refreshed_without_user_action(store: Arc<dyn Store>) {
    let provider = OidcProvider::start(&options(|o| o.access_token_ttl = Some(2))).await;
    let key = ServerKey::generate().expect("key");
    let auth = service(&store, &provider, &key);
    log_in(&auth, "s1", "plant-a", ADA).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // Two replicas on one store, two calls each. oidc-provider rotates the refresh token of a
    // public client and revokes the whole grant when a used one comes back, so every call
    // succeeding means exactly one refresh was sent.
    let replica = service(&store, &provider, &key);
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
    for login in &logins {
        assert!(login.identity.is_valid_at(chrono::Utc::now()));
        assert_eq!(login.identity.tenant_id.as_deref(), Some("plant-a"));
    }

    // The rotated refresh token works for the next expiry too.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let again = auth
        .login_for("s1", &tenant("plant-a"))
        .await
        .expect("no error")
        .expect("still logged in");
    assert!(again.was_refreshed);
}

both_backends!(a_refresh_token_that_is_gone_means_not_authenticated);
async fn a_refresh_token_that_is_gone_means_not_authenticated(store: Arc<dyn Store>) {
    let provider = OidcProvider::start(&options(|o| {
        o.access_token_ttl = Some(1);
        o.refresh_token_ttl = Some(2);
    }))
    .await;
    let auth = service(&store, &provider, &ServerKey::generate().expect("key"));
    log_in(&auth, "s1", "plant-a", ADA).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        auth.login_for("s1", &tenant("plant-a"))
            .await
            .expect("no error")
            .is_none()
    );
    assert!(store.list_auth_tokens("s1").await.expect("list").is_empty());
    assert!(matches!(
        auth.check_device_flow("s1").await.expect("check"),
        CheckOutcome::NoFlow(None)
    ));
}

both_backends!(a_restart_keeps_the_session_usable);
async fn a_restart_keeps_the_session_usable(store: Arc<dyn Store>) {
    let provider = OidcProvider::start(&options(|o| o.access_token_ttl = Some(2))).await;
    let key = ServerKey::generate().expect("key");
    let auth = service(&store, &provider, &key);
    log_in(&auth, "s1", "plant-a", BOB).await;
    drop(auth);
    // A new process with the same key and store: the login is there and, once the access
    // token expired, refreshes with the refresh token kept in the store.
    let restarted = service(&store, &provider, &key);
    assert!(
        restarted
            .login_for("s1", &tenant("plant-a"))
            .await
            .expect("ok")
            .is_some()
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let refreshed = restarted
        .login_for("s1", &tenant("plant-a"))
        .await
        .expect("ok")
        .expect("still logged in");
    assert!(refreshed.was_refreshed);
    assert_eq!(refreshed.identity.sub, "bob");
}

both_backends!(concurrent_checks_share_one_poll);
async fn concurrent_checks_share_one_poll(store: Arc<dyn Store>) {
    let provider = OidcProvider::start(&options(|o| o.access_token_ttl = Some(2))).await;
    let key = ServerKey::generate().expect("key");
    let auth = service(&store, &provider, &key);
    let replica = service(&store, &provider, &key);
    let BeginOutcome::Started(login) = auth
        .begin_device_flow("s1", &tenant("plant-a"))
        .await
        .expect("begin")
    else {
        panic!("expected a new device flow");
    };
    Browser::new()
        .log_in(&login.verification_uri, &login.user_code, ADA)
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Two calls on each of two replicas at once. oidc-provider answers a device code that was
    // already redeemed with invalid_grant and revokes the login it gave: a second poll would
    // turn that check into a failed login and kill the refresh token.
    let mut checks = tokio::task::JoinSet::new();
    for service in [auth.clone(), replica.clone(), auth.clone(), replica.clone()] {
        checks.spawn(async move { service.check_device_flow("s1").await });
    }
    let outcomes: Vec<CheckOutcome> = checks
        .join_all()
        .await
        .into_iter()
        .map(|outcome| outcome.expect("check"))
        .collect();
    let authenticated = outcomes
        .iter()
        .filter(|o| matches!(o, CheckOutcome::Authenticated(_)))
        .count();
    let waiting = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                CheckOutcome::NoFlow(Some(_)) | CheckOutcome::Pending { .. }
            )
        })
        .count();
    assert_eq!((authenticated, waiting), (1, 3), "{outcomes:?}");
    // Asked again, both replicas see the login.
    for service in [&auth, &replica] {
        assert!(matches!(
            service.check_device_flow("s1").await.expect("check"),
            CheckOutcome::NoFlow(Some(_))
        ));
    }
    // The login was not revoked: its refresh token still works after the access token expired.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let refreshed = replica
        .login_for("s1", &tenant("plant-a"))
        .await
        .expect("no error")
        .expect("still logged in");
    assert!(refreshed.was_refreshed);
}

#[tokio::test]
async fn sessions_and_tenants_are_isolated() {
    let provider = OidcProvider::start(&ProviderOptions::default()).await;
    let store = octo_store::open("sqlite::memory:").await.expect("store");
    let auth = service(&store, &provider, &ServerKey::generate().expect("key"));
    log_in(&auth, "s1", "plant-a", BOB).await;
    // Another MCP session holds nothing.
    assert!(
        auth.login_for("s2", &tenant("plant-a"))
            .await
            .expect("ok")
            .is_none()
    );
    assert!(auth.latest_login("s2").await.expect("ok").is_none());
    // Bob's token for plant-a does not allow plant-b.
    let held = auth
        .login_allowing("s1", &tenant("plant-a"))
        .await
        .expect("ok")
        .expect("present");
    assert!(!held.identity.may_act_on("plant-b"));
    assert!(
        auth.login_allowing("s1", &tenant("plant-b"))
            .await
            .expect("ok")
            .is_none()
    );
    // Asking the provider for plant-b gets a token for Bob's own tenant, and the server says so.
    match device_login(&auth, "s3", "plant-b", BOB).await {
        CheckOutcome::OtherTenant { requested, login } => {
            assert_eq!(requested.as_str(), "plant-b");
            assert_eq!(login.tenant.as_str(), "plant-a");
        }
        other => panic!("expected a login for another tenant, got {other:?}"),
    }
    assert!(
        auth.login_for("s3", &tenant("plant-b"))
            .await
            .expect("ok")
            .is_none()
    );
}

#[tokio::test]
async fn a_read_only_user_gets_the_read_only_scope() {
    let provider = OidcProvider::start(&ProviderOptions::default()).await;
    let store = octo_store::open("sqlite::memory:").await.expect("store");
    let auth = service(&store, &provider, &ServerKey::generate().expect("key"));
    let CheckOutcome::Authenticated(login) = device_login(&auth, "s1", "plant-a", RITA).await
    else {
        panic!("expected a login");
    };
    // The access gate refuses tools that write for this identity (see octo-tools' gate tests).
    assert!(login.identity.is_read_only(), "{:?}", login.identity);
    assert!(login.identity.may_act_on("plant-a"));
}

#[tokio::test]
async fn switch_tenant_without_token_exchange_starts_a_device_flow() {
    let provider = OidcProvider::start(&ProviderOptions::default()).await;
    let store = octo_store::open("sqlite::memory:").await.expect("store");
    let auth = service(&store, &provider, &ServerKey::generate().expect("key"));
    log_in(&auth, "s1", "plant-a", ADA).await;
    // oidc-provider does not implement RFC 8693, so the switch is a new device flow.
    let SwitchOutcome::DeviceFlow(login) = auth
        .switch_tenant("s1", &tenant("plant-b"))
        .await
        .expect("switch")
    else {
        panic!("expected a device flow");
    };
    assert_eq!(login.tenant.as_str(), "plant-b");
    Browser::new()
        .log_in(&login.verification_uri, &login.user_code, ADA)
        .await;
    let CheckOutcome::Authenticated(done) = poll_until_done(&auth, "s1").await else {
        panic!("expected a login for plant-b");
    };
    assert_eq!(done.identity.tenant_id.as_deref(), Some("plant-b"));
    // Both logins stay usable.
    for id in ["plant-a", "plant-b"] {
        assert!(
            auth.login_for("s1", &tenant(id))
                .await
                .expect("ok")
                .is_some()
        );
    }
}

/// A token straight from the provider's token endpoint, after a browser login.
async fn issued_token(provider: &OidcProvider, user: (&str, &str)) -> String {
    let client = OidcClient::new(config(provider)).expect("client");
    let started = client
        .start_device_authorization("plant-a")
        .await
        .expect("device authorization");
    Browser::new()
        .log_in(&started.verification_uri, &started.user_code, user)
        .await;
    match client
        .poll_device_token(&started.device_code)
        .await
        .expect("poll")
    {
        Poll::Tokens(tokens) => tokens.access_token,
        other => panic!("expected tokens, got {other:?}"),
    }
}

fn tamper(token: &str) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&engine.decode(&parts[1]).expect("base64")).expect("json");
    claims["tenant_id"] = serde_json::json!("plant-z");
    parts[1] = engine.encode(serde_json::to_vec(&claims).expect("json"));
    parts.join(".")
}

#[tokio::test]
async fn bearer_tokens_of_the_provider_are_validated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shared_key = dir.path().join("signing-key.json");
    let provider = OidcProvider::start(&options(|o| {
        // Short, but with room for a slow machine before the first checks.
        o.access_token_ttl = Some(3);
        o.key_file = Some(shared_key.clone());
    }))
    .await;
    let store = octo_store::open("sqlite::memory:").await.expect("store");
    let auth = service(&store, &provider, &ServerKey::generate().expect("key"));

    let token = issued_token(&provider, BOB).await;
    let identity = auth.validate_bearer(&token).await.expect("valid");
    assert_eq!(identity.sub, "bob");
    assert_eq!(identity.tenant_id.as_deref(), Some("plant-a"));
    assert_eq!(
        auth.validate_bearer(&tamper(&token)).await,
        Err(TokenRejected::Signature)
    );

    // Another issuer signing with the very same key: the signature is fine, the issuer is not.
    let impostor = OidcProvider::start(&options(|o| o.key_file = Some(shared_key.clone()))).await;
    let foreign = issued_token(&impostor, BOB).await;
    assert!(
        matches!(
            auth.validate_bearer(&foreign).await,
            Err(TokenRejected::Issuer { ref found, .. }) if *found == impostor.issuer
        ),
        "{:?}",
        auth.validate_bearer(&foreign).await
    );
    // A provider with its own key: its key is not published by ours.
    let stranger = OidcProvider::start(&ProviderOptions::default()).await;
    let strange = issued_token(&stranger, BOB).await;
    assert!(matches!(
        auth.validate_bearer(&strange).await,
        Err(TokenRejected::UnknownKey(_))
    ));
    // Our own token, once expired (three seconds, plus the five seconds of clock leeway).
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert_eq!(
        auth.validate_bearer(&token).await,
        Err(TokenRejected::Expired)
    );
}
