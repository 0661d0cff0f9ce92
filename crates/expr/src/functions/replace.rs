//! `Replace` and its five modes, chosen by which of its seven arguments are present (not by
//! their values, so the mode is known when the expression is parsed):
//!
//! | present                                        | mode        | result                                   |
//! |------------------------------------------------|-------------|------------------------------------------|
//! | oldValue, template                             | Template    | template with oldValue replaced by source |
//! | oldValue, replacementValue                     | Literal     | source with oldValue replaced             |
//! | regexPattern, regexGroupName, replacementAttributeName | Fallback | source if it has a value, else the group's match in the attribute |
//! | regexPattern, regexGroupName, replacementValue | RegexGroup  | source with each match's group replaced   |
//! | regexPattern, replacementValue                 | Regex       | source with each match replaced, `${group}` expanded |
//!
//! Replacement text follows .NET's substitution syntax: `$1`, `${name}`, `$$`, `$&`, `` $` ``,
//! `$'`, `$+`, `$_`.

use regex::{Captures, Regex};

use crate::error::EvalError;
use crate::eval::{too_large, MAX_VALUE_BYTES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Literal,
    Template,
    Regex,
    RegexGroup,
    Fallback,
    Invalid(&'static str),
}

const OLD: usize = 1;
const PATTERN: usize = 2;
const GROUP: usize = 3;
const REPLACEMENT: usize = 4;
const ATTRIBUTE: usize = 5;
const TEMPLATE: usize = 6;

impl Mode {
    /// The mode for the arguments `present` says are given (0-based positions).
    pub fn select(present: impl Fn(usize) -> bool) -> Mode {
        if present(OLD) {
            if present(TEMPLATE) {
                Mode::Template
            } else if present(REPLACEMENT) {
                Mode::Literal
            } else {
                Mode::Invalid("with oldValue, give replacementValue or template")
            }
        } else if present(PATTERN) {
            match (present(GROUP), present(REPLACEMENT), present(ATTRIBUTE)) {
                (true, _, true) => Mode::Fallback,
                (true, true, false) => Mode::RegexGroup,
                (false, true, _) => Mode::Regex,
                (true, false, false) => Mode::Invalid(
                    "with regexGroupName, give replacementValue or replacementAttributeName",
                ),
                (false, false, _) => Mode::Invalid("with regexPattern, give replacementValue"),
            }
        } else {
            Mode::Invalid("give oldValue or regexPattern")
        }
    }
}

/// Replaces every occurrence of `old` (case-sensitive). An empty `old` changes nothing.
/// Refuses results over [`MAX_VALUE_BYTES`] before building them: nested replacements can
/// otherwise grow a value exponentially.
pub fn literal(s: &str, old: &str, new: &str) -> Result<String, EvalError> {
    if old.is_empty() {
        return Ok(s.to_string());
    }
    let count = s.matches(old).count();
    let size = (s.len() - count * old.len()).saturating_add(count.saturating_mul(new.len()));
    if size > MAX_VALUE_BYTES {
        return Err(too_large("Replace"));
    }
    Ok(s.replace(old, new))
}

/// Writes `replacement` for one match, expanding .NET substitutions.
fn expand(caps: &Captures<'_>, input: &str, replacement: &str, out: &mut String) {
    let whole = caps.get(0);
    let mut rest = replacement;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let mut consumed = 1; // the '$'
        match after.chars().next() {
            Some('$') => {
                out.push('$');
                consumed += 1;
            }
            Some('&') => {
                out.push_str(whole.map_or("", |m| m.as_str()));
                consumed += 1;
            }
            Some('`') => {
                out.push_str(&input[..whole.map_or(0, |m| m.start())]);
                consumed += 1;
            }
            Some('\'') => {
                out.push_str(&input[whole.map_or(input.len(), |m| m.end())..]);
                consumed += 1;
            }
            Some('_') => {
                out.push_str(input);
                consumed += 1;
            }
            Some('+') => {
                let last = (1..caps.len()).rev().find_map(|g| caps.get(g));
                out.push_str(last.map_or("", |m| m.as_str()));
                consumed += 1;
            }
            Some('{') => match after.find('}') {
                Some(close) if group_exists(caps, &after[1..close]) => {
                    out.push_str(group_text(caps, &after[1..close]).unwrap_or(""));
                    consumed += close + 1;
                }
                // Not a group: .NET keeps the text as written.
                _ => out.push('$'),
            },
            Some(c) if c.is_ascii_digit() => {
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                // The longest prefix of the digits that names a group, as .NET does.
                let found = (1..=digits)
                    .rev()
                    .find(|&n| group_exists(caps, &after[..n]));
                match found {
                    Some(n) => {
                        out.push_str(group_text(caps, &after[..n]).unwrap_or(""));
                        consumed += n;
                    }
                    None => out.push('$'),
                }
            }
            _ => out.push('$'),
        }
        rest = &rest[i + consumed..];
    }
    out.push_str(rest);
}

fn group_exists(caps: &Captures<'_>, name: &str) -> bool {
    match name.parse::<usize>() {
        Ok(n) => n < caps.len(),
        // `None` both for an unknown group and for one that did not take part in the match;
        // `expand_with_names` has already removed the latter.
        Err(_) => caps.name(name).is_some(),
    }
}

fn group_text<'h>(caps: &Captures<'h>, name: &str) -> Option<&'h str> {
    match name.parse::<usize>() {
        Ok(n) => caps.get(n).map(|m| m.as_str()),
        Err(_) => caps.name(name).map(|m| m.as_str()),
    }
}

