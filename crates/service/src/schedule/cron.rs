//! Quartz cron expressions in UTC: parsing and next fire times.
//!
//! An expression has 6 or 7 space-separated fields: `seconds minutes hours day-of-month month
//! day-of-week [year]`. Day-of-week counts 1 = Sunday to 7 = Saturday, as in Quartz. The
//! `croner` crate (4.0, in its Quartz weekday mode) evaluates the fields. This module checks
//! three Quartz rules itself: exactly one of day-of-month and day-of-week is `?`, `L` alone in
//! day-of-week is Saturday, and years lie in 1970 to 2099.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::error::ServiceError;

/// The years a Quartz year field accepts.
const YEARS: std::ops::RangeInclusive<u32> = 1970..=2099;

/// A parsed Quartz cron expression, evaluated in UTC.
#[derive(Clone, Debug)]
pub struct QuartzCron {
    expression: String,
    cron: Cron,
}

impl QuartzCron {
    /// Parses a Quartz cron expression.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] naming the expression and the rule it breaks.
    pub fn parse(expression: &str) -> Result<QuartzCron, ServiceError> {
        let invalid = |expected: String| ServiceError::InvalidParameter {
            parameter: "cron expression",
            value: expression.to_string(),
            expected,
        };
        let mut fields: Vec<String> = expression.split_whitespace().map(str::to_string).collect();
        if !(6..=7).contains(&fields.len()) {
            return Err(invalid(format!(
                "found {} fields, but a Quartz expression has 6 or 7: seconds minutes hours day-of-month month day-of-week [year], such as `0 0 1 * * ?`",
                fields.len()
            )));
        }
        match (fields[3] == "?", fields[5] == "?") {
            (true, true) => {
                return Err(invalid(
                    "day-of-month and day-of-week are both `?`; give a value in one of them, such as `0 0 1 * * ?`".to_string(),
                ));
            }
            (false, false) => {
                return Err(invalid(
                    "day-of-month and day-of-week both have values; write `?` in one of them, such as `0 0 1 ? * MON` or `0 0 1 15 * ?`"
                        .to_string(),
                ));
            }
            _ => {}
        }
        // In Quartz, `L` alone in day-of-week means the last day of the week, Saturday.
        if fields[5].eq_ignore_ascii_case("L") {
            fields[5] = "7".to_string();
        }
        if let Some(year) = fields.get(6) {
            check_years(year).map_err(invalid)?;
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Optional)
            .alternative_weekdays(true)
            .sloppy_ranges(true)
            .build();
        let cron = parser.parse(&fields.join(" ")).map_err(|e| {
            invalid(format!("{e}; see the Quartz fields and special characters in docs/schedules-audiences.md"))
        })?;
        Ok(QuartzCron { expression: expression.to_string(), cron })
    }

    /// Returns the expression as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Returns the first fire time strictly after `after`, or `None` when the expression never
    /// fires again (a past year, or a date such as 30 February).
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let zoned = after.to_zoned(TimeZone::UTC);
        self.cron.find_next_occurrence(&zoned, false).ok().map(|next| next.timestamp())
    }

    /// Returns the last fire time at or before `at`, or `None` when there is none.
    pub fn latest_at_or_before(&self, at: Timestamp) -> Option<Timestamp> {
        let zoned = at.to_zoned(TimeZone::UTC);
        self.cron.find_previous_occurrence(&zoned, true).ok().map(|previous| previous.timestamp())
    }

    /// Returns up to `count` fire times strictly after `after`, in order.
    pub fn upcoming(&self, after: Timestamp, count: usize) -> Vec<Timestamp> {
        let mut times = Vec::with_capacity(count.min(1024));
        let mut cursor = after;
        while times.len() < count {
            let Some(next) = self.next_after(cursor) else { break };
            times.push(next);
            cursor = next;
        }
        times
    }
}

/// Checks that every number of a year field lies in 1970 to 2099.
fn check_years(field: &str) -> Result<(), String> {
    for number in field.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()) {
        let is_step = field.contains(&format!("/{number}"));
        let year: u32 = number.parse().unwrap_or(0);
        if !is_step && !YEARS.contains(&year) {
            return Err(format!("year {number} is outside 1970 to 2099; use a year in that range or leave the year field out"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(expression: &str, from: &str, count: usize) -> Vec<String> {
        let cron = QuartzCron::parse(expression).unwrap_or_else(|e| panic!("{e}"));
        let from: Timestamp = from.parse().unwrap_or_else(|e| panic!("{e}"));
        cron.upcoming(from, count).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn daily_fires_at_one_utc() {
        assert_eq!(times("0 0 1 * * ?", "2024-02-28T01:00:00Z", 2), ["2024-02-29T01:00:00Z", "2024-03-01T01:00:00Z"]);
    }

    #[test]
    fn last_day_alone_in_day_of_week_is_saturday() {
        assert_eq!(times("0 0 12 ? * L", "2024-03-01T00:00:00Z", 2), ["2024-03-02T12:00:00Z", "2024-03-09T12:00:00Z"]);
    }

    #[test]
    fn day_fields_need_one_question_mark() {
        let both = QuartzCron::parse("0 0 1 * * *").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(both.contains("write `?` in one of them"), "{both}");
        let neither = QuartzCron::parse("0 0 1 ? * ?").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(neither.contains("both `?`"), "{neither}");
    }

    #[test]
    fn field_count_is_checked() {
        let message = QuartzCron::parse("0 1 * * ?").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("found 5 fields"), "{message}");
    }

    #[test]
    fn years_outside_range_are_invalid() {
        let message = QuartzCron::parse("0 0 1 * * ? 2100").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("year 2100 is outside 1970 to 2099"), "{message}");
        assert!(QuartzCron::parse("0 0 1 * * ? 2024/2").is_ok());
    }

    #[test]
    fn impossible_date_never_fires() {
        assert!(times("0 0 0 30 2 ?", "2024-01-01T00:00:00Z", 1).is_empty());
    }
}
