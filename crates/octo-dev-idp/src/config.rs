//! The provider's configuration: issuer, signing-key file, client, audience, users and lifetimes.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::random;

/// The public client the device flow is registered for.
pub const DEFAULT_CLIENT_ID: &str = "octo-mcpServices-device";
/// The `aud` of the access tokens.
pub const DEFAULT_AUDIENCE: &str = "octo-mcp";
/// The user name of the default user.
pub const DEFAULT_ADMIN_USERNAME: &str = "admin";
/// The role the default user gets.
pub const DEFAULT_ADMIN_ROLE: &str = "TenantAdministrator";
/// The tenant entry that allows every tenant.
pub const ALL_TENANTS: &str = "*";

/// Default access-token lifetime: 5 minutes.
pub const DEFAULT_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Default refresh-token lifetime: 30 days.
pub const DEFAULT_REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Default device-code lifetime: 10 minutes.
pub const DEFAULT_DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Default polling interval of the device flow: 5 seconds.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// How [`DevIdp`](crate::DevIdp) is set up.
#[derive(Debug, Clone)]
pub struct DevIdpConfig {
    /// Absolute URL of the provider including its path prefix, e.g.
    /// `http://127.0.0.1:8080/dev-idp`. It is the `iss` of every token, and every endpoint lives
    /// under its path. A trailing `/` is ignored.
    pub issuer: String,
    /// PEM file (PKCS#8, `-----BEGIN PRIVATE KEY-----`; a SEC1 `EC PRIVATE KEY` is read too) with
    /// the P-256 signing key. Created (mode 0600, parent folders too) on first start and reused
    /// afterwards, so tokens, refresh tokens included, survive a restart. `None`: a fresh key per
    /// process.
    pub key_path: Option<PathBuf>,
    /// The one public client (no secret) allowed to use the device flow.
    pub client_id: String,
    /// The `aud` of the access tokens.
    pub audience: String,
    /// Who can sign in. At least one.
    pub users: Vec<DevUser>,
    /// Lifetime of access tokens (and ID tokens).
    pub access_token_lifetime: Duration,
    /// Lifetime of refresh tokens; each refresh issues a new one with a fresh lifetime.
    pub refresh_token_lifetime: Duration,
    /// How long a device code / user code may wait for the login.
    pub device_code_lifetime: Duration,
    /// The minimum time between two polls of the token endpoint for one device code. Rounded up
    /// to whole seconds in the `interval` of the device-authorization response; zero disables the
    /// `slow_down` check (tests).
    pub poll_interval: Duration,
}

impl DevIdpConfig {
    /// A configuration with the default client, audience and lifetimes, no key file (an ephemeral
    /// key) and the given users.
    pub fn new(issuer: impl Into<String>, users: Vec<DevUser>) -> Self {
        Self {
            issuer: issuer.into(),
            key_path: None,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            users,
            access_token_lifetime: DEFAULT_ACCESS_TOKEN_LIFETIME,
            refresh_token_lifetime: DEFAULT_REFRESH_TOKEN_LIFETIME,
            device_code_lifetime: DEFAULT_DEVICE_CODE_LIFETIME,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// The defaults with the one user `admin` (all tenants, role `TenantAdministrator`) and a
    /// freshly generated password, returned too so the caller can print it.
    pub fn with_random_admin(issuer: impl Into<String>) -> (Self, String) {
        let admin = DevUser::admin_with_random_password();
        let password = admin.password.clone();
        (Self::new(issuer, vec![admin]), password)
    }

    /// Sets the signing-key file.
    #[must_use]
    pub fn key_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_path = Some(path.into());
        self
    }
}

/// One user who can sign in on the verification page.
///
/// In a TOML or JSON configuration only `username` and `password` are required:
/// `tenants` defaults to `["*"]`, `roles` to none, `email` to `<username>@localhost`,
/// `display_name` to the user name and `read_only` to `false`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevUser {
    /// Login name; also the token's `sub` and `preferred_username`. Compared ignoring ASCII case.
    pub username: String,
    /// Plain-text password (this is a development provider).
    pub password: String,
    /// Tenants the user may sign in to; `"*"` allows all. Tenant ids are compared ignoring ASCII
    /// case and are lowercased in tokens.
    #[serde(default = "all_tenants")]
    pub tenants: Vec<String>,
    /// The token's `role` claim.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The token's `email` claim; empty means `<username>@localhost`.
    #[serde(default)]
    pub email: String,
    /// The token's `name` claim; empty means the user name.
    #[serde(default)]
    pub display_name: String,
    /// A read-only user gets the scope `octo_api.read_only` wherever `octo_api` was asked for.
    #[serde(default)]
    pub read_only: bool,
}

