//! A tenant's own rules in the app, as plain data: the "Tenant rules" panel's form read into the
//! core's [`Rule`], a rule added or removed (each table checked as the CLI checks a rules file),
//! where each tenant rule stands among the built-in ones, a condition in words, and the text kept
//! in the browser's storage (exactly what `sendas-lens rules --json` prints, so an exported file
//! works with `--rules`). Tested natively; the panel (`components/rules_panel.rs`) only renders.

use sendas_core::classify::{Condition, Departure, Field, Rule, RuleSet};
use sendas_core::model::SendClass;

/// The `localStorage` key the rules are kept under (the rules only: never audit data), for the
/// copy of the app at this path: two copies on one origin (`/a/`, `/b/`) keep their own tables,
/// as they keep their own offline caches.
pub fn storage_key(path: &str) -> String {
    format!("sendas-lens.rules {path}")
}

/// The file name an export is offered under.
pub const EXPORT_NAME: &str = "sendas-lens-rules.json";

/// The one condition the form builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Test {
    /// The actor (`UserId`) is one of the values.
    #[default]
    ActorEquals,
    /// The actor ends with one of the values (a domain: `@contoso.com`).
    ActorEndsWith,
    /// The app id is one of the values.
    AppIdIn,
    /// `ClientInfoString` contains one of the values.
    ClientInfoContains,
}

impl Test {
    /// Every test, in the order the form lists them.
    pub const ALL: [Test; 4] = [Self::ActorEquals, Self::ActorEndsWith, Self::AppIdIn, Self::ClientInfoContains];

    /// The `<option>` value.
    pub fn name(self) -> &'static str {
        match self {
            Self::ActorEquals => "actor-equals",
            Self::ActorEndsWith => "actor-ends-with",
            Self::AppIdIn => "app-id-in",
            Self::ClientInfoContains => "client-info-contains",
        }
    }

    /// In words, for the form.
    pub fn label(self) -> &'static str {
        match self {
            Self::ActorEquals => "Actor (UserId) equals",
            Self::ActorEndsWith => "Actor (UserId) ends with",
            Self::AppIdIn => "App id is one of",
            Self::ClientInfoContains => "ClientInfoString contains",
        }
    }

    /// The test named `name` (the `<option>` value).
    pub fn from_name(name: &str) -> Option<Test> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The core's condition for these values.
    pub fn condition(self, any_of: Vec<String>) -> Condition {
        match self {
            Self::ActorEquals => Condition::Equals { field: Field::Actor, any_of },
            Self::ActorEndsWith => Condition::EndsWith { field: Field::Actor, any_of },
            Self::AppIdIn => Condition::Equals { field: Field::AppId, any_of },
            Self::ClientInfoContains => Condition::Contains { field: Field::ClientInfo, any_of },
        }
    }
}

/// Where a new rule goes: first decides before every built-in rule (the usual wish: "this
/// account is a scanner, whatever else it looks like"); last only catches what none decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Place {
    /// Before every other rule.
    #[default]
    First,
    /// After every other rule.
    Last,
}

/// The form's inputs as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleForm {
    /// The rule's name.
    pub name: String,
    /// The class it assigns.
    pub class: SendClass,
    /// Why it holds (optional).
    pub explanation: String,
    /// What it tests.
    pub test: Test,
    /// The values, one per line (actors and app ids may also be separated by commas).
    pub values: String,
    /// Where it goes.
    pub place: Place,
}

impl Default for RuleForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            class: SendClass::Application,
            explanation: String::new(),
            test: Test::default(),
            values: String::new(),
            place: Place::default(),
        }
    }
}

/// The explanation a rule gets when the form leaves it empty.
pub const DEFAULT_EXPLANATION: &str = "The tenant's own rule, added in SendAs Lens.";

