//! Turns expression text into tokens with byte offsets. It owns the lexical rules: what an
//! attribute reference, a string constant (and its backslash escapes), a number and an `&H`
//! literal look like. Positions are byte offsets; the parser turns them into [`Span`]s only
//! when it reports an error, because computing lines and columns costs a scan.

use crate::ast::CmpOp;
use crate::error::{ParseError, ParseErrorKind, Span};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Attribute(String),
    Str(String),
    Int(i64),
    Hex(u64),
    Float(f64),
    LParen,
    RParen,
    Comma,
    Cmp(CmpOp),
    Eof,
}

impl Tok {
    /// How the token is named in "unexpected …" messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("name {name}"),
            Tok::Attribute(name) => format!("attribute [{name}]"),
            Tok::Str(_) => "string constant".to_string(),
            Tok::Int(_) | Tok::Hex(_) | Tok::Float(_) => "number".to_string(),
            Tok::LParen => "(".to_string(),
            Tok::RParen => ")".to_string(),
            Tok::Comma => ",".to_string(),
            Tok::Cmp(op) => format!("operator {}", op.symbol()),
            Tok::Eof => "end of the expression".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    fn error(&self, kind: ParseErrorKind, start: usize, end: usize) -> ParseError {
        ParseError {
            kind,
            span: Span::from_offsets(self.src, start, end),
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_char_at(&self, offset: usize) -> Option<char> {
        self.src.get(self.pos + offset..)?.chars().next()
    }

    pub(crate) fn next_token(&mut self) -> Result<Token, ParseError> {
        // Whitespace, including line breaks, separates tokens: Microsoft's own examples spread
        // long Switch and SelectUniqueValue expressions over several lines.
        while let Some(c) = self.peek_char() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        };
        let tok = match c {
            '(' => self.single(Tok::LParen),
            ')' => self.single(Tok::RParen),
            ',' => self.single(Tok::Comma),
            '=' => self.single(Tok::Cmp(CmpOp::Eq)),
            '<' => match self.peek_char_at(1) {
                Some('>') => self.double(Tok::Cmp(CmpOp::Ne)),
                Some('=') => self.double(Tok::Cmp(CmpOp::Le)),
                _ => self.single(Tok::Cmp(CmpOp::Lt)),
            },
            '>' => match self.peek_char_at(1) {
                Some('=') => self.double(Tok::Cmp(CmpOp::Ge)),
                _ => self.single(Tok::Cmp(CmpOp::Gt)),
            },
            '[' => self.attribute()?,
            '"' => self.string()?,
            '&' => self.hex()?,
            '-' if self.peek_char_at(1).is_some_and(|c| c.is_ascii_digit()) => self.number()?,
            c if c.is_ascii_digit() => self.number()?,
            c if c.is_ascii_alphabetic() || c == '_' => self.ident(),
            other => {
                return Err(self.error(
                    ParseErrorKind::UnexpectedChar {
                        found: other,
                        expected: "a function call, an [attribute], a \"string\", a number, a comma or a parenthesis".into(),
                    },
                    start,
                    start + other.len_utf8(),
                ))
            }
        };
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    fn single(&mut self, tok: Tok) -> Tok {
        self.pos += 1;
        tok
    }

    fn double(&mut self, tok: Tok) -> Tok {
        self.pos += 2;
        tok
    }

    fn ident(&mut self) -> Tok {
        let start = self.pos;
        while let Some(c) = self.peek_char() {
            if c.is_ascii_alphanumeric() || c == '_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        Tok::Ident(self.src[start..self.pos].to_string())
    }

    fn attribute(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        self.pos += 1; // '['
        let name_start = self.pos;
        loop {
            match self.peek_char() {
                None => {
                    return Err(self.error(ParseErrorKind::UnterminatedAttribute, start, self.pos))
                }
                Some(']') => break,
                Some(c) if c == '[' || c == '\n' || c == '\r' => {
                    return Err(self.error(
                        ParseErrorKind::InvalidAttributeChar { found: c },
                        self.pos,
                        self.pos + c.len_utf8(),
                    ))
                }
                Some(c) => self.pos += c.len_utf8(),
            }
        }
        let name = &self.src[name_start..self.pos];
        self.pos += 1; // ']'
        if name.trim().is_empty() {
            return Err(self.error(ParseErrorKind::EmptyAttribute, start, self.pos));
        }
        // Names are used as written (Entra is case-sensitive), but stray spaces just inside the
        // brackets are never part of a directory attribute name.
        Ok(Tok::Attribute(name.trim().to_string()))
    }

    fn string(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            match self.peek_char() {
                None => {
                    return Err(self.error(ParseErrorKind::UnterminatedString, start, self.pos))
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(Tok::Str(out));
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek_char() {
                        Some(c @ ('"' | '\\')) => {
                            out.push(c);
                            self.pos += 1;
                        }
                        // Only \" and \\ are escapes. Any other backslash is kept as written,
                        // so a regex typed with single backslashes ("\d{10}") still means what
                        // the admin meant.
                        _ => out.push('\\'),
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    fn hex(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        if !matches!(self.peek_char_at(1), Some('H' | 'h')) {
            return Err(self.error(
                ParseErrorKind::UnexpectedChar {
                    found: '&',
                    expected: "&H followed by hexadecimal digits".into(),
                },
                start,
                start + 1,
            ));
        }
        self.pos += 2;
        let digits_start = self.pos;
        while self.peek_char().is_some_and(|c| c.is_ascii_hexdigit()) {
            self.pos += 1;
        }
        let digits = &self.src[digits_start..self.pos];
        if digits.is_empty() {
            return Err(self.error(ParseErrorKind::InvalidHex, start, self.pos));
        }
        u64::from_str_radix(digits, 16).map(Tok::Hex).map_err(|_| {
            self.error(
                ParseErrorKind::NumberOutOfRange {
                    text: self.src[start..self.pos].to_string(),
                },
                start,
                self.pos,
            )
        })
    }

    fn number(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        if self.peek_char() == Some('-') {
            self.pos += 1;
        }
        while self.peek_char().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let mut is_float = false;
        if self.peek_char() == Some('.') && self.peek_char_at(1).is_some_and(|c| c.is_ascii_digit())
        {
            is_float = true;
            self.pos += 1;
            while self.peek_char().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        let text = &self.src[start..self.pos];
        let out_of_range = || {
            self.error(
                ParseErrorKind::NumberOutOfRange {
                    text: text.to_string(),
                },
                start,
                self.pos,
            )
        };
        if is_float {
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Tok::Float(x)),
                _ => Err(out_of_range()),
            }
        } else {
            text.parse::<i64>()
                .map(Tok::Int)
                .map_err(|_| out_of_range())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> Result<Vec<Tok>, ParseErrorKind> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lexer.next_token().map_err(|e| e.kind)?;
            if t.tok == Tok::Eof {
                return Ok(out);
            }
            out.push(t.tok);
        }
    }

    #[test]
    fn tokens() {
        let cases: Vec<(&str, Vec<Tok>)> = vec![
            (
                "Join(\".\", [givenName])",
                vec![
                    Tok::Ident("Join".into()),
                    Tok::LParen,
                    Tok::Str(".".into()),
                    Tok::Comma,
                    Tok::Attribute("givenName".into()),
                    Tok::RParen,
                ],
            ),
            (
                "[urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber]",
                vec![Tok::Attribute(
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
                        .into(),
                )],
            ),
            (
                "[name.givenName]",
                vec![Tok::Attribute("name.givenName".into())],
            ),
            ("&HF7 &hf", vec![Tok::Hex(0xF7), Tok::Hex(0xF)]),
            (
                "-10 7 1.5",
                vec![Tok::Int(-10), Tok::Int(7), Tok::Float(1.5)],
            ),
            (
                "= <> > >= < <=",
                vec![
                    Tok::Cmp(CmpOp::Eq),
                    Tok::Cmp(CmpOp::Ne),
                    Tok::Cmp(CmpOp::Gt),
                    Tok::Cmp(CmpOp::Ge),
                    Tok::Cmp(CmpOp::Lt),
                    Tok::Cmp(CmpOp::Le),
                ],
            ),
            // The escape example of Microsoft's reference, as rendered: \" and \\.
            (
                r#""Company name: \"Contoso\"""#,
                vec![Tok::Str("Company name: \"Contoso\"".into())],
            ),
            (r#""a\\b""#, vec![Tok::Str("a\\b".into())]),
            (r#""\d{10}""#, vec![Tok::Str("\\d{10}".into())]),
            (
                r#""\\+(?<isdCode>\\d* )""#,
                vec![Tok::Str("\\+(?<isdCode>\\d* )".into())],
            ),
        ];
        for (src, want) in cases {
            assert_eq!(lex(src), Ok(want), "{src}");
        }
    }

    #[test]
    fn lexical_errors() {
        assert_eq!(lex("\"abc"), Err(ParseErrorKind::UnterminatedString));
        assert_eq!(lex("[abc"), Err(ParseErrorKind::UnterminatedAttribute));
        assert_eq!(lex("[ ]"), Err(ParseErrorKind::EmptyAttribute));
        assert_eq!(lex("&H"), Err(ParseErrorKind::InvalidHex));
        assert!(matches!(
            lex("99999999999999999999"),
            Err(ParseErrorKind::NumberOutOfRange { .. })
        ));
        assert!(matches!(
            lex("Join(;)"),
            Err(ParseErrorKind::UnexpectedChar { found: ';', .. })
        ));
    }
}
