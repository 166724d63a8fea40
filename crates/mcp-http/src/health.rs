//! Health probes: `/health` (each component's status), `/health/ready` and `/health/live`.
//!
//! Readiness is false until start-up has finished wiring every component, so a load balancer
//! sends no traffic to a replica that cannot serve it yet; liveness only says the process answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::{Value, json};

/// What the probes report on.
#[derive(Debug)]
pub struct Health {
    ready: AtomicBool,
    started: Instant,
    version: &'static str,
}

impl Health {
    pub fn new() -> Self {
        Self {
            ready: AtomicBool::new(false),
            started: Instant::now(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The `/health` document; `components` is filled by the caller, which knows them.
    pub fn report(&self, components: Value) -> Value {
        json!({
            "status": if self.is_ready() { "ok" } else { "starting" },
            "version": self.version,
            "uptimeSeconds": self.started.elapsed().as_secs(),
            "components": components,
        })
    }
}

impl Default for Health {
    fn default() -> Self {
        Self::new()
    }
}
