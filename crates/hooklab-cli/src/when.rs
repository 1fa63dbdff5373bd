//! Points and spans in time as the CLI takes them: `recover --since 6h|all` and
//! `events --since/--until` (a span ago, or a UTC time as the CLI prints it).

/// How far back `recover` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Everything kept.
    All,
    /// The last this many seconds.
    Last(i64),
}

impl Since {
    /// `30m`, `6h`, `7d`, `90s` or `all`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("all") {
            return Ok(Self::All);
        }
        span_secs(text)
            .map(Self::Last)
            .ok_or_else(|| format!("`{text}` is not a span: give e.g. 30m, 6h, 7d, or all"))
    }

    /// The earliest arrival (Unix ms) it takes in, as of `now_ms`.
    pub fn start_ms(self, now_ms: i64) -> i64 {
        match self {
            Self::All => 0,
            Self::Last(secs) => now_ms - secs * 1_000,
        }
    }
}

/// `30m`, `6h`, `7d`, `90s` in seconds: at least a second, at most a year (longer than
/// anything kept is old, and it keeps the sums in range).
fn span_secs(text: &str) -> Option<i64> {
    let scale = match text.chars().last()? {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    let count: i64 = text[..text.len() - 1].parse().ok()?;
    let secs = count.saturating_mul(scale);
    (1..=366 * 86_400).contains(&secs).then_some(secs)
}

/// A point in time for `events --since/--until`: a span ago (`2h`) or a UTC time
/// (`2026-12-07 14:02`, `2026-12-07T14:02:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// This many seconds ago.
    Ago(i64),
    /// This Unix ms.
    Time(i64),
}

impl At {
    /// Parses a span or a time.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(secs) = span_secs(text) {
            return Ok(Self::Ago(secs));
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
            return Ok(Self::Time(t.timestamp_millis()));
        }
        // As the CLI prints times (`2026-12-07 14:02:03.123`, UTC), shorter, or a day.
        for format in [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
        ] {
            if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
                return Ok(Self::Time(t.and_utc().timestamp_millis()));
            }
        }
        if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(Self::Time(
                day.and_time(chrono::NaiveTime::MIN)
                    .and_utc()
                    .timestamp_millis(),
            ));
        }
        Err(format!(
            "`{text}` is not a time: give a span ago (30m, 6h, 7d) or a UTC time \
             (2026-12-07, 2026-12-07 14:02, 2026-12-07 14:02:03.123, or RFC 3339)"
        ))
    }

    /// Unix ms, as of `now_ms`.
    pub fn ms(self, now_ms: i64) -> i64 {
        match self {
            Self::Ago(secs) => now_ms - secs * 1_000,
            Self::Time(ms) => ms,
        }
    }
}

impl std::fmt::Display for Since {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::All => f.write_str("in everything kept"),
            Self::Last(secs) if secs % 86_400 == 0 && secs > 86_400 => {
                write!(f, "in the last {} days", secs / 86_400)
            }
            Self::Last(3_600) => f.write_str("in the last hour"),
            Self::Last(secs) if secs % 3_600 == 0 => write!(f, "in the last {} h", secs / 3_600),
            Self::Last(secs) if secs % 60 == 0 => write!(f, "in the last {} min", secs / 60),
            Self::Last(secs) => write!(f, "in the last {secs} s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_a_span_ago_or_a_utc_time_as_the_cli_prints_it() {
        let ms = |text: &str| At::parse(text).map(|at| at.ms(1_000_000_000_000));
        assert_eq!(ms("90s"), Ok(1_000_000_000_000 - 90_000));
        assert_eq!(ms("2h"), Ok(1_000_000_000_000 - 7_200_000));
        let printed = ms("2026-12-07 14:02:03.123").unwrap();
        assert_eq!(printed % 1_000, 123, "the fraction the CLI prints is kept");
        assert_eq!(ms("2026-12-07 14:02:03"), Ok(printed - 123));
        assert_eq!(ms("2026-12-07T14:02"), Ok(printed - 3_123));
        assert_eq!(ms("2026-12-07T14:02:03.123Z"), Ok(printed));
        assert_eq!(ms("2026-12-07T15:02:03.123+01:00"), Ok(printed));
        assert_eq!(
            ms("2026-12-07"),
            Ok(printed - (14 * 3_600 + 2 * 60 + 3) * 1_000 - 123)
        );
        for bad in ["yesterday", "0m", "-5m", "2026-13-01", "14:02", ""] {
            assert!(At::parse(bad).is_err(), "{bad:?} is refused");
        }
    }
}
