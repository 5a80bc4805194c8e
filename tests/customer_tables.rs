//! Segmenting customer tables without a transaction log: the classic public
//! tables in ../shared/data (skipped, with a message, when absent) and a
//! seeded mixed-type table with known segments.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use segmint::cluster::Method;
use segmint::data::{Attributes, BadRowPolicy, ReadOptions, read_attributes};
use segmint::features::Sources;
use segmint::metrics::adjusted_rand_index;
use segmint::pipeline::{AnswerScale, CustomerData, Segmentation};
use segmint::preprocess::MissingValues;
use segmint::report::SegmentReport;
use segmint::select::SelectOptions;
use segmint_tests::shared_data;

fn table_only(customers: &Attributes) -> CustomerData<'_> {
    CustomerData {
        sources: Sources {
            customers: Some(customers),
            ..Sources::default()
        },
        ..CustomerData::default()
    }
}

fn quick_select() -> SelectOptions {
    SelectOptions {
        stability_replicates: 0,
        gap_references: 0,
        ..SelectOptions::default()
    }
}

/// Mall Customers on income and spending score: k-means with k = 5 finds the
/// five groups every tutorial of this data set shows (scikit-learn on the
/// same two columns: 81, 39, 35, 23 and 22 customers, centred near
/// (55, 50), (87, 82), (88, 17), (26, 21) and (26, 79)).
#[test]
fn mall_customers_recover_their_five_groups() {
    let Some(path) = shared_data("mall_customers/Mall_Customers.csv") else {
        return;
    };
    let (customers, audit) = read_attributes(&path, "CustomerID", &ReadOptions::default()).unwrap();
    assert_eq!(audit.rows_read, 200);
    assert_eq!(customers.ids.len(), 200);
    let basis = ["Annual Income (k$)", "Spending Score (1-100)"];
    let chosen = Segmentation::new()
        .seed(42)
        .basis(basis)
        .auto_k(quick_select())
        .fit_data(table_only(&customers))
        .unwrap();
    assert_eq!(
        chosen.report.clustering.n_clusters, 5,
        "{:?}",
        chosen.report.k_selection
    );
    let r = Segmentation::new()
        .seed(42)
        .k(5)
        .basis(basis)
        .fit_data(table_only(&customers))
        .unwrap();
    let sizes: Vec<usize> = r.report.segments.iter().map(|s| s.size).collect();
    assert_eq!(sizes, vec![81, 39, 35, 23, 22]);
    let mut centres: Vec<(f64, f64)> = r
        .report
        .segments
        .iter()
        .map(|s| {
            let mean = |name: &str| s.kpi(name).unwrap().mean.unwrap();
            (mean(basis[0]), mean(basis[1]))
        })
        .collect();
    centres.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    // Sorted by income, then score.
    let expected: [(f64, f64); 5] = [(25.7, 79.4), (26.3, 20.9), (55.3, 49.5), (86.5, 82.1), (88.2, 17.1)];
    for (found, want) in centres.iter().zip(&expected) {
        assert!(
            (found.0 - want.0).abs() < 1.0 && (found.1 - want.1).abs() < 1.0,
            "{centres:?}"
        );
    }
    // Genre and Age are not in the basis: they describe the segments.
    let genre = r.report.segments[0].composition.iter().find(|c| c.attribute == "Genre");
    assert!(genre.is_some_and(|g| !g.levels.is_empty()));
    assert!(r.report.segments[0].kpi("Age").is_some());
    assert_eq!(r.report.data.n_transactions, 0);
    assert_eq!(r.report.data.n_customers, 200);
}

