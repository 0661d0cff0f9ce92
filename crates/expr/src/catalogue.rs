//! The closed set of functions the language knows ([`Function`]) and the static catalogue the
//! portal lists ([`FUNCTIONS`]): name, signature, one-line help, and the arity rules the parser
//! enforces. Keeping arity here, next to the signature a person reads, stops the two drifting.

use std::fmt;

use serde::{Serialize, Serializer};

/// Every function of the expression language. Names are case-sensitive, as in Entra.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    Append,
    AppRoleAssignmentsComplex,
    AssertiveAppRoleAssignmentsComplex,
    BitAnd,
    CBool,
    CDate,
    Coalesce,
    ConvertToBase64,
    ConvertToUTF8Hex,
    Count,
    CStr,
    DateAdd,
    DateDiff,
    DateFromNum,
    FormatDateTime,
    Guid,
    IgnoreFlowIfNullOrEmpty,
    IIF,
    InStr,
    IsNull,
    IsNullOrEmpty,
    IsPresent,
    IsString,
    Item,
    Join,
    Left,
    Mid,
    NormalizeDiacritics,
    Not,
    Now,
    NumFromDate,
    PCase,
    RandomString,
    Redact,
    RemoveDuplicates,
    Replace,
    SelectUniqueValue,
    SingleAppRoleAssignment,
    Split,
    StripSpaces,
    Switch,
    ToLower,
    ToUpper,
    Word,
}

/// One entry of the catalogue shown in the expression builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FunctionInfo {
    #[serde(skip)]
    pub function: Function,
    /// The exact, case-sensitive name.
    pub name: &'static str,
    /// Human signature; `?` marks an optional parameter, `…` a repeating one.
    pub signature: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// Text the builder inserts when the admin picks the function.
    pub snippet: &'static str,
    /// Parameter names, in order (the last one repeats when `max_args` is `None`).
    pub params: &'static [&'static str],
    /// Fewest arguments (counting left-out optional ones, which still take a comma).
    pub min_args: usize,
    /// Most arguments, or `None` for no upper bound.
    pub max_args: Option<usize>,
}

