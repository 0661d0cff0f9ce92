//! .NET date and time format strings, for `FormatDateTime`: the custom specifiers (`yyyy`, `MM`,
//! `dd`, `HH`, `hh`, `mm`, `ss`, `f`…`fffffff`, `F`…, `tt`, `t`, `z`, `zz`, `zzz`, `K`, `g`,
//! `MMM`, `MMMM`, `ddd`, `dddd`, `/`, `:`, quoted literals, `\` escapes, `%`) and the standard
//! one-letter formats (`d D f F g G M o r s t T u U Y`), both for parsing (as
//! `DateTime.ParseExact` with the invariant culture) and for formatting.
//!
//! Differences from .NET, all in the direction of not consulting a clock or a locale: the
//! invariant culture is always used; a format without a date part parses to 1 January of year 1
//! (.NET would use today, unless `NoCurrentDateDefault`); values are kept in UTC, so `zzz`
//! formats as `+00:00` and `K` as `Z`.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Debug, Clone, PartialEq)]
enum Spec {
    Year(usize),
    Month(usize),
    Day(usize),
    Hour12(usize),
    Hour24(usize),
    Minute(usize),
    Second(usize),
    /// Number of digits, and whether trailing zeros are dropped (`F`).
    Fraction(usize, bool),
    AmPm(usize),
    Offset(usize),
    Kind,
    Era,
    Literal(String),
}

/// Expands a standard (one-letter) format to its invariant-culture custom pattern.
fn standard(format: &str) -> Option<&'static str> {
    Some(match format {
        "d" => "MM/dd/yyyy",
        "D" => "dddd, dd MMMM yyyy",
        "f" => "dddd, dd MMMM yyyy HH:mm",
        "F" | "U" => "dddd, dd MMMM yyyy HH:mm:ss",
        "g" => "MM/dd/yyyy HH:mm",
        "G" => "MM/dd/yyyy HH:mm:ss",
        "M" | "m" => "MMMM dd",
        "o" | "O" => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
        "r" | "R" => "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
        "s" => "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
        "t" => "HH:mm",
        "T" => "HH:mm:ss",
        "u" => "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
        "Y" | "y" => "yyyy MMMM",
        _ => return None,
    })
}

fn tokenize(format: &str) -> Result<Vec<Spec>, String> {
    if format.is_empty() {
        return Err("the format is empty".into());
    }
    let format = if format.chars().count() == 1 {
        standard(format)
            .ok_or_else(|| format!("{format:?} is not a standard date and time format"))?
    } else {
        format
    };
    let chars: Vec<char> = format.chars().collect();
    let mut out: Vec<Spec> = Vec::new();
    let push_lit = |out: &mut Vec<Spec>, s: &str| {
        if let Some(Spec::Literal(prev)) = out.last_mut() {
            prev.push_str(s);
        } else {
            out.push(Spec::Literal(s.to_string()));
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut run = 1;
        while i + run < chars.len() && chars[i + run] == c {
            run += 1;
        }
        let spec = match c {
            'y' => Spec::Year(run),
            'M' => Spec::Month(run),
            'd' => Spec::Day(run),
            'h' => Spec::Hour12(run),
            'H' => Spec::Hour24(run),
            'm' => Spec::Minute(run),
            's' => Spec::Second(run),
            'f' | 'F' => {
                if run > 7 {
                    return Err("at most seven f or F specifiers are allowed".into());
                }
                Spec::Fraction(run, c == 'F')
            }
            't' => Spec::AmPm(run),
            'z' => Spec::Offset(run),
            'K' => {
                run = 1;
                Spec::Kind
            }
            'g' => Spec::Era,
            '/' => {
                run = 1;
                Spec::Literal("/".into())
            }
            ':' => {
                run = 1;
                Spec::Literal(":".into())
            }
            '\'' | '"' => {
                let mut j = i + 1;
                let mut lit = String::new();
                while j < chars.len() && chars[j] != c {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        j += 1;
                    }
                    lit.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(format!("the quoted text starting with {c} is not closed"));
                }
                push_lit(&mut out, &lit);
                i = j + 1;
                continue;
            }
            '\\' => {
                let Some(next) = chars.get(i + 1) else {
                    return Err("the format ends with a lone backslash".into());
                };
                push_lit(&mut out, &next.to_string());
                i += 2;
                continue;
            }
            '%' => {
                // `%d` is the custom specifier d on its own (a single letter would otherwise be
                // a standard format).
                i += 1;
                continue;
            }
            other => {
                push_lit(&mut out, &other.to_string());
                i += 1;
                continue;
            }
        };
        out.push(spec);
        i += run;
    }
    Ok(out)
}

