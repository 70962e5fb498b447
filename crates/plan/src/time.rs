//! Time semantics shared by both evaluators: time references as UTC intervals, calendar
//! arithmetic, and the set of instants each `occurs` form accepts.
//!
//! All instants are microseconds since the Unix epoch, UTC. A reference is a half-open
//! interval `[start, end)` with an anchor that offsets count from: `today` is the current UTC
//! day anchored at its midnight, `last month` the previous calendar month anchored at its first
//! instant, `now` and a timestamp attribute the single instant itself. Weeks start on Monday.
//! Months, years, decades, centuries and millennia use calendar arithmetic: one month before
//! 31 March is 28 or 29 February.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::{SignedDuration, Span as JiffSpan};
use seg_pql::ast::{Comparison, Direction, TimeUnit, TimeWord};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The first instant after the supported calendar, 10000-01-01T00:00:00Z. It ends the
/// intervals of the last day, month, year and longer units of year 9999, whose calendar end
/// lies outside the years that calendar arithmetic supports.
const END_OF_CALENDAR: i64 = 253_402_300_800_000_000;

/// 1970-01-01T00:00:00, the civil time that instant 0 stands for in UTC.
const EPOCH: DateTime = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);

/// A time reference resolved to microseconds: the interval `[start, end)` and its anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// First instant inside the interval.
    pub start: i64,
    /// First instant after the interval.
    pub end: i64,
    /// The instant that `N units before|after|from` offsets count from.
    pub anchor: i64,
}

impl Interval {
    /// Returns the interval of one instant, `[t, t + 1µs)`, anchored at `t`.
    pub fn instant(t: i64) -> Interval {
        Interval { start: t, end: t.saturating_add(1), anchor: t }
    }
}

/// Sorted, disjoint half-open ranges of instants; at most two for every `occurs` form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ranges(Vec<(i64, i64)>);

impl Ranges {
    /// Builds the union of the given ranges, dropping empty ones.
    pub fn new(ranges: impl IntoIterator<Item = (i64, i64)>) -> Ranges {
        let mut ranges: Vec<(i64, i64)> = ranges.into_iter().filter(|(lo, hi)| lo < hi).collect();
        ranges.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            match merged.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        Ranges(merged)
    }

    /// Returns true when `t` lies in one of the ranges.
    pub fn contains(&self, t: i64) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= t && t < hi)
    }

    /// Returns the ranges as `(start, end)` pairs, with `end` exclusive.
    pub fn as_slice(&self) -> &[(i64, i64)] {
        &self.0
    }
}

/// Resolves a time word against the evaluation time `now`.
///
/// Returns `None` when the interval falls outside the years -9999 to 9999 that calendar
/// arithmetic supports; callers treat such a reference as matching nothing.
pub fn resolve_word(word: TimeWord, now: i64) -> Option<Interval> {
    let today = truncate(now, TimeUnit::Day)?;
    let interval = match word {
        TimeWord::Now => Interval::instant(now),
        TimeWord::Today => unit_interval(today, TimeUnit::Day)?,
        TimeWord::Yesterday => unit_interval(shift(today, TimeUnit::Day, -1)?, TimeUnit::Day)?,
        TimeWord::Tomorrow => unit_interval(shift(today, TimeUnit::Day, 1)?, TimeUnit::Day)?,
        TimeWord::This(unit) => unit_interval(truncate(now, unit)?, unit)?,
        TimeWord::Last(unit) => unit_interval(shift(truncate(now, unit)?, unit, -1)?, unit)?,
        TimeWord::Next(unit) => unit_interval(shift(truncate(now, unit)?, unit, 1)?, unit)?,
    };
    Some(interval)
}

