//! Server configuration: flags, environment variables and an optional TOML file, in that order
//! of precedence, over built-in defaults that start a working local server.
//!
//! | flag | environment | file key | default |
//! |---|---|---|---|
//! | `--config` | `OCTO_CONFIG` | — | none |
//! | `--listen` | `OCTO_LISTEN` | `listen` | `127.0.0.1:8080` |
//! | `--data-dir` | `OCTO_DATA_DIR` | `data_dir` | `./data` |
//! | `--database-url` | `OCTO_DATABASE_URL` | `database_url` | `sqlite://<data-dir>/octomesh.db` |
//! | `--log-format` | `OCTO_LOG_FORMAT` | `log_format` | `text` (`json` for log shippers) |
//! | `--allowed-hosts` | `OCTO_ALLOWED_HOSTS` | `allowed_hosts` | `localhost,127.0.0.1,::1` |
//! | `--allowed-origins` | `OCTO_ALLOWED_ORIGINS` | `allowed_origins` | `http(s)://localhost:*`, `127.0.0.1`, `[::1]` |
//! | `--max-request-body-bytes` | `OCTO_MAX_REQUEST_BODY_BYTES` | `max_request_body_bytes` | 4 MiB |
//! | `--session-idle-timeout-secs` | `OCTO_SESSION_IDLE_TIMEOUT_SECS` | `session_idle_timeout_secs` | 1800 |
//! | `--max-sessions` | `OCTO_MAX_SESSIONS` | `max_sessions` | 10000 |
//! | `--transfer-lifetime-secs` | `OCTO_TRANSFER_LIFETIME_SECS` | `transfer_lifetime_secs` | 1800 |
//! | `--max-transfer-bytes` | `OCTO_MAX_TRANSFER_BYTES` | `max_transfer_bytes` | 5 GiB |
//! | `--stream-maintenance-interval-secs` | `OCTO_STREAM_MAINTENANCE_INTERVAL_SECS` | `stream_maintenance_interval_secs` | 60 |
//! | `--metrics-listen` | `OCTO_METRICS_LISTEN` | `metrics_listen` | none: `/metrics` on `--listen` |
//! | `--ck-catalog` | `OCTO_CK_CATALOGS` | `ck_catalogs` | none; `name=folder`, repeatable |
//! | `--auth-mode` | `OCTO_AUTH_MODE` | `auth_mode` | `device-flow` (`bearer-required`, `disabled`) |
//! | `--oidc-issuer` | `OCTO_OIDC_ISSUER` | `oidc_issuer` | none: the built-in provider at `/dev-idp` |
//! | `--oidc-client-id` | `OCTO_OIDC_CLIENT_ID` | `oidc_client_id` | `octo-mcpServices-device` |
//! | `--oidc-client-secret` | `OCTO_OIDC_CLIENT_SECRET` | `oidc_client_secret` | none (public client) |
//! | `--oidc-audience` | `OCTO_OIDC_AUDIENCE` | `oidc_audience` | none (`octo-mcp` with the built-in provider) |
//! | `--oidc-scopes` | `OCTO_OIDC_SCOPES` | `oidc_scopes` | `openid,profile,email,role,octo_api,offline_access` |
//! | `--auth-key` | `OCTO_AUTH_KEY` | `auth_key` | the key file `<data-dir>/auth.key`, created on first start |
//! | `--public-url` | `OCTO_PUBLIC_URL` | `public_url` | `http://<listen>` |
//! | `--dev-idp-password` | `OCTO_DEV_IDP_PASSWORD` | `dev_idp_password` | random, printed at start-up |
//! | `--conformance-fixtures` | — | — | off (tests only) |
//!
//! Log verbosity follows `RUST_LOG` (default `info`). `docs/configuration.md` repeats this table.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use octo_mcp::McpConfig;
use serde::Deserialize;

