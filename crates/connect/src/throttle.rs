//! Keeping the load on one target what it can take, for every caller of one client at once:
//! an AIMD concurrency limit, a "not before" instant set by `Retry-After`, jittered
//! exponential backoff, and the counters [`ScimStats`] reports.
//!
//! The limit starts low and grows by one after a run of successes as long as the limit
//! itself, and halves on a sign of overload (429, 5xx, timeout): TCP's congestion control,
//! which finds a target's capacity without being told it. Only the first overload signal of
//! a generation halves: requests already in flight when the limit was cut report the same
//! overload again, and counting them would collapse the limit to one on a single burst.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What one client has done so far, for the engine's log and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimStats {
    /// The concurrency limit now.
    pub limit: usize,
    /// Requests sent (retries included).
    pub requests: u64,
    /// Requests sent again after a transient failure.
    pub retries: u64,
    /// 429 answers received.
    pub throttled: u64,
    /// Time spent waiting for `Retry-After` and backoff, summed over all callers.
    pub waited: Duration,
}

impl std::fmt::Display for ScimStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "limit {}, {} requests, {} retries, {} throttled (429), waited {:.1} s",
            self.limit,
            self.requests,
            self.retries,
            self.throttled,
            self.waited.as_secs_f64()
        )
    }
}

struct LimiterState {
    limit: usize,
    /// Permits to take out of circulation as they come back: the limit was cut while they
    /// were held.
    debt: usize,
    /// Successes since the limit last changed.
    successes: usize,
    /// Bumped at every cut; a permit remembers the generation it was taken in.
    generation: u64,
}

/// The shared state of one target.
pub(crate) struct Throttle {
    semaphore: Arc<Semaphore>,
    max: usize,
    state: Mutex<LimiterState>,
    not_before: Mutex<Option<Instant>>,
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    waited_micros: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A slot to send one request; give it back with [`Permit::succeeded`] or
/// [`Permit::overloaded`] (dropping it says nothing about the target).
pub(crate) struct Permit {
    permit: Option<OwnedSemaphorePermit>,
    throttle: Arc<Throttle>,
    generation: u64,
}

impl Throttle {
    pub fn new(initial: usize, max: usize) -> Arc<Throttle> {
        let max = max.max(1);
        let initial = initial.clamp(1, max);
        Arc::new(Throttle {
            semaphore: Arc::new(Semaphore::new(initial)),
            max,
            state: Mutex::new(LimiterState {
                limit: initial,
                debt: 0,
                successes: 0,
                generation: 0,
            }),
            not_before: Mutex::new(None),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            waited_micros: AtomicU64::new(0),
        })
    }

    /// Waits for a free slot (first come, first served).
    pub async fn acquire(self: &Arc<Self>) -> Permit {
        // The semaphore is never closed, so the error cannot happen; without a permit the
        // request still goes out rather than failing.
        let permit = self.semaphore.clone().acquire_owned().await.ok();
        let generation = lock(&self.state).generation;
        Permit {
            permit,
            throttle: self.clone(),
            generation,
        }
    }

    /// Waits until the target's "not before" instant has passed. `Err(left)` instead of
    /// waiting when that is more than `max_wait` away: the caller hands the wait back.
    pub async fn wait_turn(&self, max_wait: Duration) -> Result<(), Duration> {
        loop {
            let until = *lock(&self.not_before);
            let now = Instant::now();
            match until {
                Some(until) if until > now => {
                    let left = until - now;
                    if left > max_wait {
                        return Err(left);
                    }
                    tokio::time::sleep_until(until.into()).await;
                    self.add_waited(left);
                }
                _ => return Ok(()),
            }
        }
    }

    /// No request before `until` (a later instant already set stays).
    pub fn hold_off(&self, until: Instant) {
        let mut not_before = lock(&self.not_before);
        if not_before.is_none_or(|t| t < until) {
            *not_before = Some(until);
        }
    }

    pub fn add_waited(&self, d: Duration) {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.waited_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stats(&self) -> ScimStats {
        ScimStats {
            limit: lock(&self.state).limit,
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            waited: Duration::from_micros(self.waited_micros.load(Ordering::Relaxed)),
        }
    }

    fn on_success(&self) {
        let mut s = lock(&self.state);
        s.successes += 1;
        if s.successes >= s.limit && s.limit < self.max {
            s.limit += 1;
            s.successes = 0;
            if s.debt > 0 {
                s.debt -= 1;
            } else {
                self.semaphore.add_permits(1);
            }
        }
    }

    fn on_overload(&self, generation: u64) {
        let mut s = lock(&self.state);
        if generation != s.generation {
            return;
        }
        s.generation += 1;
        s.successes = 0;
        let new_limit = (s.limit / 2).max(1);
        s.debt += s.limit - new_limit;
        s.limit = new_limit;
        let forgotten = self.semaphore.forget_permits(s.debt);
        s.debt -= forgotten;
    }
}

impl Permit {
    pub fn succeeded(self) {
        self.throttle.on_success();
    }

