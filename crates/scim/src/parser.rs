//! The lexer and recursive-descent parser for filters (RFC 7644 §3.4.2.2), PATCH paths
//! (§3.5.2) and attribute paths.
//!
//! Grammar, with `and` binding tighter than `or`:
//!
//! ```text
//! filter    = and-expr *("or" and-expr)
//! and-expr  = term *("and" term)
//! term      = "(" filter ")" / "not" "(" filter ")" / attrPath "[" valFilter "]" ["." name cond]
//!           / attrPath cond
//! cond      = "pr" / compareOp compValue
//! patchPath = attrPath ["[" valFilter "]" ["." name]]
//! ```
//!
//! Keywords (`and`, `or`, `not`, operators, `true`, `false`, `null`) are case-insensitive and
//! only keywords where the grammar expects them, so an attribute may be called `not` or `pr`.
//! White space between tokens is optional where the grammar is unambiguous (`not(` and
//! `[type eq "work"]` both parse); the RFC's single spaces are what `Display` prints.

use serde_json::Number;

use crate::error::{ParseError, ParseErrorKind};
use crate::filter::{
    CompValue, CompareOp, Condition, Filter, SubAttrCondition, MAX_DEPTH, MAX_LENGTH,
};
use crate::path::{AttrPath, PatchPath};

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Word(&'a str),
    Str(String),
    Num(Number),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    Eof,
}

#[derive(Debug, Clone)]
struct Token<'a> {
    tok: Tok<'a>,
    start: usize,
}

fn describe(tok: &Tok<'_>) -> String {
    match tok {
        Tok::Word(w) => format!("{w:?}"),
        Tok::Str(_) => "a string".to_owned(),
        Tok::Num(n) => format!("number {n}"),
        Tok::LParen => "(".to_owned(),
        Tok::RParen => ")".to_owned(),
        Tok::LBracket => "[".to_owned(),
        Tok::RBracket => "]".to_owned(),
        Tok::Dot => ".".to_owned(),
        Tok::Eof => "end of text".to_owned(),
    }
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '$'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '$')
}

fn lex(src: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        let start = i;
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '(' | ')' | '[' | ']' | '.' => {
                let tok = match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBracket,
                    ']' => Tok::RBracket,
                    _ => Tok::Dot,
                };
                tokens.push(Token { tok, start });
                i += 1;
            }
            '"' => {
                let (s, end) = lex_string(src, i)?;
                tokens.push(Token {
                    tok: Tok::Str(s),
                    start,
                });
                i = end;
            }
            '-' | '0'..='9' => {
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let text = &src[start..i];
                let n = parse_json_number(text).ok_or_else(|| {
                    ParseError::new(
                        ParseErrorKind::InvalidNumber {
                            text: text.to_owned(),
                        },
                        start,
                    )
                })?;
                tokens.push(Token {
                    tok: Tok::Num(n),
                    start,
                });
            }
            _ if is_word_start(c) => {
                while i < bytes.len() && is_word_char(bytes[i] as char) {
                    i += 1;
                }
                tokens.push(Token {
                    tok: Tok::Word(&src[start..i]),
                    start,
                });
            }
            _ => {
                let found = src[i..].chars().next().unwrap_or(c);
                return Err(ParseError::new(
                    ParseErrorKind::UnexpectedChar {
                        found,
                        expected: "an attribute path, a \"string\", a number, ( ) [ ] or a keyword",
                    },
                    start,
                ));
            }
        }
    }
    tokens.push(Token {
        tok: Tok::Eof,
        start: src.len(),
    });
    Ok(tokens)
}