/// marketing_campaign.csv: tab-separated, 24 missing incomes, Education and
/// Marital_Status categorical. Every row is accounted for either way.
#[test]
fn marketing_campaign_segments_on_a_mixed_basis() {
    let Some(path) = shared_data("customer_personality/marketing_campaign.csv") else {
        return;
    };
    let options = ReadOptions {
        delimiter: b'\t',
        on_bad_row: BadRowPolicy::Fail,
        ..ReadOptions::default()
    };
    let (customers, audit) = read_attributes(&path, "ID", &options).unwrap();
    assert_eq!(audit.rows_read, 2240);
    assert_eq!(customers.ids.len(), 2240);
    let basis = ["Income", "MntWines", "MntMeatProducts", "Education", "Marital_Status"];
    let imputed = Segmentation::new()
        .seed(7)
        .k(4)
        .basis(basis)
        .fit_data(table_only(&customers))
        .unwrap();
    assert_eq!(imputed.labels.len(), 2240);
    assert_eq!(
        imputed.report.clustering.algorithm,
        "k-prototypes (Huang; numeric and categorical)"
    );
    let summary = imputed.report.features.basis.as_ref().unwrap();
    assert_eq!(summary.imputed, vec![("Income".to_string(), 24)]);
    assert_eq!(summary.categorical, vec!["Education", "Marital_Status"]);
    // The money columns are right-skewed and logged; each segment shows its make-up.
    assert!(
        imputed
            .report
            .features
            .log_transformed
            .contains(&"MntWines".to_string())
    );
    let education = imputed.report.segments[0]
        .composition
        .iter()
        .find(|c| c.attribute == "Education")
        .unwrap();
    let share: f64 = education.levels.iter().map(|(_, s)| s).sum();
    assert!((share - 1.0).abs() < 1e-9);
    assert!(imputed.report.to_html().unwrap().contains("Marital_Status"));
    // The snake plot spans every clustered column, one-hot levels included.
    let width = imputed.report.features.columns.len();
    assert!(imputed.report.segments.iter().all(|s| s.centroid.len() == width));
    // Dt_Customer is a date read as text: too many values to describe by.
    assert!(
        !imputed.report.segments[0]
            .composition
            .iter()
            .any(|c| c.attribute == "Dt_Customer")
    );
    assert!(
        imputed
            .report
            .features
            .notes
            .iter()
            .any(|n| n.starts_with("Dt_Customer: "))
    );

    let mut dropping = Segmentation::new().seed(7).k(4).basis(basis);
    dropping.preparation.missing = MissingValues::DropRows;
    let dropped = dropping.fit_data(table_only(&customers)).unwrap();
    assert_eq!(dropped.labels.len(), 2240 - 24);
    assert_eq!(dropped.report.features.basis.as_ref().unwrap().dropped_customers, 24);
    let note = dropped.report.features.notes.iter().find(|n| n.contains("left out"));
    assert!(
        note.is_some_and(|n| n.starts_with("24 customers left out for a missing basis value (24 without Income)")),
        "{note:?}"
    );
}

/// A seeded table of three segments that differ in two numeric columns and
/// one categorical column; `k` is chosen automatically.
fn mixed_table(n: usize, seed: u64) -> (Attributes, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres = [(20.0, 200.0), (45.0, 800.0), (70.0, 300.0)];
    let levels = [
        ["north", "north", "south"],
        ["south", "south", "east"],
        ["east", "east", "north"],
    ];
    let mut table = Attributes::default();
    let (mut age, mut spend, mut region, mut truth) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let s = i % 3;
        let noise = |rng: &mut ChaCha8Rng, sd: f64| (rng.random::<f64>() - 0.5) * 2.0 * sd;
        age.push(centres[s].0 + noise(&mut rng, 6.0));
        spend.push(centres[s].1 + noise(&mut rng, 60.0));
        region.push(levels[s][rng.random_range(0..3)].to_string());
        truth.push(s);
        table.ids.push(format!("c{i}"));
    }
    table.numeric = vec![("age".into(), age), ("spend".into(), spend)];
    table.categorical = vec![("region".into(), region)];
    (table, truth)
}

#[test]
fn a_mixed_table_with_known_segments_is_recovered_with_k_auto() {
    for seed in [1, 2] {
        let (table, truth) = mixed_table(600, seed);
        let r = Segmentation::new()
            .seed(seed)
            .method(Method::Auto)
            .auto_k(quick_select())
            .fit_data(table_only(&table))
            .unwrap();
        assert_eq!(r.report.clustering.n_clusters, 3, "seed {seed}");
        let ari = adjusted_rand_index(&truth, &r.labels).unwrap();
        assert!(ari >= 0.9, "seed {seed}: ARI {ari}");
    }
}

#[test]
fn every_method_runs_the_table_end_to_end() {
    let (table, truth) = mixed_table(300, 3);
    for method in [
        Method::KMeans,
        Method::KPrototypes,
        Method::Gmm,
        Method::Ward,
        Method::MiniBatchKMeans,
    ] {
        let r = Segmentation::new()
            .seed(3)
            .k(3)
            .method(method)
            .fit_data(table_only(&table))
            .unwrap();
        let ari = adjusted_rand_index(&truth, &r.labels).unwrap();
        assert!(ari >= 0.9, "{method:?}: ARI {ari}");
        assert_eq!(
            r.model
                .segments
                .predict(r.model.preparation.transform(&table).unwrap().rows())
                .unwrap(),
            r.labels
        );
    }
}

