//! Archetype catalogues: named customer types with the KPI levels that
//! identify them and the playbook that serves them. Catalogues are data
//! (TOML), not code: two are built in (`catalogues/`) and users load their own
//! ([`Catalogue::load`]). [`Catalogue::survey_attitudes`] recognises the
//! attitudinal archetypes from a survey's factor scores.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Level, LevelRange};
use crate::error::{Error, Result};

const BEHAVIOURAL: &str = include_str!("catalogues/behavioural.toml");
const ATTITUDINAL: &str = include_str!("catalogues/attitudinal.toml");

/// A set of archetypes matched together, one-to-one, to the segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Catalogue name (`behavioural`).
    pub name: String,
    /// What the catalogue describes.
    #[serde(default)]
    pub description: String,
    /// Its archetypes (`[[archetype]]` tables).
    #[serde(rename = "archetype")]
    pub archetypes: Vec<Archetype>,
}

/// One archetype: how to recognise it and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Archetype {
    /// Name, unique in its catalogue.
    pub name: String,
    /// One sentence.
    #[serde(default)]
    pub summary: String,
    /// Expected level of each KPI (column name → `high`, `low..moderate` …).
    pub expect: BTreeMap<String, LevelRange>,
    /// KPIs of `expect` that define the archetype: without them in the data
    /// it is not scored (no discount data, no "Budget-Conscious Shoppers").
    #[serde(default)]
    pub required: Vec<String>,
    /// What its customers are like.
    #[serde(default)]
    pub characteristics: Vec<String>,
    /// What that means for the business.
    #[serde(default)]
    pub insights: Vec<String>,
    /// Recommended strategies (`[[archetype.strategy]]` tables).
    #[serde(default, rename = "strategy")]
    pub strategies: Vec<Strategy>,
    /// The KPI that shows whether the strategies work.
    #[serde(default)]
    pub kpi_to_watch: String,
}

/// One recommended strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    /// Short name (`Loyalty tiers`).
    pub name: String,
    /// What to do.
    pub action: String,
}

impl Catalogue {
    /// The built-in behavioural catalogue: High-Value Loyalists, New &
    /// Potential Customers, Budget-Conscious Shoppers, At-Risk & Churned.
    pub fn behavioural() -> Catalogue {
        Self::from_toml(BEHAVIOURAL, Path::new("<built-in behavioural.toml>"))
            .expect("the built-in behavioural catalogue is valid (tested)")
    }

    /// The built-in attitudinal catalogue: Value Seekers, Quality
    /// Enthusiasts, Innovators, Practical Pragmatists.
    pub fn attitudinal() -> Catalogue {
        Self::from_toml(ATTITUDINAL, Path::new("<built-in attitudinal.toml>"))
            .expect("the built-in attitudinal catalogue is valid (tested)")
    }

    /// The attitudinal archetypes recognised from a survey that measures them:
    /// each by its own attitude's factor score (`price`, `quality`,
    /// `innovation`, `practical`: the scales of segmint's synthetic survey, or
    /// of any survey whose item prefixes say the same) at the top of the base
    /// and the attitudes that pull the other way low, with the playbooks of
    /// [`Self::attitudinal`].
    pub fn survey_attitudes() -> Catalogue {
        // (archetype, defining scale, scales expected low to moderate)
        let defining: [(&str, &str, &[&str]); 4] = [
            ("Value Seekers", "price", &["quality", "innovation"]),
            ("Quality Enthusiasts", "quality", &["price", "practical"]),
            ("Innovators", "innovation", &["price", "practical"]),
            ("Practical Pragmatists", "practical", &["quality", "innovation"]),
        ];
        let mut catalogue = Self::attitudinal();
        catalogue.name = "attitudinal survey".into();
        catalogue.description =
            "Why customers buy, as their survey answers say: price, quality, novelty or practicality.".into();
        for archetype in &mut catalogue.archetypes {
            let (_, scale, low) = defining
                .iter()
                .find(|(name, ..)| *name == archetype.name)
                .expect("the four attitudinal archetypes");
            archetype.expect = std::iter::once(((*scale).to_owned(), LevelRange::single(Level::VeryHigh)))
                .chain(
                    low.iter()
                        .map(|s| ((*s).to_owned(), LevelRange::new(Level::Low, Level::Moderate))),
                )
                .collect();
            archetype.required = vec![(*scale).to_owned()];
        }
        catalogue
    }

    /// Both built-in catalogues, behavioural first (it names the segments).
    pub fn built_in() -> Vec<Catalogue> {
        vec![Self::behavioural(), Self::attitudinal()]
    }

