//! Evaluation of a parsed [`Expression`] against one object: argument conversion rules, the
//! comparison and truth rules used by `IIF` and `CBool`, the control-flow functions (`IIF`,
//! `Switch`, `Coalesce`, `SelectUniqueValue`) and the dispatch to the function modules.
//!
//! Conventions every function follows unless its documentation says otherwise:
//! - A null source gives a null result, so "null values are not provisioned" carries through
//!   nested calls. Documented exceptions: `Left` and `Word` give `""`, `Join` skips nulls,
//!   `Switch` compares a null source as `""`, the `Is…` functions and `Coalesce` test for it.
//! - A multi-valued argument where one value is expected is an error, except that a
//!   multi-valued attribute with exactly one value counts as that value.
//! - Positions (`Mid`, `InStr`, `Item`, `Word`) are 1-based and count Unicode scalar values.

use chrono::{DateTime, Utc};

use crate::ast::{CmpOp, Constant, Expr, NumberLit};
use crate::catalogue::Function;
use crate::context::EvalContext;
use crate::error::EvalError;
use crate::functions::{dates, diacritics, random, replace, roles, text};
use crate::parser::Expression;
use crate::source::AttributeSource;
use crate::value::{Number, Value};

/// Largest string (in bytes) or multi-valued result a function may produce. Values grow by
/// nesting (`ConvertToUTF8Hex` doubles, `Replace` with a template multiplies); the limit keeps
/// a hostile 10,000-character expression from exhausting memory. Attribute values themselves
/// are not limited.
pub const MAX_VALUE_BYTES: usize = 1 << 20;

pub(crate) fn too_large(function: &'static str) -> EvalError {
    EvalError::ValueTooLarge {
        function,
        limit: MAX_VALUE_BYTES,
    }
}

/// Approximate size of a value in bytes, for [`MAX_VALUE_BYTES`].
fn size_of(v: &Value) -> usize {
    match v {
        Value::String(s) | Value::Reference(s) => s.len(),
        Value::Multi(items) => items.iter().map(|i| size_of(i).saturating_add(8)).sum(),
        Value::Complex(m) => m
            .iter()
            .map(|(k, v)| k.len().saturating_add(size_of(v)))
            .sum(),
        _ => 8,
    }
}

/// The result of evaluating an expression for one object.
///
/// Its JSON form (`{"value": …, "ignore_flow": …, "redacted": …}`) writes `"[Redact]"` in place
/// of a redacted value, so serializing an outcome into a log can never leak it; code that needs
/// the real value (to send it to the target) reads [`Outcome::value`].
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The computed value.
    pub value: Value,
    /// `IgnoreFlowIfNullOrEmpty` found its argument null or empty: leave the target attribute
    /// out of the flow entirely (neither set nor cleared).
    pub ignore_flow: bool,
    /// `Redact` was involved: logs must show `[Redact]` instead of the value.
    pub redacted: bool,
}

impl serde::Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Outcome", 3)?;
        if self.redacted {
            st.serialize_field("value", "[Redact]")?;
        } else {
            st.serialize_field("value", &self.value)?;
        }
        st.serialize_field("ignore_flow", &self.ignore_flow)?;
        st.serialize_field("redacted", &self.redacted)?;
        st.end()
    }
}

impl Outcome {
    /// The text a log or trace may show.
    pub fn log_text(&self) -> String {
        if self.redacted {
            "[Redact]".to_string()
        } else {
            self.value.to_string()
        }
    }
}

impl Expression {
    /// Evaluates the expression for one object.
    ///
    /// ```
    /// use steward_expr::{parse, FixedContext, Value};
    /// let user = serde_json::json!({"givenName": "Zoë", "surname": "Doe"});
    /// let e = parse(r#"ToLower(NormalizeDiacritics(Join(".", [givenName], [surname])))"#).unwrap();
    /// let out = e.evaluate(&user, &mut FixedContext::default()).unwrap();
    /// assert_eq!(out.value, Value::from("zoe.doe"));
    /// ```
    pub fn evaluate(
        &self,
        attrs: &dyn AttributeSource,
        ctx: &mut dyn EvalContext,
    ) -> Result<Outcome, EvalError> {
        let mut ev = Evaluator {
            expr: self,
            attrs,
            ctx,
            redacted: false,
            ignore_flow: false,
        };
        let value = ev.eval(&self.root)?;
        Ok(Outcome {
            value,
            ignore_flow: ev.ignore_flow,
            redacted: ev.redacted,
        })
    }