/// The values of a list as typed, trimmed, empty ones dropped: one per line, and for actors and
/// app ids also separated by commas. A `ClientInfoString` fragment is split on lines only: it
/// may hold commas itself (`(KHTML, like Gecko)`), and cutting it there would make a fragment
/// like `like Gecko)` that matches nearly every browser.
pub fn split_values(text: &str, test: Test) -> Vec<String> {
    let separators: &[char] = match test {
        Test::ClientInfoContains => &['\n', '\r'],
        Test::ActorEquals | Test::ActorEndsWith | Test::AppIdIn => &[',', '\n', '\r'],
    };
    text.split(separators).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

impl RuleForm {
    /// The rule the form describes, or why it cannot be one.
    pub fn rule(&self) -> Result<Rule, String> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err("A rule needs a name.".into());
        }
        let values = split_values(&self.values, self.test);
        if values.is_empty() {
            return Err("A rule needs at least one value to test.".into());
        }
        let explanation = match self.explanation.trim() {
            "" => DEFAULT_EXPLANATION,
            text => text,
        };
        Ok(Rule {
            name: name.to_owned(),
            class: self.class,
            explanation: explanation.to_owned(),
            condition: self.test.condition(values),
        })
    }

    /// The table with the form's rule in its place, checked as a rules file is.
    pub fn add_to(&self, rules: &RuleSet) -> Result<RuleSet, String> {
        let rule = self.rule()?;
        if rules.rules.iter().any(|r| r.name == rule.name) {
            return Err(format!("A rule is already named {:?}.", rule.name));
        }
        let mut next = rules.clone();
        match self.place {
            Place::First => next.rules.insert(0, rule),
            Place::Last => next.rules.push(rule),
        }
        checked(next)
    }
}

/// The table without the rule of this name.
pub fn remove(rules: &RuleSet, name: &str) -> RuleSet {
    RuleSet { rules: rules.rules.iter().filter(|r| r.name != name).cloned().collect() }
}

/// A table as the CLI would read it back: what the app keeps and exports, `--rules` accepts.
fn checked(rules: RuleSet) -> Result<RuleSet, String> {
    decode(&encode(&rules))
}

/// The rules as `sendas-lens rules --json` prints them (what is exported and stored).
pub fn encode(rules: &RuleSet) -> String {
    format!("{}\n", sendas_core::display::to_json(rules, true))
}

/// A rules file read whole, or refused with the JSON path of the fault (the core's words).
pub fn decode(text: &str) -> Result<RuleSet, String> {
    RuleSet::from_json(text).map_err(|e| e.to_string())
}

/// The rules kept in the browser, if any: the built-in table when nothing is kept; when what
/// is kept is refused, the built-in table and why (nothing of a damaged value is used).
pub fn from_storage(kept: Option<&str>) -> (RuleSet, Option<String>) {
    match kept.map(decode) {
        None => (RuleSet::default(), None),
        Some(Ok(rules)) => (rules, None),
        Some(Err(why)) => (
            RuleSet::default(),
            Some(format!("The rules kept in this browser could not be read ({why}); the built-in rules are used.")),
        ),
    }
}

/// What is kept in the browser for this table: nothing for the built-in table.
pub fn to_storage(rules: &RuleSet) -> Option<String> {
    (*rules != RuleSet::default()).then(|| encode(rules))
}

/// A tenant rule as the panel lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The rule.
    pub rule: Rule,
    /// Its place in the order, in words.
    pub position: String,
    /// Its condition, in words.
    pub condition: String,
}

/// The tenant's own rules, in order, each with where it stands among the built-in ones.
pub fn listed(rules: &RuleSet) -> Vec<Listed> {
    let own: Vec<&str> = rules.tenant_rules().map(|r| r.name.as_str()).collect();
    let is_built_in = |r: &&Rule| !own.contains(&r.name.as_str());
    rules
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| own.contains(&r.name.as_str()))
        .map(|(i, rule)| {
            let before = rules.rules[..i].iter().rev().find(is_built_in);
            let after = rules.rules[i + 1..].iter().find(is_built_in);
            let position = match (before, after) {
                (None, Some(_)) | (None, None) => "before every built-in rule".to_owned(),
                (Some(_), None) => "after every built-in rule".to_owned(),
                (Some(b), Some(a)) => format!("after built-in rule {}, before {}", b.name, a.name),
            };
            let position = format!("{} (rule {} of {})", position, i + 1, rules.rules.len());
            Listed { rule: rule.clone(), position, condition: describe(&rule.condition) }
        })
        .collect()
}