fn pad(out: &mut String, n: i64, width: usize) {
    use std::fmt::Write;
    if n < 0 {
        let _ = write!(out, "-{:0width$}", -n, width = width);
    } else {
        let _ = write!(out, "{n:0width$}", width = width);
    }
}

/// Formats a UTC date-time with a .NET format string.
pub fn format(d: &DateTime<Utc>, format: &str) -> Result<String, String> {
    let specs = tokenize(format)?;
    let mut out = String::new();
    for spec in specs {
        match spec {
            Spec::Year(n) => {
                let y = i64::from(d.year());
                match n {
                    1 => pad(&mut out, y % 100, 1),
                    2 => pad(&mut out, y % 100, 2),
                    n => pad(&mut out, y, n),
                }
            }
            Spec::Month(n) => {
                let m = d.month() as usize;
                match n {
                    1 | 2 => pad(&mut out, m as i64, n),
                    3 => out.push_str(&MONTHS[m - 1][..3]),
                    _ => out.push_str(MONTHS[m - 1]),
                }
            }
            Spec::Day(n) => {
                let wd = d.weekday().num_days_from_sunday() as usize;
                match n {
                    1 | 2 => pad(&mut out, i64::from(d.day()), n),
                    3 => out.push_str(&DAYS[wd][..3]),
                    _ => out.push_str(DAYS[wd]),
                }
            }
            Spec::Hour12(n) => {
                let h = d.hour() % 12;
                pad(&mut out, i64::from(if h == 0 { 12 } else { h }), n.min(2));
            }
            Spec::Hour24(n) => pad(&mut out, i64::from(d.hour()), n.min(2)),
            Spec::Minute(n) => pad(&mut out, i64::from(d.minute()), n.min(2)),
            Spec::Second(n) => pad(&mut out, i64::from(d.second()), n.min(2)),
            Spec::Fraction(n, trim) => {
                // Ticks are 100 ns: seven digits.
                let ticks = (d.nanosecond() % 1_000_000_000) / 100;
                let digits = format!("{ticks:07}");
                let mut part = digits[..n].to_string();
                if trim {
                    while part.ends_with('0') {
                        part.pop();
                    }
                    if part.is_empty() && out.ends_with('.') {
                        // .NET drops the decimal point along with an all-zero F fraction.
                        out.pop();
                    }
                }
                out.push_str(&part);
            }
            Spec::AmPm(n) => {
                let s = if d.hour() < 12 { "AM" } else { "PM" };
                out.push_str(if n == 1 { &s[..1] } else { s });
            }
            Spec::Offset(n) => out.push_str(match n {
                1 => "+0",
                2 => "+00",
                _ => "+00:00",
            }),
            Spec::Kind => out.push('Z'),
            Spec::Era => out.push_str("A.D."),
            Spec::Literal(s) => out.push_str(&s),
        }
    }
    Ok(out)
}

/// Parse options from `DateTimeStyles`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Styles {
    pub leading_white: bool,
    pub trailing_white: bool,
    pub inner_white: bool,
}

impl Styles {
    /// Entra's default: RoundtripKind, AllowLeadingWhite, AllowTrailingWhite.
    pub fn entra_default() -> Self {
        Styles {
            leading_white: true,
            trailing_white: true,
            inner_white: false,
        }
    }

