//! [`AuthError`], the crate's failures, and [`TokenRejected`], why a token is not accepted.
//! Messages are read in an AI chat, so each says what to do next.

/// Something went wrong on the way to an answer (as opposed to a definite "no").
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    #[error(
        "The identity provider at {issuer} could not be used: {detail}. Check that it is reachable \
         from the server and that --oidc-issuer is right, then retry."
    )]
    Provider { issuer: String, detail: String },
    #[error(
        "The identity provider at {issuer} does not offer the device authorization grant (its \
         discovery document names no device_authorization_endpoint). Enable the device flow for \
         client '{client_id}' there, or send an access token as 'Authorization: Bearer <token>'."
    )]
    NoDeviceFlow { issuer: String, client_id: String },
    #[error("{0}")]
    Store(#[from] octo_store::StoreError),
    #[error("The stored login could not be read ({0}). Call 'authenticate' again.")]
    Sealed(String),
    #[error("The server key that seals login state is not usable: {0}")]
    Key(String),
}

/// Why an access token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRejected {
    #[error("the token is not a JWT ({0})")]
    Malformed(String),
    #[error("the token is signed with algorithm {0}, which is not accepted")]
    Algorithm(String),
    #[error("the token is signed by a key ('{0}') the identity provider does not publish")]
    UnknownKey(String),
    #[error("the token's signature is invalid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued by '{found}', not by the configured issuer '{expected}'")]
    Issuer { expected: String, found: String },
    #[error("the token is not meant for this server (audience '{expected}' missing)")]
    Audience { expected: String },
    #[error("the token is missing the claim '{0}'")]
    MissingClaim(&'static str),
    #[error("the identity provider's signing keys could not be fetched: {0}")]
    Keys(String),
}
