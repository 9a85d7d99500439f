//! The rule table, in one place: the worker classifies with it, and the page generates the KQL
//! and evaluates the alert's suggested exclusion from it, so all three always agree. It starts as
//! the core's built-in table; the page sets a tenant's own rules here (kept in the browser, see
//! `tenant_rules.rs`), and every request to the worker carries them, which sets the worker's.

use std::cell::RefCell;
use std::rc::Rc;

use sendas_core::classify::RuleSet;
use sendas_core::Analysis;

thread_local! {
    /// One per Wasm instance (the page's and the worker's each hold one).
    static ACTIVE: RefCell<Rc<RuleSet>> = RefCell::new(Rc::new(RuleSet::default()));
}

/// The rule table in use.
pub fn active() -> Rc<RuleSet> {
    ACTIVE.with_borrow(Rc::clone)
}

/// Makes `rules` the table in use (unchanged if it already is) and returns it.
pub fn set_active(rules: RuleSet) -> Rc<RuleSet> {
    ACTIVE.with_borrow_mut(|active| {
        if **active != rules {
            *active = Rc::new(rules);
        }
        Rc::clone(active)
    })
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
        let mut mine = RuleSet::default();
        mine.rules.remove(0);
        let set = set_active(mine.clone());
        assert!(Rc::ptr_eq(&set, &active()));
        assert_eq!(*active(), mine);
        assert!(Rc::ptr_eq(&set_active(mine), &set), "the same table is not replaced");
        set_active(RuleSet::default());
    }
}
