//! Date functions: reading date text (`CDate` and every date argument), Entra's display form
//! `M/d/yyyy h:mm:ss tt`, `DateAdd`, `DateDiff` (with VB's interval rules), `DateFromNum` and
//! `NumFromDate` (Active Directory's 100-nanosecond ticks since 1601), and `FormatDateTime`.
//!
//! All date-times are UTC. Text without an offset is taken to be UTC, as it is on Entra's
//! servers.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, Timelike, Utc};

use super::netfmt;
use crate::catalogue::Function;
use crate::error::EvalError;
use crate::value::Value;

/// `M/d/yyyy h:mm:ss tt`, the form Entra shows date-times in.
pub fn entra_display(d: &DateTime<Utc>) -> String {
    let h = d.hour() % 12;
    format!(
        "{}/{}/{} {}:{:02}:{:02} {}",
        d.month(),
        d.day(),
        d.year(),
        if h == 0 { 12 } else { h },
        d.minute(),
        d.second(),
        if d.hour() < 12 { "AM" } else { "PM" }
    )
}

/// A date argument: date-times as they are, text parsed with [`parse_date`]; null is `None`.
pub fn date_of(f: Function, i: usize, v: &Value) -> Result<Option<DateTime<Utc>>, EvalError> {
    match v {
        Value::Null => Ok(None),
        Value::DateTime(d) => Ok(Some(*d)),
        Value::Multi(items) if items.len() == 1 => date_of(f, i, &items[0]),
        Value::String(s) => parse_date(s)
            .map(Some)
            .ok_or_else(|| EvalError::InvalidDate {
                function: f.name(),
                input: s.clone(),
            }),
        other => Err(EvalError::TypeMismatch {
            function: f.name(),
            position: i + 1,
            expected: "a date-time or date text",
            found: other.kind().to_string(),
        }),
    }
}

/// Like [`date_of`] without an error, for comparisons.
pub fn date_of_value(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::DateTime(d) => Some(*d),
        other => parse_date(&other.as_text()?),
    }
}

/// Reads the date forms Entra's sources produce:
/// - ISO 8601 date-times: `2009-06-15T01:45:30-07:00`, `2009-06-15 01:45:30.5Z`, `…+0200`;
/// - ISO dates, with an optional offset as Workday sends them: `2021-08-24`, `2020-03-16-07:00`;
/// - US dates as Entra itself prints them: `8/25/2021 5:41:18 PM`, `8/25/2021 17:41`, `8/25/2021`.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let b = s.as_bytes();
    // Slicing below is by byte; the first ten bytes must be ASCII for that to be safe.
    if b.len() >= 10 && b[..10].is_ascii() && b[4] == b'-' && b[7] == b'-' {
        parse_iso(s)
    } else if s.contains('/') {
        parse_us(s)
    } else {
        None
    }
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `Z`, `+hh:mm`, `+hhmm` or `+hh` into seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    if s == "Z" || s == "z" {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &s[1..];
    if !rest.is_ascii() {
        return None;
    }
    let (h, m) = match rest.len() {
        2 => (num(rest)?, 0),
        4 => (num(&rest[..2])?, num(&rest[2..])?),
        5 if rest.as_bytes()[2] == b':' => (num(&rest[..2])?, num(&rest[3..])?),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(num(&s[..4])? as i32, num(&s[5..7])?, num(&s[8..10])?)?;
    let rest = &s[10..];
    if rest.is_empty() {
        return netfmt::to_utc(date.and_time(NaiveTime::MIN), None);
    }
    if let Some(time_part) = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' ')) {
        // Split the time from its offset at the first Z, + or - after the time digits.
        let split = time_part
            .find(['Z', 'z', '+', '-'])
            .unwrap_or(time_part.len());
        let (time, offset) = time_part.split_at(split);
        let offset = if offset.is_empty() {
            None
        } else {
            Some(parse_offset(offset)?)
        };
        let time = parse_time(time.trim_end())?;
        return netfmt::to_utc(date.and_time(time), offset);
    }
    // A date with an offset and no time: midnight at that offset.
    let offset = parse_offset(rest)?;
    netfmt::to_utc(date.and_time(NaiveTime::MIN), Some(offset))
}

