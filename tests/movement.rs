//! Two periods of synthetic customers who move between the archetypes by a
//! known matrix: a lapse shows in the default basis, and migration recovers
//! the matrix.

use segmint::pipeline::{CustomerData, Segmentation, SegmentationResult};
use segmint::synth::{Archetype, CustomerBase, Movement, SynthParams, generate};

use Archetype::{AtRiskChurned, HighValueLoyalist};

/// Rows and columns in `Archetype::ALL` order: loyalists stay or lapse,
/// bargain hunters stay, trade up or lapse, new customers settle into one of
/// the three, and a quarter of the lapsed come back.
const MATRIX: [[f64; 4]; 4] = [
    [0.70, 0.0, 0.10, 0.20],
    [0.30, 0.0, 0.45, 0.25],
    [0.10, 0.0, 0.80, 0.10],
    [0.05, 0.0, 0.20, 0.75],
];

fn two_periods(n: usize, seed: u64) -> CustomerBase {
    let mut params = SynthParams::new(n, seed);
    params.movement = Some(Movement::yearly(MATRIX));
    generate(&params).unwrap()
}

fn fit(segmentation: Segmentation, base: &CustomerBase, end: i64) -> SegmentationResult {
    let mut segmentation = segmentation.seed(1).as_of(end);
    segmentation.validate = None;
    segmentation.fit(&base.transactions.up_to(end), None).unwrap()
}

/// The archetype each segment is named after.
fn archetype_of(names: &[String]) -> Vec<Archetype> {
    names
        .iter()
        .map(|name| {
            *Archetype::ALL
                .iter()
                .find(|a| a.name() == name)
                .unwrap_or_else(|| panic!("segment {name:?} is named after no archetype: {names:?}"))
        })
        .collect()
}

/// Share of the customers who went from `from` to `to` whose segment, in a
/// segmentation of the second snapshot, is named after `named`.
fn share_named(
    base: &CustomerBase,
    result: &SegmentationResult,
    (from, to): (Archetype, Archetype),
    named: Archetype,
) -> f64 {
    let first = &base.first_period.as_ref().unwrap().archetypes;
    let segment_archetype = archetype_of(&result.model.names);
    let movers: Vec<usize> = (0..first.len())
        .filter(|&i| first[i] == Some(from) && base.archetypes[i] == to)
        .collect();
    let named_so = movers
        .iter()
        .filter(|&&i| segment_archetype[result.labels[i]] == named)
        .count();
    named_so as f64 / movers.len() as f64
}

/// A loyal customer who stopped buying a year ago leaves the loyal segment
/// of a fresh segmentation; one who keeps buying stays. A basis of
/// frequency and revenue over the whole history keeps most of the lapsed
/// with the loyalists.
#[test]
fn a_lapsed_loyalist_leaves_the_loyal_segment() {
    let base = two_periods(20_000, 7);
    let fresh = fit(Segmentation::new(), &base, base.as_of);
    let lapsed = share_named(&base, &fresh, (HighValueLoyalist, AtRiskChurned), HighValueLoyalist);
    let active = share_named(&base, &fresh, (HighValueLoyalist, HighValueLoyalist), HighValueLoyalist);
    let lifetime = Segmentation::new().basis(["recency_days", "frequency", "monetary", "aov", "tenure_days"]);
    let lifetime = fit(lifetime, &base, base.as_of);
    let lapsed_lifetime = share_named(&base, &lifetime, (HighValueLoyalist, AtRiskChurned), HighValueLoyalist);
    println!("lapsed loyalists still loyal: {lapsed:.3} (lifetime basis {lapsed_lifetime:.3}); active: {active:.3}");
    assert!(lapsed < 0.02, "{lapsed}");
    assert!(active > 0.95, "{active}");
    assert!(lapsed_lifetime > 0.5, "{lapsed_lifetime}");
}

/// The model of the first snapshot, applied to both, estimates the matrix
/// the data were drawn from: each row within four standard errors of a
/// share estimated from that row's customers.
#[test]
fn migration_recovers_the_known_matrix() {
    let base = two_periods(20_000, 11);
    let first = base.first_period.as_ref().unwrap();
    let result = fit(Segmentation::new(), &base, first.end);
    let data = CustomerData {
        transactions: Some(&base.transactions),
        ..CustomerData::default()
    };
    let m = result.model.migration(data, first.end, base.as_of, 4).unwrap();
    let segment_archetype = archetype_of(&m.names);
    let mut worst = 0.0f64;
    for (from, row) in segment_archetype.iter().zip(&m.matrix) {
        let n = first.archetypes.iter().filter(|a| **a == Some(*from)).count() as f64;
        for (to, estimate) in segment_archetype.iter().zip(row) {
            let p = MATRIX[*from as usize][*to as usize];
            // A share of n draws; a floor of one customer where p is 0.
            let se = (p * (1.0 - p) / n).sqrt().max(1.0 / n);
            let z = (estimate - p).abs() / se;
            worst = worst.max(z);
            assert!(
                z < 4.0,
                "{} → {}: estimated {estimate:.4}, drawn with {p} (n = {n}, z = {z:.1})",
                from.name(),
                to.name()
            );
        }
    }
    println!("largest deviation: {worst:.2} standard errors");
    let new: usize = m
        .flows
        .iter()
        .filter(|f| f.from == segmint::pipeline::Place::New)
        .map(|f| f.customers)
        .sum();
    assert_eq!(new, base.archetypes.len() - first.archetypes.iter().flatten().count());
}
