//! Ingestion delay statistics: log-spaced bins, percentiles, human durations.

use serde::{Deserialize, Serialize};

/// One histogram bin of delays, `[from, to)` in seconds (`to` absent for the last).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelayBin {
    /// Label as charts show it.
    pub label: String,
    /// Lower edge, seconds (inclusive).
    pub from_seconds: i64,
    /// Upper edge, seconds (exclusive); `None` for the open last bin.
    pub to_seconds: Option<i64>,
}

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;

/// Upper edges of the bins: how audit delays are talked about (SharePoint within 15 minutes,
/// Exchange "up to 12 hours", "up to 24 hours" for some services).
const EDGES: [i64; 6] = [15 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR];
const LABELS: [&str; 7] = ["<15 min", "15–60 min", "1–3 h", "3–6 h", "6–12 h", "12–24 h", ">24 h"];

/// Longest delay taken as real: Microsoft documents delays of hours, exceptionally days. A
/// longer one says more about the input (a wrong column, a year-0 date) than about the log.
pub const MAX_PLAUSIBLE_DELAY_SECONDS: i64 = 30 * 86_400;

/// Number of delay bins.
pub const BIN_COUNT: usize = 7;

/// The bins, in order.
pub fn delay_bins() -> Vec<DelayBin> {
    (0..BIN_COUNT)
        .map(|i| DelayBin {
            label: LABELS[i].to_owned(),
            from_seconds: if i == 0 { 0 } else { EDGES[i - 1] },
            to_seconds: EDGES.get(i).copied(),
        })
        .collect()
}

/// The bin a delay falls in (negative ones, which the figures leave out, in the first).
pub fn bin_of(seconds: i64) -> usize {
    EDGES.iter().position(|&edge| seconds < edge).unwrap_or(BIN_COUNT - 1)
}

/// Nearest-rank percentile of sorted values: the smallest value with at least `p` of the
/// values at or below it. `None` for no values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Delay figures for one workload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DelayStats {
    /// Events whose arrival time the input gives.
    pub measured: u64,
    /// Events whose arrival is only known to lie between two export times.
    pub bounded: u64,
    /// Median measured delay.
    pub p50_seconds: Option<i64>,
    /// 90th percentile measured delay.
    pub p90_seconds: Option<i64>,
    /// 99th percentile measured delay.
    pub p99_seconds: Option<i64>,
    /// Longest measured delay.
    pub max_seconds: Option<i64>,
    /// Measured delays per bin of [`delay_bins`].
    pub histogram: Vec<u64>,
    /// Cumulative share of measured events at or under each bin's upper edge (0..=1).
    pub cdf: Vec<f64>,
    /// Bounded events per bin of their *least* possible delay.
    pub bounded_at_least: Vec<u64>,
    /// Bounded events per bin of their *greatest* possible delay.
    pub bounded_at_most: Vec<u64>,
    /// Median of the least possible delays of bounded events.
    pub bounded_min_p50_seconds: Option<i64>,
    /// Median of the greatest possible delays of bounded events.
    pub bounded_max_p50_seconds: Option<i64>,
    /// Where the measured arrivals came from (`ingestion-time`, `content-created`).
    pub arrival_sources: Vec<String>,
    /// Events that arrived before they happened (clock skew, or a wrong column): left out of
    /// every figure above.
    pub negative: u64,
    /// Events whose delay, measured or at least, exceeds [`MAX_PLAUSIBLE_DELAY_SECONDS`]: left
    /// out of every figure above.
    pub implausible: u64,
}