/// Resolves `date(year, month, day)` to that UTC day, or `None` when no such day exists.
pub fn day_interval(year: i64, month: i64, day: i64) -> Option<Interval> {
    let date = Date::new(i16::try_from(year).ok()?, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()?;
    unit_interval(to_micros(date.to_datetime(jiff::civil::Time::midnight()))?, TimeUnit::Day)
}

/// Returns the value of a time word used outside `occurs`: the instant itself for `now`, and
/// the first instant of the word's interval otherwise. `None` outside the supported years.
pub fn word_instant(word: TimeWord, now: i64) -> Option<i64> {
    resolve_word(word, now).map(|interval| interval.start)
}

/// Returns the UTC year, month (1 to 12) and day of the month of `t`, or `None` outside the
/// supported years.
pub fn date_parts(t: i64) -> Option<(i64, i64, i64)> {
    let date = to_datetime(t)?.date();
    Some((i64::from(date.year()), i64::from(date.month()), i64::from(date.day())))
}

/// Moves `t` by `amount` units; months and longer units use calendar arithmetic, clamping the
/// day of the month. Returns `None` outside the supported years.
pub fn shift(t: i64, unit: TimeUnit, amount: i64) -> Option<i64> {
    let fixed = match unit {
        TimeUnit::Millisecond => Some(1_000),
        TimeUnit::Second => Some(1_000_000),
        TimeUnit::Minute => Some(60_000_000),
        TimeUnit::Hour => Some(3_600_000_000),
        TimeUnit::Day => Some(MICROS_PER_DAY),
        TimeUnit::Week => Some(7 * MICROS_PER_DAY),
        _ => None,
    };
    if let Some(step) = fixed {
        return t.checked_add(step.checked_mul(amount)?).filter(|&shifted| in_calendar_range(shifted));
    }
    let months = match unit {
        TimeUnit::Month => amount,
        TimeUnit::Year => amount.checked_mul(12)?,
        TimeUnit::Decade => amount.checked_mul(120)?,
        TimeUnit::Century => amount.checked_mul(1_200)?,
        _ => amount.checked_mul(12_000)?,
    };
    let span = JiffSpan::new().try_months(months).ok()?;
    to_micros(to_datetime(t)?.checked_add(span).ok()?)
}

/// Returns the first instant of the calendar unit containing `t`.
pub fn truncate(t: i64, unit: TimeUnit) -> Option<i64> {
    let datetime = to_datetime(t)?;
    let date = datetime.date();
    let micros_in_unit = |step: i64| Some(t - t.rem_euclid(step));
    match unit {
        TimeUnit::Millisecond => micros_in_unit(1_000),
        TimeUnit::Second => micros_in_unit(1_000_000),
        TimeUnit::Minute => micros_in_unit(60_000_000),
        TimeUnit::Hour => micros_in_unit(3_600_000_000),
        TimeUnit::Day => micros_in_unit(MICROS_PER_DAY),
        TimeUnit::Week => {
            let days_since_monday = i64::from(date.weekday().since(Weekday::Monday));
            micros_in_unit(MICROS_PER_DAY).map(|midnight| midnight - days_since_monday * MICROS_PER_DAY)
        }
        TimeUnit::Month => start_of_year_part(date.year(), date.month()),
        TimeUnit::Year => start_of_year_part(date.year(), 1),
        TimeUnit::Decade => start_of_year_part(date.year() - date.year().rem_euclid(10), 1),
        TimeUnit::Century => start_of_year_part(date.year() - date.year().rem_euclid(100), 1),
        TimeUnit::Millennium => start_of_year_part(date.year() - date.year().rem_euclid(1000), 1),
    }
}

fn start_of_year_part(year: i16, month: i8) -> Option<i64> {
    let date = Date::new(year, month, 1).ok()?;
    to_micros(date.to_datetime(jiff::civil::Time::midnight()))
}

/// Returns the unit-long interval that starts at `start`. Moving forward from a valid start
/// fails only past year 9999, so such an interval ends at [`END_OF_CALENDAR`].
fn unit_interval(start: i64, unit: TimeUnit) -> Option<Interval> {
    let end = shift(start, unit, 1).unwrap_or(END_OF_CALENDAR);
    Some(Interval { start, end, anchor: start })
}

/// Converts microseconds since the epoch to UTC civil time. The conversion is civil
/// arithmetic rather than a `jiff::Timestamp`, whose range stops a day short of 9999-12-31.
fn to_datetime(t: i64) -> Option<DateTime> {
    EPOCH.checked_add(SignedDuration::from_micros(t)).ok()
}

fn to_micros(datetime: DateTime) -> Option<i64> {
    i64::try_from(datetime.duration_since(EPOCH).as_micros()).ok()
}

fn in_calendar_range(t: i64) -> bool {
    to_datetime(t).is_some()
}

/// Returns the instants accepted by `occurs [on] R`, which is the interval of `R`.
pub fn on_ranges(reference: Interval) -> Ranges {
    Ranges::new([(reference.start, reference.end)])
}

/// The instants accepted by `occurs before R` (before its start) or `occurs after R` (at or
/// after its end, so after the whole period; for an instant, strictly after it).
pub fn direction_ranges(direction: Direction, reference: Interval) -> Ranges {
    match direction {
        Direction::Before => Ranges::new([(i64::MIN, reference.start)]),
        Direction::After | Direction::From => Ranges::new([(reference.end, i64::MAX)]),
    }
}

/// Returns the instants accepted by `occurs between R1 and R2`: from the start of `R1` to the end of
/// `R2`, so both periods are included whole.
pub fn between_ranges(first: Interval, last: Interval) -> Ranges {
    Ranges::new([(first.start, last.end)])
}

/// Returns the instants accepted by `occurs <cmp> N <unit> before|after|from R`.
///
/// With anchor `A` and `B = A - N units` (before) or `A + N units` (after):
///
/// | cmp  | before                  | after                   |
/// |------|-------------------------|-------------------------|
/// | `<=` | `B <= T < A`            | `A < T <= B`            |
/// | `<`  | `B < T < A`             | `A < T < B`             |
/// | `=`  | `B <= T < B + 1 unit`   | `B - 1 unit < T <= B`   |
/// | `>=` | `T <= B`                | `T >= B`                |
/// | `>`  | `T < B`                 | `T > B`                 |
/// | `!=` | `T < A` and not `=`     | `T > A` and not `=`     |
///
/// `from` is the union of both sides, so `<= 3 days from R` is the window `A ± 3 days`,
/// endpoints included. Offsets that leave the supported calendar saturate to the end of time.
pub fn offset_ranges(cmp: Comparison, amount: u64, unit: TimeUnit, direction: Direction, reference: Interval) -> Ranges {
    let amount = i64::try_from(amount).unwrap_or(i64::MAX);
    let anchor = reference.anchor;
    match direction {
        Direction::Before => before_ranges(cmp, anchor, unit, amount),
        Direction::After => after_ranges(cmp, anchor, unit, amount),
        Direction::From => from_ranges(cmp, anchor, unit, amount),
    }
}

fn before_ranges(cmp: Comparison, anchor: i64, unit: TimeUnit, amount: i64) -> Ranges {
    let bound = shift(anchor, unit, -amount).unwrap_or(i64::MIN);
    let bucket_end = shift(anchor, unit, 1 - amount).unwrap_or(i64::MIN).min(anchor);
    match cmp {
        Comparison::LtEq => Ranges::new([(bound, anchor)]),
        Comparison::Lt => Ranges::new([(bound.saturating_add(1), anchor)]),
        Comparison::Eq => Ranges::new([(bound, bucket_end)]),
        Comparison::GtEq => Ranges::new([(i64::MIN, bound.saturating_add(1))]),
        Comparison::Gt => Ranges::new([(i64::MIN, bound)]),
        Comparison::NotEq => Ranges::new([(i64::MIN, bound), (bucket_end, anchor)]),
    }
}

fn after_ranges(cmp: Comparison, anchor: i64, unit: TimeUnit, amount: i64) -> Ranges {
    let bound = shift(anchor, unit, amount).unwrap_or(i64::MAX);
    let bucket_start = shift(anchor, unit, amount - 1).unwrap_or(i64::MAX).max(anchor);
    let after_anchor = anchor.saturating_add(1);
    let through_bound = bound.saturating_add(1);
    match cmp {
        Comparison::LtEq => Ranges::new([(after_anchor, through_bound)]),
        Comparison::Lt => Ranges::new([(after_anchor, bound)]),
        Comparison::Eq => Ranges::new([(bucket_start.saturating_add(1), through_bound)]),
        Comparison::GtEq => Ranges::new([(bound, i64::MAX)]),
        Comparison::Gt => Ranges::new([(through_bound, i64::MAX)]),
        Comparison::NotEq => Ranges::new([(after_anchor, bucket_start.saturating_add(1)), (through_bound, i64::MAX)]),
    }
}

fn from_ranges(cmp: Comparison, anchor: i64, unit: TimeUnit, amount: i64) -> Ranges {
    let lower = shift(anchor, unit, -amount).unwrap_or(i64::MIN);
    let upper = shift(anchor, unit, amount).unwrap_or(i64::MAX);
    let inner_lower = shift(anchor, unit, 1 - amount).unwrap_or(i64::MIN).min(anchor);
    let inner_upper = shift(anchor, unit, amount - 1).unwrap_or(i64::MAX).max(anchor);
    let through_upper = upper.saturating_add(1);
    match cmp {
        Comparison::LtEq => Ranges::new([(lower, through_upper)]),
        Comparison::Lt => Ranges::new([(lower.saturating_add(1), upper)]),
        Comparison::Eq => Ranges::new([(lower, inner_lower), (inner_upper.saturating_add(1), through_upper)]),
        Comparison::GtEq => Ranges::new([(i64::MIN, lower.saturating_add(1)), (upper, i64::MAX)]),
        Comparison::Gt => Ranges::new([(i64::MIN, lower), (through_upper, i64::MAX)]),
        Comparison::NotEq => {
            Ranges::new([(i64::MIN, lower), (inner_lower, inner_upper.saturating_add(1)), (through_upper, i64::MAX)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        let timestamp: jiff::Timestamp = text.parse().unwrap_or_else(|e| panic!("bad test time {text}: {e}"));
        i64::try_from(timestamp.as_microsecond()).unwrap_or(i64::MAX)
    }

    const NOW: &str = "2018-08-28T10:00:00Z";

    #[test]
    fn last_month_is_previous_calendar_month() {
        let interval = resolve_word(TimeWord::Last(TimeUnit::Month), at(NOW));
        assert_eq!(interval.map(|i| (i.start, i.end)), Some((at("2018-07-01T00:00:00Z"), at("2018-08-01T00:00:00Z"))));
    }

    #[test]
    fn one_month_before_today_is_calendar_window() {
        let today = resolve_word(TimeWord::Today, at(NOW)).unwrap_or(Interval::instant(0));
        let ranges = offset_ranges(Comparison::LtEq, 1, TimeUnit::Month, Direction::Before, today);
        assert_eq!(ranges.as_slice(), &[(at("2018-07-28T00:00:00Z"), at("2018-08-28T00:00:00Z"))]);
    }

    #[test]
    fn between_includes_last_day_whole() {
        let first = day_interval(2017, 10, 1).unwrap_or(Interval::instant(0));
        let last = day_interval(2017, 12, 31).unwrap_or(Interval::instant(0));
        let ranges = between_ranges(first, last);
        assert!(ranges.contains(at("2017-12-31T23:59:59Z")));
        assert!(!ranges.contains(at("2018-01-01T00:00:00Z")));
        assert!(ranges.contains(at("2017-10-01T00:00:00Z")));
    }

    #[test]
    fn week_starts_on_monday() {
        // 2018-08-28 is a Tuesday.
        let this_week = resolve_word(TimeWord::This(TimeUnit::Week), at(NOW)).map(|i| i.start);
        assert_eq!(this_week, Some(at("2018-08-27T00:00:00Z")));
    }

    #[test]
    fn month_shift_clamps_day() {
        let shifted = shift(at("2020-03-31T12:00:00Z"), TimeUnit::Month, -1);
        assert_eq!(shifted, Some(at("2020-02-29T12:00:00Z")));
    }

    #[test]
    fn century_starts_at_multiple_of_hundred() {
        let century = resolve_word(TimeWord::This(TimeUnit::Century), at(NOW)).map(|i| (i.start, i.end));
        assert_eq!(century, Some((at("2000-01-01T00:00:00Z"), at("2100-01-01T00:00:00Z"))));
    }

    #[test]
    fn equals_offset_is_unit_bucket() {
        let now = Interval::instant(at(NOW));
        let ranges = offset_ranges(Comparison::Eq, 3, TimeUnit::Hour, Direction::Before, now);
        assert_eq!(ranges.as_slice(), &[(at("2018-08-28T07:00:00Z"), at("2018-08-28T08:00:00Z"))]);
    }

    #[test]
    fn from_is_symmetric_window() {
        let now = Interval::instant(at(NOW));
        let ranges = offset_ranges(Comparison::LtEq, 2, TimeUnit::Day, Direction::From, now);
        assert!(ranges.contains(at("2018-08-26T10:00:00Z")));
        assert!(ranges.contains(at("2018-08-30T10:00:00Z")));
        assert!(!ranges.contains(at("2018-08-30T10:00:01Z")));
    }

    #[test]
    fn invalid_date_has_no_interval() {
        assert_eq!(day_interval(2019, 2, 29), None);
    }

    #[test]
    fn last_calendar_day_ends_at_year_10000() {
        let interval = day_interval(9999, 12, 31).map(|interval| (interval.start, interval.end));
        assert_eq!(interval, Some((END_OF_CALENDAR - MICROS_PER_DAY, END_OF_CALENDAR)));
    }

    #[test]
    fn this_millennium_in_year_9999_ends_at_year_10000() {
        let interval = resolve_word(TimeWord::This(TimeUnit::Millennium), at("9999-06-01T00:00:00Z"));
        assert_eq!(interval.map(|interval| interval.end), Some(END_OF_CALENDAR));
    }

    #[test]
    fn first_calendar_day_is_valid() {
        let interval = day_interval(-9999, 1, 1).map(|interval| interval.end - interval.start);
        assert_eq!(interval, Some(MICROS_PER_DAY));
        assert!(day_interval(2020, 2, 29).is_some());
    }
}
