//! AWS time windows, in UTC: a daily one (`hh:mm-hh:mm`, RDS's backup window and ElastiCache's
//! snapshot window) and a weekly one (`ddd:hh:mm-ddd:hh:mm`, their maintenance windows). Either
//! may run past midnight (`23:30-00:30`, `sat:23:00-sun:01:00`).

const DAY: u32 = 24 * 60;
const WEEK: u32 = 7 * DAY;
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Why a window could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("`{0}` is not a daily window: write `hh:mm-hh:mm` in UTC, such as `03:00-04:00`")]
    NotDaily(String),
    #[error(
        "`{0}` is not a weekly window: write `ddd:hh:mm-ddd:hh:mm` in UTC, such as \
         `sun:03:00-sun:04:00`"
    )]
    NotWeekly(String),
    #[error("`{0}` is not a time of day: hours run from 00 to 23, minutes from 00 to 59")]
    Time(String),
    #[error("`{0}` is not a day: write mon, tue, wed, thu, fri, sat or sun")]
    Day(String),
    #[error("`{0}` starts and ends at the same time")]
    Empty(String),
}

/// A window that recurs every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyWindow {
    /// Minutes after midnight.
    start: u32,
    end: u32,
}

/// A window that recurs every week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyWindow {
    /// Minutes after Monday 00:00.
    start: u32,
    end: u32,
}

impl DailyWindow {
    pub fn parse(text: &str) -> Result<Self, WindowError> {
        let (start, end) = text
            .split_once('-')
            .ok_or_else(|| WindowError::NotDaily(text.to_string()))?;
        let window = Self {
            start: time(start, || WindowError::NotDaily(text.to_string()))?,
            end: time(end, || WindowError::NotDaily(text.to_string()))?,
        };
        if window.start == window.end {
            return Err(WindowError::Empty(text.to_string()));
        }
        Ok(window)
    }

    /// Its length in minutes.
    pub fn minutes(self) -> u32 {
        (self.end + DAY - self.start) % DAY
    }

    /// When it ends, as (hour, minute) of the day.
    pub fn end(self) -> (u32, u32) {
        (self.end / 60, self.end % 60)
    }

    /// Whether it shares a minute with `weekly` on any day of the week.
    pub fn overlaps(self, weekly: WeeklyWindow) -> bool {
        (0..7).any(|day| {
            let start = day * DAY + self.start;
            overlap((start, start + self.minutes()), weekly.span())
        })
    }
}

impl WeeklyWindow {
    pub fn parse(text: &str) -> Result<Self, WindowError> {
        let not = || WindowError::NotWeekly(text.to_string());
        let (start, end) = text.split_once('-').ok_or_else(not)?;
        let moment = |part: &str| -> Result<u32, WindowError> {
            let (day, at) = part.split_once(':').ok_or_else(not)?;
            let index = DAYS
                .iter()
                .zip(0u32..)
                .find(|(name, _)| name.eq_ignore_ascii_case(day))
                .map(|(_, index)| index)
                .ok_or_else(|| WindowError::Day(day.to_string()))?;
            Ok(index * DAY + time(at, not)?)
        };
        let window = Self {
            start: moment(start)?,
            end: moment(end)?,
        };
        if window.start == window.end {
            return Err(WindowError::Empty(text.to_string()));
        }
        Ok(window)
    }

    /// Its length in minutes.
    pub fn minutes(self) -> u32 {
        (self.end + WEEK - self.start) % WEEK
    }

    /// Start and end in minutes after Monday 00:00, the end past the start (beyond a week when it
    /// runs into the next one).
    fn span(self) -> (u32, u32) {
        (self.start, self.start + self.minutes())
    }
}

/// Whether two spans of the week share a minute, either of them possibly running into the next
/// week (touching ends do not overlap: AWS takes `02:00-03:00` beside `sun:03:00-sun:04:00`).
fn overlap(a: (u32, u32), b: (u32, u32)) -> bool {
    [0, WEEK]
        .iter()
        .flat_map(|shift_a| [0, WEEK].map(|shift_b| (shift_a, shift_b)))
        .any(|(shift_a, shift_b)| a.0 + shift_a < b.1 + shift_b && b.0 + shift_b < a.1 + shift_a)
}