impl Serialize for Function {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

macro_rules! f {
    ($func:ident, $sig:literal, $help:literal, $snippet:literal, [$($p:literal),*], $min:expr, $max:expr) => {
        FunctionInfo {
            function: Function::$func,
            name: stringify!($func),
            signature: $sig,
            help: $help,
            snippet: $snippet,
            params: &[$($p),*],
            min_args: $min,
            max_args: $max,
        }
    };
}

/// The catalogue, in alphabetical order (the order Microsoft documents them in).
pub static FUNCTIONS: &[FunctionInfo] = &[
    f!(Append, "Append(source, suffix)", "Appends suffix to the end of source.",
        "Append([userPrincipalName], \".test\")", ["source", "suffix"], 2, Some(2)),
    f!(AppRoleAssignmentsComplex, "AppRoleAssignmentsComplex([appRoleAssignments])",
        "All of the user's app roles as role objects (primary = false); the target gets a PATCH add.",
        "AppRoleAssignmentsComplex([appRoleAssignments])", ["appRoleAssignments"], 1, Some(1)),
    f!(AssertiveAppRoleAssignmentsComplex, "AssertiveAppRoleAssignmentsComplex([appRoleAssignments])",
        "Like AppRoleAssignmentsComplex, but the target gets a PATCH replace that removes roles the user no longer has.",
        "AssertiveAppRoleAssignmentsComplex([appRoleAssignments])", ["appRoleAssignments"], 1, Some(1)),
    f!(BitAnd, "BitAnd(value1, value2)", "Bitwise AND of two integers; &H hex literals allowed, e.g. BitAnd(&HF, &HF7) = 7.",
        "BitAnd([userAccountControl], &H2)", ["value1", "value2"], 2, Some(2)),
    f!(CBool, "CBool(expression)", "True if the expression is true or a non-zero number; comparisons (= <> > >= < <=) allowed.",
        "CBool([attribute1] = [attribute2])", ["expression"], 1, Some(1)),
    f!(CDate, "CDate(expression)", "Converts a date string to a UTC date-time (shown as M/d/yyyy h:mm:ss tt).",
        "CDate([StatusHireDate])", ["expression"], 1, Some(1)),
    f!(Coalesce, "Coalesce(source1, source2, …, defaultValue?)", "The first argument that is not null; null if all are.",
        "Coalesce([mail], [userPrincipalName])", ["source"], 1, None),
    f!(ConvertToBase64, "ConvertToBase64(source)", "Base64 of the UTF-16LE (\"Unicode\") bytes of source.",
        "ConvertToBase64([objectId])", ["source"], 1, Some(1)),
    f!(ConvertToUTF8Hex, "ConvertToUTF8Hex(source)", "Upper-case hex of the UTF-8 bytes of source.",
        "ConvertToUTF8Hex([objectId])", ["source"], 1, Some(1)),
    f!(Count, "Count(attribute)", "Number of values in a multi-valued attribute (0 if null).",
        "Count([proxyAddresses])", ["attribute"], 1, Some(1)),
    f!(CStr, "CStr(value)", "Converts a number, boolean or reference to a string.",
        "CStr([employeeId])", ["value"], 1, Some(1)),
    f!(DateAdd, "DateAdd(interval, value, dateTime)", "Adds value intervals (yyyy, m, d, ww, h, n, s) to a date-time.",
        "DateAdd(\"d\", 7, CDate([StatusHireDate]))", ["interval", "value", "dateTime"], 3, Some(3)),
    f!(DateDiff, "DateDiff(interval, date1, date2)", "Number of intervals (yyyy, m, d, ww, h, n, s) from date1 to date2; positive if date2 is later.",
        "DateDiff(\"d\", Now(), CDate([StatusHireDate]))", ["interval", "date1", "date2"], 3, Some(3)),
    f!(DateFromNum, "DateFromNum(value)", "Converts an Active Directory number (100 ns ticks since 1601) to a date-time.",
        "DateFromNum([lastLogonTimestamp])", ["value"], 1, Some(1)),
    f!(FormatDateTime, "FormatDateTime(source, dateTimeStyles?, inputFormat, outputFormat)",
        "Re-formats a date string using .NET custom date and time format strings.",
        "FormatDateTime([extensionAttribute1], , \"yyyyMMddHHmmss.fZ\", \"yyyy-MM-dd\")",
        ["source", "dateTimeStyles", "inputFormat", "outputFormat"], 4, Some(4)),
    f!(Guid, "Guid()", "A new random GUID.", "Guid()", [], 0, Some(0)),
    f!(IgnoreFlowIfNullOrEmpty, "IgnoreFlowIfNullOrEmpty(expression)",
        "Leaves the target attribute out of the flow if the expression is null or empty.",
        "IgnoreFlowIfNullOrEmpty([department])", ["expression"], 1, Some(1)),
    f!(IIF, "IIF(condition, valueIfTrue, valueIfFalse)", "valueIfTrue if the condition holds, else valueIfFalse; nest IIF for AND/OR.",
        "IIF([country] = \"USA\", [country], [department])", ["condition", "valueIfTrue", "valueIfFalse"], 3, Some(3)),
    f!(InStr, "InStr(value1, value2, start?, compareType?)",
        "1-based position of value2 in value1 (0 if absent); compareType vbBinaryCompare (default) or vbTextCompare.",
        "InStr([mail], \"@\")", ["value1", "value2", "start", "compareType"], 2, Some(4)),
    f!(IsNull, "IsNull(expression)", "True if the expression is null (the attribute is absent).",
        "IsNull([displayName])", ["expression"], 1, Some(1)),
    f!(IsNullOrEmpty, "IsNullOrEmpty(expression)", "True if the expression is null or an empty string.",
        "IsNullOrEmpty([displayName])", ["expression"], 1, Some(1)),
    f!(IsPresent, "IsPresent(expression)", "True if the expression is neither null nor empty (inverse of IsNullOrEmpty).",
        "IsPresent([displayName])", ["expression"], 1, Some(1)),
    f!(IsString, "IsString(expression)", "True if the expression evaluates to a single value that can be used as a string.",
        "IsString([employeeId])", ["expression"], 1, Some(1)),
    f!(Item, "Item(attribute, index)", "The index-th value (1-based) of a multi-valued attribute; null if out of range.",
        "Item([proxyAddresses], 1)", ["attribute", "index"], 2, Some(2)),
    f!(Join, "Join(separator, source1, source2, …)", "Joins the non-empty values (multi-valued ones expanded) with separator.",
        "Join(\".\", [givenName], [surname])", ["separator", "source"], 2, None),
    f!(Left, "Left(string, numChars)", "The first numChars characters; \"\" if numChars is 0 or string is null, all of it if numChars < 0.",
        "Left([givenName], 1)", ["string", "numChars"], 2, Some(2)),
    f!(Mid, "Mid(source, start, length)", "length characters from the 1-based position start, clipped at the end.",
        "Mid([givenName], 1, 3)", ["source", "start", "length"], 3, Some(3)),
    f!(NormalizeDiacritics, "NormalizeDiacritics(source)", "Replaces accented characters with plain ones using Microsoft's table (ß→ss, æ→ae, ø→oe…).",
        "NormalizeDiacritics([givenName])", ["source"], 1, Some(1)),
    f!(Not, "Not(source)", "False if source is True, otherwise True.",
        "Not([accountEnabled])", ["source"], 1, Some(1)),
    f!(Now, "Now()", "The current UTC date-time (shown as M/d/yyyy h:mm:ss tt).", "Now()", [], 0, Some(0)),
    f!(NumFromDate, "NumFromDate(value)", "Converts an ISO 8601 date-time to the Active Directory number format (e.g. for accountExpires).",
        "NumFromDate([ContractEndDate])", ["value"], 1, Some(1)),
    f!(PCase, "PCase(source, wordSeparators?)", "Upper-cases the first letter of each word and lower-cases the rest.",
        "PCase([displayName])", ["source", "wordSeparators"], 1, Some(2)),
    f!(RandomString, "RandomString(length, minNumbers, minSpecial, minCapital, minLower, charsToAvoid?)",
        "A random string (at most 256 characters) with at least the given numbers of each kind of character.",
        "RandomString(12, 2, 2, 2, 2)", ["length", "minNumbers", "minSpecial", "minCapital", "minLower", "charsToAvoid"], 5, Some(6)),
    f!(Redact, "Redact(value)", "Returns value unchanged, but logs show [Redact] instead of it.",
        "Redact([userPrincipalName])", ["value"], 1, Some(1)),
    f!(RemoveDuplicates, "RemoveDuplicates(attribute)", "The values of a multi-valued attribute with duplicates removed.",
        "RemoveDuplicates([proxyAddresses])", ["attribute"], 1, Some(1)),
    f!(Replace, "Replace(source, oldValue?, regexPattern?, regexGroupName?, replacementValue?, replacementAttributeName?, template?)",
        "Replaces text (five modes: literal, template, regex, regex group, regex group from a fallback attribute); case-sensitive.",
        "Replace([mail], \"@contoso.com\", , , \"\", , )",
        ["source", "oldValue", "regexPattern", "regexGroupName", "replacementValue", "replacementAttributeName", "template"], 3, Some(7)),
    f!(SelectUniqueValue, "SelectUniqueValue(rule1, rule2, …)", "The first rule whose value is unique in the target; must be the whole expression.",
        "SelectUniqueValue(Join(\"@\", [givenName], \"contoso.com\"), Join(\"@\", [surname], \"contoso.com\"))", ["rule"], 2, None),
    f!(SingleAppRoleAssignment, "SingleAppRoleAssignment([appRoleAssignments])", "One of the user's app roles as a string (its value).",
        "SingleAppRoleAssignment([appRoleAssignments])", ["appRoleAssignments"], 1, Some(1)),
    f!(Split, "Split(source, delimiter)", "Splits source at delimiter into a multi-valued result.",
        "Split([extensionAttribute5], \",\")", ["source", "delimiter"], 2, Some(2)),
    f!(StripSpaces, "StripSpaces(source)", "Removes every space character.", "StripSpaces([displayName])", ["source"], 1, Some(1)),
    f!(Switch, "Switch(source, defaultValue?, key1, value1, key2, value2, …)",
        "The value paired with the first key equal to source (case-sensitive; null matches \"\"), else defaultValue.",
        "Switch([state], \"Australia/Sydney\", \"NSW\", \"Australia/Sydney\", \"QLD\", \"Australia/Brisbane\")",
        ["source", "defaultValue", "key", "value"], 4, None),
    f!(ToLower, "ToLower(source, culture?)", "Lower-case, invariant culture unless a culture such as tr-TR is given.",
        "ToLower([mail])", ["source", "culture"], 1, Some(2)),
    f!(ToUpper, "ToUpper(source, culture?)", "Upper-case, invariant culture unless a culture such as tr-TR is given.",
        "ToUpper([surname])", ["source", "culture"], 1, Some(2)),
    f!(Word, "Word(string, wordNumber, delimiters)", "The wordNumber-th word (1-based); any character of delimiters separates words.",
        "Word([displayName], 1, \" \")", ["string", "wordNumber", "delimiters"], 3, Some(3)),
];

impl Function {
    /// Looks a name up exactly (case-sensitive).
    pub fn from_name(name: &str) -> Option<Function> {
        FUNCTIONS
            .iter()
            .find(|info| info.name == name)
            .map(|info| info.function)
    }

