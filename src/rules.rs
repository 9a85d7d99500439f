//! The rule table, in one place: the worker classifies with it, and the page generates the KQL
//! and evaluates the alert's suggested exclusion from it, so all three always agree. Today it is
//! the core's built-in table; a tenant's own rules, once the app reads them, go in here.

use std::rc::Rc;

use sendas_core::classify::RuleSet;
use sendas_core::Analysis;

thread_local! {
    /// Built once per Wasm instance (the page's and the worker's each hold one).
    static ACTIVE: Rc<RuleSet> = Rc::new(RuleSet::default());
}

/// The rule table in use.
pub fn active() -> Rc<RuleSet> {
    ACTIVE.with(Rc::clone)
}

/// An analysis that classifies with [`active`].
pub fn analysis() -> Analysis {
    Analysis::new(RuleSet::clone(&active()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_shared() {
        assert!(Rc::ptr_eq(&active(), &active()), "built once, not per call");
        assert_eq!(*active(), RuleSet::default());
    }
}
