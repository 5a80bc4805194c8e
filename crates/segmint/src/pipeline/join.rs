//! The customer data joined on the id: behavioural features from the
//! transactions, the customer table and the survey side by side, and the
//! basis named by the user resolved against them.
//!
//! The customers segmented are those present in every source the basis
//! draws on; the other sources describe them, and a customer missing from a
//! describing source has missing values there.

use std::collections::{HashMap, HashSet};

use crate::data::{Attributes, CustomerTable, JoinReport};
use crate::error::{Error, Result};

/// The group word for the behavioural features.
pub const BEHAVIOUR: &str = "behaviour";
/// The group word for the survey items.
pub const SURVEY: &str = "survey";

/// Where a column comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Origin {
    Behaviour,
    Customers,
    Survey,
}

impl Origin {
    fn name(self) -> &'static str {
        match self {
            Origin::Behaviour => "transactions",
            Origin::Customers => "customers",
            Origin::Survey => "survey",
        }
    }
}

/// One source: its ids, its columns and the columns its group word stands for.
pub(crate) struct Source<'a> {
    pub origin: Origin,
    pub table: std::borrow::Cow<'a, Attributes>,
    pub group: Vec<String>,
}

impl<'a> Source<'a> {
    /// A customer table: its group is every column.
    pub fn customers(table: &'a Attributes) -> Self {
        Source {
            origin: Origin::Customers,
            group: table.column_names().iter().map(|n| (*n).to_owned()).collect(),
            table: std::borrow::Cow::Borrowed(table),
        }
    }

    /// A survey (`table`: the items and what was derived from them); its
    /// group is the items, every numeric column of `items`.
    pub fn survey(table: &'a Attributes, items: &Attributes) -> Self {
        Source {
            origin: Origin::Survey,
            group: items.numeric.iter().map(|(n, _)| n.clone()).collect(),
            table: std::borrow::Cow::Borrowed(table),
        }
    }
}

/// The sources side by side, with the basis resolved.
pub(crate) struct Joined {
    /// Every column of every source, one row per segmented customer.
    pub table: Attributes,
    /// The source of each column of `table` (numeric, then categorical, by name).
    pub origin: HashMap<String, Origin>,
    /// The basis columns.
    pub basis: Vec<String>,
    /// How each source's ids matched the segmented customers.
    pub joins: Vec<JoinReport>,
}

/// The behavioural feature table as a source.
pub(crate) fn behaviour_source(features: &CustomerTable) -> Source<'static> {
    let values = features.values();
    let numeric = features
        .column_names()
        .iter()
        .enumerate()
        .map(|(j, name)| (name.clone(), values.column(j).to_vec()))
        .collect();
    Source {
        origin: Origin::Behaviour,
        group: super::BEHAVIOUR_BASIS.iter().map(|c| (*c).to_owned()).collect(),
        table: std::borrow::Cow::Owned(Attributes {
            ids: features.ids().to_vec(),
            numeric,
            categorical: Vec::new(),
        }),
    }
}