    pub fn overloaded(self) {
        self.throttle.on_overload(self.generation);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        let mut s = lock(&self.throttle.state);
        if s.debt > 0 {
            s.debt -= 1;
            permit.forget();
        } else {
            drop(permit);
        }
    }
}

/// The pause before try number `attempt + 1` (1-based `attempt`): `base · 2^(attempt-1)`,
/// at most `cap`, of which the upper half is random so that callers failing together do not
/// come back together.
pub(crate) fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exponential = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(cap);
    let half = exponential / 2;
    half + half.mul_f64(jitter())
}

/// A number in [0, 1) that differs between calls: a hash of a counter and the clock with
/// the standard library's randomly keyed hasher. Not cryptographic, and need not be.
fn jitter() -> f64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    h.write_u128(nanos);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A `Retry-After` value (RFC 9110 §10.2.3): seconds, or an HTTP-date, read against `now`.
/// A date in the past is no wait; anything else unreadable is `None`.
pub(crate) fn parse_retry_after(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // Not in the RFC, but some targets send fractions; read them rather than ignore the ask.
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        at.signed_duration_since(now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .to_utc();
        let cases = [
            ("120", Some(Duration::from_secs(120))),
            (" 0 ", Some(Duration::ZERO)),
            ("1.5", Some(Duration::from_millis(1500))),
            (
                "Wed, 21 Oct 2015 07:28:30 GMT",
                Some(Duration::from_secs(30)),
            ),
            ("Wed, 21 Oct 2015 07:27:00 GMT", Some(Duration::ZERO)),
            ("-3", None),
            ("soon", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_retry_after(text, now), expected, "{text}");
        }
    }

    #[test]
    fn backoff_grows_to_the_cap_with_jitter_in_the_upper_half() {
        let (base, cap) = (Duration::from_millis(200), Duration::from_secs(2));
        for (attempt, full) in [
            (1, 200),
            (2, 400),
            (3, 800),
            (4, 1600),
            (5, 2000),
            (40, 2000),
        ] {
            let full = Duration::from_millis(full);
            for _ in 0..50 {
                let d = backoff(attempt, base, cap);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
        let distinct: std::collections::HashSet<_> =
            (0..20).map(|_| backoff(3, base, cap)).collect();
        assert!(distinct.len() > 10, "jitter should vary: {distinct:?}");
    }

    #[tokio::test]
    async fn the_limit_halves_once_per_generation_and_grows_after_successes() {
        let t = Throttle::new(4, 8);
        // Four in flight; all four are throttled: one cut, not four.
        let permits = [
            t.acquire().await,
            t.acquire().await,
            t.acquire().await,
            t.acquire().await,
        ];
        for p in permits {
            p.overloaded();
        }
        assert_eq!(t.stats().limit, 2);
        assert_eq!(t.semaphore.available_permits(), 2);
        // Two successes at limit 2 raise it to 3.
        t.acquire().await.succeeded();
        t.acquire().await.succeeded();
        assert_eq!(t.stats().limit, 3);
        assert_eq!(t.semaphore.available_permits(), 3);
        // A cut while permits are held takes them out as they come back.
        let held = [t.acquire().await, t.acquire().await, t.acquire().await];
        let [a, b, c] = held;
        a.overloaded();
        assert_eq!(t.stats().limit, 1);
        drop(b);
        drop(c);
        assert_eq!(t.semaphore.available_permits(), 1);
        // Never below one.
        t.acquire().await.overloaded();
        assert_eq!(t.stats().limit, 1);
        assert_eq!(t.semaphore.available_permits(), 1);
    }

    #[tokio::test]
    async fn callers_wait_for_the_not_before_instant() {
        let t = Throttle::new(1, 1);
        let start = Instant::now();
        t.hold_off(start + Duration::from_millis(300));
        // An earlier instant does not shorten the wait.
        t.hold_off(start + Duration::from_millis(100));
        let left = t.wait_turn(Duration::from_millis(150)).await.unwrap_err();
        assert!(left > Duration::from_millis(200), "{left:?}");
        t.wait_turn(Duration::from_secs(10)).await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(300));
        assert!(t.stats().waited >= Duration::from_millis(250));
    }
}
