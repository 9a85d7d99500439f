//! Which worker is which: the page keeps up to three, and a reply is only acted on when it comes
//! from the one whose job it is.
//!
//! - the **spare**, started with the page so the next run does not wait for a Wasm compile;
//! - the **running** one, analysing files (a new worker for every run, so Cancel is a terminate);
//! - the **holder**, the worker whose result is on screen. It keeps that result's sends and raw
//!   records, so it is the one asked for a raw record and the one that classifies the shown sends
//!   again when the tenant's rules change. It is only replaced when a newer run succeeds: after
//!   a failed or cancelled run the old result stays on screen, and so does the worker behind it.
//!
//! Beside them, **helpers** analyse parts of a large file for the running worker
//! (`crate::parts`): spares are started with the page, a run takes them, and they are dropped
//! when the run ends (done, failed or cancelled), which frees their memory.
//!
//! Generic over the worker so the bookkeeping is tested natively; the page uses it with
//! [`crate::bridge::AnalysisWorker`].

/// Names one worker for the life of the page; every reply carries its sender's id.
pub type WorkerId = u64;

/// What a reply's sender is to the page now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// It is analysing: its progress, failure and result count.
    Running,
    /// Its result is on screen: its raw records and re-classified results count.
    Holder,
}

/// The page's workers, by job.
#[derive(Debug)]
pub struct Workers<W> {
    next_id: WorkerId,
    spare: Option<(WorkerId, W)>,
    running: Option<(WorkerId, W)>,
    holder: Option<(WorkerId, W)>,
    spare_helpers: Vec<W>,
    run_helpers: Vec<W>,
}

impl<W> Default for Workers<W> {
    fn default() -> Self {
        Self {
            next_id: 0,
            spare: None,
            running: None,
            holder: None,
            spare_helpers: Vec::new(),
            run_helpers: Vec::new(),
        }
    }
}

impl<W> Workers<W> {
    /// The id the next worker will have; pass it to the worker's reply callback, then hand the
    /// worker to [`Workers::add_spare`] or [`Workers::start`].
    pub fn next_id(&mut self) -> WorkerId {
        self.next_id += 1;
        self.next_id
    }

    /// Keeps a started worker for the next run.
    pub fn add_spare(&mut self, id: WorkerId, worker: W) {
        self.spare = Some((id, worker));
    }

    /// A spare worker is waiting.
    pub fn has_spare(&self) -> bool {
        self.spare.is_some()
    }

    /// Takes the spare worker, if one is waiting.
    pub fn take_spare(&mut self) -> Option<(WorkerId, W)> {
        self.spare.take()
    }

    /// Makes `worker` the running one; a run still going in the previous one is dropped with it,
    /// and its helpers.
    pub fn start(&mut self, id: WorkerId, worker: W) -> &W {
        self.run_helpers.clear();
        &self.running.insert((id, worker)).1
    }

    /// Keeps a started helper for the next run.
    pub fn add_spare_helper(&mut self, helper: W) {
        self.spare_helpers.push(helper);
    }

    /// Spare helpers waiting for a run.
    pub fn spare_helpers(&self) -> usize {
        self.spare_helpers.len()
    }

    /// Gives the spare helpers to the run about to start ([`Workers::start_helped`]).
    pub fn take_spare_helpers(&mut self) -> Vec<W> {
        std::mem::take(&mut self.spare_helpers)
    }

    /// As [`Workers::start`], with `helpers` working for the run until it ends.
    pub fn start_helped(&mut self, id: WorkerId, worker: W, helpers: Vec<W>) -> &W {
        self.running = None;
        self.run_helpers = helpers;
        &self.running.insert((id, worker)).1
    }

    /// The running worker's helpers.
    pub fn run_helpers(&self) -> &[W] {
        &self.run_helpers
    }

    /// The run failed: its helpers are dropped (the running worker stays until the next run).
    pub fn failed(&mut self) {
        self.run_helpers.clear();
    }

    /// Drops the running worker (Cancel), and its helpers; the holder and its result stay.
    pub fn cancel(&mut self) {
        self.running = None;
        self.run_helpers.clear();
    }

