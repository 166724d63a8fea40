//! [`Identity`]: who a validated access token speaks for, read from its claims.
//!
//! Claim names follow the OctoMesh identity service and common providers: `sub`, `name` or
//! `preferred_username`, `email`, `tenant_id` (or `tenant`), `allowed_tenants`, `role` (or
//! `roles`), `scope` (or `scp`). List claims may be a JSON array or one string (scopes: space
//! separated).

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;

/// The `allowed_tenants` entry that allows every tenant.
pub const ALL_TENANTS: &str = "*";

/// The scope that limits a user to tools that change nothing.
pub const READ_ONLY_SCOPE: &str = "octo_api.read_only";

/// The user (or client) a token was issued to, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The subject (`sub`).
    pub sub: String,
    /// `preferred_username`, else `name`.
    pub name: Option<String>,
    pub email: Option<String>,
    /// The tenant the token was issued for (`tenant_id` or `tenant`).
    pub tenant_id: Option<String>,
    /// Further tenants the user may act on (`allowed_tenants`).
    pub allowed_tenants: Vec<String>,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
    /// When the token expires (`exp`).
    pub expires_at: DateTime<Utc>,
}

impl Identity {
    /// Reads an identity from a token's (already verified) claims; `None` without `sub` or `exp`.
    pub fn from_claims(claims: &Value) -> Option<Self> {
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let sub = text("sub")?;
        let exp = claims.get("exp").and_then(Value::as_i64)?;
        let expires_at = Utc.timestamp_opt(exp, 0).single()?;
        Some(Self {
            sub,
            name: text("preferred_username").or_else(|| text("name")),
            email: text("email"),
            tenant_id: text("tenant_id").or_else(|| text("tenant")),
            allowed_tenants: list(claims, &["allowed_tenants"], ' '),
            roles: list(claims, &["role", "roles"], ' '),
            scopes: list(claims, &["scope", "scp"], ' '),
            expires_at,
        })
    }

    /// Whether the token allows acting on `tenant`: its own tenant or one of the allowed ones
    /// (tenant ids compare without regard to case, as in OctoMesh); `*` in `allowed_tenants`
    /// allows every tenant.
    pub fn may_act_on(&self, tenant: &str) -> bool {
        self.tenant_id
            .iter()
            .chain(&self.allowed_tenants)
            .any(|allowed| allowed == ALL_TENANTS || allowed.eq_ignore_ascii_case(tenant))
    }

    /// Every tenant the token names: its own first, then the allowed ones, without repeats.
    pub fn tenants(&self) -> Vec<String> {
        let mut tenants: Vec<String> = Vec::new();
        for tenant in self.tenant_id.iter().chain(&self.allowed_tenants) {
            if !tenants.iter().any(|t| t.eq_ignore_ascii_case(tenant)) {
                tenants.push(tenant.clone());
            }
        }
        tenants
    }

    /// Whether the token carries the read-only scope, which refuses tools that write.
    pub fn is_read_only(&self) -> bool {
        self.scopes.iter().any(|scope| scope == READ_ONLY_SCOPE)
    }

    /// Why this token may not write into `tenant` outside a tool call (HTTP ingestion), in words
    /// for the caller; `None` when it may: the token allows the tenant and is not read-only.
    pub fn write_refusal(&self, tenant: &str) -> Option<String> {
        if !self.may_act_on(tenant) {
            let holds = self
                .tenant_id
                .as_deref()
                .map(|own| format!(" (it was issued for tenant '{own}')"))
                .unwrap_or_default();
            return Some(format!(
                "Forbidden: the bearer token does not allow tenant '{tenant}'{holds}. Use a token \
                 whose tenant_id or allowed_tenants names '{tenant}'."
            ));
        }
        if self.is_read_only() {
            return Some(format!(
                "Forbidden: the bearer token has read-only access (scope '{READ_ONLY_SCOPE}') and \
                 this request writes data. Use a token of an account that may write."
            ));
        }
        None
    }

    /// Whether the token is still valid at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at > now
    }
}

/// The first present claim of `names` as a list: an array of strings, or one string split on
/// `separator`.
fn list(claims: &Value, names: &[&str], separator: char) -> Vec<String> {
    let Some(value) = names.iter().find_map(|name| claims.get(*name)) else {
        return Vec::new();
    };
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
        Value::String(text) => text
            .split(separator)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(tenant: &str, allowed: &str, scope: &str) -> Identity {
        Identity::from_claims(&json!({
            "sub": "device-7",
            "exp": 4_102_444_800_i64,
            "tenant_id": tenant,
            "allowed_tenants": allowed,
            "scope": scope,
        }))
        .expect("identity")
    }

    #[test]
    fn writes_need_a_token_for_the_tenant_without_read_only_scope() {
        let plant = identity("plant", "", "openid octo_api");
        assert_eq!(plant.write_refusal("plant"), None);
        assert_eq!(plant.write_refusal("PLANT"), None);
        let other = plant.write_refusal("office").expect("refused");
        assert!(
            other.contains("does not allow tenant 'office'")
                && other.contains("issued for tenant 'plant'"),
            "{other}"
        );
        let shared = identity("plant", "office depot", "openid octo_api");
        assert_eq!(shared.write_refusal("depot"), None);
        let reader = identity("plant", "", "openid octo_api.read_only");
        let refused = reader.write_refusal("plant").expect("refused");
        assert!(refused.contains("read-only"), "{refused}");
    }

    #[test]
    fn claims_in_either_form_are_read() {
        let identity = Identity::from_claims(&json!({
            "sub": "u1", "exp": 2_000_000_000, "name": "Ada", "email": "ada@example.com",
            "tenant": "Plant7", "allowed_tenants": ["plant8"], "role": "admin",
            "scope": "openid octo_api octo_api.read_only"
        }))
        .expect("identity");
        assert_eq!(identity.name.as_deref(), Some("Ada"));
        assert_eq!(identity.tenant_id.as_deref(), Some("Plant7"));
        assert_eq!(identity.roles, ["admin"]);
        assert!(identity.may_act_on("plant7"));
        assert!(identity.may_act_on("PLANT8"));
        assert!(!identity.may_act_on("plant9"));
        let everywhere = Identity {
            allowed_tenants: vec!["*".into()],
            ..identity.clone()
        };
        assert!(everywhere.may_act_on("plant9"));
        assert!(identity.is_read_only());
        assert_eq!(identity.tenants(), ["Plant7", "plant8"]);
    }

    #[test]
    fn sub_and_exp_are_required() {
        assert!(Identity::from_claims(&json!({"exp": 1})).is_none());
        assert!(Identity::from_claims(&json!({"sub": "x"})).is_none());
    }

    #[test]
    fn a_token_without_tenant_claims_allows_no_tenant() {
        let identity =
            Identity::from_claims(&json!({"sub": "u", "exp": 2_000_000_000})).expect("identity");
        assert!(!identity.may_act_on("meshtest"));
        assert!(identity.tenants().is_empty());
    }
}