    /// Reads a list such as `"AllowWhiteSpaces, AdjustToUniversal"` (separated by commas, `|` or
    /// spaces). Styles about time zones are accepted and have no effect: values are UTC.
    pub fn parse(list: &str) -> Result<Styles, String> {
        let mut s = Styles::default();
        for name in list
            .split([',', '|', ' '])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let name = name.strip_prefix("DateTimeStyles.").unwrap_or(name);
            match name {
                "None"
                | "RoundtripKind"
                | "AdjustToUniversal"
                | "AssumeLocal"
                | "AssumeUniversal"
                | "NoCurrentDateDefault" => {}
                "AllowLeadingWhite" => s.leading_white = true,
                "AllowTrailingWhite" => s.trailing_white = true,
                "AllowInnerWhite" => s.inner_white = true,
                "AllowWhiteSpaces" => {
                    s.leading_white = true;
                    s.trailing_white = true;
                    s.inner_white = true;
                }
                other => return Err(format!("{other:?} is not a DateTimeStyles value")),
            }
        }
        Ok(s)
    }
}

struct Cursor<'a> {
    s: &'a [char],
    pos: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.pos;
        while self.pos < self.s.len() && self.pos - start < max && self.s[self.pos].is_ascii_digit()
        {
            self.pos += 1;
        }
        if self.pos - start < min {
            return None;
        }
        self.s[start..self.pos].iter().try_fold(0i64, |acc, c| {
            acc.checked_mul(10)?.checked_add(i64::from(c.to_digit(10)?))
        })
    }

    fn word<'w>(&mut self, words: impl Iterator<Item = &'w str>) -> Option<usize> {
        // Longest match first so "May" does not stop at a prefix of a longer name.
        let mut best: Option<(usize, usize)> = None;
        for (i, w) in words.enumerate() {
            let n = w.chars().count();
            if self.pos + n <= self.s.len()
                && self.s[self.pos..self.pos + n]
                    .iter()
                    .zip(w.chars())
                    .all(|(a, b)| a.eq_ignore_ascii_case(&b))
                && best.is_none_or(|(_, len)| n > len)
            {
                best = Some((i, n));
            }
        }
        let (i, n) = best?;
        self.pos += n;
        Some(i)
    }

    fn skip_white(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn offset(&mut self, specs: usize, allow_z: bool) -> Option<i32> {
        if allow_z && (self.eat('Z') || self.eat('z')) {
            return Some(0);
        }
        let sign = if self.eat('+') {
            1
        } else if self.eat('-') {
            -1
        } else {
            return None;
        };
        let hours = self.digits(if specs == 2 { 2 } else { 1 }, 2)?;
        let mut minutes = 0;
        if specs >= 3 {
            if !self.eat(':') {
                return None;
            }
            minutes = self.digits(2, 2)?;
        }
        if hours > 14 || minutes > 59 {
            return None;
        }
        Some(sign * (hours as i32 * 3600 + minutes as i32 * 60))
    }
}

