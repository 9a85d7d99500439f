//! A tenant's rules file: the JSON `sendas-lens rules --json` prints, read back whole or not at
//! all, with the JSON path of whatever is wrong.

use super::RuleSet;

/// Why a rules file was refused. Nothing of it is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesFileError {
    /// Where in the document (`rules[2].condition.equals.field`; `.` for the whole document).
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl std::fmt::Display for RulesFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {}: {}", self.path, self.message)
    }
}

impl std::error::Error for RulesFileError {}

impl RuleSet {
    /// Reads a rules file. A document that does not parse, names an unknown field or class, or
    /// gives two rules one name is refused whole, with the JSON path of the fault.
    ///
    /// ```
    /// use sendas_core::classify::RuleSet;
    ///
    /// let text = serde_json::to_string(&RuleSet::default()).unwrap();
    /// assert_eq!(RuleSet::from_json(&text).unwrap(), RuleSet::default());
    ///
    /// let bad = text.replacen("\"client_info\"", "\"client_infos\"", 1);
    /// let error = RuleSet::from_json(&bad).unwrap_err();
    /// assert_eq!(error.path, "rules[0].condition.all[0].contains.field");
    /// assert!(error.message.contains("unknown variant `client_infos`"), "{error}");
    /// ```
    pub fn from_json(text: &str) -> Result<RuleSet, RulesFileError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let rules: RuleSet = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            // serde_json appends "at line L column C", which the path already says better.
            let message = e.inner().to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            RulesFileError { path, message }
        })?;
        for (i, rule) in rules.rules.iter().enumerate() {
            if rule.name.trim().is_empty() {
                return Err(RulesFileError { path: format!("rules[{i}].name"), message: "a rule needs a name".into() });
            }
            if rules.rules[..i].iter().any(|r| r.name == rule.name) {
                return Err(RulesFileError {
                    path: format!("rules[{i}].name"),
                    message: format!("another rule is already named {:?}", crate::display::visible(&rule.name)),
                });
            }
        }
        Ok(rules)
    }
}
