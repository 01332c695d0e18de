//! Incident times: an exact instant with its offset, or a plain date when the time of day is
//! unknown (common in imported archives).

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    At(DateTime<FixedOffset>),
    Day(NaiveDate),
}

/// Why a text is not a [`Moment`], phrased for the author.
#[derive(Debug, PartialEq, Eq)]
pub enum MomentError {
    /// A date and time without an offset: ambiguous across time zones.
    MissingOffset,
    /// Shaped like a date or a time, with a part that does not exist: the reason, for
    /// people ("November has 30 days").
    Impossible(String),
    Invalid,
    /// A real date outside [`YEARS`].
    OutOfRange(i32),
}

/// The years an incident, a due date or a completion can have. Anything else is a typo
/// (`20244-01-01`), and a page per year of the archive's span must stay small.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

impl Moment {
    pub fn parse(text: &str) -> Result<Moment, MomentError> {
        let moment = Moment::parse_any_year(text)?;
        match moment.year() {
            year if YEARS.contains(&year) => Ok(moment),
            year => Err(MomentError::OutOfRange(year)),
        }
    }

    fn parse_any_year(text: &str) -> Result<Moment, MomentError> {
        let text = text.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(Moment::At(at));
        }
        // TOML allows a space instead of the `T`.
        if text.len() > 10
            && text.as_bytes()[10] == b' '
            && let Ok(at) = DateTime::parse_from_rfc3339(&format!("{}T{}", &text[..10], &text[11..]))
        {
            return Ok(Moment::At(at));
        }
        // TOML 1.1 allows leaving out the seconds: `2024-03-08T15:42Z`.
        if let Some(at) = without_seconds(text) {
            return Ok(Moment::At(at));
        }
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(Moment::Day(day));
        }
        for layout in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ] {
            if chrono::NaiveDateTime::parse_from_str(text, layout).is_ok() {
                return Err(MomentError::MissingOffset);
            }
        }
        Err(impossible(text).map_or(MomentError::Invalid, MomentError::Impossible))
    }

    /// The calendar day as the author wrote it (in the time's own offset).
    pub fn date(&self) -> NaiveDate {
        match self {
            Moment::At(at) => at.date_naive(),
            Moment::Day(day) => *day,
        }
    }

    pub fn year(&self) -> i32 {
        self.date().year()
    }

    /// Time between two exact moments; `None` when either is only a date.
    pub fn until(&self, later: &Moment) -> Option<TimeDelta> {
        match (self, later) {
            (Moment::At(a), Moment::At(b)) => Some(*b - *a),
            _ => None,
        }
    }

    /// Order for the "timestamps in order" rule and for sorting: exact instants compare as
    /// instants; a plain date compares by day, so a date is never "after" a time that day.
    pub fn compare(&self, other: &Moment) -> Ordering {
        match (self, other) {
            (Moment::At(a), Moment::At(b)) => a.cmp(b),
            _ => self.date().cmp(&other.date()),
        }
    }

    /// A key that sorts moments chronologically: dates count as the start of their day, UTC.
    pub fn sort_key(&self) -> i64 {
        match self {
            Moment::At(at) => at.timestamp(),
            Moment::Day(day) => day.and_hms_opt(0, 0, 0).map_or(0, |d| d.and_utc().timestamp()),
        }
    }

    /// For people: `2024-03-08 15:42 UTC`, `2024-03-08 16:42 +01:00`, or `2024-03-08`.
    pub fn human(&self) -> String {
        match self {
            Moment::At(at) if at.offset().local_minus_utc() == 0 => {
                at.format("%Y-%m-%d %H:%M UTC").to_string()
            }
            Moment::At(at) => at.format("%Y-%m-%d %H:%M %:z").to_string(),
            Moment::Day(day) => day.format("%Y-%m-%d").to_string(),
        }
    }

    /// For machines (`<time datetime>`, JSON): RFC 3339, or `YYYY-MM-DD`.
    pub fn machine(&self) -> String {
        match self {
            Moment::At(at) => at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            Moment::Day(day) => day.format("%Y-%m-%d").to_string(),
        }
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.machine())
    }
}

impl Serialize for Moment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.machine())
    }
}

