//! A coarse filter the database applies while scanning users or groups: the part of a SCIM
//! filter that SQL can check on the stored JSON. It may let through resources the real filter
//! rejects (the caller still checks every candidate with the real filter), but never drops
//! one the real filter would keep.

/// Where a value sits in a stored resource: attribute names in their canonical case, an
/// extension's URN as the first segment when the attribute lives in one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath(pub Vec<String>);

impl JsonPath {
    /// The SQLite JSON path (`$."urn:…:User"."department"`).
    pub fn sqlite(&self) -> String {
        let mut out = String::from("$");
        for segment in &self.0 {
            out.push_str(".\"");
            out.push_str(&segment.replace('"', "\"\""));
            out.push('"');
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextOp {
    Eq,
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prefilter {
    /// A text value at `path` compares with `value` (ASCII case folded unless `case_exact`).
    Text {
        path: JsonPath,
        op: TextOp,
        value: String,
        case_exact: bool,
    },
    /// Some element of the array at `array` has, at `sub` (or itself when `sub` is empty), a
    /// text value that compares with `value`.
    AnyText {
        array: JsonPath,
        sub: Vec<String>,
        op: TextOp,
        value: String,
        case_exact: bool,
    },
    /// Something is stored at `path`.
    Present(JsonPath),
    All(Vec<Prefilter>),
    Any(Vec<Prefilter>),
}

/// `text` as a LIKE pattern for `op`, with LIKE's wildcards escaped by `\`.
pub(crate) fn like_for(op: TextOp, text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    match op {
        TextOp::Eq => escaped,
        TextOp::StartsWith => format!("{escaped}%"),
        TextOp::EndsWith => format!("%{escaped}"),
        TextOp::Contains => format!("%{escaped}%"),
    }
}

/// `expr` compared with `value`: LIKE (ASCII case folded) or, case-exact, on the raw text.
/// Parameters are pushed in the order the `?` appear.
fn compare(
    expr: &str,
    op: TextOp,
    value: &str,
    case_exact: bool,
    params: &mut Vec<String>,
) -> String {
    if !case_exact {
        params.push(like_for(op, value));
        return format!("{expr} LIKE ? ESCAPE '\\'");
    }
    match op {
        TextOp::Eq => {
            params.push(value.to_string());
            format!("{expr} = ?")
        }
        TextOp::StartsWith | TextOp::EndsWith => {
            params.push(value.to_string());
            params.push(value.to_string());
            let start = if op == TextOp::StartsWith {
                "1"
            } else {
                "-length(?)"
            };
            if op == TextOp::StartsWith {
                format!("substr({expr}, 1, length(?)) = ?")
            } else {
                format!("substr({expr}, {start}) = ?")
            }
        }
        TextOp::Contains => {
            params.push(value.to_string());
            format!("instr({expr}, ?) > 0")
        }
    }
}

impl Prefilter {
    /// The SQL condition on the column `resource`, with its parameters in order. SQLite's
    /// LIKE folds ASCII case only: callers build prefilters for ASCII values only, so nothing
    /// the real (Unicode) comparison keeps is lost.
    pub(crate) fn sql(&self, params: &mut Vec<String>) -> String {
        match self {
            Prefilter::Text {
                path,
                op,
                value,
                case_exact,
            } => {
                params.push(path.sqlite());
                compare("json_extract(resource, ?)", *op, value, *case_exact, params)
            }
            Prefilter::AnyText {
                array,
                sub,
                op,
                value,
                case_exact,
            } => {
                params.push(array.sqlite());
                let expr = if sub.is_empty() {
                    "e.value"
                } else {
                    params.push(JsonPath(sub.clone()).sqlite());
                    "json_extract(e.value, ?)"
                };
                let condition = compare(expr, *op, value, *case_exact, params);
                format!("EXISTS (SELECT 1 FROM json_each(resource, ?) AS e WHERE {condition})")
            }
            Prefilter::Present(path) => {
                params.push(path.sqlite());
                "json_extract(resource, ?) IS NOT NULL".to_string()
            }
            Prefilter::All(terms) => {
                let parts: Vec<String> = terms.iter().map(|t| t.sql(params)).collect();
                format!("({})", parts.join(" AND "))
            }
            Prefilter::Any(terms) => {
                let parts: Vec<String> = terms.iter().map(|t| t.sql(params)).collect();
                format!("({})", parts.join(" OR "))
            }
        }
    }
}
