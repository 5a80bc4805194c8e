//! Comparing two partitions of the same rows.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// Pair counts: (pairs together in both, together only in `a`, together only
/// in `b`, apart in both).
fn pair_counts(a: &[usize], b: &[usize]) -> Result<(f64, f64, f64, f64)> {
    if a.len() != b.len() {
        return Err(Error::ShapeMismatch {
            what: "the two labellings".into(),
            expected: a.len().to_string(),
            found: b.len().to_string(),
        });
    }
    let n = a.len() as f64;
    let pairs = |c: f64| c * (c - 1.0) / 2.0;
    let mut joint: HashMap<(usize, usize), f64> = HashMap::new();
    let mut in_a: HashMap<usize, f64> = HashMap::new();
    let mut in_b: HashMap<usize, f64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *joint.entry((x, y)).or_default() += 1.0;
        *in_a.entry(x).or_default() += 1.0;
        *in_b.entry(y).or_default() += 1.0;
    }
    let both: f64 = joint.values().map(|&c| pairs(c)).sum();
    let same_a: f64 = in_a.values().map(|&c| pairs(c)).sum();
    let same_b: f64 = in_b.values().map(|&c| pairs(c)).sum();
    let only_a = same_a - both;
    let only_b = same_b - both;
    let neither = pairs(n) - both - only_a - only_b;
    Ok((both, only_a, only_b, neither))
}

/// Adjusted Rand index (Hubert & Arabie 1985): 1 for identical partitions,
/// about 0 for independent ones. Label values need not match between `a` and `b`.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64> {
    let (tp, fp, fn_, tn) = pair_counts(a, b)?;
    if fp == 0.0 && fn_ == 0.0 {
        return Ok(1.0);
    }
    Ok(2.0 * (tp * tn - fn_ * fp) / ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn)))
}

/// Jaccard index of two partitions over pairs of rows: pairs together in
/// both / pairs together in either (1 when no pair is together in either).
pub fn pair_jaccard(a: &[usize], b: &[usize]) -> Result<f64> {
    let (both, only_a, only_b, _) = pair_counts(a, b)?;
    let either = both + only_a + only_b;
    Ok(if either == 0.0 { 1.0 } else { both / either })
}

/// Jaccard similarity of two sets of row indices: |A ∩ B| / |A ∪ B|
/// (the per-cluster stability measure of bootstrap validation).
pub fn set_jaccard(a: &[usize], b: &[usize]) -> f64 {
    let a: std::collections::HashSet<_> = a.iter().collect();
    let b: std::collections::HashSet<_> = b.iter().collect();
    let union = a.union(&b).count();
    if union == 0 {
        1.0
    } else {
        a.intersection(&b).count() as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn identical_partitions_up_to_renaming() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 2, 2]).unwrap(), 1.0);
        assert_eq!(pair_jaccard(&[0, 0, 1, 1], &[1, 1, 0, 0]).unwrap(), 1.0);
    }

    #[test]
    fn known_values() {
        // scikit-learn's documented example: adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) = 0.571428...
        assert_abs_diff_eq!(
            adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1]).unwrap(),
            4.0 / 7.0,
            epsilon = 1e-15
        );
        // Pairs together: a {01}, b {01, 23} -> 1 / 2.
        assert_abs_diff_eq!(pair_jaccard(&[0, 0, 1, 2], &[0, 0, 1, 1]).unwrap(), 0.5);
        assert_abs_diff_eq!(set_jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert!(adjusted_rand_index(&[0], &[0, 1]).is_err());
    }
}
