//! Recursive-descent parser from text to [`Expr`], and every check that can be made without
//! data: function names (case-sensitive, with a suggestion), argument counts, which arguments
//! may be left out, where comparisons may appear, the nesting and length limits, the static
//! choice of `Replace` mode, and regex patterns written as constants (compiled here, once, so an
//! invalid pattern is underlined in the editor instead of failing at provisioning time).
//!
//! Grammar (whitespace, including line breaks, between any two tokens):
//!
//! ```text
//! expression := operand [ cmp operand ]        -- cmp only in IIF's condition / CBool's argument
//! operand    := NAME "(" [ arg { "," arg } ] ")" | "[" ATTRIBUTE "]" | STRING | NUMBER | &HHEX | CONSTANT
//! arg        := expression | (nothing)         -- nothing = a left-out optional argument
//! cmp        := "=" | "<>" | ">" | ">=" | "<" | "<="
//! ```

use regex::Regex;

use crate::ast::{Constant, Expr, NumberLit};
use crate::catalogue::{edit_distance, suggest_function, Function};
use crate::error::{ParseError, ParseErrorKind, Span};
use crate::lexer::{Lexer, Tok, Token};
use crate::regex_util;

/// Longest expression accepted, in characters (Entra's documented limit).
pub const MAX_EXPRESSION_CHARS: usize = 10_000;
/// Deepest nesting of function calls accepted. Real mappings stay under ten; the limit keeps
/// recursion in the parser and evaluator far from the stack's end, also in a browser.
pub const MAX_DEPTH: usize = 64;

/// A parsed, checked expression, ready to evaluate against any number of objects.
///
/// Regex patterns written as string constants are compiled once here.
#[derive(Debug, Clone)]
pub struct Expression {
    pub(crate) root: Expr,
    pub(crate) regexes: Vec<(String, Regex)>,
}

impl Expression {
    /// The syntax tree.
    pub fn ast(&self) -> &Expr {
        &self.root
    }

    /// Takes the syntax tree.
    pub fn into_ast(self) -> Expr {
        self.root
    }

    pub(crate) fn cached_regex(&self, pattern: &str) -> Option<&Regex> {
        self.regexes
            .iter()
            .find(|(p, _)| p == pattern)
            .map(|(_, r)| r)
    }
}

impl std::fmt::Display for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.root.fmt(f)
    }
}

impl std::str::FromStr for Expression {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Parses and checks an expression.
///
/// ```
/// let e = steward_expr::parse(r#"Join(".", [givenName], [surname])"#).unwrap();
/// assert_eq!(e.to_string(), r#"Join(".", [givenName], [surname])"#);
/// let err = steward_expr::parse("join(\".\", [givenName])").unwrap_err();
/// assert!(err.to_string().contains("did you mean Join?"));
/// ```
pub fn parse(source: &str) -> Result<Expression, ParseError> {
    // Bytes first: a cheap bound before counting characters of a huge paste.
    if source.len() > MAX_EXPRESSION_CHARS * 4 || source.chars().count() > MAX_EXPRESSION_CHARS {
        let length = source.chars().count();
        return Err(ParseError {
            kind: ParseErrorKind::TooLong {
                length,
                limit: MAX_EXPRESSION_CHARS,
            },
            span: Span::from_offsets(source, 0, source.len()),
        });
    }
    let mut parser = Parser {
        src: source,
        lexer: Lexer::new(source),
        peeked: None,
        regexes: Vec::new(),
    };
    let first = parser.peek()?;
    if first.tok == Tok::Eof {
        return Err(parser.error(ParseErrorKind::Empty, 0, source.len()));
    }
    let root = parser.expression(0, false)?;
    let end = parser.next()?;
    if end.tok != Tok::Eof {
        return Err(parser.error(
            ParseErrorKind::UnexpectedToken {
                found: end.tok.describe(),
                expected: "the end of the expression (one expression only; did you forget a comma or a closing parenthesis earlier?)".into(),
            },
            end.start,
            end.end,
        ));
    }
    Ok(Expression {
        root,
        regexes: parser.regexes,
    })
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    regexes: Vec<(String, Regex)>,
}

const OPERAND: &str = "a function call, an [attribute], a \"string\" or a number";

impl<'a> Parser<'a> {
    fn error(&self, kind: ParseErrorKind, start: usize, end: usize) -> ParseError {
        ParseError {
            kind,
            span: Span::from_offsets(self.src, start, end),
        }
    }

