//! Time bucketing for the sends-over-time chart.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ClassCounts;

/// Width of a timeline bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeBucket {
    /// One hour.
    Hour,
    /// One UTC day.
    Day,
}

impl TimeBucket {
    /// Bucket width in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Self::Hour => 3600,
            Self::Day => 86_400,
        }
    }
}

/// Hourly buckets up to this many days; a wider range is drawn by day so bars stay readable.
const HOURLY_UP_TO_DAYS: i64 = 4;

/// The bucket width for a range.
pub fn bucket_for_range(first: DateTime<Utc>, last: DateTime<Utc>) -> TimeBucket {
    if (last - first).num_seconds() <= HOURLY_UP_TO_DAYS * 86_400 {
        TimeBucket::Hour
    } else {
        TimeBucket::Day
    }
}

/// Start of the bucket holding `t`, as Unix seconds.
pub fn bucket_start(t: DateTime<Utc>, bucket: TimeBucket) -> i64 {
    t.timestamp().div_euclid(bucket.seconds()) * bucket.seconds()
}

/// One bucket of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineRow {
    /// Bucket start.
    pub start: DateTime<Utc>,
    /// Sends per class.
    pub by_class: ClassCounts,
}

/// Sends per bucket; buckets with no sends are left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// Bucket width.
    pub bucket: TimeBucket,
    /// Non-empty buckets in time order.
    pub rows: Vec<TimelineRow>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn buckets_floor_to_hour_or_day() {
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 13, 47, 5).unwrap();
        assert_eq!(
            bucket_start(t, TimeBucket::Hour),
            Utc.with_ymd_and_hms(2026, 11, 20, 13, 0, 0).unwrap().timestamp()
        );
        assert_eq!(bucket_start(t, TimeBucket::Day), Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap().timestamp());
        let before_epoch = Utc.with_ymd_and_hms(1969, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(bucket_start(before_epoch, TimeBucket::Hour), -3600);
    }

    #[test]
    fn wide_ranges_switch_to_days() {
        let a = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        assert_eq!(bucket_for_range(a, a + chrono::Duration::days(4)), TimeBucket::Hour);
        assert_eq!(bucket_for_range(a, a + chrono::Duration::days(5)), TimeBucket::Day);
    }
}