/// A condition in words: `UserId ends with @contoso.com`.
pub fn describe(condition: &Condition) -> String {
    let list = |values: &[String]| values.join(", ");
    match condition {
        Condition::Contains { field, any_of } => format!("{} contains {}", field.label(), list(any_of)),
        Condition::Equals { field, any_of } => format!("{} equals {}", field.label(), list(any_of)),
        Condition::StartsWith { field, any_of } => format!("{} starts with {}", field.label(), list(any_of)),
        Condition::EndsWith { field, any_of } => format!("{} ends with {}", field.label(), list(any_of)),
        Condition::PresentAndNotIn { field, values } => {
            format!("{} is present and not one of {}", field.label(), list(values))
        }
        Condition::ActorOwnsMailbox => "the actor owns the mailbox".to_owned(),
        Condition::ActorIsNotMailbox => "the actor is not the mailbox".to_owned(),
        Condition::Note { field, .. } => format!("(notes {})", field.label()),
        Condition::All(parts) => joined(parts, " and "),
        Condition::Any(parts) => joined(parts, " or "),
        Condition::Not(inner) => format!("not ({})", describe(inner)),
    }
}

fn joined(parts: &[Condition], with: &str) -> String {
    let parts: Vec<String> = parts.iter().map(|p| format!("({})", describe(p))).collect();
    if parts.is_empty() {
        return if with == " and " { "always".into() } else { "never".into() };
    }
    parts.join(with)
}

