//! The optional sources beside transactions: products (launch dates),
//! interactions (service contacts, e-mail, visits) and one-row-per-customer
//! attribute tables (demographics, survey answers), with the report of how
//! their customer ids match the transactions'.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::audit::{DropReason, IngestAudit};
use super::dates::format_timestamp;
use super::options::ReadOptions;
use super::output::{FormulaCells, write_csv};
use super::scan::{Wanted, column_names, date, number, optional_text, scan, utf8};
use super::transactions::{Transactions, check_line_count};
use crate::error::Result;

/// Products with their launch date (seconds since the epoch) and optional price tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Products {
    /// Product ids.
    pub ids: Vec<String>,
    /// Launch time of each product.
    pub launch: Vec<i64>,
    /// Price tier of each product (empty when the file has none).
    pub price_tier: Vec<String>,
}

/// Which columns of a products file to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductColumns {
    /// Product id column.
    pub product: String,
    /// Launch date column.
    pub launch: String,
    /// Optional price-tier column.
    pub price_tier: Option<String>,
}

impl Default for ProductColumns {
    /// The columns [`write_products`] writes: `product_id`, `launch_date`.
    fn default() -> Self {
        ProductColumns {
            product: "product_id".into(),
            launch: "launch_date".into(),
            price_tier: None,
        }
    }
}

impl Products {
    /// Launch time by product id.
    pub fn launch_by_id(&self) -> HashMap<&str, i64> {
        self.ids
            .iter()
            .map(String::as_str)
            .zip(self.launch.iter().copied())
            .collect()
    }
}

/// Reads a products file; a product id seen twice is a counted duplicate (or an error in strict mode).
pub fn read_products(
    path: impl AsRef<Path>,
    columns: &ProductColumns,
    options: &ReadOptions,
) -> Result<(Products, IngestAudit)> {
    let wanted = [
        Wanted {
            parameter: "product_col",
            column: Some(&columns.product),
        },
        Wanted {
            parameter: "launch_col",
            column: Some(&columns.launch),
        },
        Wanted {
            parameter: "price_tier_col",
            column: columns.price_tier.as_deref(),
        },
    ];
    let mut products = Products::default();
    let mut seen = HashSet::new();
    let audit = scan(
        path.as_ref(),
        &wanted,
        options,
        |record: &_, fields: &_, dates: &mut _| {
            let [Some(id_field), Some(launch_field), tier] = fields else {
                unreachable!("product and launch are required")
            };
            let id = utf8(&record[id_field.index]).map_err(|r| (r, id_field))?;
            if id.is_empty() {
                return Err((DropReason::MissingId, id_field));
            }
            let launch = date(record, launch_field, dates)?;
            let tier = optional_text(record, tier)?.unwrap_or_default();
            if !seen.insert(id.to_owned()) {
                return Err((DropReason::DuplicateId, id_field));
            }
            products.ids.push(id.to_owned());
            products.launch.push(launch);
            products.price_tier.push(tier.to_owned());
            Ok(())
        },
    )?;
    Ok((products, audit))
}

/// Customer interactions: service contacts, e-mail opens and clicks, visits.
/// Customers and kinds are interned, as in [`Transactions`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interactions {
    /// Distinct customer ids.
    pub customer_ids: Vec<String>,
    /// Customer of each interaction (index into `customer_ids`).
    pub customer: Vec<u32>,
    /// Time of each interaction (seconds since the epoch).
    pub timestamp: Vec<i64>,
    /// Distinct kinds, lower-cased (`service`, `email_open`, `visit` …; empty when unknown).
    pub kinds: Vec<String>,
    /// Kind of each interaction (index into `kinds`).
    pub kind: Vec<u32>,
    /// Satisfaction score of each interaction (`NaN` when not rated).
    pub satisfaction: Vec<f64>,
}

impl Interactions {
    /// Number of interactions.
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }
}

/// Appends interactions one at a time, interning customers and kinds.
#[derive(Debug, Default)]
pub struct InteractionsBuilder {
    customers: HashMap<String, u32>,
    kinds: HashMap<String, u32>,
    out: Interactions,
}

impl InteractionsBuilder {
    /// Appends one interaction; the kind is lower-cased.
    pub fn push(&mut self, customer: &str, timestamp: i64, kind: &str, satisfaction: f64) {
        let c = intern(&mut self.customers, &mut self.out.customer_ids, customer);
        let k = intern(&mut self.kinds, &mut self.out.kinds, &kind.to_ascii_lowercase());
        self.out.customer.push(c);
        self.out.timestamp.push(timestamp);
        self.out.kind.push(k);
        self.out.satisfaction.push(satisfaction);
    }