    /// Whether the target should receive a PATCH *replace* of its roles (the top-level function
    /// is `AssertiveAppRoleAssignmentsComplex`) rather than an *add*
    /// (`AppRoleAssignmentsComplex`). `None` for other expressions.
    pub fn role_patch_mode(&self) -> Option<RolePatchMode> {
        match self.root.function()? {
            Function::AppRoleAssignmentsComplex => Some(RolePatchMode::Add),
            Function::AssertiveAppRoleAssignmentsComplex => Some(RolePatchMode::Replace),
            _ => None,
        }
    }
}

/// How a role-list expression is sent to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolePatchMode {
    Add,
    Replace,
}

pub(crate) struct Evaluator<'a> {
    expr: &'a Expression,
    attrs: &'a dyn AttributeSource,
    ctx: &'a mut dyn EvalContext,
    redacted: bool,
    ignore_flow: bool,
}

type Args = [Option<Expr>];

impl Evaluator<'_> {
    fn eval(&mut self, e: &Expr) -> Result<Value, EvalError> {
        match e {
            Expr::Attribute(name) => Ok(self
                .attrs
                .attribute(name)
                .map(|v| v.into_owned())
                .unwrap_or(Value::Null)),
            Expr::Str(s) => Ok(Value::String(s.clone())),
            Expr::Number(NumberLit::Int(i)) => Ok(Value::Number(Number::Int(*i))),
            // Hex literals are bit patterns; reinterpreting as i64 keeps all 64 bits for BitAnd.
            Expr::Number(NumberLit::Hex(h)) => Ok(Value::Number(Number::Int(*h as i64))),
            Expr::Number(NumberLit::Float(x)) => Ok(Value::Number(Number::Float(*x))),
            Expr::Constant(Constant::True) => Ok(Value::Boolean(true)),
            Expr::Constant(Constant::False) => Ok(Value::Boolean(false)),
            Expr::Constant(Constant::VbBinaryCompare) => Ok(Value::from(0)),
            Expr::Constant(Constant::VbTextCompare) => Ok(Value::from(1)),
            Expr::Compare { op, lhs, rhs } => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                Ok(Value::Boolean(compare(*op, &l, &r)))
            }
            Expr::Call { function, args } => self.call(*function, args),
        }
    }

    /// Argument `i`, null if left out.
    fn arg(&mut self, args: &Args, i: usize) -> Result<Value, EvalError> {
        match args.get(i) {
            Some(Some(e)) => self.eval(e),
            _ => Ok(Value::Null),
        }
    }

    /// Argument `i` as text; `None` if null or left out.
    fn text(&mut self, f: Function, args: &Args, i: usize) -> Result<Option<String>, EvalError> {
        let v = self.arg(args, i)?;
        text_of(f, i, v)
    }

    /// Argument `i` as an integer; `None` if null or left out.
    fn int(&mut self, f: Function, args: &Args, i: usize) -> Result<Option<i64>, EvalError> {
        let v = self.arg(args, i)?;
        int_of(f, i, &v)
    }

    fn required_int(&mut self, f: Function, args: &Args, i: usize) -> Result<i64, EvalError> {
        self.int(f, args, i)?
            .ok_or_else(|| EvalError::TypeMismatch {
                function: f.name(),
                position: i + 1,
                expected: "a whole number",
                found: "null".into(),
            })
    }

    fn date(
        &mut self,
        f: Function,
        args: &Args,
        i: usize,
    ) -> Result<Option<DateTime<Utc>>, EvalError> {
        let v = self.arg(args, i)?;
        dates::date_of(f, i, &v)
    }

    fn call(&mut self, f: Function, args: &Args) -> Result<Value, EvalError> {
        let v = self.call_unchecked(f, args)?;
        // Every function grows its input by a bounded factor at most (Join and Replace check
        // as they build), so checking each result bounds memory at a small multiple of the limit.
        if size_of(&v) > MAX_VALUE_BYTES {
            return Err(too_large(f.name()));
        }
        Ok(v)
    }

    fn call_unchecked(&mut self, f: Function, args: &Args) -> Result<Value, EvalError> {
        use Function as F;
        match f {
            F::Append => {
                let Some(source) = self.text(f, args, 0)? else {
                    return Ok(Value::Null);
                };
                let suffix = self.text(f, args, 1)?.unwrap_or_default();
                Ok(Value::String(source + &suffix))
            }
            F::AppRoleAssignmentsComplex | F::AssertiveAppRoleAssignmentsComplex => {
                let v = self.arg(args, 0)?;
                roles::complex(f, &v)
            }
            F::SingleAppRoleAssignment => {
                let v = self.arg(args, 0)?;
                roles::single(f, &v)
            }
            F::BitAnd => {
                let a = self.int(f, args, 0)?;
                let b = self.int(f, args, 1)?;
                Ok(match (a, b) {
                    (Some(a), Some(b)) => Value::from(a & b),
                    _ => Value::Null,
                })
            }
            F::CBool => {
                let v = self.arg(args, 0)?;
                truth(f, &v).map(Value::Boolean)
            }
            F::CDate => {
                let v = self.arg(args, 0)?;
                Ok(dates::date_of(f, 0, &v)?.map_or(Value::Null, Value::DateTime))
            }
            F::Coalesce => {
                for i in 0..args.len() {
                    let v = self.arg(args, i)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Value::Null)
            }
            F::ConvertToBase64 => Ok(self
                .text(f, args, 0)?
                .map_or(Value::Null, |s| Value::String(text::base64_utf16le(&s)))),
            F::ConvertToUTF8Hex => Ok(self
                .text(f, args, 0)?
                .map_or(Value::Null, |s| Value::String(text::utf8_hex(&s)))),
            F::Count => {
                let n = match self.arg(args, 0)? {
                    Value::Null => 0,
                    Value::Multi(v) => v.len(),
                    _ => 1,
                };
                Ok(Value::from(n as i64))
            }
            F::CStr => {
                let v = self.arg(args, 0)?;
                Ok(text_of(f, 0, v)?.map_or(Value::Null, Value::String))
            }
            F::DateAdd => {
                let interval = self.text(f, args, 0)?.unwrap_or_default();
                let n = self.required_int(f, args, 1)?;
                let Some(d) = self.date(f, args, 2)? else {
                    return Ok(Value::Null);
                };
                dates::date_add(&interval, n, d).map(Value::DateTime)
            }
            F::DateDiff => {
                let interval = self.text(f, args, 0)?.unwrap_or_default();
                let (Some(a), Some(b)) = (self.date(f, args, 1)?, self.date(f, args, 2)?) else {
                    return Ok(Value::Null);
                };
                dates::date_diff(&interval, a, b).map(Value::from)
            }
            F::DateFromNum => {
                let Some(n) = self.int(f, args, 0)? else {
                    return Ok(Value::Null);
                };
                dates::from_ad_ticks(n).map(Value::DateTime)
            }
            F::NumFromDate => {
                let Some(d) = self.date(f, args, 0)? else {
                    return Ok(Value::Null);
                };
                dates::to_ad_ticks(d).map(Value::from)
            }
            F::FormatDateTime => {
                let source = self.text(f, args, 0)?;
                let styles = self.text(f, args, 1)?;
                let input = self.text(f, args, 2)?.unwrap_or_default();
                let output = self.text(f, args, 3)?.unwrap_or_default();
                let Some(source) = source else {
                    return Ok(Value::Null);
                };
                dates::format_date_time(&source, styles.as_deref(), &input, &output)
                    .map(Value::String)
            }
            F::Guid => Ok(Value::String(random::guid(self.ctx))),
            F::IgnoreFlowIfNullOrEmpty => {
                let v = self.arg(args, 0)?;
                if v.is_null_or_empty() {
                    self.ignore_flow = true;
                }
                Ok(v)
            }
            F::IIF => {
                let cond = self.arg(args, 0)?;
                // Entra fails when the condition's attribute is null; here null is simply
                // false (and compares as ""), so IIF([country] = "", …) works.
                let branch = if truth(f, &cond)? { 1 } else { 2 };
                self.arg(args, branch)
            }
            F::InStr => {
                let haystack = self.text(f, args, 0)?;
                let needle = self.text(f, args, 1)?;
                let start = self.int(f, args, 2)?;
                let mode = self.arg(args, 3)?;
                let text_compare = text::compare_mode(f, &mode)?;
                match (haystack, needle) {
                    (Some(h), Some(n)) => text::instr(&h, &n, start, text_compare).map(Value::from),
                    _ => Ok(Value::Null),
                }
            }
            F::IsNull => Ok(Value::Boolean(self.arg(args, 0)?.is_null())),
            F::IsNullOrEmpty => Ok(Value::Boolean(self.arg(args, 0)?.is_null_or_empty())),
            F::IsPresent => Ok(Value::Boolean(!self.arg(args, 0)?.is_null_or_empty())),
            F::IsString => {
                let v = self.arg(args, 0)?;
                Ok(Value::Boolean(!v.is_null() && v.as_text().is_some()))
            }
            F::Item => {
                let v = self.arg(args, 0)?;
                let index = self.required_int(f, args, 1)?;
                let values = match v {
                    Value::Null => return Ok(Value::Null),
                    Value::Multi(values) => values,
                    single => vec![single],
                };
                // 1-based; 0 and out-of-range indexes give null rather than an error so one
                // short list does not fail a whole provisioning cycle.
                Ok(usize::try_from(index)
                    .ok()
                    .and_then(|i| i.checked_sub(1))
                    .and_then(|i| values.into_iter().nth(i))
                    .unwrap_or(Value::Null))
            }
            F::Join => {
                let sep = self.text(f, args, 0)?.unwrap_or_default();
                let mut parts: Vec<String> = Vec::new();
                let mut total = 0usize;
                for i in 1..args.len() {
                    let v = self.arg(args, i)?;
                    // Null and empty sources are skipped: Microsoft's example
                    // Join(", ", "", [surname], [givenName]) gives "Doe, John".
                    let values = match v {
                        Value::Multi(values) => values,
                        single => vec![single],
                    };
                    for v in values {
                        if let Some(t) = text_of(f, i, v)? {
                            if !t.is_empty() {
                                total = total.saturating_add(t.len() + sep.len());
                                if total > MAX_VALUE_BYTES {
                                    return Err(too_large(f.name()));
                                }
                                parts.push(t);
                            }
                        }
                    }
                }
                Ok(Value::String(parts.join(&sep)))
            }
            F::Left => {
                let s = self.text(f, args, 0)?;
                let n = self.required_int(f, args, 1)?;
                Ok(Value::String(text::left(s.as_deref().unwrap_or(""), n)))
            }
            F::Mid => {
                let s = self.text(f, args, 0)?;
                let start = self.required_int(f, args, 1)?;
                let len = self.required_int(f, args, 2)?;
                match s {
                    Some(s) => text::mid(&s, start, len).map(Value::String),
                    None => Ok(Value::Null),
                }
            }
            F::NormalizeDiacritics => Ok(self
                .text(f, args, 0)?
                .map_or(Value::Null, |s| Value::String(diacritics::normalize(&s)))),
            F::Not => {
                let v = self.arg(args, 0)?;
                let is_true = match &v {
                    Value::Boolean(b) => *b,
                    other => other
                        .as_text()
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("true")),
                };
                Ok(Value::Boolean(!is_true))
            }
            F::Now => Ok(Value::DateTime(self.ctx.now())),
            F::PCase => {
                let s = self.text(f, args, 0)?;
                let seps = self.text(f, args, 1)?;
                Ok(s.map_or(Value::Null, |s| {
                    Value::String(text::pcase(&s, seps.as_deref()))
                }))
            }
            F::RandomString => {
                let mut n = [0i64; 5];
                for (i, slot) in n.iter_mut().enumerate() {
                    *slot = self.required_int(f, args, i)?;
                }
                let avoid = self.text(f, args, 5)?.unwrap_or_default();
                random::random_string(self.ctx, n, &avoid).map(Value::String)
            }
            F::Redact => {
                self.redacted = true;
                self.arg(args, 0)
            }
            F::RemoveDuplicates => Ok(match self.arg(args, 0)? {
                Value::Multi(values) => {
                    // Keyed by the debug form (values are not `Hash` because of floats), so
                    // the cost stays linear for long lists.
                    let mut seen = std::collections::HashSet::new();
                    Value::Multi(
                        values
                            .into_iter()
                            .filter(|v| seen.insert(format!("{v:?}")))
                            .collect(),
                    )
                }
                other => other,
            }),
            F::Replace => self.replace(args),
            F::SelectUniqueValue => {
                let mut candidates = 0;
                for i in 0..args.len() {
                    let Some(candidate) = self.text(f, args, i)? else {
                        continue;
                    };
                    if candidate.is_empty() {
                        continue;
                    }
                    candidates += 1;
                    if self.ctx.is_unique(&candidate) {
                        return Ok(Value::String(candidate));
                    }
                }
                Err(EvalError::NoUniqueValue { candidates })
            }
            F::Split => {
                let s = self.text(f, args, 0)?;
                let delim = self.text(f, args, 1)?.unwrap_or_default();
                Ok(s.map_or(Value::Null, |s| text::split(&s, &delim)))
            }
            F::StripSpaces => Ok(self
                .text(f, args, 0)?
                .map_or(Value::Null, |s| Value::String(s.replace(' ', "")))),
            F::Switch => {
                // A null source matches the key "": Microsoft's recommended way to test for
                // absence. Evaluated on the full object every time, so, unlike Entra, Switch
                // never yields null merely because its source attribute did not change.
                let source = self.text(f, args, 0)?.unwrap_or_default();
                let mut i = 2;
                while i + 1 < args.len() {
                    let key = self.text(f, args, i)?.unwrap_or_default();
                    if key == source {
                        return self.arg(args, i + 1);
                    }
                    i += 2;
                }
                self.arg(args, 1)
            }
            F::ToLower | F::ToUpper => {
                let s = self.text(f, args, 0)?;
                let culture = self.text(f, args, 1)?;
                match s {
                    Some(s) => text::change_case(f, &s, culture.as_deref(), f == F::ToUpper)
                        .map(Value::String),
                    None => Ok(Value::Null),
                }
            }
            F::Word => {
                let s = self.text(f, args, 0)?;
                let n = self.required_int(f, args, 1)?;
                let delims = self.text(f, args, 2)?.unwrap_or_default();
                Ok(Value::String(text::word(
                    s.as_deref().unwrap_or(""),
                    n,
                    &delims,
                )))
            }
        }
    }

    fn replace(&mut self, args: &Args) -> Result<Value, EvalError> {
        let f = Function::Replace;
        let present = |i: usize| args.get(i).is_some_and(Option::is_some);
        let mode = replace::Mode::select(present);
        let source = self.text(f, args, 0)?;
        match mode {
            replace::Mode::Invalid(message) => Err(EvalError::InvalidArgument {
                function: f.name(),
                message: message.to_string(),
            }),
            replace::Mode::Literal => {
                let old = self.text(f, args, 1)?.unwrap_or_default();
                let new = self.text(f, args, 4)?.unwrap_or_default();
                match source {
                    Some(s) => replace::literal(&s, &old, &new).map(Value::String),
                    None => Ok(Value::Null),
                }
            }
            replace::Mode::Template => {
                let old = self.text(f, args, 1)?.unwrap_or_default();
                let template = self.text(f, args, 6)?.unwrap_or_default();
                match source {
                    Some(s) => replace::literal(&template, &old, &s).map(Value::String),
                    None => Ok(Value::Null),
                }
            }
            replace::Mode::Regex | replace::Mode::RegexGroup | replace::Mode::Fallback => {
                let pattern = self.text(f, args, 2)?.unwrap_or_default();
                let group = self.text(f, args, 3)?.unwrap_or_default();
                let compiled;
                let re = match self.expr.cached_regex(&pattern) {
                    Some(re) => re,
                    None => {
                        compiled = crate::regex_util::compile(&pattern).map_err(|message| {
                            EvalError::InvalidRegex {
                                function: f.name(),
                                message,
                            }
                        })?;
                        &compiled
                    }
                };
                match mode {
                    replace::Mode::Regex => {
                        let new = self.text(f, args, 4)?.unwrap_or_default();
                        match source {
                            Some(s) => replace::regex_replace(re, &s, &new).map(Value::String),
                            None => Ok(Value::Null),
                        }
                    }
                    replace::Mode::RegexGroup => {
                        let new = self.text(f, args, 4)?.unwrap_or_default();
                        let Some(s) = source else {
                            return Ok(Value::Null);
                        };
                        replace::group_replace(re, &s, &group, &new).map(Value::String)
                    }
                    _ => {
                        if let Some(s) = source.filter(|s| !s.is_empty()) {
                            return Ok(Value::String(s));
                        }
                        let fallback = self.text(f, args, 5)?;
                        match fallback {
                            Some(fb) => replace::group_extract(re, &fb, &group)
                                .map(|o| o.map_or(Value::Null, Value::String)),
                            None => Ok(Value::Null),
                        }
                    }
                }
            }
        }
    }
}