    fn peek(&mut self) -> Result<&Token, ParseError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        // Just filled above.
        Ok(self.peeked.as_ref().expect("peeked token"))
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lexer.next_token(),
        }
    }

    /// `depth` is the number of calls enclosing this expression.
    fn expression(&mut self, depth: usize, comparison_allowed: bool) -> Result<Expr, ParseError> {
        let lhs = self.operand(depth)?;
        let Tok::Cmp(op) = self.peek()?.tok else {
            return Ok(lhs);
        };
        let op_token = self.next()?;
        if !comparison_allowed {
            return Err(self.error(
                ParseErrorKind::ComparisonNotAllowed,
                op_token.start,
                op_token.end,
            ));
        }
        let rhs = self.operand(depth)?;
        if let Tok::Cmp(_) = self.peek()?.tok {
            let t = self.next()?;
            return Err(self.error(
                ParseErrorKind::UnexpectedToken {
                    found: t.tok.describe(),
                    expected: "a comma or a closing parenthesis; comparisons cannot be chained, nest IIF instead".into(),
                },
                t.start,
                t.end,
            ));
        }
        Ok(Expr::Compare {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        })
    }

    fn operand(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let t = self.next()?;
        match t.tok {
            Tok::Attribute(name) => Ok(Expr::Attribute(name)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Int(i) => Ok(Expr::Number(NumberLit::Int(i))),
            Tok::Hex(h) => Ok(Expr::Number(NumberLit::Hex(h))),
            Tok::Float(x) => Ok(Expr::Number(NumberLit::Float(x))),
            Tok::Ident(name) => {
                if self.peek()?.tok == Tok::LParen {
                    self.call(name, t.start, t.end, depth)
                } else {
                    self.constant(name, t.start, t.end)
                }
            }
            other => Err(self.error(
                ParseErrorKind::UnexpectedToken {
                    found: other.describe(),
                    expected: OPERAND.into(),
                },
                t.start,
                t.end,
            )),
        }
    }

    fn constant(&mut self, name: String, start: usize, end: usize) -> Result<Expr, ParseError> {
        if let Some(c) = Constant::from_name(&name) {
            return Ok(Expr::Constant(c));
        }
        let suggestion = Constant::ALL
            .iter()
            .map(|c| c.name())
            .find(|n| n.eq_ignore_ascii_case(&name) || edit_distance(n, &name) <= 2)
            .or_else(|| suggest_function(&name));
        Err(self.error(
            ParseErrorKind::UnknownConstant { name, suggestion },
            start,
            end,
        ))
    }

    fn call(
        &mut self,
        name: String,
        start: usize,
        name_end: usize,
        depth: usize,
    ) -> Result<Expr, ParseError> {
        let Some(function) = Function::from_name(&name) else {
            let suggestion = suggest_function(&name);
            return Err(self.error(
                ParseErrorKind::UnknownFunction { name, suggestion },
                start,
                name_end,
            ));
        };
        if depth + 1 > MAX_DEPTH {
            return Err(self.error(
                ParseErrorKind::TooDeep { limit: MAX_DEPTH },
                start,
                name_end,
            ));
        }
        if function == Function::SelectUniqueValue && depth > 0 {
            return Err(self.error(ParseErrorKind::SelectUniqueValueNested, start, name_end));
        }
        self.next()?; // '('
        let mut args: Vec<Option<Expr>> = Vec::new();
        let mut arg_spans: Vec<(usize, usize)> = Vec::new();
        let end;
        if self.peek()?.tok == Tok::RParen {
            end = self.next()?.end;
        } else {
            loop {
                let here = self.peek()?.start;
                let index = args.len();
                let arg = match self.peek()?.tok {
                    Tok::Comma | Tok::RParen => None,
                    _ => {
                        let allowed =
                            matches!((function, index), (Function::IIF, 0) | (Function::CBool, 0));
                        Some(self.expression(depth + 1, allowed)?)
                    }
                };
                let sep = self.next()?;
                arg_spans.push((here, sep.start));
                args.push(arg);
                match sep.tok {
                    Tok::Comma => continue,
                    Tok::RParen => {
                        end = sep.end;
                        break;
                    }
                    other => {
                        return Err(self.error(
                            ParseErrorKind::UnexpectedToken {
                                found: other.describe(),
                                expected: format!(
                                    "a comma or the closing parenthesis of {function}("
                                ),
                            },
                            sep.start,
                            sep.end,
                        ))
                    }
                }
            }
        }
        // `F( )` has no arguments rather than one left-out argument.
        if args.len() == 1 && args[0].is_none() {
            args.clear();
        }
        self.check_call(function, &args, &arg_spans, start, end)?;
        Ok(Expr::Call { function, args })
    }

    fn check_call(
        &mut self,
        function: Function,
        args: &[Option<Expr>],
        arg_spans: &[(usize, usize)],
        start: usize,
        end: usize,
    ) -> Result<(), ParseError> {
        let info = function.info();
        let n = args.len();
        let too_few = n < info.min_args;
        let too_many = info.max_args.is_some_and(|max| n > max);
        let odd_switch = function == Function::Switch && n % 2 == 1;
        if too_few || too_many || odd_switch {
            let expected = match info.max_args {
                _ if function == Function::Switch => "an even number of (at least 4)".to_string(),
                Some(max) if max == info.min_args => max.to_string(),
                Some(max) => format!("{} to {max}", info.min_args),
                None => format!("at least {}", info.min_args),
            };
            return Err(self.error(
                ParseErrorKind::WrongArgumentCount {
                    function: info.name,
                    expected,
                    found: n,
                    signature: info.signature,
                },
                start,
                end,
            ));
        }
        for (i, arg) in args.iter().enumerate() {
            if arg.is_none() && !function.may_omit(i) {
                let (s, e) = arg_spans.get(i).copied().unwrap_or((start, end));
                return Err(self.error(
                    ParseErrorKind::MissingArgument {
                        function: info.name,
                        position: i + 1,
                        parameter: function.param_name(i),
                        signature: info.signature,
                    },
                    s,
                    e.max(s),
                ));
            }
        }
        if function == Function::Replace {
            self.check_replace(args, arg_spans, start, end)?;
        }
        Ok(())
    }

    /// `Replace`'s mode is decided by which arguments are present, which is known now.
    fn check_replace(
        &mut self,
        args: &[Option<Expr>],
        arg_spans: &[(usize, usize)],
        start: usize,
        end: usize,
    ) -> Result<(), ParseError> {
        let present = |i: usize| args.get(i).is_some_and(Option::is_some);
        if let crate::functions::replace::Mode::Invalid(message) =
            crate::functions::replace::Mode::select(present)
        {
            return Err(self.error(
                ParseErrorKind::InvalidArguments {
                    function: "Replace",
                    message: message.to_string(),
                },
                start,
                end,
            ));
        }
        if let Some(Some(Expr::Str(pattern))) = args.get(2) {
            if self.regexes.iter().all(|(p, _)| p != pattern) {
                match regex_util::compile(pattern) {
                    Ok(re) => self.regexes.push((pattern.clone(), re)),
                    Err(message) => {
                        // Underline the pattern itself, without the white space before the comma.
                        let (s, e) = arg_spans.get(2).copied().unwrap_or((start, end));
                        let e = s + self.src[s..e].trim_end().len();
                        return Err(self.error(ParseErrorKind::InvalidRegex { message }, s, e));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Expr {
        match parse(src) {
            Ok(e) => e.into_ast(),
            Err(e) => panic!("{src}: {e}"),
        }
    }

    fn err(src: &str) -> ParseError {
        match parse(src) {
            Ok(e) => panic!("{src} parsed as {e}"),
            Err(e) => e,
        }
    }

    /// Every expression printed in Microsoft's function reference parses, and prints back to
    /// something that parses to the same tree.
    #[test]
    fn reference_examples_parse_and_round_trip() {
        let examples = [
            r#"Append([userPrincipalName], ".test")"#,
            r#"BitAnd(&HF, &HF7)"#,
            r#"CBool([attribute1] = [attribute2])"#,
            r#"CDate([StatusHireDate])"#,
            r#"CDate("2021-06-30+08:00")"#,
            r#"Coalesce([mail],[userPrincipalName])"#,
            r#"ConvertToBase64("Hello world!")"#,
            r#"ConvertToUTF8Hex("Hello world!")"#,
            r#"CStr([dn])"#,
            r#"DateAdd("d", 7, CDate([StatusHireDate]))"#,
            r#"DateDiff("d", Now(), CDate([StatusHireDate]))"#,
            "Switch([Active], , \n  \"1\", IIF(DateDiff(\"d\", Now(), CDate([StatusHireDate])) > 5, \"False\", \"True\"), \n  \"0\", \"False\")",
            r#"DateFromNum(129699324000000000)"#,
            r#"FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")"#,
            r#"Guid()"#,
            r#"IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))"#,
            r#"IIF([country]="USA",[country],[department])"#,
            r#"IIF([country]="USA",IIF([state]="CA","True","False"),"False")"#,
            r#"IIF([country]="USA","True",IIF([state]="CA","True","False"))"#,
            r#"Switch([country],[country],"","Other")"#,
            r#"InStr("The quick brown fox","quick")"#,
            r#"InStr("repEated","e",3,vbBinaryCompare)"#,
            r#"Switch(IsPresent([directManager]),[directManager], IsPresent([skiplevelManager]),[skiplevelManager], IsPresent([director]),[director])"#,
            r#"Item([proxyAddresses], 1)"#,
            r#"Left("John Doe", 3)"#,
            r#"NormalizeDiacritics([givenName])"#,
            r#"NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00"))"#,
            r#"NumFromDate(Join("",FormatDateTime([endDate], ,"M/d/yyyy hh:mm:ss tt","yyyy-MM-dd")," 23:59:59-08:00"))"#,
            r#"PCase([lastName]," '-")"#,
            r#"PCase(Join(" ",[firstName],[lastName]))"#,
            r#"RandomString(6,3,0,0,3)"#,
            r#"RandomString(10,2,2,2,1,"?,")"#,
            r#"Redact(RandomString(6,3,0,0,3))"#,
            r#"RemoveDuplicates([proxyAddresses])"#,
            r#"Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )"#,
            r#"Replace([UserID],"<username>", , , , , "<username>@contoso.com")"#,
            r#"Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", , "${phoneNumber}", , )"#,
            r#"Replace([mobile], , "[()\\s-]+", , "", , )"#,
            r#"Replace([AddressLineData], ,"(?<streetNumber>^\\d*)","streetNumber", "888", , )"#,
            r#"Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )"#,
            r#"Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )"#,
            r#"Replace([mailNickname], , "[a-zA-Z_]*", , "", , )"#,
            "SelectUniqueValue( \n    Join(\"@\", NormalizeDiacritics(StripSpaces(Join(\".\",  [PreferredFirstName], [PreferredLastName]))), \"contoso.com\"), \n    Join(\"@\", NormalizeDiacritics(StripSpaces(Join(\".\",  Mid([PreferredFirstName], 1, 1), [PreferredLastName]))), \"contoso.com\"),\n    Join(\"@\", NormalizeDiacritics(StripSpaces(Join(\".\",  Mid([PreferredFirstName], 1, 2), [PreferredLastName]))), \"contoso.com\")\n)",
            r#"Split([extensionAttribute5], ",")"#,
            r#"Switch(ToLower([statusFlag]), "0", "true", "1", "false", "0")"#,
            r#"Switch([statusFlag], "Default Value", "true", "1", "", "0")"#,
            r#"switch([companyName], "External", "Company A", "A", "Company B", "B")"#,
            r#"IIF([companyName] = "Company A", "A", IIF([companyName] = "Company B", "B", "External"))"#,
            r#"Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", "SA", "Australia/Adelaide")"#,
            r#"ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"))"#,
            r#"Word("The quick brown fox",3," ")"#,
            r#"Word("This,string!has&many separators",3,",!&#")"#,
            r#"Replace([mail], "@contoso.com", , ,"", ,)"#,
            r#"Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))"#,
            r#"Join(", ", "", [surname], [givenName])"#,
            r#"Join("", 1000, Replace(ConvertToUTF8Hex([objectId]), , "[a-zA-Z_]*", , "", , ))"#,
            r#"IsNull([displayName])"#,
            r#"IsNullOrEmpty([displayName])"#,
        ];
        for src in examples {
            if src.starts_with("switch(") {
                // Microsoft's own text writes "switch" in lower case; Steward insists, like
                // Entra's parser, on the documented case and says so.
                let e = err(src);
                assert!(e.to_string().contains("did you mean Switch?"), "{e}");
                continue;
            }
            let tree = p(src);
            let printed = tree.to_string();
            assert_eq!(p(&printed), tree, "{src} -> {printed}");
        }
    }

    #[test]
    fn trees() {
        use Expr::*;
        let cases = vec![
            (
                r#"Replace([mail], "@contoso.com", , , "", , )"#,
                Call {
                    function: Function::Replace,
                    args: vec![
                        Some(Attribute("mail".into())),
                        Some(Str("@contoso.com".into())),
                        None,
                        None,
                        Some(Str(String::new())),
                        None,
                        None,
                    ],
                },
            ),
            (
                "IIF([country]=\"USA\",[country],[department])",
                Call {
                    function: Function::IIF,
                    args: vec![
                        Some(Compare {
                            op: crate::ast::CmpOp::Eq,
                            lhs: Box::new(Attribute("country".into())),
                            rhs: Box::new(Str("USA".into())),
                        }),
                        Some(Attribute("country".into())),
                        Some(Attribute("department".into())),
                    ],
                },
            ),
            (
                "Guid( )",
                Call {
                    function: Function::Guid,
                    args: vec![],
                },
            ),
            ("[mail]", Attribute("mail".into())),
            ("\"x\"", Str("x".into())),
        ];
        for (src, want) in cases {
            assert_eq!(p(src), want, "{src}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        // (source, error code, text of the span, part of the message)
        let cases = [
            ("", "EXPR-P002", "", "empty"),
            ("   ", "EXPR-P002", "   ", "empty"),
            (
                "Iif([a] = \"1\", \"x\", \"y\")",
                "EXPR-P011",
                "Iif",
                "did you mean IIF?",
            ),
            (
                "Frobnicate([a])",
                "EXPR-P011",
                "Frobnicate",
                "unknown function Frobnicate",
            ),
            (
                "Join(\".\", [a]",
                "EXPR-P004",
                "",
                "expected a comma or the closing parenthesis of Join(",
            ),
            (
                "Join(\".\" [a])",
                "EXPR-P004",
                "[a]",
                "expected a comma or the closing parenthesis",
            ),
            (
                "Append([a])",
                "EXPR-P013",
                "Append([a])",
                "Append takes 2 argument(s), but 1 were given; usage: Append(source, suffix)",
            ),
            (
                "Switch([a], \"d\", \"k\")",
                "EXPR-P013",
                "Switch([a], \"d\", \"k\")",
                "even number",
            ),
            (
                "Append(, \"x\")",
                "EXPR-P014",
                "",
                "argument 1 (source) of Append cannot be left out",
            ),
            (
                "Join(\".\", [a] = [b])",
                "EXPR-P015",
                "=",
                "only allowed in the condition of IIF",
            ),
            (
                "IIF([a] = [b] = [c], 1, 2)",
                "EXPR-P004",
                "=",
                "cannot be chained",
            ),
            (
                "Join(\".\", SelectUniqueValue([a], [b]))",
                "EXPR-P017",
                "SelectUniqueValue",
                "must be the whole expression",
            ),
            (
                "Join(\".\", [a]) [b]",
                "EXPR-P004",
                "[b]",
                "end of the expression",
            ),
            ("Join(\".\", \"abc)", "EXPR-P005", "\"abc)", "not closed"),
            (
                "InStr([a], \"x\", 1, vbTextcompare)",
                "EXPR-P012",
                "vbTextcompare",
                "did you mean vbTextCompare?",
            ),
            (
                "Replace([a], , \"(\", , \"x\", , )",
                "EXPR-P019",
                "\"(\"",
                "invalid regular expression",
            ),
            (
                "Replace([a], \"x\", , , , , )",
                "EXPR-P018",
                "Replace([a], \"x\", , , , , )",
                "replacementValue or template",
            ),
            (
                "Join(\".\"; [a])",
                "EXPR-P003",
                ";",
                "unexpected character ';'",
            ),
        ];
        for (src, code, span_text, message) in cases {
            let e = err(src);
            assert_eq!(e.code(), code, "{src}: {e}");
            assert_eq!(&src[e.span.start..e.span.end], span_text, "{src}: {e}");
            assert!(e.to_string().contains(message), "{src}: {e}");
        }
    }

    /// The reference's escape example, `"Company name: \\"Contoso\\""`, is the Markdown source
    /// of `"Company name: \"Contoso\""`: taken literally, `\\` is a backslash and the next quote
    /// ends the string, so the rest is an error that says what was expected.
    #[test]
    fn markdown_escaped_example_is_an_error_rendered_one_is_not() {
        let e = err(r#"Append("Company name: \\"Contoso\\"", "")"#);
        assert_eq!(e.code(), "EXPR-P004");
        assert!(e
            .to_string()
            .contains("expected a comma or the closing parenthesis of Append("));
        assert!(parse(r#"Append("Company name: \"Contoso\"", "")"#).is_ok());
    }

    #[test]
    fn error_position_on_later_line() {
        let e = err("Join(\".\",\n     [givenName],\n     Frob([surname]))");
        assert_eq!((e.span.line, e.span.column), (3, 6));
    }

    #[test]
    fn limits() {
        let long = format!("Join(\"\", \"{}\")", "x".repeat(MAX_EXPRESSION_CHARS));
        assert_eq!(err(&long).code(), "EXPR-P001");
        let ok = format!("Join(\"\", \"{}\")", "x".repeat(MAX_EXPRESSION_CHARS - 20));
        assert!(parse(&ok).is_ok());

        let nested = |n: usize| format!("{}[a]{}", "ToLower(".repeat(n), ")".repeat(n));
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        let e = err(&nested(MAX_DEPTH + 1));
        assert_eq!(e.code(), "EXPR-P016");
        // Deep nesting that is also too long is refused before any recursion happens.
        assert_eq!(err(&nested(5_000)).code(), "EXPR-P001");
    }
}
