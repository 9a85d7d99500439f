//! A tenant's own rules: marked in the evidence, never replacing a built-in rule silently, and
//! applied to loaded sends without reading the inputs again, to the same report.

mod common;

use common::{all_fixtures, fixture};
use sendas_core::classify::{Condition, Field, Rule, RuleSet};
use sendas_core::model::SendClass;
use sendas_core::{Analysis, AnalysisResult, SourceMeta};

fn tenant_rules() -> RuleSet {
    let mut rules = RuleSet::default();
    rules.rules.insert(
        0,
        Rule {
            name: "tenant-delegates-of-the-ceo".into(),
            class: SendClass::Delegate,
            explanation: "The CEO's assistants send as the CEO.".into(),
            condition: Condition::Equals { field: Field::Mailbox, any_of: vec!["ceo@contoso.com".into()] },
        },
    );
    // A built-in rule changed, and one left out: both must be said.
    rules.rules.retain(|r| r.name != "admin-logon");
    if let Some(owner) = rules.rules.iter_mut().find(|r| r.name == "mailbox-owner") {
        owner.explanation = "Ours.".into();
    }
    rules
}

fn analyse(name: &str, rules: RuleSet) -> AnalysisResult {
    let mut analysis = Analysis::new(rules);
    let _ = analysis.read_source(SourceMeta { name: name.into(), exported_at: None }, &fixture(name));
    analysis.finish()
}

#[test]
fn new_rules_on_loaded_sends_give_the_report_reading_again_gives() {
    let mut changed = 0;
    for name in all_fixtures() {
        let fresh = analyse(&name, tenant_rules());
        let mut again = analyse(&name, RuleSet::default());
        again.reclassify(tenant_rules());
        assert_eq!(again.summary, fresh.summary, "{name}");
        assert_eq!(again.sends, fresh.sends, "{name}");
        // And back.
        let mut back = again.clone();
        back.reclassify(RuleSet::default());
        assert_eq!(back.summary, analyse(&name, RuleSet::default()).summary, "{name}");
        changed += usize::from(fresh.sends.iter().any(|s| s.classification.tenant_rule));
    }
    assert!(changed > 3, "the tenant rule decided sends in {changed} fixtures");
}

#[test]
fn a_tenant_rule_is_marked_and_built_in_rules_never_go_silently() {
    let r = analyse("purview-article-scenario.csv", tenant_rules());
    let by_tenant: Vec<_> = r.sends.iter().filter(|s| s.classification.tenant_rule).collect();
    assert!(!by_tenant.is_empty());
    // Decided by the tenant's new rule, or by the built-in rule it changed: both are the tenant's.
    for send in &by_tenant {
        let rule = send.classification.rule.as_deref().unwrap();
        assert!(["tenant-delegates-of-the-ceo", "mailbox-owner"].contains(&rule), "{rule}");
        assert_eq!(send.classification.evidence_lines()[0], format!("rule {rule} (the tenant's own rule)"));
    }
    assert!(by_tenant.iter().any(|s| s.classification.rule.as_deref() == Some("tenant-delegates-of-the-ceo")));
    let warnings = r.summary.warnings.join("\n");
    assert!(warnings.contains("leave out the built-in rule admin-logon"), "{warnings}");
    assert!(warnings.contains("change the built-in rule mailbox-owner"), "{warnings}");
    // The built-in rules alone: no warning, no mark.
    let plain = analyse("purview-article-scenario.csv", RuleSet::default());
    assert!(!plain.summary.warnings.iter().any(|w| w.contains("built-in rule")));
    assert!(plain.sends.iter().all(|s| !s.classification.tenant_rule));
    assert_eq!(
        tenant_rules().tenant_rules().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        vec!["tenant-delegates-of-the-ceo"]
    );
}