/// Command-line flags (each also readable from its environment variable).
#[derive(Debug, Parser)]
#[command(
    name = "mcp-http",
    version = VERSION,
    about = "OctoMesh MCP Services: an MCP server (Streamable HTTP) for the OctoMesh data platform."
)]
pub struct Cli {
    /// TOML file with any of the settings below (flags and environment win over it).
    #[arg(long, env = "OCTO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "OCTO_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Folder for the embedded database and file transfers.
    #[arg(long, env = "OCTO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://…` (embedded default) or `postgres://…` (production).
    #[arg(long, env = "OCTO_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Log line format.
    #[arg(long, env = "OCTO_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Accepted `Host` header values, comma-separated; `*` accepts any (behind a trusted proxy).
    #[arg(long, env = "OCTO_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Option<Vec<String>>,
    /// Accepted browser `Origin` values, comma-separated (`http://host:*` for any port; `*` any).
    #[arg(long, env = "OCTO_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Option<Vec<String>>,
    /// Largest accepted MCP request body in bytes.
    #[arg(long, env = "OCTO_MAX_REQUEST_BODY_BYTES")]
    pub max_request_body_bytes: Option<usize>,
    /// Close MCP sessions idle for this many seconds.
    #[arg(long, env = "OCTO_SESSION_IDLE_TIMEOUT_SECS")]
    pub session_idle_timeout_secs: Option<u64>,
    /// Maximum number of concurrent MCP sessions.
    #[arg(long, env = "OCTO_MAX_SESSIONS")]
    pub max_sessions: Option<usize>,
    /// How long a file-transfer reservation or an unclaimed file lives, in seconds.
    #[arg(long, env = "OCTO_TRANSFER_LIFETIME_SECS")]
    pub transfer_lifetime_secs: Option<u64>,
    /// The hard cap on one file transfer, in bytes.
    #[arg(long, env = "OCTO_MAX_TRANSFER_BYTES")]
    pub max_transfer_bytes: Option<u64>,
    /// How often stream-data maintenance runs (rollups, backfills, retention), in seconds.
    #[arg(long, env = "OCTO_STREAM_MAINTENANCE_INTERVAL_SECS")]
    pub stream_maintenance_interval_secs: Option<u64>,
    /// Serve `/metrics` on this address only (instead of on `--listen`), e.g. for a
    /// scrape port that is not exposed to MCP clients.
    #[arg(long, env = "OCTO_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// An extra CK model catalog, `name=folder` (each subfolder one model); repeatable, or
    /// comma-separated in the environment.
    #[arg(long = "ck-catalog", env = "OCTO_CK_CATALOGS", value_delimiter = ',')]
    pub ck_catalogs: Option<Vec<String>>,
    /// How MCP requests are authenticated: `device-flow` (tools other than the catalogue and
    /// the login tools need a login: device flow per session or a bearer token),
    /// `bearer-required` (every MCP request needs a valid bearer token, else 401), or `disabled`
    /// (no authentication; only when listening on loopback).
    #[arg(long, env = "OCTO_AUTH_MODE", value_enum)]
    pub auth_mode: Option<AuthMode>,
    /// The OpenID Connect issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    /// Without one, the built-in development provider at `/dev-idp` is the issuer.
    #[arg(long, env = "OCTO_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// The OAuth client the device flow runs as.
    #[arg(long, env = "OCTO_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// The client's secret, only for providers that require a confidential client.
    #[arg(long, env = "OCTO_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// The `aud` every access token must carry (not checked when unset).
    #[arg(long, env = "OCTO_OIDC_AUDIENCE")]
    pub oidc_audience: Option<String>,
    /// Scopes requested at login, comma-separated.
    #[arg(long, env = "OCTO_OIDC_SCOPES", value_delimiter = ',')]
    pub oidc_scopes: Option<Vec<String>>,
    /// Base64 of 32 bytes: the key that seals tokens in the store. Replicas must share it.
    /// Default: the key file `<data-dir>/auth.key`, created on first start.
    #[arg(long, env = "OCTO_AUTH_KEY", hide_env_values = true)]
    pub auth_key: Option<String>,
    /// The URL clients reach this server at (behind a proxy), e.g. `https://octo.example.com`;
    /// names the built-in provider and the protected-resource metadata.
    #[arg(long, env = "OCTO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The password of the built-in provider's user `admin` (random and printed when unset).
    #[arg(long, env = "OCTO_DEV_IDP_PASSWORD", hide_env_values = true)]
    pub dev_idp_password: Option<String>,
    /// Serve the MCP conformance suite's fixture tools, resources and prompts (tests only).
    #[arg(long)]
    pub conformance_fixtures: bool,
    /// An operator command to run on the store instead of serving (see `mcp-http help`).
    #[command(subcommand)]
    pub command: Option<crate::operator::Command>,
}

