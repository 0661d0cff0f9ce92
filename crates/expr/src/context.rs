//! What evaluation needs from the world besides attributes: the time (`Now`), randomness
//! (`Guid`, `RandomString`) and the target's answer to "is this value already taken?"
//! (`SelectUniqueValue`). The crate has no clock, no entropy source and no IO of its own; the
//! caller provides them through [`EvalContext`], so the server can use the real clock, a CSPRNG
//! and a query against the target, while tests, the CLI and the browser preview are
//! deterministic.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

/// The caller-supplied environment of one evaluation.
pub trait EvalContext {
    /// The current time, for `Now()`.
    fn now(&self) -> DateTime<Utc>;

    /// 64 random bits, for `Guid()` and `RandomString()`. Production callers should back this
    /// with a cryptographically secure generator: `RandomString` is used for initial passwords.
    fn random_u64(&mut self) -> u64;

    /// Whether `candidate` is not yet used in the target, for `SelectUniqueValue`.
    fn is_unique(&mut self, candidate: &str) -> bool;
}

/// A deterministic context: a fixed time, a seeded pseudo-random sequence (SplitMix64) and a set
/// of values the "target" already holds. For tests, the CLI and the browser preview; never for
/// generating real passwords.
#[derive(Debug, Clone)]
pub struct FixedContext {
    pub now: DateTime<Utc>,
    pub state: u64,
    pub taken: HashSet<String>,
}

impl FixedContext {
    pub fn new(now: DateTime<Utc>, seed: u64) -> Self {
        FixedContext {
            now,
            state: seed,
            taken: HashSet::new(),
        }
    }

    /// Marks values as already present in the target.
    pub fn with_taken<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.taken.extend(values.into_iter().map(Into::into));
        self
    }
}

impl Default for FixedContext {
    /// 1 January 2000, midnight UTC, seed 0.
    fn default() -> Self {
        FixedContext::new(
            DateTime::<Utc>::from_timestamp(946_684_800, 0).unwrap_or_default(),
            0,
        )
    }
}

impl EvalContext for FixedContext {
    fn now(&self) -> DateTime<Utc> {
        self.now
    }

    fn random_u64(&mut self) -> u64 {
        // SplitMix64: tiny, fast, and good enough to look random in a preview.
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn is_unique(&mut self, candidate: &str) -> bool {
        !self.taken.contains(candidate)
    }
}

/// A uniformly distributed number below `bound` (which must be non-zero), by rejection so no
/// value is favoured.
pub(crate) fn random_below(ctx: &mut dyn EvalContext, bound: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let r = ctx.random_u64();
        if r < zone {
            return r % bound;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let mut a = FixedContext::default();
        let mut b = FixedContext::default();
        let xs: Vec<u64> = (0..5).map(|_| a.random_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.random_u64()).collect();
        assert_eq!(xs, ys);
        assert!(xs.windows(2).all(|w| w[0] != w[1]));
        for _ in 0..1000 {
            assert!(random_below(&mut a, 7) < 7);
        }
        let mut c = FixedContext::default().with_taken(["john.smith@contoso.com"]);
        assert!(!c.is_unique("john.smith@contoso.com"));
        assert!(c.is_unique("j.smith@contoso.com"));
    }
}