    /// Reads a catalogue from a TOML file.
    pub fn load(path: impl AsRef<Path>) -> Result<Catalogue> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml(&text, path)
    }

    /// Parses a catalogue; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Catalogue> {
        let catalogue: Catalogue = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            parse_error(origin, text, at, e.message())
        })?;
        catalogue.check(text, origin)?;
        Ok(catalogue)
    }

    /// The rules serde cannot express: names present and unique, every
    /// archetype with at least one expected KPI level.
    fn check(&self, text: &str, origin: &Path) -> Result<()> {
        let at_name = |name: &str| text.find(&format!("\"{name}\"")).unwrap_or(0);
        if self.name.trim().is_empty() || self.archetypes.is_empty() {
            return Err(parse_error(
                origin,
                text,
                0,
                "a catalogue needs a name and at least one [[archetype]]",
            ));
        }
        for (i, a) in self.archetypes.iter().enumerate() {
            if a.name.trim().is_empty() {
                return Err(parse_error(origin, text, at_name(&a.name), "an archetype needs a name"));
            }
            if self.archetypes[..i].iter().any(|b| b.name == a.name) {
                return Err(parse_error(
                    origin,
                    text,
                    text.rfind(&format!("\"{}\"", a.name)).unwrap_or(0),
                    &format!("archetype name {:?} is used twice; names must be unique", a.name),
                ));
            }
            if let Some(kpi) = a.required.iter().find(|k| !a.expect.contains_key(*k)) {
                return Err(parse_error(
                    origin,
                    text,
                    at_name(&a.name),
                    &format!(
                        "archetype {:?} requires {kpi:?}, which has no level in [archetype.expect]",
                        a.name
                    ),
                ));
            }
            if a.expect.is_empty() {
                return Err(parse_error(
                    origin,
                    text,
                    at_name(&a.name),
                    &format!("archetype {:?} has no [archetype.expect] levels to match it by", a.name),
                ));
            }
        }
        Ok(())
    }
}

/// An error at byte `at` of `text`, with its line number and the line itself.
fn parse_error(origin: &Path, text: &str, at: usize, message: &str) -> Error {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    Error::Parse {
        path: PathBuf::from(origin),
        line: text[..at].matches('\n').count() as u64 + 1,
        column: "archetype catalogue".into(),
        value: text[line_start..line_end].trim().into(),
        expected: format!("a valid catalogue entry: {}", message.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogues_load() {
        let b = Catalogue::behavioural();
        let names: Vec<&str> = b.archetypes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "High-Value Loyalists",
                "New & Potential Customers",
                "Budget-Conscious Shoppers",
                "At-Risk & Churned"
            ]
        );
        let a = Catalogue::attitudinal();
        assert_eq!(a.archetypes.len(), 4);
        for archetype in b.archetypes.iter().chain(&a.archetypes) {
            assert!(!archetype.strategies.is_empty(), "{}", archetype.name);
            assert!(!archetype.insights.is_empty() && !archetype.kpi_to_watch.is_empty());
        }
    }

    #[test]
    fn a_bad_level_is_an_error_naming_file_and_line() {
        let text = "name = \"mine\"\n\n[[archetype]]\nname = \"Big\"\n[archetype.expect]\naov = \"enormous\"\n";
        let err = Catalogue::from_toml(text, Path::new("mine.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("mine.toml line 6"), "{err}");
        assert!(err.contains("unknown level \"enormous\""), "{err}");
    }

    #[test]
    fn duplicate_names_and_missing_levels_are_errors() {
        let twice = "name = \"c\"\n[[archetype]]\nname = \"A\"\nexpect = { aov = \"high\" }\n[[archetype]]\nname = \"A\"\nexpect = { aov = \"low\" }\n";
        let err = Catalogue::from_toml(twice, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 6") && err.contains("used twice"), "{err}");
        let empty = "name = \"c\"\n[[archetype]]\nname = \"A\"\nexpect = {}\n";
        let err = Catalogue::from_toml(empty, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no [archetype.expect] levels"), "{err}");
        let orphan = "name = \"c\"\n[[archetype]]\nname = \"A\"\nrequired = [\"x\"]\nexpect = { aov = \"low\" }\n";
        let err = Catalogue::from_toml(orphan, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("requires \"x\""), "{err}");
        let unknown = "name = \"c\"\ncolour = \"red\"\n[[archetype]]\nname = \"A\"\nexpect = { aov = \"low\" }\n";
        let err = Catalogue::from_toml(unknown, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