    /// What the worker with this id is now; `None` for a worker already dropped, whose late
    /// replies are ignored.
    pub fn role(&self, id: WorkerId) -> Option<Role> {
        match (&self.running, &self.holder) {
            (Some((running, _)), _) if *running == id => Some(Role::Running),
            (_, Some((holder, _))) if *holder == id => Some(Role::Holder),
            _ => None,
        }
    }

    /// The running worker's result arrived: it becomes the holder, and the old holder is dropped.
    pub fn promote(&mut self) {
        self.run_helpers.clear();
        if let Some(running) = self.running.take() {
            self.holder = Some(running);
        }
    }

    /// The worker holding the shown result.
    pub fn holder(&self) -> Option<&W> {
        self.holder.as_ref().map(|(_, w)| w)
    }

    /// The running worker's id.
    pub fn running_id(&self) -> Option<WorkerId> {
        self.running.as_ref().map(|(id, _)| *id)
    }

    /// The running worker.
    pub fn running(&self) -> Option<&W> {
        self.running.as_ref().map(|(_, w)| w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_spare() -> Workers<&'static str> {
        let mut workers = Workers::default();
        let id = workers.next_id();
        workers.add_spare(id, "first");
        workers
    }

    #[test]
    fn a_finished_run_becomes_the_holder_and_replaces_the_old_one() {
        let mut workers = with_spare();
        let (first, w) = workers.take_spare().unwrap();
        workers.start(first, w);
        assert_eq!(workers.role(first), Some(Role::Running));
        workers.promote();
        assert_eq!(workers.role(first), Some(Role::Holder));
        assert_eq!(workers.holder(), Some(&"first"));

        let second = workers.next_id();
        workers.start(second, "second");
        // While the second runs, the first still holds what is shown.
        assert_eq!(workers.role(first), Some(Role::Holder));
        assert_eq!(workers.role(second), Some(Role::Running));
        workers.promote();
        assert_eq!(workers.role(first), None, "the old holder is dropped");
        assert_eq!(workers.holder(), Some(&"second"));
        assert!(workers.running().is_none());
    }

    #[test]
    fn a_cancelled_or_failed_run_leaves_the_holder_in_place() {
        let mut workers = Workers::default();
        let first = workers.next_id();
        workers.start(first, "first");
        workers.promote();
        let second = workers.next_id();
        workers.start(second, "second");
        workers.cancel();
        assert_eq!(workers.role(second), None, "a cancelled run's late replies are ignored");
        assert_eq!(workers.role(first), Some(Role::Holder));
        // A failed run: the page starts a third; the failed one is simply replaced.
        let third = workers.next_id();
        workers.start(third, "third");
        let fourth = workers.next_id();
        workers.start(fourth, "fourth");
        assert_eq!(workers.role(third), None);
        assert_eq!(workers.holder(), Some(&"first"));
    }

    #[test]
    fn helpers_work_for_one_run_and_go_when_it_ends() {
        let mut workers = Workers::default();
        for name in ["h1", "h2"] {
            workers.add_spare_helper(name);
        }
        let first = workers.next_id();
        let helpers = workers.take_spare_helpers();
        assert_eq!(workers.spare_helpers(), 0);
        workers.start_helped(first, "first", helpers);
        assert_eq!(workers.run_helpers(), &["h1", "h2"]);
        workers.promote();
        assert!(workers.run_helpers().is_empty(), "a finished run's helpers are dropped");
        assert_eq!(workers.role(first), Some(Role::Holder), "the holder stays");

        for (end, name) in [(0, "h3"), (1, "h4"), (2, "h5")] {
            workers.add_spare_helper(name);
            let id = workers.next_id();
            let helpers = workers.take_spare_helpers();
            workers.start_helped(id, "run", helpers);
            assert_eq!(workers.run_helpers(), &[name]);
            match end {
                0 => workers.cancel(),
                1 => workers.failed(),
                _ => {
                    let next = workers.next_id();
                    workers.start(next, "next");
                }
            }
            assert!(workers.run_helpers().is_empty(), "ended by {end}: helpers dropped");
            assert_eq!(workers.role(first), Some(Role::Holder));
        }
    }

    #[test]
    fn ids_are_never_reused() {
        let mut workers: Workers<()> = Workers::default();
        let ids: Vec<_> = (0..5).map(|_| workers.next_id()).collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(ids, unique);
    }
}
