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

/// JSON's number grammar exactly (no leading `+`, no leading zeros, digits after `.`), then
/// serde_json for the value so that `Display` prints what serde_json reads back.
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
    serde_json::from_str::<Number>(text).ok()
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
