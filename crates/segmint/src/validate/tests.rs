use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// `k` well-separated groups of `per` rows in two features.
fn groups(k: usize, per: usize) -> (Array2<f64>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let labels: Vec<usize> = (0..k * per).map(|i| i / per).collect();
    let x = Array2::from_shape_fn((k * per, 2), |(i, f)| {
        let centre = if f == 0 {
            10.0 * labels[i] as f64
        } else {
            5.0 * (labels[i] % 2) as f64
        };
        centre + rng.random::<f64>() - 0.5
    });
    (x, labels)
}

fn names() -> Vec<String> {
    vec!["frequency".into(), "recency_days".into()]
}

fn quick() -> ValidateOptions {
    ValidateOptions {
        replicates: 20,
        splits: 10,
        n_init: 1,
        ..Default::default()
    }
}

fn check<'a>(checks: &'a [Check], measure: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.measure.starts_with(measure))
        .unwrap_or_else(|| panic!("{measure}: {checks:#?}"))
}

#[test]
fn distinct_reachable_valuable_segments_pass_everything() {
    let (x, labels) = groups(3, 100);
    let names = names();
    let revenue = vec![100.0; 300];
    let reachable: Vec<bool> = (0..300).map(|i| i % 4 != 0).collect();
    let scales = [ScaleReliability {
        name: "price consciousness".into(),
        alpha: 0.82,
        n_items: 4,
    }];
    let strategies = ["loyalty".to_string(), "win-back".into(), "welcome".into()];
    let input = ValidationInput {
        revenue: Some(&revenue),
        value: Some(&revenue),
        reachable: Some(&reachable),
        scales: &scales,
        strategies: Some(&strategies),
        ..ValidationInput::new(x.view(), &names, &labels)
    };
    let card = validate(&input, &quick()).unwrap();
    for criterion in Criterion::ALL {
        assert_eq!(
            card.verdict(criterion),
            Verdict::Pass,
            "{criterion:?}: {:#?}",
            card.overall
        );
        for s in 0..3 {
            assert_eq!(card.segment_verdict(s, criterion), Verdict::Pass, "{criterion:?} {s}");
        }
    }
    let reach = check(&card.segments[0].checks, "share reachable");
    assert!((reach.value.unwrap() - 0.75).abs() < 1e-12, "{reach:?}");
    assert_eq!(card.features[0].band, "large");
    assert!(card.features[0].kruskal_wallis.unwrap().p_value < 1e-10);
    assert!(card.stability.as_ref().unwrap().mean_jaccard.iter().all(|&j| j > 0.99));
    assert!(card.segments[0].nearest_segment.is_some() && card.segments[0].separation.unwrap() > 2.0);
    assert_eq!(card.rows_sampled, 300);
}

#[test]
fn missing_sources_are_not_assessed_never_passed() {
    let (x, labels) = groups(2, 50);
    let names = names();
    let card = validate(&ValidationInput::new(x.view(), &names, &labels), &quick()).unwrap();
    assert_eq!(card.verdict(Criterion::Accessible), Verdict::NotAssessed);
    for measure in ["share reachable", "Cronbach", "distinct strateg"] {
        assert_eq!(check(&card.overall, measure).verdict, Verdict::NotAssessed, "{measure}");
    }
    assert_eq!(
        check(&card.segments[1].checks, "share of revenue").verdict,
        Verdict::NotAssessed
    );
    assert_eq!(card.segment_verdict(1, Criterion::Substantial), Verdict::Pass);
}

#[test]
fn one_segment_is_documented_as_not_assessed() {
    let (x, _) = groups(2, 20);
    let names = names();
    let labels = vec![0; 40];
    let card = validate(&ValidationInput::new(x.view(), &names, &labels), &quick()).unwrap();
    assert_eq!(card.verdict(Criterion::Differentiable), Verdict::NotAssessed);
    assert_eq!(card.verdict(Criterion::Actionable), Verdict::NotAssessed);
    assert_eq!(card.verdict(Criterion::Substantial), Verdict::Pass);
    assert!(card.stability.is_none() && card.prediction_strength.is_none());
    assert!(card.features.iter().all(|f| f.kruskal_wallis.is_none()));
}

