//! Store query latency for `/metrics`: a timer that records one histogram sample when dropped,
//! so every return path (errors included) is measured without touching it.

use std::time::Instant;

/// The histogram every store query timing goes to, labelled by `operation`.
pub const QUERY_DURATION: &str = "octo_store_query_duration_seconds";

/// Records the time from [`QueryTimer::start`] to its drop under `operation`.
#[derive(Debug)]
pub struct QueryTimer {
    operation: &'static str,
    started: Instant,
}

impl QueryTimer {
    pub fn start(operation: &'static str) -> Self {
        Self {
            operation,
            started: Instant::now(),
        }
    }
}

impl Drop for QueryTimer {
    fn drop(&mut self) {
        metrics::histogram!(QUERY_DURATION, "operation" => self.operation)
            .record(self.started.elapsed().as_secs_f64());
    }
}