/// `hh:mm` as minutes after midnight.
fn time(text: &str, malformed: impl Fn() -> WindowError) -> Result<u32, WindowError> {
    let (hours, minutes) = text.split_once(':').ok_or_else(&malformed)?;
    let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return Err(malformed());
    }
    let (hours, minutes): (u32, u32) = (
        hours.parse().map_err(|_| malformed())?,
        minutes.parse().map_err(|_| malformed())?,
    );
    if hours > 23 || minutes > 59 {
        return Err(WindowError::Time(text.to_string()));
    }
    Ok(hours * 60 + minutes)
}

fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60 % 24, minutes % 60)
}

impl std::fmt::Display for DailyWindow {
    /// As AWS takes it: `03:00-04:00`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", clock(self.start), clock(self.end))
    }
}

impl std::fmt::Display for WeeklyWindow {
    /// As AWS takes it: `sun:03:00-sun:04:00`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let day = |minutes: u32| DAYS[(minutes / DAY) as usize % 7];
        write!(
            f,
            "{}:{}-{}:{}",
            day(self.start),
            clock(self.start),
            day(self.end),
            clock(self.end)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daily(text: &str) -> DailyWindow {
        DailyWindow::parse(text).expect(text)
    }

    fn weekly(text: &str) -> WeeklyWindow {
        WeeklyWindow::parse(text).expect(text)
    }

    #[test]
    fn windows_print_as_aws_takes_them() {
        assert_eq!(daily("03:00-03:30").to_string(), "03:00-03:30");
        assert_eq!(
            weekly("Sun:03:00-sun:04:00").to_string(),
            "sun:03:00-sun:04:00"
        );
    }

    #[test]
    fn a_daily_window_ends_at_its_second_time_even_past_midnight() {
        assert_eq!(daily("03:00-04:15").end(), (4, 15));
        assert_eq!(daily("23:30-00:30").end(), (0, 30));
    }

    #[test]
    fn windows_run_past_midnight_and_into_the_next_week() {
        assert_eq!(daily("23:30-00:30").minutes(), 60);
        assert_eq!(weekly("sun:23:00-mon:01:00").minutes(), 120);
        assert_eq!(weekly("mon:00:00-sun:23:59").minutes(), WEEK - 1);
    }

    #[test]
    fn a_daily_window_overlaps_a_weekly_one_on_any_day() {
        let maintenance = weekly("sun:03:00-sun:04:00");
        assert!(daily("03:30-04:30").overlaps(maintenance));
        assert!(daily("02:00-03:01").overlaps(maintenance));
        assert!(!daily("02:00-03:00").overlaps(maintenance), "touching ends");
        assert!(!daily("04:00-05:00").overlaps(maintenance));
        // Across midnight, and a maintenance window across the end of the week.
        assert!(daily("23:30-00:30").overlaps(weekly("mon:00:00-mon:01:00")));
        assert!(daily("00:10-00:20").overlaps(weekly("sun:23:00-mon:01:00")));
        assert!(!daily("01:00-02:00").overlaps(weekly("sun:23:00-mon:01:00")));
    }

    #[test]
    fn malformed_windows_say_what_to_write() {
        for (text, error) in [
            ("3:00-04:00", WindowError::NotDaily("3:00-04:00".into())),
            ("03:00", WindowError::NotDaily("03:00".into())),
            ("24:00-01:00", WindowError::Time("24:00".into())),
            ("03:00-03:00", WindowError::Empty("03:00-03:00".into())),
        ] {
            assert_eq!(DailyWindow::parse(text), Err(error), "{text}");
        }
        assert_eq!(
            WeeklyWindow::parse("sunday:03:00-sun:04:00"),
            Err(WindowError::Day("sunday".into()))
        );
        assert_eq!(
            WeeklyWindow::parse("03:00-04:00"),
            Err(WindowError::Day("03".into()))
        );
        assert_eq!(
            WeeklyWindow::parse("sun:03:00"),
            Err(WindowError::NotWeekly("sun:03:00".into()))
        );
    }
}
