//! Pending device authorizations (RFC 8628), kept in memory: they live minutes, and a restart
//! only means the user starts the sign-in again.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How many failed logins one user code tolerates before it is denied.
pub(crate) const MAX_FAILED_LOGINS: u32 = 10;
/// How many device authorizations may be outstanding at once (a bound on memory).
pub(crate) const MAX_GRANTS: usize = 10_000;
/// How long an expired code is remembered, so a late poll hears `expired_token`.
const KEEP_EXPIRED: Duration = Duration::from_secs(10 * 60);
/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GrantState {
    /// Waiting for the user on the verification page.
    Pending,
    /// The user signed in; the next poll gets the tokens.
    Approved {
        username: String,
        tenant: Option<String>,
        auth_time: u64,
    },
    /// The user declined, may not use the tenant, or failed too often.
    Denied,
    /// The tokens were handed out.
    Consumed,
}

#[derive(Debug, Clone)]
pub(crate) struct DeviceGrant {
    pub(crate) user_code: String,
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    /// The tenant the client asked for (`acr_values=tenant:<id>`), lowercase.
    pub(crate) tenant: Option<String>,
    pub(crate) expires_at: Instant,
    pub(crate) interval: Duration,
    pub(crate) last_poll: Option<Instant>,
    pub(crate) failed_logins: u32,
    pub(crate) state: GrantState,
}

impl DeviceGrant {
    pub(crate) fn is_expired(&self, now: Instant) -> bool {
        now >= self.expires_at
    }
}

/// What a poll of the token endpoint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Poll {
    Unknown,
    WrongClient,
    Expired,
    SlowDown,
    Pending,
    Denied,
    AlreadyUsed,
    Approved {
        username: String,
        tenant: Option<String>,
        auth_time: u64,
        scopes: Vec<String>,
        client_id: String,
    },
}

#[derive(Debug, Default)]
pub(crate) struct DeviceStore {
    by_device_code: HashMap<String, DeviceGrant>,
    /// user code → device code
    by_user_code: HashMap<String, String>,
}

impl DeviceStore {
    /// Drops codes that expired more than [`KEEP_EXPIRED`] ago.
    pub(crate) fn prune(&mut self, now: Instant) {
        let by_user_code = &mut self.by_user_code;
        self.by_device_code.retain(|_, grant| {
            let keep = now < grant.expires_at + KEEP_EXPIRED;
            if !keep {
                by_user_code.remove(&grant.user_code);
            }
            keep
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.by_device_code.len()
    }

    pub(crate) fn contains_user_code(&self, user_code: &str) -> bool {
        self.by_user_code.contains_key(user_code)
    }

    pub(crate) fn insert(&mut self, device_code: String, grant: DeviceGrant) {
        self.by_user_code
            .insert(grant.user_code.clone(), device_code.clone());
        self.by_device_code.insert(device_code, grant);
    }

    pub(crate) fn by_user_code(&self, user_code: &str) -> Option<&DeviceGrant> {
        let device_code = self.by_user_code.get(user_code)?;
        self.by_device_code.get(device_code)
    }

    pub(crate) fn by_user_code_mut(&mut self, user_code: &str) -> Option<&mut DeviceGrant> {
        let device_code = self.by_user_code.get(user_code)?;
        self.by_device_code.get_mut(device_code)
    }

    /// One poll of the token endpoint (RFC 8628 §3.4/§3.5). `client_id` is checked when given.
    pub(crate) fn poll(
        &mut self,
        device_code: &str,
        client_id: Option<&str>,
        now: Instant,
    ) -> Poll {
        let Some(grant) = self.by_device_code.get_mut(device_code) else {
            return Poll::Unknown;
        };
        if client_id.is_some_and(|c| c != grant.client_id) {
            return Poll::WrongClient;
        }
        if grant.state == GrantState::Consumed {
            return Poll::AlreadyUsed;
        }
        if grant.is_expired(now) {
            return Poll::Expired;
        }
        let too_fast = grant
            .last_poll
            .is_some_and(|last| now.saturating_duration_since(last) < grant.interval);
        grant.last_poll = Some(now);
        if too_fast {
            grant.interval += SLOW_DOWN_STEP;
            return Poll::SlowDown;
        }
        match &grant.state {
            GrantState::Pending => Poll::Pending,
            GrantState::Denied => Poll::Denied,
            GrantState::Consumed => Poll::AlreadyUsed,
            GrantState::Approved {
                username,
                tenant,
                auth_time,
            } => {
                let poll = Poll::Approved {
                    username: username.clone(),
                    tenant: tenant.clone(),
                    auth_time: *auth_time,
                    scopes: grant.scopes.clone(),
                    client_id: grant.client_id.clone(),
                };
                grant.state = GrantState::Consumed;
                poll
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(now: Instant, interval: Duration) -> DeviceGrant {
        DeviceGrant {
            user_code: "BCDF-GHJK".to_owned(),
            client_id: "c".to_owned(),
            scopes: vec!["octo_api".to_owned()],
            tenant: None,
            expires_at: now + Duration::from_secs(600),
            interval,
            last_poll: None,
            failed_logins: 0,
            state: GrantState::Pending,
        }
    }

    #[test]
    fn polling_too_fast_slows_down_by_five_seconds() {
        let now = Instant::now();
        let mut store = DeviceStore::default();
        store.insert("d".to_owned(), grant(now, Duration::from_secs(5)));
        assert_eq!(store.poll("d", None, now), Poll::Pending);
        assert_eq!(
            store.poll("d", None, now + Duration::from_secs(4)),
            Poll::SlowDown
        );
        // The interval is now 10 s, counted from the last poll.
        assert_eq!(
            store.poll("d", None, now + Duration::from_secs(13)),
            Poll::SlowDown
        );
        assert_eq!(
            store.poll("d", None, now + Duration::from_secs(28)),
            Poll::Pending
        );
        assert_eq!(
            store.poll("d", Some("other"), now + Duration::from_secs(60)),
            Poll::WrongClient
        );
        assert_eq!(store.poll("x", None, now), Poll::Unknown);
    }

    #[test]
    fn an_approved_grant_is_handed_out_once() {
        let now = Instant::now();
        let mut store = DeviceStore::default();
        store.insert("d".to_owned(), grant(now, Duration::ZERO));
        store.by_user_code_mut("BCDF-GHJK").expect("found").state = GrantState::Approved {
            username: "u".to_owned(),
            tenant: None,
            auth_time: 1,
        };
        assert!(matches!(
            store.poll("d", Some("c"), now),
            Poll::Approved { .. }
        ));
        assert_eq!(store.poll("d", Some("c"), now), Poll::AlreadyUsed);
    }

    #[test]
    fn expired_codes_answer_expired_then_are_forgotten() {
        let now = Instant::now();
        let mut store = DeviceStore::default();
        store.insert("d".to_owned(), grant(now, Duration::ZERO));
        let later = now + Duration::from_secs(601);
        assert_eq!(store.poll("d", None, later), Poll::Expired);
        store.prune(later);
        assert_eq!(store.len(), 1);
        store.prune(later + KEEP_EXPIRED);
        assert_eq!(store.len(), 0);
        assert!(!store.contains_user_code("BCDF-GHJK"));
    }
}