/// The built-in rules a table leaves out or changes, in words (the report's warnings say so too).
pub fn departures(rules: &RuleSet) -> Vec<String> {
    rules
        .departures()
        .into_iter()
        .map(|d| match d {
            Departure::LeftOut(name) => format!("The built-in rule {name} is left out."),
            Departure::Changed(name) => format!("The built-in rule {name} is changed."),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_info_fragment_keeps_its_commas() {
        let agent = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko)";
        assert_eq!(split_values(agent, Test::ClientInfoContains), vec![agent.to_owned()]);
        assert_eq!(split_values("a\n\n b ", Test::ClientInfoContains), vec!["a", "b"]);
        assert_eq!(split_values("x@c.com, y@c.com\nz@c.com", Test::ActorEquals), vec!["x@c.com", "y@c.com", "z@c.com"]);
    }

    #[test]
    fn each_copy_of_the_app_keeps_its_own_rules() {
        assert_ne!(storage_key("/a/"), storage_key("/b/"));
    }

    fn form(name: &str, test: Test, values: &str) -> RuleForm {
        RuleForm { name: name.into(), test, values: values.into(), ..RuleForm::default() }
    }

    #[test]
    fn the_form_becomes_a_core_rule() {
        let f = RuleForm {
            class: SendClass::System,
            ..form(" scanner ", Test::ActorEndsWith, "@contoso.com,\n @fabrikam.com ,")
        };
        let rule = f.rule().unwrap();
        assert_eq!(rule.name, "scanner");
        assert_eq!(rule.class, SendClass::System);
        assert_eq!(rule.explanation, DEFAULT_EXPLANATION);
        assert_eq!(
            rule.condition,
            Condition::EndsWith { field: Field::Actor, any_of: vec!["@contoso.com".into(), "@fabrikam.com".into()] }
        );
        assert_eq!(
            form("a", Test::AppIdIn, "x").rule().unwrap().condition,
            Condition::Equals { field: Field::AppId, any_of: vec!["x".into()] }
        );
        assert!(matches!(
            form("a", Test::ClientInfoContains, "x").rule().unwrap().condition,
            Condition::Contains { field: Field::ClientInfo, .. }
        ));
        for test in Test::ALL {
            assert_eq!(Test::from_name(test.name()), Some(test));
        }
    }

    #[test]
    fn an_incomplete_form_says_why() {
        assert!(form("  ", Test::ActorEquals, "a@b").rule().unwrap_err().contains("name"));
        assert!(form("x", Test::ActorEquals, " , ").rule().unwrap_err().contains("value"));
        let taken = form("system-identity", Test::ActorEquals, "a@b").add_to(&RuleSet::default());
        assert!(taken.unwrap_err().contains("already named"), "a built-in rule's name is taken");
    }

    #[test]
    fn a_rule_goes_first_or_last_and_decides_as_the_tenants_own() {
        let first = form("mine", Test::ActorEquals, "a@b").add_to(&RuleSet::default()).unwrap();
        assert_eq!(first.rules[0].name, "mine");
        assert_eq!(first.rules.len(), RuleSet::default().rules.len() + 1);
        assert!(first.departures().is_empty(), "adding leaves the built-in rules as they are");
        let last = RuleForm { place: Place::Last, ..form("mine", Test::ActorEquals, "a@b") }
            .add_to(&RuleSet::default())
            .unwrap();
        assert_eq!(last.rules.last().unwrap().name, "mine");
        let shown = listed(&first);
        assert_eq!(shown.len(), 1);
        assert!(shown[0].position.starts_with("before every built-in rule"), "{}", shown[0].position);
        assert_eq!(shown[0].condition, "UserId equals a@b");
        assert!(listed(&last)[0].position.starts_with("after every built-in rule"));
        assert_eq!(remove(&first, "mine"), RuleSet::default());
        assert!(listed(&RuleSet::default()).is_empty());
    }

    #[test]
    fn a_rule_between_built_in_ones_names_its_neighbours() {
        let mut rules = RuleSet::default();
        let mine = form("mine", Test::ActorEquals, "a@b").rule().unwrap();
        rules.rules.insert(1, mine);
        let (b, a) = (rules.rules[0].name.clone(), rules.rules[2].name.clone());
        let shown = listed(&rules);
        assert!(
            shown[0].position.starts_with(&format!("after built-in rule {b}, before {a}")),
            "{}",
            shown[0].position
        );
    }

    #[test]
    fn stored_and_exported_text_is_what_the_cli_prints_and_reads() {
        let rules = form("mine", Test::ClientInfoContains, "Client=Scanner").add_to(&RuleSet::default()).unwrap();
        let text = encode(&rules);
        assert_eq!(text, format!("{}\n", sendas_core::display::to_json(&rules, true)));
        assert_eq!(decode(&text), Ok(rules.clone()));
        assert_eq!(from_storage(Some(&text)), (rules.clone(), None));
        assert_eq!(to_storage(&rules), Some(text));
        assert_eq!(to_storage(&RuleSet::default()), None, "the built-in table is not kept");
        assert_eq!(from_storage(None), (RuleSet::default(), None));
    }

    #[test]
    fn a_damaged_kept_value_falls_back_to_the_built_in_rules_and_says_where() {
        let bad = encode(&RuleSet::default()).replacen("\"client_info\"", "\"client_infos\"", 1);
        let (rules, error) = from_storage(Some(&bad));
        assert_eq!(rules, RuleSet::default());
        let error = error.unwrap();
        assert!(error.contains("rules[0].condition.all[0].contains.field"), "{error}");
        let (rules, error) = from_storage(Some("{not json"));
        assert_eq!(rules, RuleSet::default());
        assert!(error.is_some());
    }

    #[test]
    fn conditions_in_words() {
        let c = Condition::All(vec![
            Condition::Equals { field: Field::Actor, any_of: vec!["scanner@contoso.com".into()] },
            Condition::Not(Box::new(Condition::StartsWith { field: Field::Mailbox, any_of: vec!["staff-".into()] })),
        ]);
        assert_eq!(describe(&c), "(UserId equals scanner@contoso.com) and (not (Mailbox starts with staff-))");
    }

    #[test]
    fn leaving_out_a_built_in_rule_is_a_warning() {
        let mut rules = RuleSet::default();
        let gone = rules.rules.remove(0).name;
        let warnings = departures(&rules);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains(&gone), "{warnings:?}");
    }
}