/// `YYYY-MM-DD[T ]HH:MM` followed by `Z` or `±HH:MM`.
fn without_seconds(text: &str) -> Option<DateTime<FixedOffset>> {
    let (minutes, offset) = text.split_at_checked(16)?;
    if offset.is_empty() || !minutes.is_ascii() || minutes.as_bytes()[13] != b':' {
        return None;
    }
    let offset = if offset == "Z" || offset == "z" {
        "+00:00"
    } else {
        offset
    };
    DateTime::parse_from_rfc3339(&format!("{}T{}:00{offset}", &minutes[..10], &minutes[11..])).ok()
}

/// What does not exist in a text shaped like a date or a datetime (`YYYY-MM-DD`, then
/// optionally `T` or a space, `HH:MM[:SS[.f]]` and `Z` or `±HH:MM`): "November has 30
/// days", "month 13 does not exist", "hour 25 does not exist". `None` when every part
/// exists or the text is not shaped like a date: those need a different hint.
pub fn impossible(text: &str) -> Option<String> {
    let text = text.trim();
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = text.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let at = |i: usize| text.as_bytes().get(i).copied();
    if at(4) != Some(b'-') || at(7) != Some(b'-') {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let mut problems = Vec::new();
    if !(1..=12).contains(&month) {
        problems.push(format!("month {month:02} does not exist (months run 01 to 12)"));
    } else if day == 0 {
        problems.push("day 00 does not exist (days start at 01)".to_string());
    } else {
        let first = NaiveDate::from_ymd_opt(year as i32, month, 1)?;
        let days = first
            .checked_add_months(chrono::Months::new(1))
            .and_then(|next| next.pred_opt())
            .map_or(31, |last| last.day());
        if day > days {
            let name = first.format("%B");
            problems.push(if month == 2 && day == 29 {
                format!("{year} is not a leap year: February {year} has 28 days")
            } else {
                format!("{name} has {days} days")
            });
        }
    }
    if matches!(at(10), Some(b'T' | b't' | b' ')) && at(13) == Some(b':') {
        let (hour, minute) = (number(11..13)?, number(14..16)?);
        if hour > 23 {
            problems.push(format!("hour {hour:02} does not exist (hours run 00 to 23)"));
        }
        if minute > 59 {
            problems.push(format!(
                "minute {minute:02} does not exist (minutes run 00 to 59)"
            ));
        }
        let mut rest = text.get(16..)?;
        if let Some(seconds) = rest.strip_prefix(':') {
            let second = seconds
                .get(0..2)
                .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?;
            if second.parse::<u32>().ok()? > 60 {
                problems.push(format!("second {second} does not exist (seconds run 00 to 59)"));
            }
            rest = seconds[2..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
        }
        if let Some(offset) = rest.strip_prefix(['+', '-'])
            && offset.len() == 5
            && offset.as_bytes()[2] == b':'
        {
            let digits = |s: &str| {
                s.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| s.parse::<u32>().ok())?
            };
            let (hours, minutes) = (digits(&offset[..2])?, digits(&offset[3..])?);
            if hours > 23 || minutes > 59 {
                problems.push(format!(
                    "offset {rest} does not exist (offsets run from -23:59 to +23:59)"
                ));
            }
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// The message and hint for a date that does not exist, the same in TOML (where the
/// parser finds it) and YAML (where `Moment::parse` does): `why` is from [`impossible`].
pub fn impossible_date(field: Option<&str>, text: &str, why: &str) -> (String, &'static str) {
    let subject = field.map_or_else(|| "the value".to_string(), |f| format!("`{f}`"));
    (
        format!("{subject} is not a date that exists: `{text}`: {why}"),
        "fix the day, month or time; the format is right",
    )
}

/// `2 h 14 min`, `3 d 4 h`, `45 s`: precise enough to compare incidents, short enough for
/// a fact box.
pub fn human_duration(delta: TimeDelta) -> String {
    let total = delta.num_seconds();
    if total < 0 {
        return format!("-{}", human_duration(-delta));
    }
    let (days, hours, minutes, seconds) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offset_datetimes_dates_and_space_separated_times() {
        assert!(matches!(Moment::parse("2024-03-08T15:42:00Z"), Ok(Moment::At(_))));
        assert!(matches!(
            Moment::parse("2024-03-08 15:42:00+01:00"),
            Ok(Moment::At(_))
        ));
        assert_eq!(
            Moment::parse("2019-06-14"),
            Ok(Moment::Day(NaiveDate::from_ymd_opt(2019, 6, 14).unwrap()))
        );
    }

    #[test]
    fn dates_before_1970_work() {
        let m = Moment::parse("1969-07-20T20:17:00Z").unwrap();
        assert_eq!(m.year(), 1969);
        assert!(m.sort_key() < 0);
        assert_eq!(Moment::parse("1901-01-01").unwrap().year(), 1901);
    }

    #[test]
    fn times_without_seconds_are_accepted_as_toml_allows() {
        assert_eq!(
            Moment::parse("2024-03-08T15:42Z"),
            Moment::parse("2024-03-08T15:42:00Z")
        );
        assert_eq!(
            Moment::parse("2024-03-08 15:42+01:00"),
            Moment::parse("2024-03-08T15:42:00+01:00")
        );
        assert_eq!(Moment::parse("2024-03-08T15:42"), Err(MomentError::MissingOffset));
    }

    #[test]
    fn a_non_ascii_text_of_datetime_length_is_not_a_panic() {
        assert_eq!(Moment::parse("꩐𑎷 𐒰A:0 \u{113c5}"), Err(MomentError::Invalid));
    }

    #[test]
    fn impossible_dates_say_which_part_does_not_exist() {
        let why = |text: &str| impossible(text).unwrap_or_default();
        assert_eq!(why("2026-11-31T10:00:00Z"), "November has 30 days");
        assert_eq!(why("2026-13-02"), "month 13 does not exist (months run 01 to 12)");
        assert_eq!(
            why("2026-02-29"),
            "2026 is not a leap year: February 2026 has 28 days"
        );
        assert_eq!(why("2026-04-00"), "day 00 does not exist (days start at 01)");
        assert_eq!(
            why("2026-02-10T25:00:00Z"),
            "hour 25 does not exist (hours run 00 to 23)"
        );
        assert_eq!(
            why("2026-02-10 10:61Z"),
            "minute 61 does not exist (minutes run 00 to 59)"
        );
        assert_eq!(
            why("2026-02-10T10:00:00+25:00"),
            "offset +25:00 does not exist (offsets run from -23:59 to +23:59)"
        );
        assert_eq!(
            Moment::parse("2026-06-31"),
            Err(MomentError::Impossible("June has 30 days".into()))
        );
        assert_eq!(impossible("2024-02-29"), None, "2024 is a leap year");
        assert_eq!(impossible("2026-12-31T23:59:59.5+01:00"), None);
        assert_eq!(impossible("yesterday"), None);
        assert_eq!(
            impossible("2026-1-5"),
            None,
            "not shaped like a date: another hint"
        );
    }

    #[test]
    fn a_local_time_without_offset_is_named_as_such() {
        assert_eq!(
            Moment::parse("2024-03-08T15:42:00"),
            Err(MomentError::MissingOffset)
        );
        assert_eq!(Moment::parse("yesterday"), Err(MomentError::Invalid));
        assert_eq!(
            Moment::parse("2024-02-30"),
            Err(MomentError::Impossible("February has 29 days".into()))
        );
    }

    #[test]
    fn a_date_compares_equal_to_times_on_that_day() {
        let day = Moment::parse("2024-03-08").unwrap();
        let at = Moment::parse("2024-03-08T23:59:00Z").unwrap();
        assert_eq!(day.compare(&at), Ordering::Equal);
        assert_eq!(day.until(&at), None);
    }

    #[test]
    fn offsets_are_compared_as_instants() {
        let a = Moment::parse("2024-03-08T10:00:00+02:00").unwrap();
        let b = Moment::parse("2024-03-08T09:00:00Z").unwrap();
        assert_eq!(a.compare(&b), Ordering::Less);
        assert_eq!(human_duration(a.until(&b).unwrap()), "1 h");
    }

    #[test]
    fn human_forms() {
        assert_eq!(
            Moment::parse("2024-03-08T15:42:00Z").unwrap().human(),
            "2024-03-08 15:42 UTC"
        );
        assert_eq!(
            Moment::parse("2024-03-08T15:42:00+01:00").unwrap().human(),
            "2024-03-08 15:42 +01:00"
        );
        assert_eq!(human_duration(TimeDelta::minutes(134)), "2 h 14 min");
        assert_eq!(human_duration(TimeDelta::hours(76)), "3 d 4 h");
        assert_eq!(human_duration(TimeDelta::seconds(45)), "45 s");
    }
}
