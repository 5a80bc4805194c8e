//! The recommendation from a k table: the three voices' vote for the
//! methods judged by their indices, the lowest BIC for a Gaussian mixture.

use super::{KScore, SelectOptions};
use crate::error::{Error, Result};

/// The admissible k of lowest mixture BIC (Schwarz 1978; scikit-learn's
/// model-selection example for Gaussian mixtures does the same).
pub(super) fn lowest_bic(table: &[KScore], min_share: f64) -> Result<(usize, String)> {
    table
        .iter()
        .filter(|s| s.admissible)
        .filter_map(|s| s.bic.map(|b| (s.k, b)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, bic)| (k, format!("lowest BIC of the Gaussian mixture ({bic:.1})")))
        .ok_or_else(|| Error::InsufficientData {
            what: format!(
                "no k in the range gives a Gaussian mixture with every segment at least {:.1}% of the customers",
                100.0 * min_share
            ),
        })
}

/// The elbow: the k whose (k, inertia) point lies farthest below the chord
/// from the first to the last point, both axes scaled to [0, 1].
fn elbow(table: &[&KScore]) -> Option<usize> {
    let (first, last) = (table.first()?, table.last()?);
    if table.len() < 3 || first.inertia <= last.inertia {
        return None;
    }
    let span_k = (last.k - first.k) as f64;
    let span_i = first.inertia - last.inertia;
    table
        .iter()
        .map(|s| {
            let t = (s.k - first.k) as f64 / span_k;
            let chord = 1.0 - t;
            let y = (s.inertia - last.inertia) / span_i;
            (s.k, chord - y)
        })
        .filter(|(_, gap)| *gap > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

/// The criteria's vote among the admissible k (see the module notes), with
/// the chosen k's stability and prediction strength in the reason.
pub(super) fn recommend(
    table: &[KScore],
    options: &SelectOptions,
    gap_choice: Option<usize>,
) -> Result<(usize, String)> {
    let candidates: Vec<&KScore> = table.iter().filter(|s| s.admissible).collect();
    if candidates.is_empty() {
        return Err(Error::InsufficientData {
            what: format!(
                "no k in the range gives every segment at least {:.1}% of the customers",
                100.0 * options.min_share
            ),
        });
    }
    let (winner, mut reason) = vote(&candidates, gap_choice);
    let chosen = candidates
        .iter()
        .find(|s| s.k == winner)
        .expect("the winner is a candidate");
    if let Some(stability) = chosen.stability {
        reason += &format!("; mean bootstrap stability {stability:.2}");
    }
    if let Some(strength) = chosen.prediction_strength {
        reason += &format!("; prediction strength {strength:.2}");
        if strength < options.prediction_cutoff {
            reason += &format!(
                " (below {:.2}: the segments are only partly reproduced when half the customers are segmented \
                 on their own)",
                options.prediction_cutoff
            );
        }
    }
    if options.min_share > 0.0 {
        reason += &format!(
            "; only k with every segment ≥ {:.1}% of customers considered",
            100.0 * options.min_share
        );
    }
    Ok((winner, reason))
}

/// The vote of three voices: the internal indices (silhouette,
/// Calinski–Harabasz and Davies–Bouldin, which measure the same
/// compactness-against-separation and so speak once, with their majority or
/// else the silhouette's k), the elbow and the gap statistic's 1-SE rule.
/// Most votes win; a tie goes to the gap rule's k, then to the higher silhouette.
fn vote(candidates: &[&KScore], gap_choice: Option<usize>) -> (usize, String) {
    let best_by = |key: &dyn Fn(&KScore) -> f64| {
        candidates
            .iter()
            .max_by(|a, b| key(a).total_cmp(&key(b)).then(b.k.cmp(&a.k)))
            .map(|s| s.k)
            .expect("candidates")
    };
    let indices = [
        ("silhouette", best_by(&|s| s.silhouette)),
        ("Calinski–Harabasz", best_by(&|s| s.calinski_harabasz)),
        ("Davies–Bouldin", best_by(&|s| -s.davies_bouldin)),
    ];
    let backing = |k: usize| indices.iter().filter(|(_, v)| *v == k).count();
    let indices_k = indices
        .iter()
        .map(|(_, k)| *k)
        .max_by_key(|&k| (backing(k), k == indices[0].1))
        .expect("three");
    let agreeing: Vec<&str> = indices
        .iter()
        .filter(|(_, k)| *k == indices_k)
        .map(|(n, _)| *n)
        .collect();
    let indices_name = match agreeing.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => agreeing.concat(),
    };
    let mut votes: Vec<(String, usize)> = vec![(indices_name, indices_k)];
    if let Some(k) = elbow(candidates) {
        votes.push(("elbow".into(), k));
    }
    let gap_choice = gap_choice.filter(|k| candidates.iter().any(|s| s.k == *k));
    if let Some(k) = gap_choice {
        votes.push(("gap statistic".into(), k));
    }
    let count = |k: usize| votes.iter().filter(|(_, v)| *v == k).count();
    let silhouette_of = |k: usize| candidates.iter().find(|s| s.k == k).map_or(f64::NAN, |s| s.silhouette);
    let winner = candidates
        .iter()
        .map(|s| s.k)
        .max_by(|&a, &b| {
            count(a)
                .cmp(&count(b))
                .then((Some(a) == gap_choice).cmp(&(Some(b) == gap_choice)))
                .then(silhouette_of(a).total_cmp(&silhouette_of(b)))
        })
        .expect("candidates");
    let agree: Vec<&str> = votes
        .iter()
        .filter(|(_, k)| *k == winner)
        .map(|(n, _)| n.as_str())
        .collect();
    let mut others: Vec<String> = votes
        .iter()
        .filter(|(_, k)| *k != winner)
        .map(|(n, k)| format!("{n} prefer{} {k}", if n.contains(" and ") { "" } else { "s" }))
        .collect();
    others.extend(
        indices
            .iter()
            .filter(|(_, k)| *k != indices_k && *k != winner)
            .map(|(n, k)| format!("{n} alone prefers {k}")),
    );
    let mut reason = if agree.is_empty() {
        format!("k = {winner}: no criterion agrees; chosen for the highest silhouette among the tied")
    } else if agree.len() < votes.len() && Some(winner) == gap_choice && tied(&votes, winner) {
        format!(
            "k = {winner}: {} agree; the tie is broken by the gap rule",
            agree.join(", ")
        )
    } else {
        format!("k = {winner}: {} agree", agree.join(", "))
    };
    if !others.is_empty() {
        reason += &format!(" ({})", others.join("; "));
    }
    (winner, reason)
}

fn tied(votes: &[(String, usize)], winner: usize) -> bool {
    let count = |k: usize| votes.iter().filter(|(_, v)| *v == k).count();
    votes.iter().any(|(_, k)| *k != winner && count(*k) == count(winner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(k: usize, silhouette: f64, ch: f64, db: f64) -> KScore {
        KScore {
            k,
            inertia: 100.0 / k as f64,
            silhouette,
            calinski_harabasz: ch,
            davies_bouldin: db,
            smallest_share: 0.2,
            admissible: true,
            stability: None,
            gap: None,
            gap_s: None,
            bic: None,
            prediction_strength: None,
        }
    }

    #[test]
    fn a_tie_goes_to_the_gap_rule_then_to_the_silhouette() {
        // Silhouette prefers 2, CH 3, DB 4: the indices speak for the silhouette's 2;
        // the elbow (3 points on a convex curve) prefers 3.
        let table = [
            score(2, 0.6, 10.0, 0.9),
            score(3, 0.5, 20.0, 0.8),
            score(4, 0.4, 15.0, 0.7),
        ];
        let candidates: Vec<&KScore> = table.iter().collect();
        assert_eq!(vote(&candidates, None).0, 2, "2 and 3 tie: the higher silhouette");
        let (k, reason) = vote(&candidates, Some(4));
        assert_eq!(k, 4, "{reason}");
        assert!(reason.contains("the tie is broken by the gap rule"), "{reason}");
    }

    /// The synthetic survey's pattern: the three indices prefer 2, the elbow
    /// and the gap statistic 4. Counted as three votes the indices would win.
    #[test]
    fn the_internal_indices_speak_once() {
        let mut table = vec![
            score(2, 0.30, 900.0, 1.5),
            score(3, 0.25, 800.0, 1.7),
            score(4, 0.24, 750.0, 1.8),
            score(5, 0.20, 700.0, 1.9),
        ];
        table[0].inertia = 100.0;
        table[1].inertia = 80.0;
        table[2].inertia = 50.0;
        table[3].inertia = 45.0;
        table[2].prediction_strength = Some(0.62);
        let options = SelectOptions::default();
        let (k, reason) = recommend(&table, &options, Some(4)).unwrap();
        assert_eq!(k, 4, "{reason}");
        assert!(
            reason.starts_with(
                "k = 4: elbow, gap statistic agree (silhouette, Calinski–Harabasz and Davies–Bouldin prefer 2)"
            ),
            "{reason}"
        );
        assert!(reason.contains("prediction strength 0.62 (below 0.80"), "{reason}");
    }
}