#[test]
fn bad_bases_are_named_errors() {
    let (table, _) = mixed_table(60, 4);
    let fit = |basis: &[&str]| {
        Segmentation::new()
            .basis(basis.iter().copied())
            .fit_data(table_only(&table))
            .unwrap_err()
            .to_string()
    };
    let e = fit(&["age", "income"]);
    assert!(e.contains("basis=income") && e.contains("age, spend, region"), "{e}");
    let e = fit(&["behaviour"]);
    assert!(e.contains("basis=behaviour") && e.contains("transactions"), "{e}");
    let e = fit(&["age"]);
    assert!(e.contains("at least two columns"), "{e}");
    let none = Segmentation::new()
        .fit_data(CustomerData::default())
        .unwrap_err()
        .to_string();
    assert!(none.contains("transactions, a customer table or a survey"), "{none}");
}

/// k-prototypes cannot start some k on a categorical column of three
/// values that follow the groups exactly: those k leave the vote, the rest decide.
#[test]
fn k_auto_skips_the_k_that_k_prototypes_cannot_start() {
    let (mut table, truth) = mixed_table(300, 6);
    let regions = ["north", "south", "east"];
    table.categorical[0].1 = truth.iter().map(|&s| regions[s].to_string()).collect();
    let r = Segmentation::new()
        .seed(1)
        .auto_k(SelectOptions {
            stability_replicates: 5,
            gap_references: 0,
            ..SelectOptions::default()
        })
        .fit_data(table_only(&table))
        .unwrap();
    assert_eq!(r.report.clustering.n_clusters, 3);
    let ari = adjusted_rand_index(&truth, &r.labels).unwrap();
    assert!(ari >= 0.9, "ARI {ari}");
    let table = &r.report.k_selection.as_ref().unwrap().table;
    assert!(
        table.iter().any(|s| !s.admissible && s.inertia.is_nan()),
        "some k could not start"
    );
    let back = SegmentReport::from_json(&r.report.to_json().unwrap()).unwrap();
    assert!(back.k_selection.unwrap().table.iter().any(|s| s.inertia.is_nan()));
}

/// Each segment is named after one of the four attitudes.
fn assert_names_the_four_attitudes(report: &SegmentReport) {
    let mut names: Vec<&str> = report.segments.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    let attitudes = [
        "Innovators",
        "Practical Pragmatists",
        "Quality Enthusiasts",
        "Value Seekers",
    ];
    assert_eq!(names, attitudes);
}

/// The attitudinal study end to end: the synthetic survey measured, the
/// respondents segmented on its items, named after the attitudes and
/// profiled on the same customers' behaviour and demographics.
#[test]
fn the_attitudinal_study_names_the_four_attitudes_and_profiles_their_behaviour() {
    use segmint::synth::{Attitude, SynthParams, generate, generate_survey};
    let base = generate(&SynthParams::new(3000, 42)).unwrap();
    let survey = generate_survey(base.transactions.customer_ids(), 42);
    let items = survey.to_attributes();
    let r = Segmentation::new()
        .seed(42)
        .k(4)
        .as_of(base.as_of)
        .fit_data(CustomerData {
            transactions: Some(&base.transactions),
            aggregated: None,
            audit: None,
            sources: base.sources(),
            survey: Some(&items),
        })
        .unwrap();
    assert_eq!(r.report.features.columns.len(), 16, "the items are the basis");
    assert!(r.report.features.notes.iter().any(|n| n.starts_with("survey: KMO")));
    assert_names_the_four_attitudes(&r.report);
    let truth: Vec<usize> = survey
        .attitudes
        .iter()
        .map(|a| Attitude::ALL.iter().position(|x| x == a).unwrap())
        .collect();
    assert!(adjusted_rand_index(&truth, &r.labels).unwrap() > 0.8);
    for segment in &r.report.segments {
        for kpi in ["aov", "frequency", "clv", "engagement_score"] {
            assert!(
                segment.kpi(kpi).and_then(|k| k.level).is_some(),
                "{kpi} of {}",
                segment.name
            );
        }
        assert!(!segment.key_drivers.is_empty());
        assert!(segment.composition.iter().any(|c| c.attribute == "region"));
    }
    let measurable = r.report.scorecard.as_ref().unwrap();
    assert!(serde_json::to_string(measurable).unwrap().contains("alpha"));
}

