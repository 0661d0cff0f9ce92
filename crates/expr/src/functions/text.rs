//! String functions: `Left`, `Mid`, `InStr`, `Word`, `Split`, `PCase`, `ToLower`/`ToUpper`,
//! `ConvertToBase64`, `ConvertToUTF8Hex`. Positions count Unicode scalar values (.NET counts
//! UTF-16 code units; the two differ only for characters outside the Basic Multilingual Plane,
//! such as emoji). Case mapping is per character (Unicode simple case mapping), as .NET does,
//! so `ToUpper("ß")` stays `ß` and lengths never change.

use crate::catalogue::Function;
use crate::error::EvalError;
use crate::value::Value;

/// A non-negative count as `usize`, saturating (a huge count on a 32-bit target such as wasm32
/// must still mean "all of it", not wrap around).
fn count(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

/// `Left(string, numChars)`: 0 gives "", a negative count gives the whole string.
pub fn left(s: &str, n: i64) -> String {
    if n < 0 {
        return s.to_string();
    }
    s.chars().take(count(n)).collect()
}

/// `Mid(source, start, length)`: 1-based start, clipped at the end.
pub fn mid(s: &str, start: i64, len: i64) -> Result<String, EvalError> {
    if start < 1 {
        return Err(EvalError::InvalidArgument {
            function: "Mid",
            message: format!("start must be 1 or more (the first character is 1), got {start}"),
        });
    }
    if len < 0 {
        return Err(EvalError::InvalidArgument {
            function: "Mid",
            message: format!("length cannot be negative, got {len}"),
        });
    }
    Ok(s.chars().skip(count(start - 1)).take(count(len)).collect())
}

/// Reads InStr's compareType: `vbBinaryCompare`/0 (default, case-sensitive) or
/// `vbTextCompare`/1 (case-insensitive). Returns whether text comparison is wanted.
pub fn compare_mode(f: Function, v: &Value) -> Result<bool, EvalError> {
    let text = match v {
        Value::Null => return Ok(false),
        other => other.as_text().unwrap_or_default().into_owned(),
    };
    match text.trim() {
        "0" | "vbBinaryCompare" => Ok(false),
        "1" | "vbTextCompare" => Ok(true),
        other => Err(EvalError::InvalidArgument {
            function: f.name(),
            message: format!("compareType must be vbBinaryCompare or vbTextCompare, got {other:?}"),
        }),
    }
}

/// `InStr`: 1-based position of `needle` in `haystack` at or after `start`, 0 if absent.
pub fn instr(
    haystack: &str,
    needle: &str,
    start: Option<i64>,
    text_compare: bool,
) -> Result<i64, EvalError> {
    let start = start.unwrap_or(1);
    if start < 1 {
        return Err(EvalError::InvalidArgument {
            function: "InStr",
            message: format!("start must be 1 or more, got {start}"),
        });
    }
    // Folding is per character, so character positions are the same before and after.
    let fold = |s: &str| -> String {
        if text_compare {
            s.chars().map(lower_char).collect()
        } else {
            s.to_string()
        }
    };
    let h = fold(haystack);
    let n = fold(needle);
    let from = count(start - 1);
    let Some((offset, _)) = h.char_indices().chain([(h.len(), ' ')]).nth(from) else {
        return Ok(0);
    };
    if n.is_empty() {
        // As VB: an empty string is found at the start position.
        return Ok(start);
    }
    // `str::find` is linear-time, so long values cannot make this quadratic.
    Ok(h[offset..].find(&n).map_or(0, |p| {
        (from + h[offset..offset + p].chars().count() + 1) as i64
    }))
}

/// `Word(string, wordNumber, delimiters)`: any character of `delimiters` separates words;
/// consecutive delimiters do not make empty words.
pub fn word(s: &str, n: i64, delimiters: &str) -> String {
    if n < 1 {
        return String::new();
    }
    s.split(|c| delimiters.contains(c))
        .filter(|w| !w.is_empty())
        .nth(count(n - 1))
        .unwrap_or("")
        .to_string()
}

/// `Split(source, delimiter)`. Each value is trimmed of surrounding white space, which is what
/// Microsoft's example shows ("PermissionSetOne, PermissionSetTwo" split at "," gives
/// "PermissionSetTwo" without the space).
pub fn split(s: &str, delimiter: &str) -> Value {
    if delimiter.is_empty() {
        return Value::Multi(vec![Value::String(s.trim().to_string())]);
    }
    Value::Multi(
        s.split(delimiter)
            .map(|p| Value::String(p.trim().to_string()))
            .collect(),
    )
}

/// Simple (one-to-one) lower-case mapping of a character.
pub fn lower_char(c: char) -> char {
    if c == '\u{130}' {
        // İ: its simple lower-case mapping is i (the full mapping adds a combining dot).
        return 'i';
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// Simple (one-to-one) upper-case mapping of a character.
pub fn upper_char(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// `ToLower`/`ToUpper` with an optional culture name (RFC 4646, e.g. `en-US`). Only Turkish and
/// Azerbaijani differ from the invariant culture for letters (dotted and dotless i).
pub fn change_case(
    f: Function,
    s: &str,
    culture: Option<&str>,
    upper: bool,
) -> Result<String, EvalError> {
    let turkic = match culture.map(str::trim).filter(|c| !c.is_empty()) {
        None => false,
        Some(c) => {
            let valid = c.split('-').enumerate().all(|(i, part)| {
                let len_ok = if i == 0 {
                    (2..=3).contains(&part.len())
                } else {
                    (2..=8).contains(&part.len())
                };
                len_ok && part.chars().all(|ch| ch.is_ascii_alphanumeric())
            });
            if !valid {
                return Err(EvalError::InvalidArgument {
                    function: f.name(),
                    message: format!("{c:?} is not a culture name such as en-US or tr-TR"),
                });
            }
            let lang = c.split('-').next().unwrap_or("").to_ascii_lowercase();
            lang == "tr" || lang == "az"
        }
    };
    Ok(s.chars()
        .map(|c| match (upper, turkic, c) {
            (true, true, 'i') => '\u{130}',
            (false, true, 'I') => '\u{131}',
            (true, _, c) => upper_char(c),
            (false, _, c) => lower_char(c),
        })
        .collect())
}

/// Whether .NET's `ToTitleCase` treats `c` as a word separator: white space, controls,
/// punctuation and symbols do; letters, digits and combining marks do not.
fn is_default_separator(c: char) -> bool {
    !(c.is_alphanumeric() || is_combining_mark(c))
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// `PCase(source, wordSeparators?)`: the first letter of each word upper-case, the rest lower.
///
/// Without separators it follows .NET's `ToTitleCase` applied to lower-cased text (which is why
/// all-caps words are converted too, as Microsoft's example shows): words start at the first
/// letter after any separator character, an apostrophe inside a word does not start a new
/// word, and a letter after a digit starts one ("1st" → "1St", as .NET does).
/// With separators, only those characters separate words.
pub fn pcase(s: &str, separators: Option<&str>) -> String {
    let mut out = String::with_capacity(s.len());
    match separators {
        Some(seps) => {
            let mut at_start = true;
            for c in s.chars() {
                if seps.contains(c) {
                    at_start = true;
                    out.push(c);
                } else if at_start {
                    out.push(upper_char(c));
                    at_start = false;
                } else {
                    out.push(lower_char(c));
                }
            }
        }
        None => {
            let chars: Vec<char> = s.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                let c = chars[i];
                if c.is_alphabetic() {
                    out.push(upper_char(c));
                    i += 1;
                    while i < chars.len() {
                        let c = chars[i];
                        if c.is_alphabetic() || c == '\'' || c == '\u{2019}' {
                            out.push(lower_char(c));
                        } else if c.is_numeric() || is_combining_mark(c) {
                            out.push(c);
                            // A digit ends the run of lower-casing, as in .NET.
                            if c.is_numeric() {
                                i += 1;
                                break;
                            }
                        } else if is_default_separator(c) {
                            break;
                        } else {
                            out.push(c);
                        }
                        i += 1;
                    }
                } else {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }
    out
}

/// `ConvertToBase64`: base64 (standard alphabet, padded) of the UTF-16LE bytes, as .NET's
/// `Convert.ToBase64String(Encoding.Unicode.GetBytes(s))`.
pub fn base64_utf16le(s: &str) -> String {
    let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64(&bytes)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `ConvertToUTF8Hex`: upper-case hex of the UTF-8 bytes.
pub fn utf8_hex(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        let _ = write!(out, "{b:02X}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_table() {
        let cases = [
            ("John Doe", 3, "Joh"),
            ("John Doe", 0, ""),
            ("John Doe", -1, "John Doe"),
            ("Jo", 5, "Jo"),
            ("", 2, ""),
            ("Zoë", 3, "Zoë"),
            ("John", i64::MAX, "John"),
            ("John", 1 << 40, "John"),
        ];
        for (s, n, want) in cases {
            assert_eq!(left(s, n), want, "Left({s:?}, {n})");
        }
    }

    #[test]
    fn mid_table() {
        let cases = [
            ("John", 1, 3, Ok("Joh")),
            ("Doe", 1, 5, Ok("Doe")),
            ("John", 2, 2, Ok("oh")),
            ("John", 5, 2, Ok("")),
            ("John", 3, 0, Ok("")),
            ("John", 0, 2, Err(())),
            ("John", 1, -1, Err(())),
        ];
        for (s, start, len, want) in cases {
            let got = mid(s, start, len).map_err(|_| ());
            assert_eq!(
                got.as_deref(),
                want.as_deref(),
                "Mid({s:?}, {start}, {len})"
            );
        }
    }

    #[test]
    fn instr_table() {
        let cases = [
            ("The quick brown fox", "quick", None, false, 5),
            ("repEated", "e", Some(3), false, 7),
            ("repEated", "e", Some(3), true, 4),
            ("abc", "z", None, false, 0),
            ("abc", "", Some(2), false, 2),
            ("abc", "c", Some(9), false, 0),
            ("éa", "a", None, false, 2),
        ];
        for (h, n, start, text, want) in cases {
            assert_eq!(
                instr(h, n, start, text).unwrap(),
                want,
                "InStr({h:?}, {n:?}, {start:?})"
            );
        }
        assert!(instr("abc", "a", Some(0), false).is_err());
    }

    #[test]
    fn word_table() {
        let cases = [
            ("The quick brown fox", 3, " ", "brown"),
            ("This,string!has&many separators", 3, ",!&#", "has"),
            (
                "This,string!has&many separators",
                4,
                ",!&#",
                "many separators",
            ),
            ("a,,b", 2, ",", "b"),
            ("a b", 0, " ", ""),
            ("a b", 3, " ", ""),
            ("", 1, " ", ""),
        ];
        for (s, n, d, want) in cases {
            assert_eq!(word(s, n, d), want, "Word({s:?}, {n}, {d:?})");
        }
    }

    #[test]
    fn split_table() {
        let s = |v: &[&str]| Value::Multi(v.iter().map(|x| Value::from(*x)).collect());
        assert_eq!(
            split("PermissionSetOne, PermissionSetTwo", ","),
            s(&["PermissionSetOne", "PermissionSetTwo"])
        );
        assert_eq!(split("a||b", "||"), s(&["a", "b"]));
        assert_eq!(split("a,,b", ","), s(&["a", "", "b"]));
        assert_eq!(split("abc", ""), s(&["abc"]));
    }

    #[test]
    fn pcase_table() {
        let cases = [
            ("PABLO GONSALVES (SECOND)", None, "Pablo Gonsalves (Second)"),
            ("PINTO-DE'SILVA", Some(" '-"), "Pinto-De'Silva"),
            ("GREGORY JAMES", None, "Gregory James"),
            ("o'neil mcdonald", None, "O'neil Mcdonald"),
            ("jean-luc picard", None, "Jean-Luc Picard"),
            ("über_straße", None, "Über_Straße"),
            ("1st street", None, "1St Street"),
            ("hello\tworld", None, "Hello\tWorld"),
            ("a.b", Some(""), "A.b"),
        ];
        for (s, seps, want) in cases {
            assert_eq!(pcase(s, seps), want, "PCase({s:?}, {seps:?})");
        }
    }

    #[test]
    fn case_table() {
        let cases = [
            (
                "John.Smith@Contoso.com",
                None,
                false,
                "john.smith@contoso.com",
            ),
            ("straße", None, true, "STRAßE"),
            ("istanbul", Some("tr-TR"), true, "İSTANBUL"),
            ("ISPARTA", Some("tr-TR"), false, "ısparta"),
            ("istanbul", Some("en-US"), true, "ISTANBUL"),
            ("İ", None, false, "i"),
        ];
        for (s, culture, upper, want) in cases {
            assert_eq!(
                change_case(Function::ToLower, s, culture, upper).unwrap(),
                want,
                "{s:?} {culture:?}"
            );
        }
        assert!(change_case(Function::ToLower, "x", Some("not a culture!"), false).is_err());
    }

    #[test]
    fn encodings() {
        assert_eq!(
            base64_utf16le("Hello world!"),
            "SABlAGwAbABvACAAdwBvAHIAbABkACEA"
        );
        assert_eq!(base64_utf16le(""), "");
        assert_eq!(base64_utf16le("a"), "YQA=");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(utf8_hex("Hello world!"), "48656C6C6F20776F726C6421");
        assert_eq!(utf8_hex("é"), "C3A9");
    }
}