/// `v` as text for argument `i` of `f`; `None` for null.
fn text_of(f: Function, i: usize, v: Value) -> Result<Option<String>, EvalError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => match other.as_text() {
            Some(t) => Ok(Some(t.into_owned())),
            None => Err(EvalError::TypeMismatch {
                function: f.name(),
                position: i + 1,
                expected: "a single value",
                found: other.kind().to_string(),
            }),
        },
    }
}

/// `v` as an integer for argument `i` of `f`; `None` for null.
pub(crate) fn int_of(f: Function, i: usize, v: &Value) -> Result<Option<i64>, EvalError> {
    let mismatch = || EvalError::TypeMismatch {
        function: f.name(),
        position: i + 1,
        expected: "a whole number",
        found: match v.as_text() {
            Some(t) => format!("{t:?}"),
            None => v.kind().to_string(),
        },
    };
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n.as_i64().map(Some).ok_or_else(mismatch),
        Value::Boolean(b) => Ok(Some(i64::from(*b))),
        other => {
            let Some(t) = other.as_text() else {
                return Err(mismatch());
            };
            parse_int(&t).map(Some).ok_or_else(mismatch)
        }
    }
}

/// Parses an integer as written in text: decimal, or VB hex `&HFF`.
pub(crate) fn parse_int(t: &str) -> Option<i64> {
    let t = t.trim();
    if let Some(hex) = t.strip_prefix("&H").or_else(|| t.strip_prefix("&h")) {
        return u64::from_str_radix(hex, 16).ok().map(|u| u as i64);
    }
    t.parse::<i64>().ok()
}