/// bfi (psych): 2,800 respondents, 25 items on a 1–6 scale with missing
/// answers, and gender, education and age beside them in the same file.
#[test]
fn bfi_segments_as_a_survey_with_demographics_beside_it() {
    let Some(path) = shared_data("bfi/bfi.csv") else {
        return;
    };
    let (table, audit) = read_attributes(&path, "id", &ReadOptions::default()).unwrap();
    assert_eq!(audit.rows_read, 2800);
    let demographic = ["gender", "education", "age"];
    let split = |keep: &dyn Fn(&str) -> bool| Attributes {
        ids: table.ids.clone(),
        numeric: table.numeric.iter().filter(|(n, _)| keep(n)).cloned().collect(),
        categorical: Vec::new(),
    };
    let survey = split(&|n| !demographic.contains(&n));
    let demographics = split(&|n| demographic.contains(&n));
    assert_eq!(survey.numeric.len(), 25);
    let data = CustomerData {
        sources: Sources {
            customers: Some(&demographics),
            ..Sources::default()
        },
        survey: Some(&survey),
        ..CustomerData::default()
    };
    // bfi's items are answered on a six-point scale: declared as five points, the first 6 is named.
    let five = Segmentation::new()
        .k(3)
        .survey_scale(AnswerScale::new(1.0, 5.0).unwrap());
    let err = five.fit_data(data).unwrap_err().to_string();
    let first_six = survey
        .numeric
        .iter()
        .find_map(|(item, answers)| answers.iter().position(|&a| a == 6.0).map(|row| (item, row)))
        .unwrap();
    assert!(
        err.contains(&format!("item {:?}", first_six.0)) && err.contains("declared scale 1–5"),
        "{err}"
    );
    let r = Segmentation::new()
        .seed(3)
        .k(3)
        .survey_scale(AnswerScale::new(1.0, 6.0).unwrap())
        .fit_data(data)
        .unwrap();
    assert_eq!(r.labels.len(), 2800, "every respondent segmented");
    let basis = r.report.features.basis.as_ref().unwrap();
    assert_eq!(basis.numeric.len(), 25);
    // psych's bfi has missing answers on every item but a few; each is imputed and counted.
    assert!(basis.imputed.iter().map(|(_, n)| n).sum::<usize>() > 0);
    assert!(r.report.features.notes.iter().any(|n| n.starts_with("survey: KMO")));
    assert!(
        r.report.segments[0].kpi("age").is_some(),
        "demographics describe the segments"
    );
}

/// Asked to choose k, the study finds the four attitudes: the elbow and the
/// gap statistic prefer 4, the internal indices (speaking once) 2.
#[test]
fn the_attitudinal_study_finds_four_segments_on_its_own() {
    use segmint::synth::{SynthParams, generate, generate_survey};
    let base = generate(&SynthParams::new(3000, 7)).unwrap();
    let items = generate_survey(base.transactions.customer_ids(), 7).to_attributes();
    let r = Segmentation::new()
        .seed(7)
        .auto_k(SelectOptions {
            stability_replicates: 5,
            ..SelectOptions::default()
        })
        .fit_data(CustomerData {
            survey: Some(&items),
            ..CustomerData::default()
        })
        .unwrap();
    let selection = r.report.k_selection.as_ref().unwrap();
    assert_eq!(selection.recommended, 4, "{}", selection.reason);
    assert_names_the_four_attitudes(&r.report);
}

#[test]
fn a_survey_answer_outside_its_declared_scale_is_a_named_error() {
    use segmint::synth::{SynthParams, generate, generate_survey};
    let base = generate(&SynthParams::new(300, 5)).unwrap();
    let mut items = generate_survey(base.transactions.customer_ids(), 5).to_attributes();
    fn data(items: &Attributes) -> CustomerData<'_> {
        CustomerData {
            survey: Some(items),
            ..CustomerData::default()
        }
    }
    let likert = Segmentation::new().k(3).survey_scale("1-5".parse().unwrap());
    likert.fit_data(data(&items)).unwrap();
    items.numeric[2].1[17] = 55.0;
    let err = likert.fit_data(data(&items)).unwrap_err().to_string();
    let expected = format!(
        "survey respondent {:?}, item {:?}: unexpected value \"55\": expected an answer on the declared scale 1–5",
        items.ids[17], items.numeric[2].0
    );
    assert_eq!(err, expected);
    // Undeclared, the scale is not checked.
    Segmentation::new().k(3).fit_data(data(&items)).unwrap();
}

#[test]
fn sources_without_a_common_id_are_a_named_error() {
    let (table, _) = mixed_table(60, 7);
    let mut survey = Attributes {
        ids: (0..60).map(|i| format!("r{i}")).collect(),
        ..Attributes::default()
    };
    survey.numeric = vec![
        ("q1".into(), (0..60).map(|i| (i % 5) as f64 + 1.0).collect()),
        ("q2".into(), (0..60).map(|i| (i % 4) as f64 + 1.0).collect()),
    ];
    let err = Segmentation::new()
        .basis(["age", "q1"])
        .fit_data(CustomerData {
            sources: Sources {
                customers: Some(&table),
                ..Sources::default()
            },
            survey: Some(&survey),
            ..CustomerData::default()
        })
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no customer id is in every source of the basis (customers, survey)"),
        "{err}"
    );
}