/// How MCP requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// Tools other than the catalogue and the login tools need a login: the session's device
    /// flow or a bearer token.
    #[default]
    DeviceFlow,
    /// Every MCP request needs a valid bearer token (401 otherwise).
    BearerRequired,
    /// No authentication at all; only on a loopback address.
    Disabled,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeviceFlow => "device-flow",
            Self::BearerRequired => "bearer-required",
            Self::Disabled => "disabled",
        }
    }
}

/// Authentication settings after merging.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub mode: AuthMode,
    /// `None`: the built-in development provider is mounted at `/dev-idp` and is the issuer.
    pub issuer: Option<String>,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub audience: Option<String>,
    pub scopes: Vec<String>,
    /// Base64 key; `None` uses the key file in the data folder.
    pub key: Option<String>,
    pub public_url: Option<String>,
    pub dev_idp_password: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The optional configuration file; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub allowed_hosts: Option<Vec<String>>,
    pub allowed_origins: Option<Vec<String>>,
    pub max_request_body_bytes: Option<usize>,
    pub session_idle_timeout_secs: Option<u64>,
    pub max_sessions: Option<usize>,
    pub transfer_lifetime_secs: Option<u64>,
    pub max_transfer_bytes: Option<u64>,
    pub stream_maintenance_interval_secs: Option<u64>,
    pub metrics_listen: Option<SocketAddr>,
    pub ck_catalogs: Option<Vec<String>>,
    pub auth_mode: Option<AuthMode>,
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    pub oidc_client_secret: Option<String>,
    pub oidc_audience: Option<String>,
    pub oidc_scopes: Option<Vec<String>>,
    pub auth_key: Option<String>,
    pub public_url: Option<String>,
    pub dev_idp_password: Option<String>,
}

/// Settings after merging flags, environment, file and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub log_format: LogFormat,
    /// Operators' CK catalogs: (name, folder).
    pub ck_catalogs: Vec<(String, PathBuf)>,
    pub mcp: McpConfig,
    /// How long a transfer lives before the sweeper purges it.
    pub transfer_lifetime: Duration,
    /// The hard cap on one transfer's size.
    pub max_transfer_bytes: u64,
    /// How often stream-data maintenance (rollups, backfills, retention) runs.
    pub stream_maintenance_interval: Duration,
    /// A separate address for `/metrics`; `None` serves it on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    pub auth: AuthSettings,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    ParseFile { path: PathBuf, message: String },
    /// The store's own message (the URL shown without its password).
    #[error("{0}")]
    DatabaseUrl(octo_store::StoreError),
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    #[error("CK catalog '{0}' must be written name=folder, e.g. models=/srv/ck-models")]
    Catalog(String),
    #[error(
        "--auth-mode disabled is only allowed when listening on a loopback address (127.0.0.1, \
         ::1), not on {0}: anyone who reaches the server could use every tool. Use device-flow \
         or bearer-required, or listen on 127.0.0.1."
    )]
    AuthDisabledOffLoopback(SocketAddr),
    #[error("{0} must be an http:// or https:// URL, not '{1}'")]
    Url(&'static str, String),
}