/// `HH:mm`, `HH:mm:ss` or `HH:mm:ss.fffffff`.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let mut parts = s.splitn(3, ':');
    let h = num(parts.next()?)?;
    let m = num(parts.next()?)?;
    let (sec, nanos) = match parts.next() {
        None => (0, 0),
        Some(sec) => match sec.split_once('.') {
            None => (num(sec)?, 0),
            Some((whole, frac)) => {
                if frac.is_empty() || frac.len() > 9 {
                    return None;
                }
                (num(whole)?, num(frac)? * 10u32.pow(9 - frac.len() as u32))
            }
        },
    };
    NaiveTime::from_hms_nano_opt(h, m, sec, nanos)
}

fn parse_us(s: &str) -> Option<DateTime<Utc>> {
    let (date, time) = match s.split_once(' ') {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let mut parts = date.split('/');
    let month = num(parts.next()?)?;
    let day = num(parts.next()?)?;
    let year = num(parts.next()?)? as i32;
    if parts.next().is_some() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = match time {
        None => NaiveTime::MIN,
        Some(t) => {
            let (clock, pm) = match t.rsplit_once(' ') {
                Some((c, ampm)) if ampm.eq_ignore_ascii_case("AM") => (c, Some(false)),
                Some((c, ampm)) if ampm.eq_ignore_ascii_case("PM") => (c, Some(true)),
                _ => (t, None),
            };
            let time = parse_time(clock.trim())?;
            match pm {
                None => time,
                Some(pm) => {
                    let h = time.hour();
                    if !(1..=12).contains(&h) {
                        return None;
                    }
                    time.with_hour(h % 12 + if pm { 12 } else { 0 })?
                }
            }
        }
    };
    netfmt::to_utc(date.and_time(time), None)
}

fn bad_interval(f: &'static str, interval: &str) -> EvalError {
    EvalError::InvalidArgument {
        function: f,
        message: format!(
            "interval {interval:?} is not one of yyyy (year), m (month), d (day), ww (week), h (hour), n (minute), s (second)"
        ),
    }
}

/// `DateAdd(interval, value, dateTime)`. Months and years clamp to the end of a shorter month,
/// as .NET's `AddMonths` does (31 January + 1 month = 28 or 29 February).
pub fn date_add(interval: &str, n: i64, d: DateTime<Utc>) -> Result<DateTime<Utc>, EvalError> {
    let out_of_range = || EvalError::DateOutOfRange {
        function: "DateAdd",
    };
    let add_months = |months: i64| -> Option<DateTime<Utc>> {
        let m = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
        if months >= 0 {
            d.checked_add_months(m)
        } else {
            d.checked_sub_months(m)
        }
    };
    let add = |secs: Option<i64>| -> Option<DateTime<Utc>> {
        d.checked_add_signed(Duration::try_seconds(secs?)?)
    };
    let result = match interval.trim().to_ascii_lowercase().as_str() {
        "yyyy" => n.checked_mul(12).and_then(add_months),
        "m" => add_months(n),
        "d" => add(n.checked_mul(86_400)),
        "ww" => add(n.checked_mul(7 * 86_400)),
        "h" => add(n.checked_mul(3_600)),
        "n" => add(n.checked_mul(60)),
        "s" => add(Some(n)),
        _ => return Err(bad_interval("DateAdd", interval)),
    };
    result.ok_or_else(out_of_range)
}

/// `DateDiff(interval, date1, date2)`, positive when date2 is later. As VB: years and months
/// count calendar boundaries (`yyyy`: 2021-12-31 to 2022-01-01 is 1), `ww` counts Sundays
/// crossed, days/hours/minutes/seconds count whole elapsed units (truncated toward zero).
pub fn date_diff(interval: &str, a: DateTime<Utc>, b: DateTime<Utc>) -> Result<i64, EvalError> {
    let elapsed = b.signed_duration_since(a);
    Ok(match interval.trim().to_ascii_lowercase().as_str() {
        "yyyy" => i64::from(b.year() - a.year()),
        "m" => i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month()),
        "d" => elapsed.num_days(),
        "ww" => {
            let week_start = |d: DateTime<Utc>| {
                d.date_naive() - Duration::days(i64::from(d.weekday().num_days_from_sunday()))
            };
            (week_start(b) - week_start(a)).num_days() / 7
        }
        "h" => elapsed.num_hours(),
        "n" => elapsed.num_minutes(),
        "s" => elapsed.num_seconds(),
        _ => return Err(bad_interval("DateDiff", interval)),
    })
}

