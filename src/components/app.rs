//! The page: wires the worker, the reducer and the components.

use std::cell::RefCell;
use std::rc::Rc;

use sendas_core::model::SendClass;
use sendas_core::report::{events_csv, EventLine, SendReport};
use web_sys::File;
use yew::prelude::*;

use super::alert_panel::AlertPanel;
use super::attribution_chart::AttributionChart;
use super::class_legend::ClassLegend;
use super::connectors_table::ConnectorsTable;
use super::delay_chart::DelayChart;
use super::detail_panel::DetailPanel;
use super::drop_zone::DropZone;
use super::events_table::EventsTable;
use super::filters_bar::FiltersBar;
use super::findings_list::FindingsList;
use super::headline::Headline;
use super::kql_panel::KqlPanel;
use super::matrix_chart::MatrixChart;
use super::progress_bar::ProgressBar;
use super::rejected_list::RejectedList;
use super::rules_panel::RulesPanel;
use super::timeline_chart::TimelineChart;
use crate::bridge::{AnalysisWorker, Request};
use crate::download::save_text;
use crate::filters::Filters;
use crate::protocol::FromWorker;
use crate::state::{visible_rows, Action, AppState, Phase, Rows};
use crate::tenant_rules::{from_storage, storage_key, to_storage};
use crate::timing::Measure;
use crate::tuning::AlertForm;
use crate::worker::SAMPLE_LEN;
use crate::workers::{Role, WorkerId, Workers};
use sendas_core::classify::RuleSet;

