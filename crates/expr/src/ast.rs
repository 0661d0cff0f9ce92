//! The syntax tree of an expression ([`Expr`]) and its `Display`, which writes the canonical
//! text of a tree so that parsing it again gives the same tree. The canonical form puts one
//! space after each comma and around comparison operators, and writes left-out arguments as
//! nothing between commas, as Entra does: `Replace([mail], "@contoso.com", , , "", , )`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalogue::Function;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `[attributeName]`: a source attribute, looked up through an `AttributeSource`.
    Attribute(String),
    /// `"text"`: a string constant (escapes already resolved).
    Str(String),
    /// A numeric constant.
    Number(NumberLit),
    /// A named constant: `vbBinaryCompare`, `vbTextCompare`, `True`, `False`.
    Constant(Constant),
    /// `Function(arg, , arg)`: `None` is a left-out optional argument.
    Call {
        function: Function,
        args: Vec<Option<Expr>>,
    },
    /// `lhs op rhs`, only allowed as the condition of `IIF` and the argument of `CBool`.
    Compare {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
}

/// A numeric constant as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumberLit {
    /// Decimal integer, possibly negative: `7`, `-10`.
    Int(i64),
    /// `&HF7`: kept apart from `Int` only so it prints back the way it was written. The bits are
    /// an unsigned 64-bit value (VB would make `&HFFFFFFFF` a 32-bit -1; Steward does not).
    Hex(u64),
    /// Decimal with a fraction: `1.5`. Always finite.
    Float(f64),
}

/// Bare-word constants. VB programmers write `vbTextCompare` in `InStr`; `True`/`False` read
/// better than `"True"` in conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Constant {
    VbBinaryCompare,
    VbTextCompare,
    True,
    False,
}

impl Constant {
    pub const ALL: [Constant; 4] = [
        Constant::VbBinaryCompare,
        Constant::VbTextCompare,
        Constant::True,
        Constant::False,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Constant::VbBinaryCompare => "vbBinaryCompare",
            Constant::VbTextCompare => "vbTextCompare",
            Constant::True => "True",
            Constant::False => "False",
        }
    }

    pub fn from_name(name: &str) -> Option<Constant> {
        Constant::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

impl Expr {
    /// The function at the top of the tree, if the expression is a call.
    pub fn function(&self) -> Option<Function> {
        match self {
            Expr::Call { function, .. } => Some(*function),
            _ => None,
        }
    }

    /// Depth of the tree (a constant is 1); the parser keeps this under its limit.
    pub fn depth(&self) -> usize {
        match self {
            Expr::Call { args, .. } => {
                1 + args.iter().flatten().map(Expr::depth).max().unwrap_or(0)
            }
            Expr::Compare { lhs, rhs, .. } => 1 + lhs.depth().max(rhs.depth()),
            _ => 1,
        }
    }

    /// Whether the expression reads the clock (`Now()` anywhere in it): its value can change
    /// while the object it maps does not.
    pub fn reads_clock(&self) -> bool {
        match self {
            Expr::Call { function, args } => {
                *function == Function::Now || args.iter().flatten().any(Expr::reads_clock)
            }
            Expr::Compare { lhs, rhs, .. } => lhs.reads_clock() || rhs.reads_clock(),
            Expr::Attribute(_) | Expr::Str(_) | Expr::Number(_) | Expr::Constant(_) => false,
        }
    }

    /// Every attribute name the expression reads, in order of appearance, without repeats.
    /// The mapping editor uses it to know which source attributes a mapping depends on.
    pub fn attributes(&self) -> Vec<&str> {
        fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
            match e {
                Expr::Attribute(name) => {
                    if !out.contains(&name.as_str()) {
                        out.push(name);
                    }
                }
                Expr::Call { args, .. } => args.iter().flatten().for_each(|a| walk(a, out)),
                Expr::Compare { lhs, rhs, .. } => {
                    walk(lhs, out);
                    walk(rhs, out);
                }
                Expr::Str(_) | Expr::Number(_) | Expr::Constant(_) => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// Writes `s` as a string constant: `\` and `"` escaped with a backslash, nothing else.
pub(crate) fn write_string_literal(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

impl fmt::Display for NumberLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberLit::Int(i) => write!(f, "{i}"),
            NumberLit::Hex(h) => write!(f, "&H{h:X}"),
            NumberLit::Float(x) => {
                // Rust's float Display is the shortest text that reads back to the same value
                // and never uses an exponent; add ".0" so it reads back as a float, not an Int.
                let text = format!("{x}");
                if text.contains('.') {
                    f.write_str(&text)
                } else {
                    write!(f, "{text}.0")
                }
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Attribute(name) => write!(f, "[{name}]"),
            Expr::Str(s) => write_string_literal(f, s),
            Expr::Number(n) => write!(f, "{n}"),
            Expr::Constant(c) => f.write_str(c.name()),
            Expr::Call { function, args } => {
                write!(f, "{function}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if let Some(arg) = arg {
                        write!(f, "{arg}")?;
                    }
                }
                f.write_str(")")
            }
            Expr::Compare { op, lhs, rhs } => write!(f, "{lhs} {} {rhs}", op.symbol()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_canonical() {
        let e = Expr::Call {
            function: Function::Replace,
            args: vec![
                Some(Expr::Attribute("mail".into())),
                Some(Expr::Str("@contoso.com".into())),
                None,
                None,
                Some(Expr::Str(String::new())),
                None,
                None,
            ],
        };
        assert_eq!(
            e.to_string(),
            r#"Replace([mail], "@contoso.com", , , "", , )"#
        );
        let s = Expr::Str(r#"Company name: "Contoso" \o/"#.into());
        assert_eq!(s.to_string(), r#""Company name: \"Contoso\" \\o/""#);
        assert_eq!(Expr::Number(NumberLit::Hex(0xF7)).to_string(), "&HF7");
        assert_eq!(Expr::Number(NumberLit::Float(2.0)).to_string(), "2.0");
        assert_eq!(Expr::Number(NumberLit::Int(-10)).to_string(), "-10");
    }

    #[test]
    fn attributes_are_listed_once_in_order() {
        let e = Expr::Call {
            function: Function::Join,
            args: vec![
                Some(Expr::Str(".".into())),
                Some(Expr::Attribute("givenName".into())),
                Some(Expr::Attribute("surname".into())),
                Some(Expr::Attribute("givenName".into())),
            ],
        };
        assert_eq!(e.attributes(), vec!["givenName", "surname"]);
        assert_eq!(e.depth(), 2);
    }

    #[test]
    fn the_clock_is_read_only_where_now_is_called() {
        for (text, reads) in [
            ("Now()", true),
            (r#"DateDiff("d", Now(), CDate([StatusHireDate]))"#, true),
            (
                r#"IIF(DateDiff("d", Now(), CDate([hireDate])) > 5, "a", "b")"#,
                true,
            ),
            (
                r#"FormatDateTime([hireDate], , "yyyyMMdd", "yyyy-MM-dd")"#,
                false,
            ),
            ("[givenName]", false),
            ("Guid()", false),
        ] {
            let e = crate::parse(text).unwrap();
            assert_eq!(e.ast().reads_clock(), reads, "{text}");
        }
    }
}
