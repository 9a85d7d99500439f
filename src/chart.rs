//! Scale and layout maths for the SVG charts: pure functions, tested natively.

use sendas_core::model::SendClass;
use sendas_core::report::ClassCounts;

/// The smallest "nice" axis maximum (1, 2, 2.5 or 5 × 10ⁿ) at or above `value`; at least 1.
/// The 2.5 keeps a bar of 2,051 at 82 % of the width, not 41 % (of 5,000).
pub fn nice_ceiling(value: u64) -> u64 {
    ceiling_among(value, &[10, 20, 25, 50, 100])
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `value` (tick steps: 2.5 × 10ⁿ makes ragged labels).
fn step_ceiling(value: u64) -> u64 {
    ceiling_among(value, &[10, 20, 50, 100])
}

/// The smallest `step / 10 × 10ⁿ` at or above `value`, over `steps` in tenths; at least 1.
fn ceiling_among(value: u64, steps: &[u64]) -> u64 {
    if value <= 1 {
        return 1;
    }
    let mut magnitude = 1u64;
    while magnitude.saturating_mul(10) <= value {
        magnitude *= 10;
    }
    steps
        .iter()
        // Tenths of 1 are not whole numbers: 2.5 only from 25 up.
        .filter(|&&step| magnitude >= 10 || step % 10 == 0)
        .map(|&step| (step * magnitude) / 10)
        .find(|&candidate| candidate >= value)
        .unwrap_or(10 * magnitude)
}

/// The largest tick step (1, 2 or 5 × 10ⁿ) at or below `value`; at least 1.
pub fn nice_floor(value: u64) -> u64 {
    let ceiling = step_ceiling(value);
    if ceiling == value {
        return value;
    }
    // The nice number just below a nice ceiling: 100 → 50, 50 → 20, 20 → 10.
    let mut leading = ceiling;
    while leading >= 10 {
        leading /= 10;
    }
    let below = if leading == 5 { ceiling * 2 / 5 } else { ceiling / 2 };
    below.max(1)
}

/// Evenly spaced tick values from 0 to `nice_ceiling(max)`, at least `count` intervals when
/// the range allows, on a nice step.
pub fn ticks(max: u64, count: u64) -> Vec<u64> {
    let top = nice_ceiling(max);
    let step = nice_floor((top / count.max(1)).max(1));
    (0..=top / step).map(|i| i * step).collect()
}

/// Maps `value` in `0..=domain_max` onto `0..=length`.
pub fn scale(value: u64, domain_max: u64, length: f64) -> f64 {
    if domain_max == 0 {
        0.0
    } else {
        value as f64 / domain_max as f64 * length
    }
}

/// A stacked bar's segments: `(class, offset, count)` for each non-zero class, in class order.
pub fn stack(counts: &ClassCounts) -> Vec<(SendClass, u64, u64)> {
    let mut offset = 0;
    let mut segments = Vec::new();
    for class in SendClass::ALL {
        let n = counts.get(class);
        if n > 0 {
            segments.push((class, offset, n));
            offset += n;
        }
    }
    segments
}

/// Shortens a label to `max` characters with an ellipsis (bidirectional controls made visible
/// first, so a label cannot disguise itself).
pub fn truncate(label: &str, max: usize) -> String {
    let label = crate::text::visible(label);
    let label = label.as_str();
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let kept: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// The class with the most sends (ties: the earlier in class order).
pub fn dominant(counts: &ClassCounts) -> SendClass {
    SendClass::ALL
        .into_iter()
        .max_by_key(|c| (counts.get(*c), std::cmp::Reverse(c.index())))
        .unwrap_or(SendClass::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_numbers() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(12), 20);
        assert_eq!(nice_ceiling(20), 20);
        assert_eq!(nice_ceiling(41), 50);
        assert_eq!(nice_ceiling(501), 1000);
        assert_eq!(nice_ceiling(2051), 2500);
        assert_eq!(nice_ceiling(21), 25);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(ticks(2051, 4), vec![0, 500, 1000, 1500, 2000, 2500]);
        assert_eq!(ticks(22, 4), vec![0, 5, 10, 15, 20, 25]);
        assert_eq!(ticks(84, 4), vec![0, 20, 40, 60, 80, 100]);
        assert_eq!(ticks(3, 4), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(ticks(60, 4), vec![0, 20, 40, 60, 80, 100]);
        assert_eq!(nice_floor(25), 20);
        assert_eq!(nice_floor(7), 5);
        assert_eq!(nice_floor(3), 2);
        assert_eq!(nice_floor(1), 1);
    }

    #[test]
    fn ticks_end_at_the_axis_maximum_and_the_longest_bar_fills_most_of_it() {
        for max in 1..=200_000u64 {
            let top = nice_ceiling(max);
            assert!(top >= max && top < max.max(2) * 5 / 2 + 1, "{max} -> {top}");
            let ticks = ticks(max, 4);
            assert_eq!(ticks.last(), Some(&top), "{max}");
            assert!(ticks.len() >= 2 && ticks.len() <= 11, "{max}: {ticks:?}");
            let step = ticks[1];
            assert!(ticks.windows(2).all(|w| w[1] - w[0] == step), "{max}: {ticks:?}");
        }
    }

    #[test]
    fn scaling_and_stacking() {
        assert_eq!(scale(5, 10, 200.0), 100.0);
        assert_eq!(scale(5, 0, 200.0), 0.0);
        let counts = ClassCounts { connector: 3, owner: 2, ..Default::default() };
        assert_eq!(stack(&counts), vec![(SendClass::Connector, 0, 3), (SendClass::Owner, 3, 2)]);
        assert_eq!(dominant(&counts), SendClass::Connector);
        assert_eq!(dominant(&ClassCounts::default()), SendClass::Connector);
    }

    #[test]
    fn labels_are_shortened() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