/// The default basis: the survey when there is one, else the behaviour
/// when there is a log, else every column of the customer table.
fn default_basis(sources: &[Source<'_>]) -> Vec<String> {
    let has = |o: Origin| sources.iter().any(|s| s.origin == o);
    let word = if has(Origin::Survey) {
        SURVEY
    } else if has(Origin::Behaviour) {
        BEHAVIOUR
    } else {
        "customers"
    };
    vec![word.into()]
}

/// Joins the sources on the customer id around the basis `terms` (column
/// names and the group words; empty: the default basis).
pub(crate) fn join(sources: &[Source<'_>], terms: &[String]) -> Result<Joined> {
    if sources.is_empty() {
        return Err(Error::invalid_parameter(
            "sources",
            "none",
            "transactions, a customer table or a survey",
        ));
    }
    let terms = if terms.is_empty() {
        default_basis(sources)
    } else {
        terms.to_vec()
    };
    let (basis, basis_origins) = resolve(sources, &terms)?;
    let ids = common_ids(sources, &basis_origins)?;
    let mut table = Attributes {
        ids: ids.clone(),
        ..Attributes::default()
    };
    let mut origin = HashMap::new();
    let mut joins = Vec::new();
    for source in sources {
        let row_of: HashMap<&str, usize> = source
            .table
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let rows: Vec<Option<usize>> = ids.iter().map(|id| row_of.get(id.as_str()).copied()).collect();
        for (name, values) in &source.table.numeric {
            if origin.insert(name.clone(), source.origin).is_none() {
                table.numeric.push((
                    name.clone(),
                    rows.iter().map(|r| r.map_or(f64::NAN, |r| values[r])).collect(),
                ));
            }
        }
        for (name, values) in &source.table.categorical {
            if origin.insert(name.clone(), source.origin).is_none() {
                let column = rows.iter().map(|r| r.map_or_else(String::new, |r| values[r].clone()));
                table.categorical.push((name.clone(), column.collect()));
            }
        }
        joins.push(JoinReport::between(
            source.origin.name(),
            source.table.ids.iter().map(String::as_str),
            ids.iter().map(String::as_str),
        ));
    }
    Ok(Joined {
        table,
        origin,
        basis,
        joins,
    })
}

/// The basis columns named by `terms`, and the sources they come from.
fn resolve(sources: &[Source<'_>], terms: &[String]) -> Result<(Vec<String>, Vec<Origin>)> {
    let mut basis: Vec<String> = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    let mut add = |name: &str, origin: Origin| {
        if !basis.iter().any(|b| b == name) {
            basis.push(name.into());
        }
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    };
    for term in terms.iter().map(|t| t.trim()) {
        let group = match term {
            BEHAVIOUR | "behavior" => Some(Origin::Behaviour),
            SURVEY => Some(Origin::Survey),
            "customers" => Some(Origin::Customers),
            _ => None,
        };
        if let Some(group) = group {
            let source = sources.iter().find(|s| s.origin == group).ok_or_else(|| {
                Error::invalid_parameter(
                    "basis",
                    term,
                    format!("a group whose source was given (the {} file is missing)", group.name()),
                )
            })?;
            for name in &source.group {
                add(name, group);
            }
            continue;
        }
        let found = sources
            .iter()
            .find(|s| s.table.column_names().contains(&term))
            .ok_or_else(|| unknown_column(sources, term))?;
        add(term, found.origin);
    }
    Ok((basis, origins))
}

fn unknown_column(sources: &[Source<'_>], name: &str) -> Error {
    let available: Vec<String> = sources
        .iter()
        .map(|s| format!("{}: {}", s.origin.name(), s.table.column_names().join(", ")))
        .collect();
    Error::invalid_parameter(
        "basis",
        name,
        format!(
            "a column of the data or a group word ({BEHAVIOUR}, {SURVEY}, customers); the columns are {}",
            available.join("; ")
        ),
    )
}

/// Ids of the first basis source that every other basis source has, in
/// that source's order; an error when none is shared.
fn common_ids(sources: &[Source<'_>], basis_origins: &[Origin]) -> Result<Vec<String>> {
    let of = |o: Origin| sources.iter().find(|s| s.origin == o).expect("basis sources are given");
    let first = of(basis_origins[0]);
    let others: Vec<HashSet<&str>> = basis_origins[1..]
        .iter()
        .map(|&o| of(o).table.ids.iter().map(String::as_str).collect())
        .collect();
    let ids: Vec<String> = first
        .table
        .ids
        .iter()
        .filter(|id| others.iter().all(|set| set.contains(id.as_str())))
        .cloned()
        .collect();
    if ids.is_empty() {
        let names: Vec<&str> = basis_origins.iter().map(|o| o.name()).collect();
        return Err(Error::InsufficientData {
            what: format!("no customer id is in every source of the basis ({})", names.join(", ")),
        });
    }
    Ok(ids)
}