    /// The finished interactions.
    pub fn finish(self) -> Interactions {
        self.out
    }
}

fn intern(map: &mut HashMap<String, u32>, ids: &mut Vec<String>, key: &str) -> u32 {
    if let Some(&code) = map.get(key) {
        return code;
    }
    let code = ids.len() as u32;
    ids.push(key.to_owned());
    map.insert(key.to_owned(), code);
    code
}

/// Which columns of an interactions file to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionColumns {
    /// Customer id column.
    pub customer: String,
    /// Date or timestamp column.
    pub date: String,
    /// Optional kind column.
    pub kind: Option<String>,
    /// Optional satisfaction column (a number; empty means not rated).
    pub satisfaction: Option<String>,
}

impl Default for InteractionColumns {
    /// `customer_id` and `date`; kind and satisfaction are read only when named.
    fn default() -> Self {
        InteractionColumns {
            customer: "customer_id".into(),
            date: "date".into(),
            kind: None,
            satisfaction: None,
        }
    }
}

/// Reads an interactions file.
pub fn read_interactions(
    path: impl AsRef<Path>,
    columns: &InteractionColumns,
    options: &ReadOptions,
) -> Result<(Interactions, IngestAudit)> {
    let wanted = [
        Wanted {
            parameter: "customer_col",
            column: Some(&columns.customer),
        },
        Wanted {
            parameter: "date_col",
            column: Some(&columns.date),
        },
        Wanted {
            parameter: "kind_col",
            column: columns.kind.as_deref(),
        },
        Wanted {
            parameter: "satisfaction_col",
            column: columns.satisfaction.as_deref(),
        },
    ];
    let mut out = InteractionsBuilder::default();
    let audit = scan(
        path.as_ref(),
        &wanted,
        options,
        |record: &_, fields: &_, dates: &mut _| {
            let [Some(customer), Some(date_field), kind, satisfaction] = fields else {
                unreachable!("customer and date are required")
            };
            let id = utf8(&record[customer.index]).map_err(|r| (r, customer))?;
            if id.is_empty() {
                return Err((DropReason::MissingCustomer, customer));
            }
            let timestamp = date(record, date_field, dates)?;
            let kind = optional_text(record, kind)?.unwrap_or_default();
            let score = match satisfaction {
                Some(s) => match number(&record[s.index]) {
                    Ok(v) => v,
                    Err(DropReason::MissingAmount) => f64::NAN,
                    Err(reason) => return Err((reason, s)),
                },
                None => f64::NAN,
            };
            out.push(id, timestamp, kind, score);
            Ok(())
        },
    )?;
    let out = out.finish();
    // Customers and kinds are u32 codes: at most MAX_LINES lines keep them exact.
    check_line_count(out.len(), path.as_ref())?;
    Ok((out, audit))
}

/// A one-row-per-customer attribute table (demographics, geography, opt-ins,
/// survey items): numeric columns (`NaN` = missing) and text columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attributes {
    /// Customer ids, one per row, each once.
    pub ids: Vec<String>,
    /// Numeric columns: name and one value per row.
    pub numeric: Vec<(String, Vec<f64>)>,
    /// Text (categorical) columns: name and one value per row (empty = missing).
    pub categorical: Vec<(String, Vec<String>)>,
}

impl Attributes {
    /// Column names: numeric, then categorical.
    pub fn column_names(&self) -> Vec<&str> {
        let numeric = self.numeric.iter().map(|(n, _)| n.as_str());
        numeric
            .chain(self.categorical.iter().map(|(n, _)| n.as_str()))
            .collect()
    }

    /// Columns that record a contact opt-in: names containing `opt_in`,
    /// `optin`, `opted_in` or `consent` (case-insensitive).
    pub fn opt_in_columns(&self) -> Vec<&str> {
        let is_opt_in = |name: &str| {
            let name = name.to_ascii_lowercase();
            ["opt_in", "optin", "opted_in", "consent"]
                .iter()
                .any(|p| name.contains(p))
        };
        let numeric = self.numeric.iter().map(|(n, _)| n.as_str());
        let categorical = self.categorical.iter().map(|(n, _)| n.as_str());
        numeric.chain(categorical).filter(|n| is_opt_in(n)).collect()
    }

