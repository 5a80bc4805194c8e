//! The answers a survey allows: a declared scale (a Likert scale 1–5, 0–10 …)
//! against which every answer is checked before anything is measured.

use serde::{Deserialize, Serialize};

use crate::data::Attributes;
use crate::error::{Error, Result};

/// The answers a survey's items allow, from `min` to `max` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnswerScale {
    /// The lowest answer (1 on a 1–5 Likert scale).
    pub min: f64,
    /// The highest answer (5 on a 1–5 Likert scale).
    pub max: f64,
}

impl AnswerScale {
    /// A scale from `min` to `max`; both finite and `min < max`.
    pub fn new(min: f64, max: f64) -> Result<Self> {
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err(Error::invalid_parameter(
                "survey_scale",
                format!("{min}–{max}"),
                "two finite numbers, the lowest answer below the highest (1-5, 0-10)",
            ));
        }
        Ok(AnswerScale { min, max })
    }

    /// Refuses a survey with an answer outside the scale, naming the first
    /// such respondent, item and answer, and how many answers are outside.
    /// Missing answers (NaN) are not answers and pass.
    pub fn check(&self, survey: &Attributes) -> Result<()> {
        let outside = |v: f64| !v.is_nan() && !(self.min..=self.max).contains(&v);
        let mut first = None;
        let mut count = 0_usize;
        for (item, answers) in &survey.numeric {
            for (row, &answer) in answers.iter().enumerate() {
                if outside(answer) {
                    count += 1;
                    first.get_or_insert((row, item, answer));
                }
            }
        }
        let Some((row, item, answer)) = first else {
            return Ok(());
        };
        let others = match count {
            1 => String::new(),
            2 => " (and 1 more answer outside it)".to_string(),
            n => format!(" (and {} more answers outside it)", n - 1),
        };
        Err(Error::InvalidValue {
            what: format!("survey respondent {:?}, item {item:?}", survey.ids[row]),
            value: answer.to_string(),
            expected: format!("an answer on the declared scale {self}{others}"),
        })
    }
}

impl std::fmt::Display for AnswerScale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}–{}", self.min, self.max)
    }
}

impl std::str::FromStr for AnswerScale {
    type Err = Error;

    /// `1-5`, `1..5`, `1–5`, `0,10` or `-3..3`.
    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        let bad = || {
            Error::invalid_parameter(
                "survey_scale",
                text,
                "the lowest and the highest answer, such as 1-5, 0-10 or -3..3",
            )
        };
        let split = ["..", "–", ","]
            .iter()
            .find_map(|sep| text.split_once(sep))
            // a hyphen after the first character, so that a negative lowest answer keeps its sign
            .or_else(|| text.get(1..)?.find('-').map(|at| (&text[..=at], &text[at + 2..])))
            .ok_or_else(bad)?;
        let number = |s: &str| s.trim().parse::<f64>().map_err(|_| bad());
        AnswerScale::new(number(split.0)?, number(split.1)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey(answers: Vec<f64>) -> Attributes {
        Attributes {
            ids: (0..answers.len()).map(|i| format!("r{i}")).collect(),
            numeric: vec![("q1".into(), vec![3.0; answers.len()]), ("q2".into(), answers)],
            categorical: vec![],
        }
    }

    #[test]
    fn scales_read_in_every_spelling() {
        for (text, (min, max)) in [
            ("1-5", (1.0, 5.0)),
            (" 1..7 ", (1.0, 7.0)),
            ("0–10", (0.0, 10.0)),
            ("0,10", (0.0, 10.0)),
            ("-3..3", (-3.0, 3.0)),
            ("-3-3", (-3.0, 3.0)),
        ] {
            assert_eq!(text.parse::<AnswerScale>().unwrap(), AnswerScale { min, max }, "{text}");
        }
        for text in ["", "5", "5-1", "a-b", "1-", "1..inf", "3-3"] {
            let err = text.parse::<AnswerScale>().unwrap_err().to_string();
            assert!(err.contains("survey_scale"), "{text}: {err}");
        }
    }

    #[test]
    fn an_answer_outside_the_scale_names_respondent_item_and_value() {
        let scale: AnswerScale = "1-5".parse().unwrap();
        scale.check(&survey(vec![1.0, 5.0, f64::NAN, 4.0])).unwrap();
        let err = scale.check(&survey(vec![1.0, 55.0, 0.0, 4.0])).unwrap_err().to_string();
        assert!(
            err.contains("\"r1\"") && err.contains("\"q2\"") && err.contains("55") && err.contains("1–5"),
            "{err}"
        );
        assert!(err.contains("and 1 more answer outside it"), "{err}");
    }
}