impl DelayStats {
    /// Computes the figures from raw measurements and bounds (both consumed, sorted in place).
    /// Delays that cannot be true (negative, or beyond [`MAX_PLAUSIBLE_DELAY_SECONDS`]) are
    /// counted apart and left out of the percentiles and the histograms.
    pub fn compute(mut measured: Vec<i64>, mut bounds: Vec<(i64, i64)>, arrival_sources: Vec<String>) -> Self {
        let before = (measured.len() + bounds.len()) as u64;
        let negative = (measured.iter().filter(|&&d| d < 0).count() + bounds.iter().filter(|b| b.1 < 0).count()) as u64;
        measured.retain(|&d| (0..=MAX_PLAUSIBLE_DELAY_SECONDS).contains(&d));
        bounds.retain(|&(low, high)| high >= 0 && low <= MAX_PLAUSIBLE_DELAY_SECONDS);
        let implausible = before - negative - (measured.len() + bounds.len()) as u64;
        measured.sort_unstable();
        let mut histogram = vec![0u64; BIN_COUNT];
        for &d in &measured {
            histogram[bin_of(d)] += 1;
        }
        let total = measured.len() as f64;
        let mut running = 0u64;
        let cdf = histogram
            .iter()
            .map(|&n| {
                running += n;
                if total > 0.0 {
                    (running as f64 / total * 1000.0).round() / 1000.0
                } else {
                    0.0
                }
            })
            .collect();
        let mut at_least = vec![0u64; BIN_COUNT];
        let mut at_most = vec![0u64; BIN_COUNT];
        let mut lows: Vec<i64> = Vec::with_capacity(bounds.len());
        let mut highs: Vec<i64> = Vec::with_capacity(bounds.len());
        for &(low, high) in &bounds {
            at_least[bin_of(low)] += 1;
            at_most[bin_of(high)] += 1;
            lows.push(low);
            highs.push(high);
        }
        lows.sort_unstable();
        highs.sort_unstable();
        Self {
            measured: measured.len() as u64,
            bounded: bounds.len() as u64,
            p50_seconds: percentile(&measured, 0.50),
            p90_seconds: percentile(&measured, 0.90),
            p99_seconds: percentile(&measured, 0.99),
            max_seconds: measured.last().copied(),
            histogram,
            cdf,
            bounded_at_least: at_least,
            bounded_at_most: at_most,
            bounded_min_p50_seconds: percentile(&lows, 0.5),
            bounded_max_p50_seconds: percentile(&highs, 0.5),
            arrival_sources,
            negative,
            implausible,
        }
    }
}

/// A duration as people say it: `40 s`, `47 min`, `2.5 h`, `6 h`, `3 days`.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    if s < 90 {
        format!("{s} s")
    } else if s < 90 * MINUTE {
        format!("{} min", (s + MINUTE / 2) / MINUTE)
    } else if s < 36 * HOUR {
        let hours = s as f64 / HOUR as f64;
        if hours < 10.0 && (hours * 2.0).round() % 2.0 != 0.0 {
            format!("{:.1} h", (hours * 2.0).round() / 2.0)
        } else {
            format!("{} h", hours.round() as i64)
        }
    } else {
        format!("{} days", (s + 12 * HOUR) / (24 * HOUR))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_log_spaced_and_cover_everything() {
        assert_eq!(bin_of(-5), 0);
        assert_eq!(bin_of(14 * 60 + 59), 0);
        assert_eq!(bin_of(15 * 60), 1);
        assert_eq!(bin_of(3 * 3600), 3);
        assert_eq!(bin_of(24 * 3600), 6);
        assert_eq!(bin_of(i64::MAX), 6);
        let bins = delay_bins();
        assert_eq!(bins.len(), BIN_COUNT);
        assert_eq!(bins[6].to_seconds, None);
        assert!(bins.windows(2).all(|w| w[0].to_seconds == Some(w[1].from_seconds)));
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 0.5), Some(5));
        assert_eq!(percentile(&v, 0.9), Some(9));
        assert_eq!(percentile(&v, 0.99), Some(10));
        assert_eq!(percentile(&[7], 0.5), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn stats_count_histogram_and_cdf() {
        let s = DelayStats::compute(vec![30 * 3600, 60, 600, 7200], vec![(100, 20_000)], vec![]);
        assert_eq!(s.measured, 4);
        assert_eq!(s.histogram, vec![2, 0, 1, 0, 0, 0, 1]);
        assert_eq!(s.cdf, vec![0.5, 0.5, 0.75, 0.75, 0.75, 0.75, 1.0]);
        assert_eq!(s.p50_seconds, Some(600));
        assert_eq!(s.max_seconds, Some(30 * 3600));
        assert_eq!(s.bounded, 1);
        assert_eq!(s.bounded_at_least[0], 1);
        assert_eq!(s.bounded_at_most[3], 1, "5.6 h is in 3–6 h");
    }

    #[test]
    fn delays_that_cannot_be_true_are_counted_apart() {
        let year_9999 = 253_402_300_799;
        let s = DelayStats::compute(
            vec![-120, 60, 600, year_9999, 31 * 86_400],
            vec![(100, 20_000), (40 * 86_400, 50 * 86_400)],
            vec![],
        );
        assert_eq!((s.negative, s.implausible), (1, 3));
        assert_eq!((s.measured, s.bounded), (2, 1));
        assert_eq!(s.histogram, vec![2, 0, 0, 0, 0, 0, 0], "the skewed one is not in the shortest bin");
        assert_eq!((s.p50_seconds, s.max_seconds), (Some(60), Some(600)));
        assert_eq!(s.bounded_at_least[0], 1);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(40), "40 s");
        assert_eq!(human_duration(47 * 60), "47 min");
        assert_eq!(human_duration(150 * 60), "2.5 h");
        assert_eq!(human_duration(6 * 3600 + 100), "6 h");
        assert_eq!(human_duration(3 * 86400), "3 days");
    }
}
