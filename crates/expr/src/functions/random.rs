//! `Guid` and `RandomString`, drawing every random bit from the caller's `EvalContext`.

use crate::context::{random_below, EvalContext};
use crate::error::EvalError;

/// A version 4 (random) GUID in the usual lower-case 8-4-4-4-12 form.
pub fn guid(ctx: &mut dyn EvalContext) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&ctx.random_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&ctx.random_u64().to_le_bytes());
    bytes[6] = (bytes[6] & 0x0F) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3F) | 0x80; // RFC 4122 variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Longest string `RandomString` makes (Entra's documented maximum).
pub const MAX_RANDOM_STRING: i64 = 256;

/// The character classes of Windows' password complexity rules, which Microsoft's
/// `RandomString` documentation points to.
pub const DIGITS: &str = "0123456789";
pub const SPECIAL: &str = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/";
pub const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

/// `RandomString(length, minNumbers, minSpecial, minCapital, minLower, charsToAvoid)`.
/// The minimums are met first, the rest is drawn from all allowed characters, then the whole
/// is shuffled so the required characters are not at predictable places.
pub fn random_string(
    ctx: &mut dyn EvalContext,
    [length, min_numbers, min_special, min_capital, min_lower]: [i64; 5],
    avoid: &str,
) -> Result<String, EvalError> {
    let invalid = |message: String| EvalError::InvalidArgument {
        function: "RandomString",
        message,
    };
    if !(1..=MAX_RANDOM_STRING).contains(&length) {
        return Err(invalid(format!(
            "length must be between 1 and {MAX_RANDOM_STRING}, got {length}"
        )));
    }
    let mins = [min_numbers, min_special, min_capital, min_lower];
    if mins.iter().any(|&m| m < 0) {
        return Err(invalid("minimums cannot be negative".into()));
    }
    let required: i64 = mins.iter().sum();
    if required > length {
        return Err(invalid(format!(
            "the minimums add up to {required}, more than the length {length}"
        )));
    }
    let pools: Vec<Vec<char>> = [DIGITS, SPECIAL, UPPER, LOWER]
        .iter()
        .map(|class| class.chars().filter(|c| !avoid.contains(*c)).collect())
        .collect();
    let names = [
        "numbers",
        "special characters",
        "capital letters",
        "lower-case letters",
    ];
    let mut out: Vec<char> = Vec::with_capacity(length as usize);
    for ((pool, &min), name) in pools.iter().zip(&mins).zip(names) {
        if min > 0 && pool.is_empty() {
            return Err(invalid(format!(
                "{min} {name} are required, but charsToAvoid excludes them all"
            )));
        }
        for _ in 0..min {
            out.push(pool[random_below(ctx, pool.len() as u64) as usize]);
        }
    }
    let all: Vec<char> = pools.concat();
    if all.is_empty() && (out.len() as i64) < length {
        return Err(invalid("charsToAvoid excludes every character".into()));
    }
    while (out.len() as i64) < length {
        out.push(all[random_below(ctx, all.len() as u64) as usize]);
    }
    for i in (1..out.len()).rev() {
        let j = random_below(ctx, i as u64 + 1) as usize;
        out.swap(i, j);
    }
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::FixedContext;

    #[test]
    fn guid_shape() {
        let mut ctx = FixedContext::default();
        let g = guid(&mut ctx);
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        assert!(matches!(&g[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(g, guid(&mut ctx));
    }

    #[test]
    fn random_string_meets_its_rules() {
        let mut ctx = FixedContext::default();
        let count = |s: &str, class: &str| s.chars().filter(|c| class.contains(*c)).count();
        // Microsoft's examples: RandomString(6,3,0,0,3) and RandomString(10,2,2,2,1,"?,").
        for _ in 0..50 {
            let s = random_string(&mut ctx, [6, 3, 0, 0, 3], "").unwrap();
            assert_eq!(s.chars().count(), 6);
            assert!(count(&s, DIGITS) >= 3 && count(&s, LOWER) >= 3, "{s}");
            let s = random_string(&mut ctx, [10, 2, 2, 2, 1], "?,").unwrap();
            assert_eq!(s.chars().count(), 10);
            assert!(count(&s, DIGITS) >= 2 && count(&s, SPECIAL) >= 2, "{s}");
            assert!(count(&s, UPPER) >= 2 && count(&s, LOWER) >= 1, "{s}");
            assert!(!s.contains('?') && !s.contains(','), "{s}");
        }
        let errors: [([i64; 5], &str); 5] = [
            ([257, 0, 0, 0, 0], ""),
            ([0, 0, 0, 0, 0], ""),
            ([4, 2, 2, 2, 0], ""),
            ([4, -1, 0, 0, 0], ""),
            ([4, 1, 0, 0, 0], DIGITS),
        ];
        for (n, avoid) in errors {
            assert!(random_string(&mut ctx, n, avoid).is_err(), "{n:?}");
        }
        assert_eq!(
            random_string(&mut ctx, [256, 0, 0, 0, 0], "")
                .unwrap()
                .chars()
                .count(),
            256
        );
    }
}
