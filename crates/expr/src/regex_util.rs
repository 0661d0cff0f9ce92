//! How every regular expression in the crate is compiled: with the `regex` crate (finite
//! automata, so matching is linear in the input and hostile patterns cannot backtrack
//! catastrophically) and with size limits, so a pattern cannot make the service allocate
//! without bound either. Entra uses .NET regexes; the common syntax (classes, `\d`, `\s`,
//! named groups `(?<name>…)`, anchors, counted repetition) is the same. Look-around and
//! back-references are not available and are reported as errors.

use regex::{Regex, RegexBuilder};

/// Longest pattern accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 1_000;
/// Limit on the compiled program, in bytes.
pub const COMPILED_SIZE_LIMIT: usize = 1 << 20;
/// Limit on the lazy DFA cache per regex, in bytes.
pub const DFA_SIZE_LIMIT: usize = 2 << 20;

/// Compiles `pattern`, case-sensitive and unanchored, as .NET's `Regex.IsMatch` would use it.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    let length = pattern.chars().count();
    if length > MAX_PATTERN_CHARS {
        return Err(format!(
            "the pattern is {length} characters long; the limit is {MAX_PATTERN_CHARS}"
        ));
    }
    RegexBuilder::new(pattern)
        .size_limit(COMPILED_SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .nest_limit(64)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => {
                format!("the pattern compiles to more than {limit} bytes; simplify it")
            }
            // The syntax error text spans several lines with a caret diagram; keep its last,
            // explanatory line for one-line UI messages.
            other => other
                .to_string()
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid pattern")
                .trim()
                .trim_start_matches("error: ")
                .to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotnet_style_patterns_compile() {
        for p in [
            r"\+(?<isdCode>\d* )(?<phoneNumber>\d{10})",
            r"[()\s-]+",
            r"(?<streetNumber>^\d*)",
            r"(?<Suffix>@(.)*)",
            r"[a-zA-Z_]*",
            r".*\@domain.com",
            r"([1-9][0-9])",
            r"(1[0-9][0-9][0-9][0-9][0-9][0-9])",
        ] {
            assert!(compile(p).is_ok(), "{p}: {:?}", compile(p).err());
        }
    }

    #[test]
    fn unsupported_and_oversized_patterns_are_refused() {
        let err = compile(r"(a)\1").unwrap_err();
        assert!(err.contains("backreferences"), "{err}");
        assert!(compile(r"(?=a)").is_err());
        assert!(compile(&"a".repeat(MAX_PATTERN_CHARS + 1)).is_err());
        let err = compile(r"\w{1000}\w{1000}\w{1000}").unwrap_err();
        assert!(err.contains("bytes"), "{err}");
    }
}