fn location_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Keeps the filter in the URL fragment without adding history entries.
fn write_fragment(fragment: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let url = if fragment.is_empty() {
        format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default())
    } else {
        format!("#{fragment}")
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// A callback that applies `change` (with the clicked value) to the current filter.
fn filter_edit<T: 'static>(filters: &Filters, set: &Callback<Filters>, change: fn(&mut Filters, T)) -> Callback<T> {
    let (filters, set) = (filters.clone(), set.clone());
    Callback::from(move |value: T| {
        let mut next = filters.clone();
        change(&mut next, value);
        set.emit(next);
    })
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The key of this copy of the app's rules: its path, without the file name or fragment.
fn rules_key() -> String {
    let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    storage_key(dir)
}

/// The tenant rules kept in this browser, made the table in use; why they were refused, if so.
fn load_rules() -> Option<String> {
    let kept = storage().and_then(|s| s.get_item(&rules_key()).ok().flatten());
    let (rules, error) = from_storage(kept.as_deref());
    crate::rules::set_active(rules);
    error
}

/// Keeps the rules in this browser (nothing for the built-in table); why not, if it failed.
fn keep_rules(rules: &RuleSet) -> Result<(), String> {
    let storage = storage().ok_or("this browser keeps nothing for this page")?;
    let done = match to_storage(rules) {
        Some(text) => storage.set_item(&rules_key(), &text),
        None => storage.remove_item(&rules_key()),
    };
    done.map_err(|_| "this browser refused to keep them".to_owned())
}

/// Workers analysing one large file at once: `navigator.hardwareConcurrency - 1`, at least one
/// and at most eight, or `?workers=N` in the address (the benchmarks force 1, 2 and 4).
fn analysis_workers() -> usize {
    let window = web_sys::window();
    let asked = window.as_ref().and_then(|w| w.location().search().ok()).and_then(|query| {
        query.trim_start_matches('?').split('&').find_map(|p| p.strip_prefix("workers=")?.parse().ok())
    });
    let cores = window.map_or(1.0, |w| w.navigator().hardware_concurrency()) as usize;
    asked.unwrap_or(cores.saturating_sub(1)).clamp(1, 8)
}

/// Starts helpers until the next run has its share (`analysis_workers() - 1`), so their Wasm
/// compiles off the run's critical path: with the page, and after each run.
fn refill_helpers(workers: &Rc<RefCell<Workers<AnalysisWorker>>>) {
    if super::update_banner::replaced() {
        return;
    }
    let wanted = analysis_workers() - 1;
    let mut workers = workers.borrow_mut();
    while workers.spare_helpers() < wanted {
        // Its only replies are on its channel to the running worker.
        match AnalysisWorker::spawn(Callback::noop()) {
            Ok(helper) => workers.add_spare_helper(helper),
            Err(_) => break,
        }
    }
}

/// How long after a run ends the next run's workers start: a worker's Wasm compiling while the
/// result is first drawn would take a core from the draw.
const REFILL_AFTER_MS: i32 = 500;

/// What starts the next run's workers (a spare analysing worker, the helpers); set once, when
/// the page mounts.
type Refill = Rc<RefCell<Option<Rc<dyn Fn()>>>>;

/// Starts the next run's workers [`REFILL_AFTER_MS`] from now.
fn refill_later(refill: &Refill) {
    let Some(refill) = refill.borrow().clone() else { return };
    let later = wasm_bindgen::closure::Closure::once_into_js(move || refill());
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            wasm_bindgen::JsCast::unchecked_ref(&later),
            REFILL_AFTER_MS,
        );
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState { filters: Filters::from_fragment(&location_hash()), ..AppState::default() });
    let workers = use_mut_ref(Workers::<AnalysisWorker>::default);
    let refill: Refill = use_mut_ref(|| None);

    // Replies count only from the worker whose job they concern (see `crate::workers`): a
    // terminated run's late message, or a superseded holder's, changes nothing.
    let on_reply = {
        let (dispatch, workers, refill) = (state.dispatcher(), workers.clone(), refill.clone());
        Callback::from(move |(id, reply): (WorkerId, FromWorker)| {
            let role = workers.borrow().role(id);
            match (role, reply) {
                (_, FromWorker::Ready) | (None, _) => {}
                (Some(Role::Running), FromWorker::Done(result)) => {
                    workers.borrow_mut().promote();
                    refill_later(&refill);
                    dispatch.dispatch(Action::Loaded(Rc::from(result)));
                }
                (Some(Role::Holder), FromWorker::Done(result)) => {
                    dispatch.dispatch(Action::Reclassified(Rc::from(result)));
                }
                (Some(Role::Running), FromWorker::Progress(progress)) => dispatch.dispatch(Action::Progress(progress)),
                (Some(Role::Running), FromWorker::Failed { message }) => {
                    workers.borrow_mut().failed();
                    refill_later(&refill);
                    dispatch.dispatch(Action::Failed(message));
                }
                (Some(Role::Holder), FromWorker::RawRecord { index, text }) => {
                    dispatch.dispatch(Action::RawRecord { index, text });
                }
                (Some(_), _) => {}
            }
        })
    };
    let spawn = {
        let (workers, on_reply) = (workers.clone(), on_reply.clone());
        Rc::new(move || {
            if super::update_banner::replaced() {
                return Err("SendAs Lens was updated in another tab, so this tab must reload before it \
                    analyses more files (its page and a new analysis worker would be of two versions). \
                    The results shown stay until you reload."
                    .to_owned());
            }
            let id = workers.borrow_mut().next_id();
            let spawned = AnalysisWorker::spawn(on_reply.reform(move |reply| (id, reply)));
            spawned.map(|w| (id, w)).map_err(|_| "the analysis worker could not be started".to_owned())
        })
    };
    // Workers started with the page, and again after each run, so no file waits for their Wasm
    // to compile.
    {
        let (workers, spawn, refill) = (workers.clone(), spawn.clone(), refill.clone());
        use_effect_with((), move |()| {
            let start_workers: Rc<dyn Fn()> = Rc::new(move || {
                if !workers.borrow().has_spare() {
                    if let Ok((id, w)) = spawn() {
                        workers.borrow_mut().add_spare(id, w);
                    }
                }
                refill_helpers(&workers);
            });
            start_workers();
            *refill.borrow_mut() = Some(start_workers);
        });
    }
    let start = {
        let (workers, dispatch) = (workers.clone(), state.dispatcher());
        Rc::new(move |request: Request, label: String, total: u64, helpers: Vec<AnalysisWorker>| {
            // A new worker for every run; a run still going in the previous one is terminated.
            // A spare that stopped (its Wasm failed to start) would never answer.
            let spare = workers.borrow_mut().take_spare().filter(|(_, w)| !w.has_stopped());
            match spare.map_or_else(|| spawn(), Ok) {
                Ok((id, w)) => {
                    workers.borrow_mut().start_helped(id, w, helpers).send(request);
                    dispatch.dispatch(Action::Started { label, total });
                }
                Err(why) => dispatch.dispatch(Action::Failed(why)),
            }
        })
    };
    let on_files = {
        let (start, workers) = (start.clone(), workers.clone());
        Callback::from(move |files: Vec<File>| {
            let total = files.iter().map(|f| f.size() as u64).sum();
            let label = if files.len() == 1 { files[0].name() } else { format!("{} files", files.len()) };
            // The helpers started with the page; each that has not stopped gets a channel to the
            // running worker.
            let spare = workers.borrow_mut().take_spare_helpers();
            let (mut helpers, mut ports) = (Vec::new(), Vec::new());
            for helper in spare.into_iter().filter(|helper| !helper.has_stopped()) {
                let Ok(channel) = web_sys::MessageChannel::new() else { continue };
                helper.send(Request::serve(channel.port2()));
                helpers.push(helper);
                ports.push(channel.port1());
            }
            start(Request::analyse(files, ports), label, total, helpers);
            // A helper that stops mid-run cannot say so on its channel: the running worker is
            // told which one, so it stops waiting for its part.
            let workers_now = workers.borrow();
            if let Some(run) = workers_now.running_id() {
                for (place, helper) in workers_now.run_helpers().iter().enumerate() {
                    let workers = workers.clone();
                    helper.when_stopped(move || {
                        let workers = workers.borrow();
                        if let (Some(Role::Running), Some(worker)) = (workers.role(run), workers.running()) {
                            worker.send(Request::helper_stopped(place));
                        }
                    });
                }
            }
        })
    };
    let on_sample = {
        let start = start.clone();
        Callback::from(move |()| start(Request::sample(), "the sample".into(), SAMPLE_LEN, Vec::new()))
    };
    let on_cancel = {
        let (workers, dispatch, refill) = (workers.clone(), state.dispatcher(), refill.clone());
        Callback::from(move |()| {
            workers.borrow_mut().cancel();
            refill_later(&refill);
            dispatch.dispatch(Action::Cancelled);
        })
    };

    {
        let fragment = state.filters.to_fragment();
        use_effect_with(fragment, |fragment| write_fragment(fragment));
    }

    let rows = use_memo((state.data.clone(), state.filters.clone(), state.sort), |(data, filters, sort)| {
        let _measure = Measure::start("filter");
        Rows(Rc::new(data.as_ref().map(|d| visible_rows(&d.0.sends, filters, *sort)).unwrap_or_default()))
    });
    // A pass over every send: only when the data or the filter changes, not on every render.
    let noise = use_memo((state.data.clone(), state.filters.clone()), |(data, filters)| {
        data.as_ref().map_or(0, |d| filters.noise_count(&d.0.sends))
    });
    let report = use_memo((state.data.clone(), (*rows).clone()), |(data, rows)| {
        let _measure = Measure::start("report");
        let mut report = SendReport::default();
        if let Some(d) = data {
            for &i in rows.0.iter() {
                report.add(&d.0.sends[i]);
            }
        }
        Rc::new(report)
    });

    // The alert panel's inputs: the KQL panel writes the same alert as a query.
    let alert_form = use_state(AlertForm::default);
    let on_alert_form = {
        let alert_form = alert_form.clone();
        Callback::from(move |form: AlertForm| alert_form.set(form))
    };

    // The tenant's rules: read from the browser once, then changed by the rules panel. The
    // table itself is `crate::rules::active()`; this holds it for rendering, and why the last
    // change was refused.
    let rules_error = use_state(load_rules);
    let rules_shown = use_state(crate::rules::active);
    let on_rules = {
        let (workers, rules_error, rules_shown) = (workers.clone(), rules_error.clone(), rules_shown.clone());
        Callback::from(move |rules: RuleSet| {
            let rules = crate::rules::set_active(rules);
            // The shown sends are classified again by the worker that holds them, nothing re-read;
            // a run under way classifies its result with the new table when it ends.
            let workers = workers.borrow();
            for w in workers.holder().into_iter().chain(workers.running()) {
                w.send(Request::reclassify());
            }
            let kept = keep_rules(&rules).err();
            rules_error.set(kept.map(|why| format!("The rules are used in this tab, but could not be kept: {why}.")));
            rules_shown.set(rules);
        })
    };
    let on_rules_error = {
        let rules_error = rules_error.clone();
        Callback::from(move |why: String| rules_error.set(Some(why)))
    };

    let dispatch = state.dispatcher();
    let set_filters = {
        let dispatch = dispatch.clone();
        Callback::from(move |f: Filters| dispatch.dispatch(Action::SetFilters(f)))
    };

    let body = match &state.data {
        None => html! {},
        Some(data) => {
            let result = &data.0;
            let summary = &result.summary;
            let (filters, set) = (&state.filters, &set_filters);
            let on_toggle_class = filter_edit(filters, set, |f, class: SendClass| {
                f.classes = if f.classes == [class] { Vec::new() } else { vec![class] };
            });
            let on_actor = filter_edit(filters, set, |f, actor: String| f.actor = Some(actor));
            let on_cell = filter_edit(filters, set, |f, (actor, mailbox): (String, String)| {
                f.actor = Some(actor);
                f.mailbox = Some(mailbox);
            });
            let on_mailbox = filter_edit(filters, set, |f, mailbox: String| {
                f.mailbox = Some(mailbox);
                f.classes = vec![SendClass::Connector];
            });
            let download_report = {
                let summary = summary.clone();
                Callback::from(move |_| {
                    // The very bytes `sendas-lens summary --json` prints.
                    let text = format!("{}\n", sendas_core::display::to_json(&summary, true));
                    let _ = save_text("sendas-lens-report.json", "application/json", &text);
                })
            };
            let download_csv = {
                let (data, rows) = (data.clone(), (*rows).clone());
                Callback::from(move |_| {
                    let result = &data.0;
                    let lines: Vec<EventLine> = rows
                        .0
                        .iter()
                        .map(|&i| {
                            let send = &result.sends[i];
                            EventLine::new(send, result.source_name(send.event.source))
                        })
                        .collect();
                    let _ = save_text("sendas-lens-events.csv", "text/csv", &events_csv(&lines));
                })
            };
            let selected = state.selected.and_then(|i| result.sends.get(i).cloned());
            // Opening a send asks the worker for its raw record (raw records stay in the worker).
            let on_select = {
                let (dispatch, workers, open) = (dispatch.clone(), workers.clone(), state.selected);
                Callback::from(move |index: Option<usize>| {
                    if let (Some(i), Some(w)) = (index.filter(|&i| Some(i) != open), workers.borrow().holder()) {
                        w.send(Request::raw_record(i));
                    }
                    dispatch.dispatch(Action::Select(index));
                })
            };
            html! {
                <>
                    <FindingsList findings={summary.findings.clone()} on_show={dispatch.to_callback().reform(Action::ApplyFinding)} />
                    <Headline summary={summary.clone()} rejected_open={state.show_rejected}
                        on_rejected={dispatch.to_callback().reform(|()| Action::ToggleRejected)} />
                    if state.show_rejected {
                        <RejectedList errors={summary.errors.clone()} total={summary.rejected} />
                    }
                    <ClassLegend counts={summary.by_class} selected={state.filters.classes.clone()} on_toggle={on_toggle_class} />
                    <FiltersBar filters={state.filters.clone()} noise_count={*noise} shown={rows.0.len()}
                        total={result.sends.len()} workloads={summary.by_workload.keys().cloned().collect::<Vec<_>>()}
                        on_change={set_filters.clone()} />
                    <div class="exports">
                        <button type="button" class="button" data-testid="download-report" onclick={download_report}>{ "Download report (JSON)" }</button>
                        <button type="button" class="button" data-testid="download-csv" onclick={download_csv}>{ "Download shown events (CSV)" }</button>
                    </div>
                    <div class="charts">
                        <AttributionChart rows={report.actors()} {on_actor} />
                        <MatrixChart cells={report.matrix()} {on_cell} />
                        <ConnectorsTable rows={report.connectors()} {on_mailbox} />
                        <TimelineChart timeline={report.timeline()} />
                        <DelayChart bins={summary.delay_bins.clone()} delays={summary.delays.clone()}
                            note={summary.delay_note.clone()} workload={state.filters.workload.clone()} />
                    </div>
                    <div class="tuning">
                        <AlertPanel data={data.clone()} form={(*alert_form).clone()} on_change={on_alert_form} />
                        <KqlPanel data={data.clone()} alert={alert_form.rule()} />
                    </div>
                    <div class={classes!("table-area", selected.is_some().then_some("with-detail"))}>
                        <EventsTable data={data.clone()} rows={(*rows).clone()} sort={state.sort} selected={state.selected}
                            on_sort={dispatch.to_callback().reform(Action::SortBy)} {on_select} />
                        if let Some(send) = selected {
                            <DetailPanel source_name={result.source_name(send.event.source).to_owned()}
                                send={send} raw={state.raw_record.clone()} on_close={dispatch.to_callback().reform(|()| Action::Select(None))} />
                        }
                    </div>
                </>
            }
        }
    };

    html! {
        <>
            <header class="top">
                <h1>{ "SendAs Lens" }</h1>
                <p class="tagline">{ "Who really sent as whom in your Microsoft 365 audit log, and how late the log is. Everything stays in this tab." }</p>
                <super::update_banner::UpdateBanner />
            </header>
            <main>
                <DropZone on_files={on_files} on_sample={on_sample} compact={state.data.is_some()} />
                { match &state.phase {
                    Phase::Reading(progress) => html! {
                        <ProgressBar progress={progress.clone()} on_cancel={on_cancel} />
                    },
                    Phase::Failed(message) => html! {
                        <p class="error" role="alert" data-testid="error">{ crate::text::visible(message) }</p>
                    },
                    Phase::Idle => html! {},
                } }
                { body }
                <div class="tuning">
                    <RulesPanel rules={(*rules_shown).clone()} error={(*rules_error).clone()}
                        on_change={on_rules} on_error={on_rules_error} />
                </div>
            </main>
        </>
    }
}