fn parse_number(t: &str) -> Option<f64> {
    let t = t.trim();
    if t.is_empty() {
        return None;
    }
    parse_int(t)
        .map(|i| i as f64)
        .or_else(|| t.parse::<f64>().ok().filter(|x| x.is_finite()))
}

/// The truth of a condition (IIF) or CBool argument: booleans as themselves, numbers true when
/// non-zero, the strings "True"/"False" (any case) and numeric strings likewise; null is false.
fn truth(f: Function, v: &Value) -> Result<bool, EvalError> {
    match v {
        Value::Null => Ok(false),
        Value::Boolean(b) => Ok(*b),
        Value::Number(n) => Ok(n.as_f64() != 0.0),
        other => {
            let t = other.as_text().ok_or_else(|| EvalError::TypeMismatch {
                function: f.name(),
                position: 1,
                expected: "true or false",
                found: other.kind().to_string(),
            })?;
            let t = t.trim();
            if t.eq_ignore_ascii_case("true") {
                Ok(true)
            } else if t.eq_ignore_ascii_case("false") || t.is_empty() {
                Ok(false)
            } else if let Some(x) = parse_number(t) {
                Ok(x != 0.0)
            } else {
                Err(EvalError::TypeMismatch {
                    function: f.name(),
                    position: 1,
                    expected: "true or false",
                    found: format!("{t:?}"),
                })
            }
        }
    }
}