#[test]
fn a_segment_of_one_customer_fails_substance_and_separation() {
    let (mut x, mut labels) = groups(2, 50);
    // Customer 0 alone in segment 2, in the middle of segment 0.
    labels[0] = 2;
    x[[0, 0]] = 0.1;
    let names = names();
    let card = validate(&ValidationInput::new(x.view(), &names, &labels), &quick()).unwrap();
    let alone = &card.segments[2].checks;
    assert_eq!(check(alone, "share of customers").verdict, Verdict::Fail);
    assert_eq!(check(alone, "silhouette").value, Some(0.0));
    assert_eq!(
        check(alone, "silhouette").verdict,
        Verdict::Fail,
        "scikit-learn's convention: 0 for a singleton"
    );
    assert_eq!(card.verdict(Criterion::Substantial), Verdict::Fail);
    assert!(
        check(&card.overall, "smallest segment")
            .reason
            .starts_with("segment 2: ")
    );
}

#[test]
fn a_small_segment_holding_revenue_is_a_warning_not_a_failure() {
    let (x, mut labels) = groups(2, 50);
    labels[..3].iter_mut().for_each(|l| *l = 2);
    let names = names();
    let revenue: Vec<f64> = (0..100).map(|i| if i < 3 { 1000.0 } else { 10.0 }).collect();
    let input = ValidationInput {
        revenue: Some(&revenue),
        ..ValidationInput::new(x.view(), &names, &labels)
    };
    let card = validate(&input, &quick()).unwrap();
    let small = check(&card.segments[2].checks, "share of customers");
    assert_eq!(small.verdict, Verdict::Warn);
    assert!(small.reason.contains("holds 75.6% of revenue"), "{}", small.reason);
}

#[test]
fn a_constant_feature_has_no_effect_size_and_is_never_a_marker() {
    let (mut x, labels) = groups(2, 30);
    x.column_mut(1).fill(3.0);
    let names = names();
    let card = validate(&ValidationInput::new(x.view(), &names, &labels), &quick()).unwrap();
    assert_eq!(card.features[1].band, "undefined");
    assert!(card.features[1].kruskal_wallis.is_none());
    let markers = check(&card.segments[0].checks, "marker variables");
    assert_eq!(markers.value, Some(1.0));
    assert!(markers.reason.starts_with("frequency -1.00 sd"), "{}", markers.reason);
}

#[test]
fn large_bases_are_sampled_for_the_resampling_checks() {
    let (x, labels) = groups(2, 100);
    let names = names();
    let options = ValidateOptions {
        sample_rows: 60,
        ..quick()
    };
    let card = validate(&ValidationInput::new(x.view(), &names, &labels), &options).unwrap();
    assert_eq!(card.rows_sampled, 60);
    assert_eq!(card.verdict(Criterion::Actionable), Verdict::Pass);
}

#[test]
fn bad_inputs_are_clear_errors() {
    let (mut x, labels) = groups(2, 10);
    let names = names();
    let err =
        |input: ValidationInput<'_>, options: &ValidateOptions| validate(&input, options).unwrap_err().to_string();
    assert!(err(ValidationInput::new(x.view(), &names, &labels[..5]), &quick()).contains("labels (one per row of X)"));
    assert!(err(ValidationInput::new(x.view(), &names[..1], &labels), &quick()).contains("feature_names"));
    let gap: Vec<usize> = labels.iter().map(|l| l * 2).collect();
    assert!(err(ValidationInput::new(x.view(), &names, &gap), &quick()).contains("no customer in segment 1"));
    let strategies = ["one".to_string()];
    let input = ValidationInput {
        strategies: Some(&strategies),
        ..ValidationInput::new(x.view(), &names, &labels)
    };
    assert!(err(input, &quick()).contains("strategies (one per segment)"));
    let options = ValidateOptions {
        replicates: 0,
        ..quick()
    };
    assert!(err(ValidationInput::new(x.view(), &names, &labels), &options).contains("replicates"));
    let mut options = quick();
    options.thresholds.min_share = 2.0;
    assert!(err(ValidationInput::new(x.view(), &names, &labels), &options).contains("min_share"));
    x[[3, 1]] = f64::NAN;
    assert!(err(ValidationInput::new(x.view(), &names, &labels), &quick()).contains("row 3, column 1"));
}

#[test]
fn verdicts_combine_to_the_worst_assessed() {
    use Verdict::*;
    assert_eq!(Verdict::worst([Pass, NotAssessed, Warn]), Warn);
    assert_eq!(Verdict::worst([Pass, Fail, Warn]), Fail);
    assert_eq!(Verdict::worst([NotAssessed, NotAssessed]), NotAssessed);
    assert_eq!(Verdict::worst([]), NotAssessed);
}