/// Parses `input` exactly as `format` describes (as .NET's `DateTime.ParseExact` with the
/// invariant culture) and returns the instant in UTC. Without an offset in the input the time
/// is taken to be UTC.
pub fn parse_exact(input: &str, format: &str, styles: Styles) -> Result<DateTime<Utc>, String> {
    let specs = tokenize(format)?;
    let chars: Vec<char> = input.chars().collect();
    let mut c = Cursor { s: &chars, pos: 0 };
    let mismatch = || format!("{input:?} does not match the format {format:?}");
    if styles.leading_white {
        c.skip_white();
    }
    let (mut year, mut month, mut day) = (1i64, 1i64, 1i64);
    let (mut hour, mut minute, mut second, mut nanos) = (0i64, 0i64, 0i64, 0i64);
    let mut pm: Option<bool> = None;
    let mut twelve_hour = false;
    let mut offset: Option<i32> = None;
    for spec in &specs {
        if styles.inner_white {
            c.skip_white();
        }
        let ok = match spec {
            Spec::Year(n) => {
                let v = match n {
                    1 => c.digits(1, 2),
                    2 => c.digits(2, 2),
                    n => c.digits(*n, (*n).max(4)),
                };
                v.map(|v| {
                    // Two-digit years: .NET's invariant calendar window ends in 2049.
                    year = if *n <= 2 {
                        if v < 50 {
                            2000 + v
                        } else {
                            1900 + v
                        }
                    } else {
                        v
                    };
                })
            }
            Spec::Month(n) => match n {
                1 => c.digits(1, 2),
                2 => c.digits(2, 2),
                3 => c.word(MONTHS.iter().map(|m| &m[..3])).map(|i| i as i64 + 1),
                _ => c.word(MONTHS.iter().copied()).map(|i| i as i64 + 1),
            }
            .map(|v| month = v),
            Spec::Day(n) => match n {
                1 => c.digits(1, 2).map(|v| day = v),
                2 => c.digits(2, 2).map(|v| day = v),
                3 => c.word(DAYS.iter().map(|d| &d[..3])).map(|_| ()),
                _ => c.word(DAYS.iter().copied()).map(|_| ()),
            },
            Spec::Hour12(n) => {
                twelve_hour = true;
                c.digits(if *n == 1 { 1 } else { 2 }, 2).map(|v| hour = v)
            }
            Spec::Hour24(n) => c.digits(if *n == 1 { 1 } else { 2 }, 2).map(|v| hour = v),
            Spec::Minute(n) => c.digits(if *n == 1 { 1 } else { 2 }, 2).map(|v| minute = v),
            Spec::Second(n) => c.digits(if *n == 1 { 1 } else { 2 }, 2).map(|v| second = v),
            Spec::Fraction(n, optional) => {
                let start = c.pos;
                c.digits(if *optional { 0 } else { *n }, *n).map(|v| {
                    let len = (c.pos - start) as u32;
                    nanos = if len == 0 { 0 } else { v * 10i64.pow(9 - len) };
                })
            }
            Spec::AmPm(n) => {
                let v = if *n == 1 {
                    c.word(["A", "P"].into_iter())
                } else {
                    c.word(["AM", "PM"].into_iter())
                };
                v.map(|i| pm = Some(i == 1))
            }
            Spec::Offset(n) => c.offset(*n, *n >= 3).map(|o| offset = Some(o)),
            Spec::Kind => {
                if let Some(o) = c.offset(3, true) {
                    offset = Some(o);
                }
                Some(())
            }
            Spec::Era => c.word(["A.D.", "AD"].into_iter()).map(|_| ()),
            Spec::Literal(lit) => {
                let mut ok = true;
                for ch in lit.chars() {
                    if ch.is_whitespace() {
                        // White space in the format matches any one white-space character.
                        if c.pos < chars.len() && chars[c.pos].is_whitespace() {
                            c.pos += 1;
                        } else if !styles.inner_white {
                            ok = false;
                            break;
                        }
                    } else if !c.eat(ch) {
                        ok = false;
                        break;
                    }
                }
                ok.then_some(())
            }
        };
        if ok.is_none() {
            return Err(mismatch());
        }
    }
    if styles.trailing_white {
        c.skip_white();
    }
    if c.pos != chars.len() {
        return Err(mismatch());
    }
    if twelve_hour && !(1..=12).contains(&hour) {
        return Err(mismatch());
    }
    if let Some(pm) = pm {
        if hour > 12 {
            return Err(mismatch());
        }
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let date = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month as u32, day as u32))
        .ok_or_else(|| format!("{input:?} is not a valid date"))?;
    let time = date
        .and_hms_nano_opt(hour as u32, minute as u32, second as u32, nanos as u32)
        .ok_or_else(|| format!("{input:?} is not a valid time of day"))?;
    to_utc(time, offset).ok_or_else(|| format!("{input:?} is out of range"))
}

