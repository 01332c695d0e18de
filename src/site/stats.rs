//! The few statistics the follow-through views need, defined once so every page, chart and
//! export agrees on them.
//!
//! Percentiles use the **nearest-rank** method: sort the n values ascending; the p-th
//! percentile is the value at 1-based rank `ceil(p / 100 * n)`. The median is the 50th
//! percentile by that rule, so for an even count it is the lower of the two middle values.
//! Every result is a value that was actually observed (no interpolation), which keeps the
//! numbers checkable by hand.

/// The p-th percentile (0 < p <= 100) of `values` by nearest rank; `None` for no values.
pub fn percentile(values: &[i64], p: u32) -> Option<i64> {
    if values.is_empty() || p == 0 || p > 100 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    // ceil(p * n / 100) in integers, so 90 % of 10 is exactly rank 9.
    let rank = (p as usize * n).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

pub fn median(values: &[i64]) -> Option<i64> {
    percentile(values, 50)
}

/// Median and 90th percentile of a sample, with its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Spread {
    pub n: usize,
    pub median: i64,
    pub p90: i64,
}

impl Spread {
    pub fn of(values: &[i64]) -> Option<Spread> {
        Some(Spread {
            n: values.len(),
            median: median(values)?,
            p90: percentile(values, 90)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ten: Vec<i64> = (1..=10).map(|v| v * 10).collect();
        assert_eq!(percentile(&ten, 90), Some(90));
        assert_eq!(percentile(&ten, 91), Some(100));
        assert_eq!(percentile(&ten, 100), Some(100));
        assert_eq!(median(&ten), Some(50), "lower middle value for an even count");
        assert_eq!(median(&[7, 1, 3]), Some(3));
        assert_eq!(percentile(&[7, 1, 3], 90), Some(7));
        assert_eq!(median(&[42]), Some(42));
        assert_eq!(percentile(&[5, 5, 1], 1), Some(1));
        assert_eq!(median(&[]), None);
        assert_eq!(percentile(&[1], 0), None);
    }

    #[test]
    fn spread_of_a_sample() {
        assert_eq!(
            Spread::of(&[9, 60, 5, 120]),
            Some(Spread {
                n: 4,
                median: 9,
                p90: 120
            })
        );
        assert_eq!(Spread::of(&[]), None);
    }
}
