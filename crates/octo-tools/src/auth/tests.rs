//! The authentication tools and the gate, against the development provider on a loopback port:
//! the device flow through `authenticate` / `check_auth_status`, the gate's refusals (no login,
//! another tenant, read-only scope, a refused bearer token), sessions kept apart, and the
//! identity tools.

use std::sync::Arc;
use std::time::Duration;

use octo_auth::{AuthConfig, AuthService, ServerKey};
use octo_dev_idp::{DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DevIdp, DevIdpConfig, DevUser};
use serde_json::{Value, json};

use crate::ToolRegistry;
use crate::test_support::error;
use crate::tool::CallInfo;

struct Fixture {
    idp: DevIdp,
    issuer: String,
    registry: Arc<ToolRegistry>,
}

async fn fixture() -> Fixture {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let issuer = format!("http://{}/dev-idp", listener.local_addr().expect("addr"));
    let users = vec![
        DevUser::admin("admin-pass"),
        DevUser::new("bob", "bob-pass").with_tenants(["octosystem"]),
        DevUser::new("rita", "rita-pass").read_only(),
    ];
    let mut config = DevIdpConfig::new(issuer.clone(), users);
    config.poll_interval = Duration::from_secs(1);
    let idp = DevIdp::new(config).expect("provider");
    tokio::spawn(idp.clone().serve(listener));

    let platform = crate::test_platform().await;
    let mut auth_config = AuthConfig::new(&issuer, DEFAULT_CLIENT_ID);
    auth_config.audience = Some(DEFAULT_AUDIENCE.to_owned());
    let auth = AuthService::new(
        Arc::clone(platform.store()),
        auth_config,
        &ServerKey::generate().expect("key"),
    )
    .expect("auth");
    let platform = platform.with_auth(Arc::new(auth));
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    Fixture {
        idp,
        issuer,
        registry,
    }
}

impl Fixture {
    async fn call(&self, session: Option<&str>, name: &str, arguments: Value) -> Value {
        self.call_with(
            CallInfo {
                session_id: session.map(str::to_owned),
                ..CallInfo::default()
            },
            name,
            arguments,
        )
        .await
    }

    async fn call_with(&self, call: CallInfo, name: &str, arguments: Value) -> Value {
        let Value::Object(arguments) = arguments else {
            panic!("arguments must be an object")
        };
        self.registry
            .call(name, Some(arguments), call)
            .await
            .expect("tool exists")
            .to_json()
    }

    async fn bearer(&self, token: &str, name: &str, arguments: Value) -> Value {
        self.call_with(
            CallInfo {
                authorization: Some(format!("Bearer {token}")),
                ..CallInfo::default()
            },
            name,
            arguments,
        )
        .await
    }

    /// `authenticate`, the browser login (a form POST as a browser sends it), then
    /// `check_auth_status` until it stops pending.
    async fn log_in(&self, session: &str, tenant: &str, user: &str, password: &str) -> Value {
        let started = self
            .call(Some(session), "authenticate", json!({"tenantId": tenant}))
            .await;
        assert_eq!(started["isSuccess"], json!(true), "{started}");
        assert_eq!(started["isAlreadyAuthenticated"], json!(false));
        let code = started["userCode"].as_str().expect("user code");
        let uri = started["verificationUri"].as_str().expect("uri");
        assert!(
            started["message"]
                .as_str()
                .is_some_and(|m| m.contains(code) && m.contains(uri))
        );
        let page = reqwest::Client::new()
            .post(format!("{}/device", self.issuer))
            .form(&[
                ("user_code", code),
                ("username", user),
                ("password", password),
                ("action", "approve"),
            ])
            .send()
            .await
            .expect("page");
        assert!(page.status().is_success());
        for _ in 0..10 {
            let status = self
                .call(Some(session), "check_auth_status", json!({}))
                .await;
            if status["isPending"] == json!(true) {
                let wait = status["retryAfterSeconds"].as_u64().expect("retry after");
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            return status;
        }
        panic!("still pending");
    }
}

#[tokio::test]
async fn tools_need_a_login_and_the_device_flow_gives_one() {
    let f = fixture().await;
    let refused = f
        .call(Some("s1"), "get_tenants", json!({"tenantId": "octosystem"}))
        .await;
    assert_eq!(refused["isSuccess"], json!(false));
    assert!(
        error(&refused).starts_with("Not authenticated."),
        "{refused}"
    );
    assert!(error(&refused).contains("authenticate"));
    assert!(error(&refused).contains("'octosystem'"));
    // The catalogue and the auth tools need none.
    let listed = f.call(Some("s1"), "list_available_tools", json!({})).await;
    assert_eq!(listed["totalTools"].as_u64().map(|n| n > 6), Some(true));
    let status = f.call(Some("s1"), "auth_status", json!({})).await;
    assert_eq!(status["isSuccess"], json!(true));
    assert_eq!(status["isAuthenticated"], json!(false));

    let done = f.log_in("s1", "octosystem", "admin", "admin-pass").await;
    assert_eq!(done["isAuthenticated"], json!(true), "{done}");
    assert!(
        done["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Authentication successful!"))
    );
    let listed = f
        .call(Some("s1"), "get_tenants", json!({"tenantId": "octosystem"}))
        .await;
    assert_eq!(listed["isSuccess"], json!(true), "{listed}");