    /// The catalogue entry.
    pub fn info(self) -> &'static FunctionInfo {
        // The table is in declaration order, which the test below checks, so this index is valid.
        &FUNCTIONS[self as usize]
    }

    /// The exact name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Whether argument `index` (0-based) may be left out (`F(a, , c)`). Required parameters may
    /// not; neither may the repeating ones, where a gap is almost certainly a typo.
    pub fn may_omit(self, index: usize) -> bool {
        match self {
            Function::FormatDateTime => index == 1,
            Function::InStr => index >= 2,
            Function::PCase | Function::ToLower | Function::ToUpper => index == 1,
            Function::RandomString => index == 5,
            Function::Replace => index >= 1,
            Function::Switch => index == 1,
            _ => false,
        }
    }

    /// Name of parameter `index` for messages.
    pub fn param_name(self, index: usize) -> &'static str {
        let params = self.info().params;
        match self {
            // Switch repeats key/value pairs after the first two.
            Function::Switch if index >= 2 => {
                if index % 2 == 0 {
                    "key"
                } else {
                    "value"
                }
            }
            _ => params
                .get(index)
                .or(params.last())
                .copied()
                .unwrap_or("argument"),
        }
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The known function whose name is closest to `name`: an exact case-insensitive match first
/// (the usual mistake, `Iif` for `IIF`), then anything within a small edit distance.
pub fn suggest_function(name: &str) -> Option<&'static str> {
    if let Some(info) = FUNCTIONS
        .iter()
        .find(|info| info.name.eq_ignore_ascii_case(name))
    {
        return Some(info.name);
    }
    let lower = name.to_ascii_lowercase();
    let limit = match name.chars().count() {
        0..=3 => 1,
        4..=8 => 2,
        _ => 3,
    };
    FUNCTIONS
        .iter()
        .map(|info| {
            (
                edit_distance(&lower, &info.name.to_ascii_lowercase()),
                info.name,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance over characters; names are short, so the quadratic cost is nothing.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_declaration_order_and_names_match() {
        for (i, info) in FUNCTIONS.iter().enumerate() {
            assert_eq!(info.function as usize, i, "{} out of order", info.name);
            assert_eq!(Function::from_name(info.name), Some(info.function));
            assert!(
                info.signature.starts_with(info.name),
                "{} signature",
                info.name
            );
            assert!(info.snippet.starts_with(info.name), "{} snippet", info.name);
        }
        assert_eq!(FUNCTIONS.len(), Function::Word as usize + 1);
    }

    #[test]
    fn suggestions() {
        let cases = [
            ("iif", Some("IIF")),
            ("Iif", Some("IIF")),
            ("JOIN", Some("Join")),
            ("Joni", Some("Join")),
            ("ConvertToUtf8Hex", Some("ConvertToUTF8Hex")),
            ("Normalizediacritic", Some("NormalizeDiacritics")),
            ("Frobnicate", None),
        ];
        for (name, want) in cases {
            assert_eq!(suggest_function(name), want, "{name}");
        }
    }

    #[test]
    fn catalogue_serializes_for_the_browser() {
        let json = serde_json::to_value(Function::Join.info()).unwrap();
        assert_eq!(json["name"], "Join");
        assert_eq!(json["signature"], "Join(separator, source1, source2, …)");
        assert!(json["help"].as_str().unwrap().contains("separator"));
    }
}