/// `--version`: the crate version and the git commit it was built from (see `build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("OCTO_BUILD_COMMIT"),
    ")"
);

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Settings {
    /// Merges `cli` (flags and environment) over the file it names over the defaults.
    pub fn resolve(cli: Cli) -> Result<Self, ConfigError> {
        let file = match &cli.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        let defaults = McpConfig::default();
        let data_dir = cli
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let database_url = cli
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| default_database_url(&data_dir));
        octo_store::url::check(&database_url).map_err(ConfigError::DatabaseUrl)?;
        let max_sessions = cli
            .max_sessions
            .or(file.max_sessions)
            .unwrap_or(defaults.max_sessions);
        let max_body = cli
            .max_request_body_bytes
            .or(file.max_request_body_bytes)
            .unwrap_or(defaults.max_request_body_bytes);
        let idle = cli
            .session_idle_timeout_secs
            .or(file.session_idle_timeout_secs)
            .map(Duration::from_secs)
            .unwrap_or(defaults.session_idle_timeout);
        if max_sessions == 0 {
            return Err(ConfigError::Zero("max_sessions"));
        }
        if max_body == 0 {
            return Err(ConfigError::Zero("max_request_body_bytes"));
        }
        if idle.is_zero() {
            return Err(ConfigError::Zero("session_idle_timeout_secs"));
        }
        let transfer_lifetime = Duration::from_secs(
            cli.transfer_lifetime_secs
                .or(file.transfer_lifetime_secs)
                .unwrap_or(1800),
        );
        if transfer_lifetime.is_zero() {
            return Err(ConfigError::Zero("transfer_lifetime_secs"));
        }
        let max_transfer_bytes = cli
            .max_transfer_bytes
            .or(file.max_transfer_bytes)
            .unwrap_or(octo_transfer::DEFAULT_MAX_BYTES);
        if max_transfer_bytes == 0 {
            return Err(ConfigError::Zero("max_transfer_bytes"));
        }
        let stream_maintenance_interval = Duration::from_secs(
            cli.stream_maintenance_interval_secs
                .or(file.stream_maintenance_interval_secs)
                .unwrap_or(60),
        );
        if stream_maintenance_interval.is_zero() {
            return Err(ConfigError::Zero("stream_maintenance_interval_secs"));
        }
        let listen = cli.listen.or(file.listen).unwrap_or_else(default_listen);
        let ck_catalogs = cli
            .ck_catalogs
            .or(file.ck_catalogs)
            .unwrap_or_default()
            .into_iter()
            .map(|entry| match entry.split_once('=') {
                Some((name, folder)) if !name.trim().is_empty() && !folder.trim().is_empty() => {
                    Ok((name.trim().to_owned(), PathBuf::from(folder.trim())))
                }
                _ => Err(ConfigError::Catalog(entry)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mode = cli.auth_mode.or(file.auth_mode).unwrap_or_default();
        if mode == AuthMode::Disabled && !listen.ip().is_loopback() {
            return Err(ConfigError::AuthDisabledOffLoopback(listen));
        }
        let url = |name: &'static str,
                   value: Option<String>|
         -> Result<Option<String>, ConfigError> {
            match value {
                Some(value) if value.starts_with("http://") || value.starts_with("https://") => {
                    Ok(Some(value.trim_end_matches('/').to_owned()))
                }
                Some(value) => Err(ConfigError::Url(name, value)),
                None => Ok(None),
            }
        };
        let auth = AuthSettings {
            mode,
            issuer: url("--oidc-issuer", cli.oidc_issuer.or(file.oidc_issuer))?,
            client_id: cli
                .oidc_client_id
                .or(file.oidc_client_id)
                .unwrap_or_else(|| "octo-mcpServices-device".to_owned()),
            client_secret: cli.oidc_client_secret.or(file.oidc_client_secret),
            audience: cli.oidc_audience.or(file.oidc_audience),
            scopes: cli.oidc_scopes.or(file.oidc_scopes).unwrap_or_else(|| {
                octo_auth::DEFAULT_SCOPES
                    .iter()
                    .map(|scope| (*scope).to_owned())
                    .collect()
            }),
            key: cli.auth_key.or(file.auth_key),
            public_url: url("--public-url", cli.public_url.or(file.public_url))?,
            dev_idp_password: cli.dev_idp_password.or(file.dev_idp_password),
        };
        let mcp = McpConfig {
            allowed_hosts: cli
                .allowed_hosts
                .or(file.allowed_hosts)
                .unwrap_or(defaults.allowed_hosts.clone()),
            allowed_origins: cli
                .allowed_origins
                .or(file.allowed_origins)
                .unwrap_or(defaults.allowed_origins.clone()),
            max_request_body_bytes: max_body,
            session_idle_timeout: idle,
            max_sessions,
            conformance_fixtures: cli.conformance_fixtures,
            ..defaults
        };
        Ok(Self {
            listen,
            data_dir,
            database_url,
            log_format: cli.log_format.or(file.log_format).unwrap_or_default(),
            ck_catalogs,
            mcp,
            transfer_lifetime,
            max_transfer_bytes,
            stream_maintenance_interval,
            metrics_listen: cli.metrics_listen.or(file.metrics_listen),
            auth,
        })
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}/octomesh.db", data_dir.display())
}

fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|error| ConfigError::ParseFile {
        path: path.to_owned(),
        message: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        let mut all = vec!["mcp-http"];
        all.extend_from_slice(args);
        Cli::parse_from(all)
    }

    #[test]
    fn defaults_start_a_local_server_on_sqlite() {
        let settings = Settings::resolve(cli(&[])).expect("defaults are valid");
        assert_eq!(settings.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(settings.data_dir, PathBuf::from("data"));
        assert_eq!(settings.database_url, "sqlite://data/octomesh.db");
        assert!(!settings.mcp.conformance_fixtures);
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("mcp-http-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("octo.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/octo\"\nmax_sessions = 5\n",
        )
        .expect("write config");
        let path = file.display().to_string();
        let settings = Settings::resolve(cli(&["--config", &path, "--listen", "127.0.0.1:9100"]))
            .expect("valid");
        assert_eq!(settings.listen.port(), 9100);
        assert_eq!(settings.data_dir, PathBuf::from("/srv/octo"));
        assert_eq!(settings.database_url, "sqlite:///srv/octo/octomesh.db");
        assert_eq!(settings.mcp.max_sessions, 5);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn unknown_file_keys_are_reported() {
        let dir = std::env::temp_dir().join(format!("mcp-http-badcfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("octo.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").expect("write config");
        let path = file.display().to_string();
        let error = Settings::resolve(cli(&["--config", &path])).expect_err("typo is an error");
        assert!(error.to_string().contains("lisen"), "{error}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn stream_maintenance_runs_every_minute_unless_told_otherwise() {
        let settings = Settings::resolve(cli(&[])).expect("defaults");
        assert_eq!(
            settings.stream_maintenance_interval,
            Duration::from_secs(60)
        );
        let settings =
            Settings::resolve(cli(&["--stream-maintenance-interval-secs", "5"])).expect("valid");
        assert_eq!(settings.stream_maintenance_interval, Duration::from_secs(5));
        let error =
            Settings::resolve(cli(&["--stream-maintenance-interval-secs", "0"])).expect_err("zero");
        assert!(
            error
                .to_string()
                .contains("stream_maintenance_interval_secs"),
            "{error}"
        );
    }

    #[test]
    fn unsupported_database_urls_are_refused() {
        let error =
            Settings::resolve(cli(&["--database-url", "mysql://x"])).expect_err("unsupported");
        assert!(error.to_string().contains("sqlite://"), "{error}");
    }

    #[test]
    fn ck_catalogs_are_name_equals_folder() {
        let settings = Settings::resolve(cli(&["--ck-catalog", "lib=/srv/ck"])).expect("ok");
        assert_eq!(
            settings.ck_catalogs,
            [("lib".to_owned(), PathBuf::from("/srv/ck"))]
        );
        let error = Settings::resolve(cli(&["--ck-catalog", "nofolder"])).expect_err("bad");
        assert!(error.to_string().contains("name=folder"), "{error}");
    }

    /// The example file shipped in `deploy/` and in release archives parses, and names every
    /// file key; every flag is documented in `docs/configuration.md` with its environment
    /// variable. A new setting that misses either fails here, not in a user's hands.
    #[test]
    fn example_file_and_configuration_doc_cover_every_setting() {
        use clap::CommandFactory;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let example_path = root.join("deploy/mcp-http.example.toml");
        let example = std::fs::read_to_string(&example_path).expect("example config");
        load_file(&example_path).expect("the example config parses");
        let doc = std::fs::read_to_string(root.join("docs/configuration.md")).expect("doc");
        let command = Cli::command();
        for arg in command.get_arguments() {
            let Some(flag) = arg.get_long() else { continue };
            if matches!(flag, "help" | "version") {
                continue;
            }
            assert!(
                doc.contains(&format!("`--{flag}`")),
                "docs/configuration.md does not document --{flag}"
            );
            if let Some(env) = arg.get_env() {
                let env = env.to_string_lossy();
                assert!(
                    doc.contains(&format!("`{env}`")),
                    "docs/configuration.md does not name {env}"
                );
            }
            let key = arg.get_id().as_str();
            if !matches!(flag, "config" | "conformance-fixtures") {
                assert!(
                    example.contains(&format!("{key} =")),
                    "deploy/mcp-http.example.toml does not show the key {key}"
                );
            }
        }
    }

    #[test]
    fn auth_defaults_to_the_device_flow_on_the_built_in_provider() {
        let settings = Settings::resolve(cli(&[])).expect("defaults are valid");
        assert_eq!(settings.auth.mode, AuthMode::DeviceFlow);
        assert_eq!(settings.auth.issuer, None);
        assert_eq!(settings.auth.client_id, "octo-mcpServices-device");
        assert!(settings.auth.scopes.iter().any(|s| s == "offline_access"));
    }

    #[test]
    fn auth_can_be_disabled_only_on_loopback() {
        let settings = Settings::resolve(cli(&["--auth-mode", "disabled"])).expect("loopback");
        assert_eq!(settings.auth.mode, AuthMode::Disabled);
        let error = Settings::resolve(cli(&[
            "--auth-mode",
            "disabled",
            "--listen",
            "0.0.0.0:8080",
        ]))
        .expect_err("refused off loopback");
        assert!(error.to_string().contains("loopback"), "{error}");
        let settings = Settings::resolve(cli(&[
            "--auth-mode",
            "bearer-required",
            "--listen",
            "0.0.0.0:8080",
            "--oidc-issuer",
            "https://login.example.com/realms/octo/",
        ]))
        .expect("bearer mode anywhere");
        assert_eq!(
            settings.auth.issuer.as_deref(),
            Some("https://login.example.com/realms/octo")
        );
        let error =
            Settings::resolve(cli(&["--oidc-issuer", "login.example.com"])).expect_err("not a URL");
        assert!(error.to_string().contains("https://"), "{error}");
    }

    #[test]
    fn comma_separated_hosts() {
        let settings =
            Settings::resolve(cli(&["--allowed-hosts", "octo.example.com,localhost"])).expect("ok");
        assert_eq!(
            settings.mcp.allowed_hosts,
            ["octo.example.com", "localhost"]
        );
    }
}