    let again = f
        .call(
            Some("s1"),
            "authenticate",
            json!({"tenantId": "octosystem"}),
        )
        .await;
    assert_eq!(again["isAlreadyAuthenticated"], json!(true));
    let who = f.call(Some("s1"), "whoami", json!({})).await;
    assert_eq!(who["userId"], json!("admin"));
    assert_eq!(who["tenantId"], json!("octosystem"));
    assert!(
        who["scopes"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("octo_api")))
    );
    let tenants = f.call(Some("s1"), "list_tenants", json!({})).await;
    assert_eq!(tenants["currentTenantId"], json!("octosystem"));
    let status = f.call(Some("s1"), "auth_status", json!({})).await;
    assert_eq!(status["isAuthenticated"], json!(true));
    assert_eq!(status["subjectId"], json!("admin"));

    // Another session is not logged in.
    let other = f
        .call(Some("s2"), "get_tenants", json!({"tenantId": "octosystem"}))
        .await;
    assert!(error(&other).starts_with("Not authenticated."), "{other}");
}

#[tokio::test]
async fn a_login_for_one_tenant_is_refused_for_another() {
    let f = fixture().await;
    f.log_in("s1", "octosystem", "bob", "bob-pass").await;
    let refused = f
        .call(Some("s1"), "get_tenants", json!({"tenantId": "plant7"}))
        .await;
    assert_eq!(refused["isSuccess"], json!(false));
    assert_eq!(refused["tenantId"], json!("plant7"));
    let message = error(&refused);
    assert!(message.contains("'plant7'"), "{message}");
    assert!(message.contains("authenticate"), "{message}");
}

#[tokio::test]
async fn read_only_logins_cannot_write() {
    let f = fixture().await;
    f.log_in("s1", "octosystem", "rita", "rita-pass").await;
    let read = f
        .call(Some("s1"), "get_tenants", json!({"tenantId": "octosystem"}))
        .await;
    assert_eq!(read["isSuccess"], json!(true), "{read}");
    let write = f
        .call(
            Some("s1"),
            "create_tenant",
            json!({"tenantId": "octosystem", "childTenantId": "plant9"}),
        )
        .await;
    assert_eq!(write["isSuccess"], json!(false), "{write}");
    assert!(error(&write).contains("read-only"), "{write}");
}

#[tokio::test]
async fn bearer_tokens_authenticate_stateless_calls() {
    let f = fixture().await;
    // No session, no token: the message points to bearer tokens.
    let refused = f
        .call(None, "get_tenants", json!({"tenantId": "octosystem"}))
        .await;
    assert!(error(&refused).contains("Bearer"), "{refused}");
    let device = f
        .call(None, "authenticate", json!({"tenantId": "octosystem"}))
        .await;
    assert!(error(&device).contains("no MCP session"), "{device}");

    let token = f
        .idp
        .issue_access_token("admin", Some("octosystem"))
        .expect("token");
    let ok = f
        .bearer(&token, "get_tenants", json!({"tenantId": "octosystem"}))
        .await;
    assert_eq!(ok["isSuccess"], json!(true), "{ok}");
    let who = f.bearer(&token, "whoami", json!({})).await;
    assert_eq!(who["userId"], json!("admin"));
    let bad = f
        .bearer(
            "not.a.token",
            "get_tenants",
            json!({"tenantId": "octosystem"}),
        )
        .await;
    assert!(error(&bad).contains("bearer token was refused"), "{bad}");
}

#[tokio::test]
async fn switch_tenant_exchanges_and_the_new_tenant_is_allowed() {
    let f = fixture().await;
    f.log_in("s1", "octosystem", "admin", "admin-pass").await;
    let switched = f
        .call(Some("s1"), "switch_tenant", json!({"tenantId": "plant7"}))
        .await;
    assert_eq!(switched["isSuccess"], json!(true), "{switched}");
    assert_eq!(switched["roles"], json!(["TenantAdministrator"]));
    let again = f
        .call(Some("s1"), "switch_tenant", json!({"tenantId": "plant7"}))
        .await;
    assert_eq!(again["message"], json!("Already on tenant 'plant7'."));
}

#[test]
fn every_tool_declares_access_matching_its_annotation() {
    let registry = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            crate::standard_registry(&crate::test_platform().await).expect("registry")
        });
    for tool in registry.descriptors() {
        let spec = &tool.spec;
        let public = matches!(
            spec.category,
            crate::Category::ToolManagement | crate::Category::Authentication
        );
        assert_eq!(
            spec.access == crate::Access::Public,
            public,
            "{} is {:?}",
            spec.name,
            spec.access
        );
    }
}