/// Applies an offset in seconds east of UTC (none means UTC).
pub(crate) fn to_utc(local: NaiveDateTime, offset: Option<i32>) -> Option<DateTime<Utc>> {
    let tz = FixedOffset::east_opt(offset.unwrap_or(0))?;
    Some(tz.from_local_datetime(&local).single()?.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn formatting() {
        let d = utc(2009, 6, 15, 13, 45, 30) + chrono::Duration::nanoseconds(617_500_000);
        let morning = utc(2021, 7, 2, 3, 5, 8);
        let cases = [
            (d, "M/d/yyyy h:mm:ss tt", "6/15/2009 1:45:30 PM"),
            (morning, "M/d/yyyy h:mm:ss tt", "7/2/2021 3:05:08 AM"),
            (d, "yyyy-MM-dd", "2009-06-15"),
            (d, "yyyyMMddHHmmss.fZ", "20090615134530.6Z"),
            (d, "dddd, MMMM d, yyyy", "Monday, June 15, 2009"),
            (d, "ddd MMM yy", "Mon Jun 09"),
            (d, "hh:mm t", "01:45 P"),
            (d, "HH:mm:ss.fff", "13:45:30.617"),
            (d, "HH:mm:ss.FFFFFFF", "13:45:30.6175"),
            (morning, "HH:mm:ss.FFF", "03:05:08"),
            (d, "yyyy-MM-ddTHH:mm:sszzz", "2009-06-15T13:45:30+00:00"),
            (d, "o", "2009-06-15T13:45:30.6175000Z"),
            (d, "s", "2009-06-15T13:45:30"),
            (d, "u", "2009-06-15 13:45:30Z"),
            (d, "d", "06/15/2009"),
            (d, "%d", "15"),
            (d, "'Year' yyyy \\y", "Year 2009 y"),
            (d, "r", "Mon, 15 Jun 2009 13:45:30 GMT"),
            (d, "g yyyy", "A.D. 2009"),
        ];
        for (date, fmt, want) in cases {
            assert_eq!(format(&date, fmt).unwrap(), want, "{fmt}");
        }
        assert!(format(&d, "q").is_err());
        assert!(format(&d, "ffffffff").is_err());
        assert!(format(&d, "'open").is_err());
    }

    #[test]
    fn parsing() {
        let dflt = Styles::entra_default();
        let cases = [
            (
                "20150123105347.1Z",
                "yyyyMMddHHmmss.fZ",
                utc(2015, 1, 23, 10, 53, 47) + chrono::Duration::milliseconds(100),
            ),
            (
                "2020-12-31-08:00",
                "yyyy-MM-ddzzz",
                utc(2020, 12, 31, 8, 0, 0),
            ),
            (
                "12/31/2020 11:30:00 PM",
                "M/d/yyyy hh:mm:ss tt",
                utc(2020, 12, 31, 23, 30, 0),
            ),
            (
                "1/2/2020 12:00:00 AM",
                "M/d/yyyy hh:mm:ss tt",
                utc(2020, 1, 2, 0, 0, 0),
            ),
            ("  2021-06-30  ", "yyyy-MM-dd", utc(2021, 6, 30, 0, 0, 0)),
            ("15 June 2009", "d MMMM yyyy", utc(2009, 6, 15, 0, 0, 0)),
            (
                "Mon, 15 Jun 2009 13:45:30 GMT",
                "r",
                utc(2009, 6, 15, 13, 45, 30),
            ),
            (
                "2009-06-15T13:45:30.6175000Z",
                "o",
                utc(2009, 6, 15, 13, 45, 30) + chrono::Duration::nanoseconds(617_500_000),
            ),
            (
                "2009-06-15T13:45:30+02:00",
                "yyyy-MM-ddTHH:mm:ssK",
                utc(2009, 6, 15, 11, 45, 30),
            ),
            ("31/12/99", "dd/MM/yy", utc(1999, 12, 31, 0, 0, 0)),
            ("13:05", "HH:mm", utc(1, 1, 1, 13, 5, 0)),
        ];
        for (input, fmt, want) in cases {
            assert_eq!(parse_exact(input, fmt, dflt), Ok(want), "{input} / {fmt}");
        }
        let errors = [
            ("2020-13-01", "yyyy-MM-dd"),
            ("2020-02-30", "yyyy-MM-dd"),
            ("2020-1-01", "yyyy-MM-dd"),
            ("2020-01-01x", "yyyy-MM-dd"),
            ("13:00 PM", "hh:mm tt"),
        ];
        for (input, fmt) in errors {
            assert!(parse_exact(input, fmt, dflt).is_err(), "{input} / {fmt}");
        }
        let strict = Styles::parse("None").unwrap();
        assert!(parse_exact(" 2020-01-01", "yyyy-MM-dd", strict).is_err());
        let loose = Styles::parse("AllowWhiteSpaces").unwrap();
        assert!(parse_exact(" 2020 - 01 - 01 ", "yyyy-MM-dd", loose).is_ok());
        assert!(Styles::parse("AllowEverything").is_err());
    }
}
