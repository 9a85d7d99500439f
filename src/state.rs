//! The app's state and its one reducer: every change is an [`Action`].
//!
//! Plain data and a pure `reduce`, so the logic is tested natively (see the tests below);
//! components only dispatch actions and render.

use std::rc::Rc;

use sendas_core::report::{ClassifiedEvent, Delay, FindingFilter};
use sendas_core::{AnalysisResult, Progress};
use yew::Reducible;

use crate::filters::Filters;

/// An analysis result, compared by identity (it can hold a million sends).
#[derive(Clone, Debug)]
pub struct Data(pub Rc<AnalysisResult>);

impl PartialEq for Data {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Table rows (indices into the sends), compared by identity: a million-row list is not
/// compared element by element on every render.
#[derive(Clone, Debug, Default)]
pub struct Rows(pub Rc<Vec<usize>>);

impl PartialEq for Rows {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Where reading stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Phase {
    /// Nothing loaded, or the last load finished.
    #[default]
    Idle,
    /// The worker is reading.
    Reading(Progress),
    /// The last load failed.
    Failed(String),
}

/// Table columns that sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// Event time.
    Time,
    /// Operation.
    Operation,
    /// Class.
    Class,
    /// Actor.
    Actor,
    /// Mailbox.
    Mailbox,
    /// Delay.
    Delay,
}

/// Table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    /// Column sorted on.
    pub column: Column,
    /// Largest first.
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Self { column: Column::Time, descending: false }
    }
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AppState {
    /// Reading progress.
    pub phase: Phase,
    /// The loaded analysis.
    pub data: Option<Data>,
    /// The view's filter.
    pub filters: Filters,
    /// The send whose details are open (index into `sends`).
    pub selected: Option<usize>,
    /// The open send's raw record once the worker has sent it (`Some(None)`: it has none).
    pub raw_record: Option<Option<Rc<str>>>,
    /// Table order.
    pub sort: Sort,
    /// Rejected rows listed.
    pub show_rejected: bool,
}

/// Every change to the state.
#[derive(Clone, Debug)]
pub enum Action {
    /// A load started.
    Started {
        /// What is being read.
        label: String,
        /// Bytes to read.
        total: u64,
    },
    /// The worker reports progress.
    Progress(Progress),
    /// The worker finished.
    Loaded(Rc<AnalysisResult>),
    /// The shown sends classified again with changed rules: the same sends in the same order, so
    /// the open row, its raw record, the filters and any run under way all stay.
    Reclassified(Rc<AnalysisResult>),
    /// The load failed.
    Failed(String),
    /// The user cancelled the load.
    Cancelled,
    /// Replace the filter.
    SetFilters(Filters),
    /// Show what a finding is about.
    ApplyFinding(FindingFilter),
    /// Open or close a send's details.
    Select(Option<usize>),
    /// The worker sent a send's raw record.
    RawRecord {
        /// Which send.
        index: usize,
        /// Its raw record, if it has one.
        text: Option<String>,
    },
    /// Sort the table on a column (again: reverse).
    SortBy(Column),
    /// Show or hide the rejected rows.
    ToggleRejected,
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Started { label, total } => {
                next.phase = Phase::Reading(Progress { file: label, bytes: 0, total, rows: 0 });
            }
            Action::Progress(progress) => {
                // A late message from a cancelled run must not resurrect the progress bar.
                if matches!(next.phase, Phase::Reading(_)) {
                    next.phase = Phase::Reading(progress);
                }
            }
            Action::Loaded(result) => {
                next.phase = Phase::Idle;
                next.data = Some(Data(result));
                next.selected = None;
                next.raw_record = None;
                next.show_rejected = false;
            }
            Action::Reclassified(result) => next.data = Some(Data(result)),
            Action::Failed(message) => next.phase = Phase::Failed(message),
            Action::Cancelled => next.phase = Phase::Idle,
            Action::SetFilters(filters) => {
                next.filters = filters;
                next.selected = None;
            }
            Action::ApplyFinding(finding) => {
                let mut filters = Filters { include_send: self.filters.include_send, ..Filters::default() };
                if let Some(class) = finding.class {
                    filters.classes = vec![class];
                    // Owners mostly appear through ordinary sends.
                    filters.include_send |= class == sendas_core::model::SendClass::Owner;
                }
                filters.mailbox = finding.mailbox;
                filters.workload = finding.workload;
                next.filters = filters;
                next.selected = None;
            }
            Action::Select(index) => {
                if index != self.selected {
                    next.raw_record = None;
                }
                next.selected = index;
            }
            // A late answer for a send that is no longer open is dropped.
            Action::RawRecord { index, text } => {
                if self.selected == Some(index) {
                    next.raw_record = Some(text.map(Rc::from));
                }
            }
            Action::SortBy(column) => {
                next.sort = if self.sort.column == column {
                    Sort { column, descending: !self.sort.descending }
                } else {
                    Sort { column, descending: false }
                };
            }
            Action::ToggleRejected => next.show_rejected = !self.show_rejected,
        }
        Rc::new(next)
    }
}