/// Seconds between 1601-01-01 (Active Directory's epoch) and 1970-01-01.
const AD_EPOCH_OFFSET_SECS: i64 = 11_644_473_600;

/// `DateFromNum`: Active Directory ticks (100 ns since 1601-01-01 UTC) to a date-time.
pub fn from_ad_ticks(ticks: i64) -> Result<DateTime<Utc>, EvalError> {
    let secs = ticks.div_euclid(10_000_000) - AD_EPOCH_OFFSET_SECS;
    let nanos = (ticks.rem_euclid(10_000_000) * 100) as u32;
    DateTime::<Utc>::from_timestamp(secs, nanos).ok_or(EvalError::DateOutOfRange {
        function: "DateFromNum",
    })
}

/// `NumFromDate`: a date-time to Active Directory ticks.
pub fn to_ad_ticks(d: DateTime<Utc>) -> Result<i64, EvalError> {
    (d.timestamp() + AD_EPOCH_OFFSET_SECS)
        .checked_mul(10_000_000)
        .and_then(|t| t.checked_add(i64::from(d.timestamp_subsec_nanos() / 100)))
        .ok_or(EvalError::DateOutOfRange {
            function: "NumFromDate",
        })
}

/// `FormatDateTime(source, dateTimeStyles?, inputFormat, outputFormat)`.
pub fn format_date_time(
    source: &str,
    styles: Option<&str>,
    input_format: &str,
    output_format: &str,
) -> Result<String, EvalError> {
    let invalid = |message: String| EvalError::InvalidArgument {
        function: "FormatDateTime",
        message,
    };
    let styles = match styles.map(str::trim).filter(|s| !s.is_empty()) {
        None => netfmt::Styles::entra_default(),
        Some(list) => netfmt::Styles::parse(list).map_err(invalid)?,
    };
    let date = netfmt::parse_exact(source, input_format, styles).map_err(invalid)?;
    netfmt::format(&date, output_format).map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn cdate_examples() {
        // Microsoft's CDate examples, with the UTC text they document.
        let cases = [
            ("2020-03-16-07:00", "3/16/2020 7:00:00 AM"),
            ("2021-06-30+08:00", "6/29/2021 4:00:00 PM"),
            ("2009-06-15T01:45:30-07:00", "6/15/2009 8:45:30 AM"),
            ("8/25/2021 5:41:18 PM", "8/25/2021 5:41:18 PM"),
            ("2021-08-24", "8/24/2021 12:00:00 AM"),
            ("2021-08-24T10:00:00Z", "8/24/2021 10:00:00 AM"),
            ("2021-08-24 10:00:00.25+0200", "8/24/2021 8:00:00 AM"),
            ("12/31/2020 23:59", "12/31/2020 11:59:00 PM"),
            ("1/1/2020 12:00:00 AM", "1/1/2020 12:00:00 AM"),
            ("1/1/2020 12:30:00 PM", "1/1/2020 12:30:00 PM"),
        ];
        for (input, want) in cases {
            let d = parse_date(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!(entra_display(&d), want, "{input}");
        }
        for bad in [
            "2021-06-\u{e9}-30",
            "2021-06-30+0\u{e9}",
            "\u{e9}021-06-30",
            "",
            "yesterday",
            "2021-13-01",
            "2021-02-30",
            "13/1/2020",
            "2021-08-24T25:00",
            "1/1/2020 13:00 PM",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn date_add_examples() {
        let hire = parse_date("2012-03-16-07:00").unwrap();
        let cases = [
            ("d", 7, "3/23/2012 7:00:00 AM"),
            ("d", -10, "3/6/2012 7:00:00 AM"),
            ("ww", 2, "3/30/2012 7:00:00 AM"),
            ("m", 10, "1/16/2013 7:00:00 AM"),
            ("yyyy", 2, "3/16/2014 7:00:00 AM"),
            ("h", 25, "3/17/2012 8:00:00 AM"),
            ("n", -90, "3/16/2012 5:30:00 AM"),
            ("s", 61, "3/16/2012 7:01:01 AM"),
        ];
        for (interval, n, want) in cases {
            assert_eq!(
                entra_display(&date_add(interval, n, hire).unwrap()),
                want,
                "{interval} {n}"
            );
        }
        let jan31 = utc(2024, 1, 31, 0, 0, 0);
        assert_eq!(date_add("m", 1, jan31).unwrap(), utc(2024, 2, 29, 0, 0, 0));
        assert!(date_add("fortnight", 1, jan31).is_err());
        assert!(date_add("yyyy", i64::MAX, jan31).is_err());
    }

    #[test]
    fn date_diff_examples() {
        let d = |s: &str| parse_date(s).unwrap();
        // Microsoft's table for DateDiff.
        let cases = [
            ("d", "2021-08-18+08:00", "2021-08-31+08:00", 13),
            ("d", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", -3449),
            ("ww", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", -493),
            ("m", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", -113),
            ("yyyy", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", -9),
            ("d", "2021-08-31+08:00", "2021-08-31+08:00", 0),
            ("h", "2021-08-24", "2021-08-25", 24),
            ("n", "2021-08-24", "2021-08-25", 1440),
            ("s", "2021-08-24", "2021-08-25", 86400),
            ("yyyy", "2021-12-31", "2022-01-01", 1),
            ("ww", "2021-08-28", "2021-08-29", 1), // Saturday to Sunday crosses a week
        ];
        for (interval, a, b, want) in cases {
            assert_eq!(
                date_diff(interval, d(a), d(b)).unwrap(),
                want,
                "{interval} {a} {b}"
            );
        }
        assert!(date_diff("q", d("2021-08-24"), d("2021-08-25")).is_err());
    }

    #[test]
    fn ad_numbers() {
        // DateFromNum(129699324000000000) is 1 January 2012, 11:00 PM.
        let d = from_ad_ticks(129_699_324_000_000_000).unwrap();
        assert_eq!(d, utc(2012, 1, 1, 23, 0, 0));
        assert_eq!(to_ad_ticks(d).unwrap(), 129_699_324_000_000_000);
        assert_eq!(from_ad_ticks(0).unwrap(), utc(1601, 1, 1, 0, 0, 0));
        let precise = from_ad_ticks(129_699_324_000_000_001).unwrap();
        assert_eq!(to_ad_ticks(precise).unwrap(), 129_699_324_000_000_001);
    }

    #[test]
    fn format_date_time_examples() {
        let cases = [
            (
                "20150123105347.1Z",
                None,
                "yyyyMMddHHmmss.fZ",
                "yyyy-MM-dd",
                "2015-01-23",
            ),
            (
                "2020-12-31-08:00",
                None,
                "yyyy-MM-ddzzz",
                "yyyy-MM-dd",
                "2020-12-31",
            ),
            (
                "12/31/2020 11:30:00 PM",
                None,
                "M/d/yyyy hh:mm:ss tt",
                "yyyy-MM-dd",
                "2020-12-31",
            ),
            (
                " 2021-06-30 ",
                Some(""),
                "yyyy-MM-dd",
                "dd.MM.yyyy",
                "30.06.2021",
            ),
            (
                "2021-06-30",
                Some("None"),
                "yyyy-MM-dd",
                "MMMM d, yyyy",
                "June 30, 2021",
            ),
        ];
        for (src, styles, input, output, want) in cases {
            assert_eq!(
                format_date_time(src, styles, input, output).unwrap(),
                want,
                "{src}"
            );
        }
        assert!(format_date_time("2021-06-30", None, "dd/MM/yyyy", "yyyy").is_err());
        assert!(format_date_time("2021-06-30", Some("Sideways"), "yyyy-MM-dd", "yyyy").is_err());
    }
}