    /// For each id, whether any of the `channels` columns says yes (a number
    /// other than 0, or `1`, `true`, `yes`, `y`, `t`, `opted in`, `subscribed`
    /// in any case). An id without a row is not reachable.
    pub fn reachable(&self, ids: &[String], channels: &[&str]) -> Result<Vec<bool>> {
        let yes_per_row: Vec<Vec<bool>> = channels
            .iter()
            .map(|&channel| self.opt_in_values(channel))
            .collect::<Result<_>>()?;
        let row_of: HashMap<&str, usize> = self.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        Ok(ids
            .iter()
            .map(|id| {
                row_of
                    .get(id.as_str())
                    .is_some_and(|&r| yes_per_row.iter().any(|yes| yes[r]))
            })
            .collect())
    }

    fn opt_in_values(&self, channel: &str) -> Result<Vec<bool>> {
        if let Some((_, values)) = self.numeric.iter().find(|(n, _)| n == channel) {
            return Ok(values.iter().map(|v| v.is_finite() && *v != 0.0).collect());
        }
        if let Some((_, values)) = self.categorical.iter().find(|(n, _)| n == channel) {
            let yes = ["1", "true", "yes", "y", "t", "opted in", "subscribed"];
            return Ok(values
                .iter()
                .map(|v| yes.contains(&v.trim().to_ascii_lowercase().as_str()))
                .collect());
        }
        let available = self.column_names();
        Err(crate::Error::invalid_parameter(
            "channels",
            channel,
            format!("a column of the customers table ({})", available.join(", ")),
        ))
    }
}

/// Reads an attribute table keyed by `id_col`. Every other column is numeric
/// when all its non-empty values are numbers, and categorical otherwise.
/// A repeated id is a counted duplicate (the first row wins), or an error in strict mode.
pub fn read_attributes(
    path: impl AsRef<Path>,
    id_col: &str,
    options: &ReadOptions,
) -> Result<(Attributes, IngestAudit)> {
    let path = path.as_ref();
    let header = column_names(path, options)?;
    let others: Vec<&String> = header.iter().filter(|h| h.as_str() != id_col.trim()).collect();
    let mut wanted = vec![Wanted {
        parameter: "id_col",
        column: Some(id_col),
    }];
    wanted.extend(others.iter().map(|h| Wanted {
        parameter: "attribute column",
        column: Some(h.as_str()),
    }));
    let mut ids = Vec::new();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); others.len()];
    let mut seen = HashSet::new();
    let audit = scan(path, &wanted, options, |record: &_, fields: &_, _: &mut _| {
        let id_field = fields[0].as_ref().expect("id column is required");
        let id = utf8(&record[id_field.index]).map_err(|r| (r, id_field))?;
        if id.is_empty() {
            return Err((DropReason::MissingCustomer, id_field));
        }
        let values = fields[1..]
            .iter()
            .flatten()
            .map(|f| utf8(&record[f.index]).map(str::to_owned).map_err(|r| (r, f)))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if !seen.insert(id.to_owned()) {
            return Err((DropReason::DuplicateId, id_field));
        }
        ids.push(id.to_owned());
        for (column, value) in cells.iter_mut().zip(values) {
            column.push(value);
        }
        Ok(())
    })?;
    let mut table = Attributes {
        ids,
        ..Default::default()
    };
    for (name, column) in others.into_iter().zip(cells) {
        let parsed: Option<Vec<f64>> = column
            .iter()
            .map(|v| match number(v.as_bytes()) {
                Ok(x) => Some(x),
                Err(DropReason::MissingAmount) => Some(f64::NAN),
                Err(_) => None,
            })
            .collect();
        match parsed {
            Some(values) => table.numeric.push((name.clone(), values)),
            None => table.categorical.push((name.clone(), column)),
        }
    }
    Ok((table, audit))
}

/// Writes an attribute table as CSV: `id_col`, then the numeric columns
/// (NaN as an empty field), then the categorical ones; read back by [`read_attributes`].
pub fn write_attributes(path: impl AsRef<Path>, id_col: &str, table: &Attributes) -> Result<()> {
    let mut header = vec![id_col];
    header.extend(table.numeric.iter().map(|(n, _)| n.as_str()));
    header.extend(table.categorical.iter().map(|(n, _)| n.as_str()));
    let rows = table.ids.iter().enumerate().map(|(row, id)| {
        let mut record = vec![id.clone()];
        record.extend(table.numeric.iter().map(|(_, v)| number_cell(v[row])));
        record.extend(table.categorical.iter().map(|(_, v)| v[row].clone()));
        record
    });
    write_csv(path.as_ref(), &header, rows, FormulaCells::default())
}

