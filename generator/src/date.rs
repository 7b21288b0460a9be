//! Calendar days, for the waivers' expiry dates: a `YYYY-MM-DD` day parsed and checked, and the
//! day validation runs on.

/// A day of the proleptic Gregorian calendar, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(i64);

/// The variable that sets the day validation runs on (`YYYY-MM-DD`), for reproducible runs and
/// for asking what will have expired by a later day; the system clock's UTC day without it.
pub const TODAY_VARIABLE: &str = "PLATFORMGEN_TODAY";

impl Day {
    /// `YYYY-MM-DD`, a day that exists.
    pub fn parse(text: &str) -> Result<Day, String> {
        let bad = || format!("`{text}` is not a day written as YYYY-MM-DD");
        let mut parts = text.splitn(3, '-');
        let mut next = |width: usize| {
            parts
                .next()
                .filter(|part| part.len() == width && part.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|part| part.parse::<i64>().ok())
                .ok_or_else(bad)
        };
        let (year, month, day) = (next(4)?, next(2)?, next(2)?);
        if !(1..=12).contains(&month) {
            return Err(format!("`{text}` has no month {month}"));
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let length = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=length).contains(&day) {
            return Err(format!(
                "`{text}`: month {month} of {year} has {length} days"
            ));
        }
        Ok(Day(days_from_civil(year, month, day)))
    }

    /// The day validation runs on: `PLATFORMGEN_TODAY`, else today in UTC.
    pub fn today() -> Result<Day, String> {
        match std::env::var(TODAY_VARIABLE) {
            Ok(text) => Day::parse(&text).map_err(|error| format!("{TODAY_VARIABLE}: {error}")),
            Err(_) => {
                let seconds = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_err(|_| "the system clock is before 1970".to_string())?
                    .as_secs();
                Ok(Day(i64::try_from(seconds / 86_400).unwrap_or(i64::MAX)))
            }
        }
    }

    /// Days from `self` until `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        later.0 - self.0
    }
}

impl std::fmt::Display for Day {
    /// `YYYY-MM-DD` (Howard Hinnant's inverse algorithm).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days = self.0 + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 3
        } else {
            month_from_march - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

/// Days since 1970-01-01 of a valid civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::Day;

    #[test]
    fn days_count_from_the_epoch_across_leap_years() {
        let day = |text| Day::parse(text).expect(text);
        assert_eq!(day("1970-01-01").0, 0);
        assert_eq!(day("2000-03-01").0, 11_017);
        assert_eq!(day("2026-12-07").0, 20_794);
        assert_eq!(day("2024-02-28").days_until(day("2024-03-01")), 2);
        assert_eq!(day("2023-02-28").days_until(day("2023-03-01")), 1);
        for text in [
            "1970-01-01",
            "2024-02-29",
            "2026-12-07",
            "2100-03-01",
            "1969-12-31",
        ] {
            assert_eq!(day(text).to_string(), text);
        }
    }

    #[test]
    fn only_days_that_exist_parse() {
        for text in [
            "2026-02-29",
            "2026-13-01",
            "2026-04-31",
            "26-01-01",
            "2026-1-01",
            "2026-01-01x",
        ] {
            assert!(Day::parse(text).is_err(), "{text}");
        }
        assert!(Day::parse("2024-02-29").is_ok());
    }
}