/// JSON's number grammar exactly (no leading `+`, no leading zeros, digits after `.`).
fn parse_json_number(text: &str) -> Option<Number> {
    let b = text.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_len = i - int_start;
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return None;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return None;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    // Integers stay exact; everything else goes through Rust's correctly rounded f64 parser
    // (serde_json's default one can be off by one ulp, which would break the round trip).
    if let Ok(n) = text.parse::<i64>() {
        return Some(n.into());
    }
    if let Ok(n) = text.parse::<u64>() {
        return Some(n.into());
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// A JSON string starting at `src[start] == '"'`; returns the decoded text and the byte offset
/// after the closing quote.
fn lex_string(src: &str, start: usize) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = src[start + 1..]
        .char_indices()
        .map(|(o, c)| (o + start + 1, c));
    while let Some((pos, c)) = chars.next() {
        match c {
            '"' => return Ok((out, pos + 1)),
            '\\' => {
                let bad = || ParseError::new(ParseErrorKind::InvalidEscape, pos);
                let (_, e) = chars.next().ok_or_else(bad)?;
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => {
                        fn hex4(chars: &mut impl Iterator<Item = (usize, char)>) -> Option<u32> {
                            let mut v = 0u32;
                            for _ in 0..4 {
                                let (_, h) = chars.next()?;
                                v = v * 16 + h.to_digit(16)?;
                            }
                            Some(v)
                        }
                        let first = hex4(&mut chars).ok_or_else(bad)?;
                        let code = if (0xD800..0xDC00).contains(&first) {
                            // A high surrogate must be followed by an escaped low surrogate.
                            let ok = matches!(chars.next(), Some((_, '\\')))
                                && matches!(chars.next(), Some((_, 'u')));
                            let second = if ok { hex4(&mut chars) } else { None };
                            match second {
                                Some(low) if (0xDC00..0xE000).contains(&low) => {
                                    0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
                                }
                                _ => return Err(bad()),
                            }
                        } else {
                            first
                        };
                        out.push(char::from_u32(code).ok_or_else(bad)?);
                    }
                    _ => return Err(bad()),
                }
            }
            c if (c as u32) < 0x20 => {
                return Err(ParseError::new(
                    ParseErrorKind::ControlCharacter { found: c },
                    pos,
                ))
            }
            c => out.push(c),
        }
    }
    Err(ParseError::new(ParseErrorKind::UnterminatedString, start))
}