/// Comparison inside IIF/CBool. Null compares as "". If either side is a number, both are
/// compared as numbers when the other side reads as one; if either side is a date-time, as
/// date-times; if either is a boolean, as booleans; otherwise as case-sensitive ordinal text.
pub(crate) fn compare(op: CmpOp, l: &Value, r: &Value) -> bool {
    use std::cmp::Ordering;
    fn num(v: &Value) -> Option<f64> {
        match v {
            Value::Number(n) => Some(n.as_f64()),
            other => parse_number(&other.as_text()?),
        }
    }
    fn boolean(v: &Value) -> Option<bool> {
        match v {
            Value::Boolean(b) => Some(*b),
            other => {
                let t = other.as_text()?;
                if t.eq_ignore_ascii_case("true") {
                    Some(true)
                } else if t.eq_ignore_ascii_case("false") {
                    Some(false)
                } else {
                    None
                }
            }
        }
    }
    let is = |pred: fn(&Value) -> bool| pred(l) || pred(r);
    let ordering: Option<Ordering> = if is(|v| matches!(v, Value::Number(_))) {
        match (num(l), num(r)) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        }
    } else if is(|v| matches!(v, Value::DateTime(_))) {
        match (dates::date_of_value(l), dates::date_of_value(r)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        }
    } else if is(|v| matches!(v, Value::Boolean(_))) {
        match (boolean(l), boolean(r)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        }
    } else {
        None
    };
    let ordering = ordering.unwrap_or_else(|| {
        let a = l.as_text().unwrap_or_default();
        let b = r.as_text().unwrap_or_default();
        a.cmp(&b)
    });
    match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Le => ordering != Ordering::Greater,
    }
}

#[cfg(test)]
mod tests;