fn all_tenants() -> Vec<String> {
    vec![ALL_TENANTS.to_owned()]
}

impl fmt::Debug for DevUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevUser")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("tenants", &self.tenants)
            .field("roles", &self.roles)
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl DevUser {
    /// A user allowed in every tenant, without roles, with the default e-mail and display name.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            tenants: all_tenants(),
            roles: Vec::new(),
            email: String::new(),
            display_name: String::new(),
            read_only: false,
        }
    }

    /// The default user `admin`: all tenants, role `TenantAdministrator`.
    pub fn admin(password: impl Into<String>) -> Self {
        Self {
            roles: vec![DEFAULT_ADMIN_ROLE.to_owned()],
            display_name: "Administrator".to_owned(),
            ..Self::new(DEFAULT_ADMIN_USERNAME, password)
        }
    }

    /// [`DevUser::admin`] with a password from [`generate_password`].
    pub fn admin_with_random_password() -> Self {
        Self::admin(generate_password())
    }

    /// Only these tenants (replacing `"*"`).
    #[must_use]
    pub fn with_tenants<I, S>(mut self, tenants: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tenants = tenants.into_iter().map(Into::into).collect();
        self
    }

    /// These roles.
    #[must_use]
    pub fn with_roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// A read-only user.
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Whether the user may sign in to `tenant`.
    pub fn may_use_tenant(&self, tenant: &str) -> bool {
        self.tenants
            .iter()
            .any(|t| t == ALL_TENANTS || t.eq_ignore_ascii_case(tenant))
    }

    /// The `email` claim.
    pub fn effective_email(&self) -> String {
        if self.email.is_empty() {
            format!("{}@localhost", self.username)
        } else {
            self.email.clone()
        }
    }

    /// The `name` claim.
    pub fn effective_display_name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.username
        } else {
            &self.display_name
        }
    }

    /// The `allowed_tenants` claim: the configured list, lowercased (`"*"` stays).
    pub fn allowed_tenants(&self) -> Vec<String> {
        self.tenants
            .iter()
            .map(|t| t.to_ascii_lowercase())
            .collect()
    }
}

/// A random password of 20 characters from letters and digits without the look-alikes
/// `0 O 1 l I` (about 115 bits), from the operating system's CSPRNG.
///
/// # Panics
///
/// Only if the operating system has no random source at all.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    #[allow(clippy::expect_used)]
    random::string_from(ALPHABET, 20).expect("the operating system's random source failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_differ_and_have_the_length() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn debug_redacts_the_password() {
        let user = DevUser::admin("s3cret-pass");
        let shown = format!("{user:?}");
        assert!(!shown.contains("s3cret-pass"), "{shown}");
        assert!(shown.contains("admin"));
    }

    #[test]
    fn user_from_toml_like_json_gets_defaults() {
        let user: DevUser =
            serde_json::from_str(r#"{"username":"eva","password":"pw"}"#).expect("parses");
        assert_eq!(user.tenants, vec!["*".to_owned()]);
        assert!(user.may_use_tenant("anything"));
        assert_eq!(user.effective_email(), "eva@localhost");
        assert_eq!(user.effective_display_name(), "eva");
        assert!(
            serde_json::from_str::<DevUser>(r#"{"username":"eva","password":"pw","x":1}"#).is_err()
        );
    }

    #[test]
    fn tenant_check_ignores_case() {
        let user = DevUser::new("bob", "pw").with_tenants(["Plant-A"]);
        assert!(user.may_use_tenant("plant-a"));
        assert!(!user.may_use_tenant("plant-b"));
        assert_eq!(user.allowed_tenants(), vec!["plant-a".to_owned()]);
    }
}