/// Writes a products table with the columns of [`ProductColumns::default`]
/// (and `price_tier` when the table has tiers), whole or not at all.
pub fn write_products(path: impl AsRef<Path>, products: &Products) -> Result<()> {
    let columns = ProductColumns::default();
    let tiers = !products.price_tier.is_empty();
    let mut header = vec![columns.product.as_str(), columns.launch.as_str()];
    if tiers {
        header.push("price_tier");
    }
    let rows = products.ids.iter().enumerate().map(|(row, id)| {
        let mut record = vec![id.clone(), format_timestamp(products.launch[row])];
        if tiers {
            record.push(products.price_tier[row].clone());
        }
        record
    });
    write_csv(path.as_ref(), &header, rows, FormulaCells::default())
}

/// Writes an interactions table with the columns `customer_id`, `date`,
/// `kind` and `satisfaction` (empty when not rated), whole or not at all.
pub fn write_interactions(path: impl AsRef<Path>, interactions: &Interactions) -> Result<()> {
    let columns = InteractionColumns::default();
    let header = [columns.customer.as_str(), columns.date.as_str(), "kind", "satisfaction"];
    let i = interactions;
    let rows = (0..i.len()).map(|row| {
        vec![
            i.customer_ids[i.customer[row] as usize].clone(),
            format_timestamp(i.timestamp[row]),
            i.kinds[i.kind[row] as usize].clone(),
            number_cell(i.satisfaction[row]),
        ]
    });
    write_csv(path.as_ref(), &header, rows, FormulaCells::default())
}

/// A number as a CSV cell; NaN (missing) is an empty cell.
fn number_cell(value: f64) -> String {
    if value.is_nan() {
        String::new()
    } else {
        value.to_string()
    }
}

/// How the customer ids of one source match those of the transactions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JoinReport {
    /// The source compared (`customers`, `survey`, `interactions` …).
    pub source: String,
    /// Distinct ids in both.
    pub matched: usize,
    /// Distinct ids in the source but not among the customers segmented (ignored).
    pub only_in_source: usize,
    /// Customers segmented (or, beside transactions, their customers) absent from the source.
    pub missing_from_source: usize,
    /// Up to five ids of each kind, for a first look.
    pub examples_only_in_source: Vec<String>,
    /// Up to five customers absent from the source.
    pub examples_missing_from_source: Vec<String>,
}