fn is_valid_name(name: &str) -> bool {
    let name = name.strip_prefix('$').unwrap_or(name);
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn path_error(text: &str, reason: &'static str, position: usize) -> ParseError {
    ParseError::new(
        ParseErrorKind::InvalidAttributePath {
            text: text.to_owned(),
            reason,
        },
        position,
    )
}

/// Splits a word token into `[urn:]name[.sub]`.
fn attr_path_from_word(text: &str, position: usize) -> Result<AttrPath, ParseError> {
    let (urn, rest) = match text.rfind(':') {
        Some(i) => (Some(&text[..i]), &text[i + 1..]),
        None => (None, text),
    };
    if let Some(urn) = urn {
        let is_urn = urn.len() > 4
            && urn[..4].eq_ignore_ascii_case("urn:")
            && !urn.split(':').any(str::is_empty);
        if !is_urn {
            return Err(path_error(
                text,
                "a schema prefix must be a URN such as urn:ietf:params:scim:schemas:core:2.0:User",
                position,
            ));
        }
    }
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if !is_valid_name(name) {
        return Err(path_error(
            text,
            "an attribute name starts with a letter and has only letters, digits, - and _",
            position,
        ));
    }
    if let Some(sub) = sub {
        if sub.contains('.') {
            return Err(path_error(
                text,
                "only one sub-attribute is allowed, as in name.givenName",
                position,
            ));
        }
        if !is_valid_name(sub) {
            return Err(path_error(
                text,
                "a sub-attribute name starts with a letter and has only letters, digits, - and _",
                position,
            ));
        }
    }
    Ok(AttrPath {
        urn: urn.map(str::to_owned),
        name: name.to_owned(),
        sub_attr: sub.map(str::to_owned),
    })
}

fn check_length(text: &str) -> Result<(), ParseError> {
    if text.len() > MAX_LENGTH {
        return Err(ParseError::new(
            ParseErrorKind::TooLong {
                length: text.len(),
                limit: MAX_LENGTH,
            },
            MAX_LENGTH,
        ));
    }
    Ok(())
}

const EXPECT_FILTER: &str = "a filter such as userName eq \"bjensen\"";
const EXPECT_TERM: &str = "an attribute path, ( or not (";
const EXPECT_OP: &str = "an operator: eq ne co sw ew gt ge lt le or pr";
const EXPECT_VALUE: &str = "a value: a \"string\", a number, true, false or null";

/// Parses a whole filter.
pub fn parse_filter(text: &str) -> Result<Filter, ParseError> {
    check_length(text)?;
    let tokens = lex(text)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    if matches!(p.peek(), Tok::Eof) {
        return Err(ParseError::new(
            ParseErrorKind::Empty {
                expected: EXPECT_FILTER,
            },
            0,
        ));
    }
    let filter = p.parse_or(false)?;
    p.expect_eof("and, or or the end of the filter")?;
    Ok(filter)
}

/// Parses a PATCH operation path.
pub fn parse_patch_path(text: &str) -> Result<PatchPath, ParseError> {
    check_length(text)?;
    let tokens = lex(text)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let (path, start) = match p.peek() {
        Tok::Word(w) => {
            let w = *w;
            let start = p.start();
            p.bump();
            (attr_path_from_word(w, start)?, start)
        }
        Tok::Eof => {
            return Err(ParseError::new(
                ParseErrorKind::Empty {
                    expected: "a path such as name.givenName or emails[type eq \"work\"].value",
                },
                0,
            ))
        }
        other => {
            return Err(p.unexpected_with(other.clone(), "an attribute path"));
        }
    };
    if !matches!(p.peek(), Tok::LBracket) {
        p.expect_eof("[ or the end of the path")?;
        return Ok(PatchPath::Attribute(path));
    }
    if path.sub_attr.is_some() {
        return Err(path_error(
            &path.to_string(),
            "a value filter [...] follows the attribute, not a sub-attribute",
            start,
        ));
    }
    let filter = p.value_filter()?;
    let sub_attr = if matches!(p.peek(), Tok::Dot) {
        p.bump();
        Some(p.sub_attr_name()?)
    } else {
        None
    };
    p.expect_eof(". or the end of the path")?;
    Ok(PatchPath::ValuePath {
        path,
        filter,
        sub_attr,
    })
}

/// Parses a standalone attribute path (an `attributes` list entry, a PATCH value key).
pub fn parse_attr_path(text: &str) -> Result<AttrPath, ParseError> {
    check_length(text)?;
    if text.is_empty() {
        return Err(ParseError::new(
            ParseErrorKind::Empty {
                expected: "an attribute path such as name.givenName",
            },
            0,
        ));
    }
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| !is_word_char(c)) {
        return Err(ParseError::new(
            ParseErrorKind::UnexpectedChar {
                found: c,
                expected: "letters, digits, - _ . : or $ in an attribute path",
            },
            i,
        ));
    }
    attr_path_from_word(text, 0)
}