/// Regex mode: every match replaced by the expanded replacement.
pub fn regex_replace(re: &Regex, s: &str, replacement: &str) -> Result<String, EvalError> {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        expand_with_names(re, &caps, s, replacement, &mut out);
        if out.len() > MAX_VALUE_BYTES {
            return Err(too_large("Replace"));
        }
        last = m.end();
    }
    out.push_str(&s[last..]);
    Ok(out)
}

/// Like [`expand`], but `${name}` of a group the pattern defines always expands (to "" if the
/// group did not take part in the match).
fn expand_with_names(
    re: &Regex,
    caps: &Captures<'_>,
    input: &str,
    replacement: &str,
    out: &mut String,
) {
    if !replacement.contains("${") {
        return expand(caps, input, replacement, out);
    }
    let mut adjusted = String::with_capacity(replacement.len());
    let mut rest = replacement;
    while let Some(i) = rest.find("${") {
        adjusted.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                let defined = re.capture_names().flatten().any(|n| n == name);
                if defined && caps.name(name).is_none() {
                    // Defined but unmatched: expands to nothing.
                } else {
                    adjusted.push_str(&rest[i..i + 2 + close + 1]);
                }
                rest = &after[close + 1..];
            }
            None => {
                adjusted.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    adjusted.push_str(rest);
    expand(caps, input, &adjusted, out)
}

fn group_index(re: &Regex, group: &str) -> Result<usize, EvalError> {
    let by_name = re.capture_names().position(|n| n == Some(group));
    let by_number = group
        .parse::<usize>()
        .ok()
        .filter(|&n| n < re.captures_len());
    by_name
        .or(by_number)
        .ok_or_else(|| EvalError::InvalidArgument {
            function: "Replace",
            message: format!(
                "regexGroupName {group:?} is not a group of the pattern {:?}",
                re.as_str()
            ),
        })
}

/// RegexGroup mode: in every match, the text of `group` is replaced by `replacement`.
pub fn group_replace(
    re: &Regex,
    s: &str,
    group: &str,
    replacement: &str,
) -> Result<String, EvalError> {
    let g = group_index(re, group)?;
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get(g) else { continue };
        out.push_str(&s[last..m.start()]);
        expand_with_names(re, &caps, s, replacement, &mut out);
        if out.len() > MAX_VALUE_BYTES {
            return Err(too_large("Replace"));
        }
        last = m.end();
    }
    out.push_str(&s[last..]);
    Ok(out)
}

/// Fallback mode: the text of `group` in the first match in `s`, if any.
pub fn group_extract(re: &Regex, s: &str, group: &str) -> Result<Option<String>, EvalError> {
    let g = group_index(re, group)?;
    Ok(re
        .captures(s)
        .and_then(|caps| caps.get(g))
        .map(|m| m.as_str().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regex_util::compile;

    #[test]
    fn mode_table() {
        // Positions present -> mode.
        let cases: [(&[usize], Mode); 8] = [
            (&[0, 1, 4], Mode::Literal),
            (&[0, 1, 6], Mode::Template),
            (&[0, 1, 4, 6], Mode::Template),
            (&[0, 2, 4], Mode::Regex),
            (&[0, 2, 3, 4], Mode::RegexGroup),
            (&[0, 2, 3, 5], Mode::Fallback),
            (
                &[0, 1],
                Mode::Invalid("with oldValue, give replacementValue or template"),
            ),
            (&[0], Mode::Invalid("give oldValue or regexPattern")),
        ];
        for (present, want) in cases {
            assert_eq!(Mode::select(|i| present.contains(&i)), want, "{present:?}");
        }
    }

    #[test]
    fn substitutions() {
        let re = compile(r"(?<first>\w+) (?<last>\w+)").unwrap();
        let cases = [
            ("${last}, ${first}", "Doe, John!"),
            ("$2 $1", "Doe John!"),
            ("$$1", "$1!"),
            ("[$&]", "[John Doe]!"),
            ("$+", "Doe!"),
            ("${nope}", "${nope}!"),
            ("$9", "$9!"),
            ("cost: $", "cost: $!"),
            ("$'|$`", "!|!"),
            ("$_", "John Doe!!"),
        ];
        for (replacement, want) in cases {
            assert_eq!(
                regex_replace(&re, "John Doe!", replacement).unwrap(),
                want,
                "{replacement}"
            );
        }
        let optional = compile(r"(?<a>x)?y").unwrap();
        assert_eq!(regex_replace(&optional, "y", "[${a}]").unwrap(), "[]");
    }

    #[test]
    fn groups() {
        let re = compile(r"(?<streetNumber>^\d*)").unwrap();
        assert_eq!(
            group_replace(&re, "545 Tremont Street", "streetNumber", "888").unwrap(),
            "888 Tremont Street"
        );
        let re = compile(r"(?<Suffix>@(.)*)").unwrap();
        assert_eq!(
            group_replace(&re, "jsmith@contoso.com", "Suffix", "").unwrap(),
            "jsmith"
        );
        assert!(group_replace(&re, "x", "Nope", "").is_err());
        let re = compile(r"\+(?<isdCode>\d* )(?<phoneNumber>\d{10})").unwrap();
        assert_eq!(
            group_extract(&re, "+91 8887779999", "phoneNumber")
                .unwrap()
                .as_deref(),
            Some("8887779999")
        );
        assert_eq!(group_extract(&re, "none", "phoneNumber").unwrap(), None);
        assert_eq!(
            group_extract(&re, "+91 8887779999", "1")
                .unwrap()
                .as_deref(),
            Some("91 ")
        );
    }
}