fn delay_key(e: &ClassifiedEvent) -> i64 {
    match e.delay {
        Some(Delay::Measured { seconds }) => seconds,
        Some(Delay::Bounded { min_seconds, .. }) => min_seconds,
        None => i64::MIN,
    }
}

/// Indices of the sends that pass the filter, in table order.
pub fn visible_rows(sends: &[ClassifiedEvent], filters: &Filters, sort: Sort) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..sends.len()).filter(|&i| filters.matches(&sends[i])).collect();
    sendas_core::sorting::sort_indices(&mut rows, &|a, b| {
        let (x, y) = (&sends[a], &sends[b]);
        let order = match sort.column {
            Column::Time => x.event.time.cmp(&y.event.time),
            Column::Operation => x.event.operation.cmp(&y.event.operation),
            Column::Class => x.classification.class.cmp(&y.classification.class),
            Column::Actor => x.actor_label().cmp(y.actor_label()),
            Column::Mailbox => x.mailbox_label().cmp(y.mailbox_label()),
            Column::Delay => delay_key(x).cmp(&delay_key(y)),
        };
        let order = if sort.descending { order.reverse() } else { order };
        order.then(a.cmp(&b))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendas_core::model::SendClass;
    use sendas_core::{Analysis, SourceMeta};

    fn sample_result() -> Rc<AnalysisResult> {
        let mut analysis = Analysis::default();
        let meta = SourceMeta { name: "sample".into(), exported_at: None };
        analysis.read_source(meta, crate::worker::SAMPLE).unwrap();
        Rc::new(analysis.finish())
    }

    fn progress(file: &str, bytes: u64, total: u64, rows: u64) -> Progress {
        Progress { file: file.into(), bytes, total, rows }
    }

    fn reduce(state: AppState, action: Action) -> AppState {
        (*Rc::new(state).reduce(action)).clone()
    }

    #[test]
    fn a_load_goes_from_progress_to_data() {
        let s = reduce(AppState::default(), Action::Started { label: "a.csv".into(), total: 10 });
        assert_eq!(s.phase, Phase::Reading(progress("a.csv", 0, 10, 0)));
        let s = reduce(s, Action::Progress(progress("a.csv", 5, 10, 3)));
        assert_eq!(s.phase, Phase::Reading(progress("a.csv", 5, 10, 3)));
        let s = reduce(s, Action::Loaded(sample_result()));
        assert_eq!(s.phase, Phase::Idle);
        assert!(s.data.is_some());
    }

    #[test]
    fn a_raw_record_is_kept_only_for_the_open_send() {
        let s = reduce(AppState::default(), Action::Loaded(sample_result()));
        let s = reduce(s, Action::Select(Some(2)));
        assert_eq!(s.raw_record, None, "asked for, not yet here");
        let s = reduce(s, Action::RawRecord { index: 1, text: Some("late".into()) });
        assert_eq!(s.raw_record, None, "an answer for another send is dropped");
        let s = reduce(s, Action::RawRecord { index: 2, text: Some("{}".into()) });
        assert_eq!(s.raw_record, Some(Some(Rc::from("{}"))));
        let same = reduce(s.clone(), Action::Select(Some(2)));
        assert_eq!(same.raw_record, s.raw_record, "re-selecting the open send keeps it");
        let other = reduce(s, Action::Select(Some(3)));
        assert_eq!(other.raw_record, None);
        let none = reduce(reduce(other, Action::Select(Some(4))), Action::RawRecord { index: 4, text: None });
        assert_eq!(none.raw_record, Some(None), "a send without a raw record says so");
    }

    #[test]
    fn a_reclassified_result_replaces_the_data_and_keeps_the_rest() {
        let s = reduce(AppState::default(), Action::Loaded(sample_result()));
        let s = reduce(s, Action::Select(Some(2)));
        let s = reduce(s, Action::RawRecord { index: 2, text: Some("{}".into()) });
        let s = reduce(s, Action::Started { label: "next.csv".into(), total: 10 });
        let again = sample_result();
        let s = reduce(s, Action::Reclassified(again.clone()));
        assert!(Rc::ptr_eq(&s.data.as_ref().unwrap().0, &again), "the new classes are shown");
        assert_eq!(s.selected, Some(2), "the open row stays open");
        assert_eq!(s.raw_record, Some(Some(Rc::from("{}"))));
        assert_eq!(s.phase, Phase::Reading(progress("next.csv", 0, 10, 0)), "the run under way goes on");
    }

    #[test]
    fn progress_after_cancel_is_ignored() {
        let s = reduce(AppState::default(), Action::Started { label: "a".into(), total: 10 });
        let s = reduce(s, Action::Cancelled);
        let s = reduce(s, Action::Progress(progress("a", 9, 10, 1)));
        assert_eq!(s.phase, Phase::Idle);
    }

    #[test]
    fn findings_become_filters_and_sorting_toggles() {
        let s = reduce(
            AppState::default(),
            Action::ApplyFinding(FindingFilter {
                class: Some(SendClass::Connector),
                mailbox: Some("m".into()),
                workload: None,
            }),
        );
        assert_eq!(s.filters.classes, vec![SendClass::Connector]);
        assert_eq!(s.filters.mailbox.as_deref(), Some("m"));
        let s = reduce(s, Action::SortBy(Column::Time));
        assert!(s.sort.descending);
        let s = reduce(s, Action::SortBy(Column::Actor));
        assert_eq!(s.sort, Sort { column: Column::Actor, descending: false });
    }

    #[test]
    fn visible_rows_filter_and_sort() {
        let result = sample_result();
        let sends = &result.sends;
        let all = visible_rows(sends, &Filters::default(), Sort::default());
        // Default view: SendAs and SendOnBehalf only.
        assert_eq!(all.len(), sends.iter().filter(|e| e.event.operation != "Send").count());
        assert!(all.windows(2).all(|w| sends[w[0]].event.time <= sends[w[1]].event.time));
        let quiet = Filters { hide_noise: true, ..Filters::default() };
        let shown = visible_rows(sends, &quiet, Sort::default());
        assert_eq!(shown.len() + quiet.noise_count(sends), all.len());
        assert!(shown.iter().all(|&i| !crate::filters::NOISE.contains(&sends[i].classification.class)));
        let by_delay = visible_rows(sends, &Filters::default(), Sort { column: Column::Delay, descending: true });
        assert!(by_delay.windows(2).all(|w| delay_key(&sends[w[0]]) >= delay_key(&sends[w[1]])));
    }
}