impl JoinReport {
    /// Compares the distinct ids of a source with the customers of `tx`.
    pub fn new<'a>(source: &str, ids: impl IntoIterator<Item = &'a str>, tx: &'a Transactions) -> Self {
        Self::between(source, ids, tx.customer_ids().iter().map(String::as_str))
    }

    /// Compares the distinct ids of a source with the customers segmented (`base`).
    pub fn between<'a>(
        source: &str,
        ids: impl IntoIterator<Item = &'a str>,
        base: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Self {
        let in_source: HashSet<&str> = ids.into_iter().collect();
        let in_base: HashSet<&str> = base.clone().into_iter().collect();
        let mut only: Vec<&str> = in_source.difference(&in_base).copied().collect();
        only.sort_unstable();
        let missing: Vec<&str> = base.into_iter().filter(|id| !in_source.contains(id)).collect();
        JoinReport {
            source: source.to_owned(),
            matched: in_source.len() - only.len(),
            only_in_source: only.len(),
            missing_from_source: missing.len(),
            examples_only_in_source: only.iter().take(5).map(|s| (*s).to_owned()).collect(),
            examples_missing_from_source: missing.iter().take(5).map(|s| (*s).to_owned()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TransactionsBuilder;
    use crate::data::io::BadRowPolicy;

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("segmint-sources-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn products_and_interactions_read_back_as_written_with_the_default_columns() {
        let base = crate::synth::generate(&crate::synth::SynthParams::new(60, 3)).unwrap();
        let dir = file("unused", "").with_file_name("");
        let (products_path, interactions_path) = (dir.join("p.csv"), dir.join("i.csv"));
        write_products(&products_path, &base.products).unwrap();
        write_interactions(&interactions_path, &base.interactions).unwrap();
        let options = ReadOptions::default();
        let (products, _) = read_products(&products_path, &ProductColumns::default(), &options).unwrap();
        assert_eq!(products, base.products);
        let columns = InteractionColumns {
            kind: Some("kind".into()),
            satisfaction: Some("satisfaction".into()),
            ..InteractionColumns::default()
        };
        let (interactions, audit) = read_interactions(&interactions_path, &columns, &options).unwrap();
        assert_eq!(audit.rows_kept, base.interactions.len() as u64);
        assert_eq!(interactions.timestamp, base.interactions.timestamp);
        let customer_of = |i: &Interactions| -> Vec<String> {
            i.customer.iter().map(|&c| i.customer_ids[c as usize].clone()).collect()
        };
        assert_eq!(customer_of(&interactions), customer_of(&base.interactions));
        let kind_of =
            |i: &Interactions| -> Vec<String> { i.kind.iter().map(|&k| i.kinds[k as usize].clone()).collect() };
        assert_eq!(kind_of(&interactions), kind_of(&base.interactions));
        let satisfaction = |i: &Interactions| i.satisfaction.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(satisfaction(&interactions), satisfaction(&base.interactions));
    }

    #[test]
    fn opt_in_columns_are_found_and_read_as_yes_or_no() {
        let table = Attributes {
            ids: vec!["a".into(), "b".into(), "c".into()],
            numeric: vec![
                ("email_opt_in".into(), vec![1.0, 0.0, f64::NAN]),
                ("age".into(), vec![30.0, 40.0, 50.0]),
            ],
            categorical: vec![("SMS_Consent".into(), vec!["Yes".into(), "no".into(), "".into()])],
        };
        assert_eq!(table.opt_in_columns(), vec!["email_opt_in", "SMS_Consent"]);
        let ids: Vec<String> = ["c", "b", "a", "zz"].iter().map(|s| (*s).to_string()).collect();
        assert_eq!(
            table.reachable(&ids, &["email_opt_in"]).unwrap(),
            vec![false, false, true, false]
        );
        let both = table.reachable(&ids, &["email_opt_in", "SMS_Consent"]).unwrap();
        assert_eq!(both, vec![false, false, true, false]);
        let err = table.reachable(&ids, &["phone"]).unwrap_err().to_string();
        assert!(
            err.contains("channels=phone") && err.contains("email_opt_in, age, SMS_Consent"),
            "{err}"
        );
    }

    #[test]
    fn attributes_split_numeric_and_categorical_and_count_duplicates() {
        let path = file(
            "customers.csv",
            "id,age,region,email_opt_in\na,34,North,1\nb,,South,0\na,50,East,1\n",
        );
        let (table, audit) = read_attributes(&path, "id", &ReadOptions::default()).unwrap();
        assert_eq!(table.ids, ["a", "b"]);
        assert_eq!(table.numeric[0].0, "age");
        assert!(table.numeric[0].1[1].is_nan());
        assert_eq!(
            table.categorical,
            vec![("region".into(), vec!["North".into(), "South".into()])]
        );
        assert_eq!(audit.dropped_for(DropReason::DuplicateId), 1);
        let strict = ReadOptions {
            on_bad_row: BadRowPolicy::Fail,
            ..Default::default()
        };
        let err = read_attributes(&path, "id", &strict).unwrap_err().to_string();
        assert!(
            err.contains("line 4, column \"id\"") && err.contains("appears once"),
            "{err}"
        );
    }

    #[test]
    fn interactions_and_products_are_read_with_their_optional_columns() {
        let path = file(
            "interactions.csv",
            "cust,when,kind,csat\na,2024-01-01,Service,4\na,2024-01-02,email_open,\nb,bad,visit,\n",
        );
        let columns = InteractionColumns {
            customer: "cust".into(),
            date: "when".into(),
            kind: Some("kind".into()),
            satisfaction: Some("csat".into()),
        };
        let (got, audit) = read_interactions(&path, &columns, &ReadOptions::default()).unwrap();
        assert_eq!(got.kinds, ["service", "email_open"]);
        assert_eq!(got.kind, [0, 1]);
        assert_eq!(got.satisfaction[0], 4.0);
        assert!(got.satisfaction[1].is_nan());
        assert_eq!(audit.dropped_for(DropReason::UnparsableDate), 1);

        let path = file("products.csv", "sku,launched\np1,2024-01-01\np2,2024-02-01\n");
        let columns = ProductColumns {
            product: "sku".into(),
            launch: "launched".into(),
            price_tier: None,
        };
        let (products, _) = read_products(&path, &columns, &ReadOptions::default()).unwrap();
        assert_eq!(products.launch_by_id()["p2"], 1_706_745_600);
    }

    #[test]
    fn join_report_counts_ids_on_each_side() {
        let mut b = TransactionsBuilder::new(false);
        for id in ["a", "b", "c"] {
            b.push(id, 0, 1.0, None);
        }
        let report = JoinReport::new("customers", ["b", "c", "z"], &b.finish());
        assert_eq!(
            (report.matched, report.only_in_source, report.missing_from_source),
            (2, 1, 1)
        );
        assert_eq!(report.examples_only_in_source, ["z"]);
        assert_eq!(report.examples_missing_from_source, ["a"]);
    }
}
