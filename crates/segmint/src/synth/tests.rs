//! The generator's own checks: determinism, the mix, and archetypes that
//! behave as their names say.

use super::*;
use crate::features::{FeatureOptions, rfm};

#[test]
fn same_seed_same_data_different_seed_different_data() {
    let a = generate(&SynthParams::new(500, 1)).unwrap();
    let b = generate(&SynthParams::new(500, 1)).unwrap();
    let c = generate(&SynthParams::new(500, 2)).unwrap();
    // Satisfaction holds NaN (not rated), so the bases are compared bit by bit there.
    let bits = |x: &CustomerBase| {
        x.interactions
            .satisfaction
            .iter()
            .map(|s| s.to_bits())
            .collect::<Vec<_>>()
    };
    assert!(a.transactions == b.transactions && a.products == b.products);
    assert!(a.interactions.timestamp == b.interactions.timestamp && bits(&a) == bits(&b));
    assert!(a.transactions != c.transactions);
}

#[test]
fn every_customer_buys_and_archetypes_follow_the_mix() {
    let base = generate(&SynthParams::new(4000, 7)).unwrap();
    let tx = &base.transactions;
    assert_eq!(tx.n_customers(), 4000);
    let counts = Archetype::ALL.map(|a| base.archetypes.iter().filter(|&&b| b == a).count() as f64 / 4000.0);
    for (share, expected) in counts.iter().zip([0.15, 0.20, 0.40, 0.25]) {
        assert!((share - expected).abs() < 0.03, "{counts:?}");
    }
    let (lo, hi) = tx.time_span().unwrap();
    assert!(lo >= DEFAULT_START && hi < base.as_of);
    let features = rfm(
        tx,
        &FeatureOptions {
            as_of: Some(base.as_of),
            ..Default::default()
        },
    )
    .unwrap();
    let freq = features.column("frequency").unwrap();
    assert!(freq.iter().all(|&f| f >= 1.0));
}

#[test]
fn archetypes_behave_as_their_names_say() {
    let base = generate(&SynthParams::new(4000, 3)).unwrap();
    let f = rfm(
        &base.transactions,
        &FeatureOptions {
            as_of: Some(base.as_of),
            ..Default::default()
        },
    )
    .unwrap();
    let mean_of = |col: &str, a: Archetype| mean_by_archetype(&f, &base, col, a);
    use Archetype::*;
    assert!(mean_of("monetary", HighValueLoyalist) > 3.0 * mean_of("monetary", BudgetConscious));
    assert!(mean_of("tenure_days", NewPotential) < 100.0);
    assert!(mean_of("recency_days", AtRiskChurned) > 200.0);
    assert!(mean_of("aov", BudgetConscious) < mean_of("aov", AtRiskChurned));
}

#[test]
fn discounts_new_products_and_engagement_follow_the_archetypes() {
    let base = generate(&SynthParams::new(4000, 11)).unwrap();
    let options = FeatureOptions {
        as_of: Some(base.as_of),
        ..Default::default()
    };
    let f = crate::features::customer_features(&base.transactions, &options, base.sources()).unwrap();
    let mean_of = |col: &str, a: Archetype| mean_by_archetype(&f, &base, col, a);
    use Archetype::*;
    assert!(mean_of("discount_order_share", BudgetConscious) > 0.5);
    assert!(mean_of("discount_order_share", HighValueLoyalist) < 0.2);
    assert!(mean_of("new_product_share", HighValueLoyalist) > 2.0 * mean_of("new_product_share", BudgetConscious));
    assert!(mean_of("engagement_score", HighValueLoyalist) > 2.0 * mean_of("engagement_score", AtRiskChurned));
    assert!(mean_of("category_breadth", HighValueLoyalist) > mean_of("category_breadth", NewPotential));
    // Loyalists buy through every channel; lapsed store customers through one.
    assert!(mean_of("channel_breadth", HighValueLoyalist) > 2.5);
    assert!(mean_of("main_channel_share", HighValueLoyalist) < mean_of("main_channel_share", AtRiskChurned));
}

#[test]
fn bad_parameters_are_rejected() {
    assert!(generate(&SynthParams::new(0, 1)).is_err());
    let mut p = SynthParams::new(10, 1);
    p.mix = [0.0; 4];
    assert!(generate(&p).unwrap_err().to_string().contains("mix"));
}

/// The mean of column `col` over the customers of archetype `a`.
fn mean_by_archetype(f: &crate::data::CustomerTable, base: &CustomerBase, col: &str, a: Archetype) -> f64 {
    let c = f.column(col).unwrap();
    let v: Vec<f64> = (0..c.len())
        .filter(|&i| base.archetypes[i] == a)
        .map(|i| c[i])
        .collect();
    v.iter().sum::<f64>() / v.len() as f64
}