/// Splits a comma-separated `attributes`/`excludedAttributes` parameter into paths; error
/// positions are offsets into the whole parameter.
pub fn parse_attr_list(text: &str) -> Result<Vec<AttrPath>, ParseError> {
    check_length(text)?;
    let mut out = Vec::new();
    let mut offset = 0;
    for part in text.split(',') {
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            let lead = part.len() - part.trim_start().len();
            let path = parse_attr_path(trimmed).map_err(|mut e| {
                e.position += offset + lead;
                e
            })?;
            out.push(path);
        }
        offset += part.len() + 1;
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Tok<'a> {
        // The token list always ends with Eof and `bump` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)].tok
    }

    fn peek2(&self) -> &Tok<'a> {
        &self.tokens[(self.pos + 1).min(self.tokens.len() - 1)].tok
    }

    fn start(&self) -> usize {
        self.tokens[self.pos.min(self.tokens.len() - 1)].start
    }

    fn bump(&mut self) {
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
    }

    fn unexpected(&self, expected: &'static str) -> ParseError {
        self.unexpected_with(self.peek().clone(), expected)
    }

    fn unexpected_with(&self, found: Tok<'_>, expected: &'static str) -> ParseError {
        ParseError::new(
            ParseErrorKind::UnexpectedToken {
                found: describe(&found),
                expected,
            },
            self.start(),
        )
    }

    fn expect_eof(&self, expected: &'static str) -> Result<(), ParseError> {
        if matches!(self.peek(), Tok::Eof) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn expect(&mut self, tok: Tok<'static>, expected: &'static str) -> Result<(), ParseError> {
        if *self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::new(
                ParseErrorKind::TooDeep { limit: MAX_DEPTH },
                self.start(),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(word))
    }

    fn parse_or(&mut self, in_value_filter: bool) -> Result<Filter, ParseError> {
        let mut items = vec![self.parse_and(in_value_filter)?];
        while self.is_keyword("or") {
            self.bump();
            items.push(self.parse_and(in_value_filter)?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Filter::Or(items)
        })
    }

    fn parse_and(&mut self, in_value_filter: bool) -> Result<Filter, ParseError> {
        let mut items = vec![self.parse_term(in_value_filter)?];
        while self.is_keyword("and") {
            self.bump();
            items.push(self.parse_term(in_value_filter)?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Filter::And(items)
        })
    }

    fn parenthesised(&mut self, in_value_filter: bool) -> Result<Filter, ParseError> {
        self.enter()?;
        self.expect(Tok::LParen, "(")?;
        let inner = self.parse_or(in_value_filter)?;
        self.expect(Tok::RParen, "and, or or )")?;
        self.leave();
        Ok(inner)
    }

    fn parse_term(&mut self, in_value_filter: bool) -> Result<Filter, ParseError> {
        match self.peek() {
            Tok::LParen => self.parenthesised(in_value_filter),
            Tok::Word(w) if w.eq_ignore_ascii_case("not") && *self.peek2() == Tok::LParen => {
                self.bump();
                Ok(Filter::Not(Box::new(self.parenthesised(in_value_filter)?)))
            }
            Tok::Word(w) => {
                let w = *w;
                let start = self.start();
                self.bump();
                let path = attr_path_from_word(w, start)?;
                if !matches!(self.peek(), Tok::LBracket) {
                    return Ok(match self.condition()? {
                        Condition::Present => Filter::Present(path),
                        Condition::Compare(op, value) => Filter::Compare { path, op, value },
                    });
                }
                if in_value_filter {
                    return Err(ParseError::new(
                        ParseErrorKind::NestedValueFilter,
                        self.start(),
                    ));
                }
                if path.sub_attr.is_some() {
                    return Err(path_error(
                        w,
                        "a value filter [...] follows the attribute, not a sub-attribute",
                        start,
                    ));
                }
                let filter = self.value_filter()?;
                let sub_attr = if matches!(self.peek(), Tok::Dot) {
                    self.bump();
                    let name = self.sub_attr_name()?;
                    Some(SubAttrCondition {
                        name,
                        condition: self.condition()?,
                    })
                } else {
                    None
                };
                Ok(Filter::ValuePath {
                    path,
                    filter: Box::new(filter),
                    sub_attr,
                })
            }
            Tok::Eof => Err(self.unexpected(EXPECT_TERM)),
            _ => Err(self.unexpected(EXPECT_TERM)),
        }
    }

    /// `[ valFilter ]`, the current token being `[`.
    fn value_filter(&mut self) -> Result<Filter, ParseError> {
        self.enter()?;
        self.bump();
        let filter = self.parse_or(true)?;
        self.expect(Tok::RBracket, "and, or or ]")?;
        self.leave();
        Ok(filter)
    }

    fn sub_attr_name(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Tok::Word(w) if is_valid_name(w) => {
                let name = (*w).to_owned();
                self.bump();
                Ok(name)
            }
            Tok::Word(w) => {
                let w = *w;
                Err(path_error(
                    w,
                    "expected a sub-attribute name (letters, digits, - and _) after ].",
                    self.start(),
                ))
            }
            _ => Err(self.unexpected("a sub-attribute name after ].")),
        }
    }

    fn condition(&mut self) -> Result<Condition, ParseError> {
        let op = match self.peek() {
            Tok::Word(w) if w.eq_ignore_ascii_case("pr") => {
                self.bump();
                return Ok(Condition::Present);
            }
            Tok::Word(w) => match CompareOp::from_keyword(w) {
                Some(op) => op,
                None => return Err(self.unexpected(EXPECT_OP)),
            },
            _ => return Err(self.unexpected(EXPECT_OP)),
        };
        self.bump();
        let value_start = self.start();
        let value = match self.peek() {
            Tok::Str(s) => CompValue::String(s.clone()),
            Tok::Num(n) => CompValue::Number(n.clone()),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => CompValue::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => CompValue::Bool(false),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => CompValue::Null,
            _ => return Err(self.unexpected(EXPECT_VALUE)),
        };
        // RFC 7644 §3.4.2.2: ordering on booleans (and null) is an invalidFilter, and the
        // substring operators only make sense for strings.
        let allowed = match &value {
            CompValue::String(_) => true,
            CompValue::Number(_) => !op.is_substring(),
            CompValue::Bool(_) | CompValue::Null => matches!(op, CompareOp::Eq | CompareOp::Ne),
        };
        if !allowed {
            return Err(ParseError::new(
                ParseErrorKind::InvalidComparison {
                    op: op.as_str(),
                    found: value.kind_name(),
                    expected: if op.is_substring() {
                        "a \"string\""
                    } else {
                        "a \"string\" (also for date-times) or a number"
                    },
                },
                value_start,
            ));
        }
        self.bump();
        Ok(Condition::Compare(op, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses, checks the canonical text, and that the canonical text parses to the same tree.
    fn round_trip(text: &str, canonical: &str) -> Filter {
        let f = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(f.to_string(), canonical, "display of {text}");
        assert_eq!(
            parse_filter(canonical).unwrap(),
            f,
            "reparse of {canonical}"
        );
        f
    }

    #[test]
    fn rfc_7644_section_3_4_2_2_examples() {
        let examples = [
            r#"userName eq "bjensen""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            "title pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ];
        for text in examples {
            // The RFC's own spelling is already canonical, except redundant parentheses.
            let canonical = text.replace(r#"(emails.type eq "work")"#, r#"emails.type eq "work""#);
            round_trip(text, &canonical);
        }
    }

    #[test]
    fn every_operator_and_literal() {
        for op in CompareOp::ALL {
            let text = format!(r#"title {} "x""#, op.as_str().to_uppercase());
            let f = round_trip(&text, &format!(r#"title {op} "x""#));
            assert!(matches!(f, Filter::Compare { op: o, .. } if o == op));
        }
        let cases = [
            ("loginCount gt 5", "loginCount gt 5"),
            ("loginCount LE -5", "loginCount le -5"),
            ("score eq 2.50", "score eq 2.5"),
            ("score eq 1E3", "score eq 1000.0"),
            ("score eq 1.5e-3", "score eq 0.0015"),
            ("active eq TRUE", "active eq true"),
            ("active Ne False", "active ne false"),
            ("manager eq Null", "manager eq null"),
            ("title PR", "title pr"),
            (
                r#"title eq "a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#,
                "title eq \"a\\\"b\\\\c/d\\n\\té😀\"",
            ),
            (r#"title eq "é 😀""#, r#"title eq "é 😀""#),
            (r#"title eq """#, r#"title eq """#),
        ];
        for (text, canonical) in cases {
            round_trip(text, canonical);
        }
    }

    #[test]
    fn grammar_forms_and_precedence() {
        let cases = [
            // and binds tighter than or.
            ("a pr or b pr and c pr", "a pr or b pr and c pr"),
            ("(a pr or b pr) and c pr", "(a pr or b pr) and c pr"),
            ("a pr and b pr and c pr", "a pr and b pr and c pr"),
            ("(a pr and b pr) and c pr", "(a pr and b pr) and c pr"),
            ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
            ("((a pr))", "a pr"),
            ("not(a pr)", "not (a pr)"),
            ("NOT ( a pr )", "not (a pr)"),
            ("not (not (a pr))", "not (not (a pr))"),
            ("  a   pr\tAND\nb pr ", "a pr and b pr"),
            // Keywords are only keywords where the grammar wants them.
            ("not pr and and pr or or pr", "not pr and and pr or or pr"),
            ("pr eq \"x\"", "pr eq \"x\""),
            ("$ref eq \"x\"", "$ref eq \"x\""),
            ("members[$ref pr]", "members[$ref pr]"),
            ("emails[type eq \"work\"]", "emails[type eq \"work\"]"),
            ("emails[ type eq \"work\" ].value eq \"x\"", "emails[type eq \"work\"].value eq \"x\""),
            ("emails[type eq \"work\"].value PR", "emails[type eq \"work\"].value pr"),
            ("emails[not (type eq \"work\") or primary eq true]", "emails[not (type eq \"work\") or primary eq true]"),
            ("members[value eq \"2819c223\"]", "members[value eq \"2819c223\"]"),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"26118915\"",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"26118915\"",
            ),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"]",
                "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"]",
            ),
            ("x-custom_1 eq 1", "x-custom_1 eq 1"),
        ];
        for (text, canonical) in cases {
            round_trip(text, canonical);
        }
        let f = parse_filter("a pr or b pr and c pr").unwrap();
        assert!(
            matches!(&f, Filter::Or(items) if items.len() == 2 && matches!(items[1], Filter::And(_)))
        );
        let f = parse_filter(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr",
        )
        .unwrap();
        assert_eq!(
            f,
            Filter::Present(AttrPath {
                urn: Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into()),
                name: "manager".into(),
                sub_attr: Some("value".into()),
            })
        );
    }

    #[test]
    fn errors_have_a_code_and_a_position() {
        let cases: &[(&str, &str, usize)] = &[
            // text, code, byte position
            ("", "SCIM-F003", 0),
            ("   ", "SCIM-F003", 0),
            ("userName", "SCIM-F005", 8),
            ("userName eq", "SCIM-F005", 11),
            ("userName xx \"a\"", "SCIM-F005", 9),
            ("userName eq bjensen", "SCIM-F005", 12),
            ("userName eq 'bjensen'", "SCIM-F004", 12),
            ("userName eq \"bjensen", "SCIM-F006", 12),
            ("userName eq \"a\\qb\"", "SCIM-F007", 14),
            ("userName eq \"\\ud83d\"", "SCIM-F007", 13),
            ("userName eq \"\\u12\"", "SCIM-F007", 13),
            ("userName eq \"a\nb\"", "SCIM-F008", 14),
            ("n eq 01", "SCIM-F009", 5),
            ("n eq 1.", "SCIM-F009", 5),
            ("n eq -", "SCIM-F009", 5),
            ("n eq 1e999", "SCIM-F009", 5),
            ("name.given.x pr", "SCIM-F010", 0),
            ("a:b pr", "SCIM-F010", 0),
            ("name.9 pr", "SCIM-F010", 0),
            ("x pr and", "SCIM-F005", 8),
            ("x pr y pr", "SCIM-F005", 5),
            ("(x pr", "SCIM-F005", 5),
            ("x pr)", "SCIM-F005", 4),
            ("not x pr", "SCIM-F005", 4),
            ("emails[type eq \"w\"", "SCIM-F005", 18),
            ("emails[type eq \"w\"].", "SCIM-F005", 20),
            ("emails[type eq \"w\"].value", "SCIM-F005", 25),
            ("emails[addr[x pr]]", "SCIM-F011", 11),
            ("name.x[y pr]", "SCIM-F010", 0),
            ("active gt true", "SCIM-F012", 10),
            ("x lt null", "SCIM-F012", 5),
            ("x co 5", "SCIM-F012", 5),
            ("x sw false", "SCIM-F012", 5),
            ("userName eq \"é\" é", "SCIM-F004", 17),
        ];
        for (text, code, position) in cases {
            let e = parse_filter(text).expect_err(text);
            assert_eq!((e.code(), e.position), (*code, *position), "{text}: {e}");
        }
    }

    #[test]
    fn limits() {
        let deep = format!("{}a pr{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse_filter(&deep).is_ok());
        let too_deep = format!(
            "{}a pr{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let e = parse_filter(&too_deep).unwrap_err();
        assert_eq!((e.code(), e.position), ("SCIM-F002", MAX_DEPTH));
        let nots = format!(
            "{}a pr{}",
            "not (".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(parse_filter(&nots).unwrap_err().code(), "SCIM-F002");

        // A long flat list stays flat: one Or, no depth.
        let many = (0..500)
            .map(|i| format!("id eq \"{i}\""))
            .collect::<Vec<_>>()
            .join(" or ");
        assert!(matches!(parse_filter(&many).unwrap(), Filter::Or(items) if items.len() == 500));

        let long = format!("title eq \"{}\"", "x".repeat(MAX_LENGTH));
        let e = parse_filter(&long).unwrap_err();
        assert_eq!(e.code(), "SCIM-F001");
    }

    #[test]
    fn patch_paths() {
        let ok = [
            "userName",
            "name.familyName",
            "members",
            "$ref",
            "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]",
            "emails[type eq \"work\"].value",
            "addresses[type eq \"work\"].streetAddress",
            "emails[type eq \"work\" and primary eq true]",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"].value",
        ];
        for text in ok {
            let p = parse_patch_path(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(p.to_string(), text);
            assert_eq!(parse_patch_path(&p.to_string()).unwrap(), p);
        }
        let p = parse_patch_path("emails[type eq \"work\"].value").unwrap();
        assert!(matches!(
            &p,
            PatchPath::ValuePath { path, sub_attr: Some(s), .. } if path.name == "emails" && s == "value"
        ));
        assert_eq!(p.target().to_string(), "emails.value");
        let bad: &[(&str, &str, usize)] = &[
            ("", "SCIM-F003", 0),
            ("\"name\"", "SCIM-F005", 0),
            ("name familyName", "SCIM-F005", 5),
            ("name.familyName.x", "SCIM-F010", 0),
            ("emails[type eq \"work\"]value", "SCIM-F005", 22),
            ("emails[type eq \"work\"].value.x", "SCIM-F010", 23),
            ("emails[type eq \"work\"].value eq \"x\"", "SCIM-F005", 29),
            ("emails.value[type eq \"work\"]", "SCIM-F010", 0),
            ("emails[type eq]", "SCIM-F005", 14),
            ("emails[x[y pr]]", "SCIM-F011", 8),
            ("emails[]", "SCIM-F005", 7),
        ];
        for (text, code, position) in bad {
            let e = parse_patch_path(text).expect_err(text);
            assert_eq!((e.code(), e.position), (*code, *position), "{text}: {e}");
        }
    }

    #[test]
    fn attribute_lists() {
        let list = parse_attr_list(" userName , name.givenName,,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").unwrap();
        assert_eq!(
            list.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "userName",
                "name.givenName",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
            ]
        );
        let e = parse_attr_list("userName, na me").unwrap_err();
        assert_eq!((e.code(), e.position), ("SCIM-F004", 12));
        assert!(parse_attr_list("").unwrap().is_empty());
    }
}
