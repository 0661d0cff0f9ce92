//! What an admin (or a test) can set for one SCIM application: overrides of what discovery
//! finds, the shapes sent, and how hard the client may push the target.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Per-application settings of a [`ScimClient`](crate::ScimClient). Every field has a default,
/// so stored settings may name only what they change (`{"legacy_shapes": true}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScimOptions {
    /// `Some(true)`: update with PATCH; `Some(false)`: with PUT of the whole resource;
    /// `None`: as `/ServiceProviderConfig` says.
    pub patch: Option<bool>,
    /// The most group members one PATCH request adds or removes.
    pub member_chunk: usize,
    /// Send PATCH bodies the way Entra's old provisioning did, for targets built against it.
    pub legacy_shapes: bool,
    /// The most requests in flight to the target at once; the client finds out how many the
    /// target takes, up to this.
    pub max_concurrency: usize,
    /// Requests in flight at first.
    pub initial_concurrency: usize,
    /// How long one request may take.
    pub timeout_ms: u64,
    /// Tries per request, the first included (at least one).
    pub max_attempts: u32,
    /// The pause after the first transient failure; it doubles each time, with jitter.
    pub backoff_base_ms: u64,
    /// The longest pause between tries.
    pub backoff_cap_ms: u64,
    /// The longest `Retry-After` the client waits out itself; a longer one is returned as a
    /// `RateLimited` error with its `retry_after`, for the engine to retry the work later.
    pub max_retry_after_secs: u64,
}

impl Default for ScimOptions {
    fn default() -> Self {
        ScimOptions {
            patch: None,
            member_chunk: 100,
            legacy_shapes: false,
            max_concurrency: 8,
            initial_concurrency: 4,
            timeout_ms: 30_000,
            max_attempts: 3,
            backoff_base_ms: 200,
            backoff_cap_ms: 5_000,
            max_retry_after_secs: 60,
        }
    }
}

impl ScimOptions {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }

    pub fn backoff_base(&self) -> Duration {
        Duration::from_millis(self.backoff_base_ms)
    }

    pub fn backoff_cap(&self) -> Duration {
        Duration::from_millis(self.backoff_cap_ms)
    }

    pub fn max_retry_after(&self) -> Duration {
        Duration::from_secs(self.max_retry_after_secs)
    }

    /// Zeros that would stall the client raised to one.
    pub(crate) fn sane(mut self) -> Self {
        self.member_chunk = self.member_chunk.max(1);
        self.max_concurrency = self.max_concurrency.max(1);
        self.initial_concurrency = self.initial_concurrency.clamp(1, self.max_concurrency);
        self.max_attempts = self.max_attempts.max(1);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_settings_name_only_what_they_change() {
        let o: ScimOptions =
            serde_json::from_str(r#"{"legacy_shapes": true, "patch": false}"#).unwrap();
        assert_eq!(
            o,
            ScimOptions {
                legacy_shapes: true,
                patch: Some(false),
                ..ScimOptions::default()
            }
        );
        let zeros = ScimOptions {
            member_chunk: 0,
            max_concurrency: 0,
            max_attempts: 0,
            ..ScimOptions::default()
        }
        .sane();
        assert_eq!(
            (
                zeros.member_chunk,
                zeros.max_concurrency,
                zeros.initial_concurrency,
                zeros.max_attempts
            ),
            (1, 1, 1, 1)
        );
    }
}
