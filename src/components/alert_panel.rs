//! Alert tuning on the loaded sends: the inputs of an alert (operations, threshold, window,
//! actor, mailbox) and what the core's [`AlertRule::evaluate`] says it would have done: alerts
//! fired, fired only because of connector or system noise, left after the suggested exclusion,
//! and person-sent events the exclusion would lose (always 0), with every window that fires.
//!
//! The evaluation is a pass over every send, so it runs only when the data, the rule table or
//! the rule changes (`use_memo`), measured as `sendas:alerts`; the text fields take effect when
//! left or on Enter, not on every keystroke.

use sendas_core::model::SendClass;
use sendas_core::report::{AlertReport, AlertWindow, ClassCounts, FireBasis, ALERT_WINDOWS};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::class_legend::css;
use crate::state::Data;
use crate::text::visible;
use crate::timing::Measure;
use crate::tuning::{window_label, AlertForm, OPERATIONS};

/// Windows listed at most (the CLI's `alerts --json` lists every one).
pub const SHOWN_WINDOWS: usize = 200;

#[derive(Properties, PartialEq)]
pub struct AlertPanelProps {
    /// The loaded analysis (every send, whatever the page's filters), with the rule table its
    /// sends were classified with: the exclusion is built from it.
    pub data: Data,
    /// The panel's inputs.
    pub form: AlertForm,
    /// Replace the inputs.
    pub on_change: Callback<AlertForm>,
}

/// Non-zero classes, in report order, each with its colour: `connector 10, delegate 2`.
fn classes_text(counts: &ClassCounts) -> Html {
    let shown: Vec<SendClass> = SendClass::ALL.into_iter().filter(|c| counts.get(*c) > 0).collect();
    if shown.is_empty() {
        return html! { { "none" } };
    }
    html! {
        { for shown.into_iter().enumerate().map(|(i, class)| html! {
            <>
                if i > 0 { { ", " } }
                <span class={classes!("swatch", css(class))} aria-hidden="true"></span>
                { format!("{} {}", class.name(), counts.get(class)) }
            </>
        }) }
    }
}

/// How an earliest firing time is known, in words.
fn basis_text(basis: FireBasis) -> &'static str {
    match basis {
        FireBasis::Measured => "measured arrival times",
        FireBasis::Bounded => "least delay bounded between exports",
        FireBasis::EventTime => "event time: the export has no arrival time",
    }
}

fn window_row(window: &AlertWindow) -> Html {
    // Only a measured arrival says when the alert fired; anything else is a lower bound.
    let at_least = if window.fire_basis == FireBasis::Measured { "" } else { "at least " };
    html! {
        <tr class={classes!(window.noise_only.then_some("noise-only"))}>
            <td class="time">{ &window.window_start }</td>
            <td class="classes">{ classes_text(&window.events) }</td>
            <td class="noise">{ if window.noise_only { "noise only" } else { "" } }</td>
            <td class="time">{ format!("{at_least}{}", window.earliest_fire) }</td>
            <td class="basis">{ basis_text(window.fire_basis) }</td>
        </tr>
    }
}

fn card(testid: &'static str, value: u64, label: &'static str, bad: bool) -> Html {
    html! {
        <div class={classes!("card", bad.then_some("card-bad"))}>
            <span class="card-value" data-testid={testid}>{ value }</span>
            <span class="card-label">{ label }</span>
        </div>
    }
}

fn results(report: &AlertReport) -> Html {
    let windows = &report.alerts;
    let exclusion_rules: Vec<String> = report.exclusion_rules.iter().map(|n| visible(n)).collect();
    html! {
        <>
            <div class="headline alert-numbers" aria-live="polite">
                { card("alert-fired", report.alerts_fired, "alerts fired", false) }
                { card("alert-noise-only", report.alerts_noise_only, "fired only because of connector or system noise", false) }
                { card("alert-after-exclusion", report.alerts_after_exclusion, "still fire after the suggested exclusion", false) }
                { card("alert-person-lost", report.person_events_lost, "person-sent events the exclusion would hide", report.person_events_lost > 0) }
            </div>
            <p class="matching" data-testid="alert-matching">
                { format!("Matching events: {} (", report.events.total()) }{ classes_text(&report.events) }{ ")" }
            </p>
            <h4>{ "Suggested exclusion" }</h4>
            if report.exclusion.is_empty() {
                <p class="hint" data-testid="alert-exclusion-none">{ "None: the rule table has no connector or system rule." }</p>
            } else {
                <p class="hint">
                    { format!("Leave out sends that match this (the rule table's {} rules) and the noise goes, while no one's send does. ", exclusion_rules.join(" and ")) }
                    { "Application sends are never excluded: an app sending as a mailbox is what an illicit-consent attack looks like." }
                </p>
                <pre class="exclusion" data-testid="alert-exclusion">{ visible(&report.exclusion) }</pre>
            }
            <h4 id="alert-windows-title">{ format!("Windows that fire ({})", windows.len()) }</h4>
            if windows.is_empty() {
                <p class="empty" data-testid="alert-windows-none">{ "The alert does not fire on these sends." }</p>
            } else {
                <div class="alert-windows-scroll" tabindex="0" role="region" aria-labelledby="alert-windows-title">
                    <table data-testid="alert-windows" aria-labelledby="alert-windows-title">
                        <thead><tr>
                            <th scope="col">{ "Window start (UTC)" }</th>
                            <th scope="col">{ "Events by class" }</th>
                            <th scope="col">{ "Noise only?" }</th>
                            <th scope="col">{ "Earliest possible firing (UTC)" }</th>
                            <th scope="col">{ "Known from" }</th>
                        </tr></thead>
                        <tbody>{ for windows.iter().take(SHOWN_WINDOWS).map(window_row) }</tbody>
                    </table>
                </div>
                if windows.len() > SHOWN_WINDOWS {
                    <p class="hint" data-testid="alert-windows-more">
                        { format!("The first {SHOWN_WINDOWS} are listed; {} more fire (sendas-lens alerts --json lists every one).", windows.len() - SHOWN_WINDOWS) }
                    </p>
                }
            }
        </>
    }
}

#[function_component(AlertPanel)]
pub fn alert_panel(props: &AlertPanelProps) -> Html {
    let form = &props.form;
    let rule = form.rule();
    // A pass over every send: only when the data (a new result, or the same sends classified
    // again) or the rule change.
    let report = use_memo((props.data.clone(), rule.clone().ok()), |(data, rule)| {
        rule.as_ref().map(|rule| {
            let _measure = Measure::start("alerts");
            rule.evaluate(&data.0.sends, &data.0.rules)
        })
    });

    let edit = |change: fn(&mut AlertForm, String)| {
        let (form, on_change) = (form.clone(), props.on_change.clone());
        move |value: String| {
            let mut next = form.clone();
            change(&mut next, value);
            if next != form {
                on_change.emit(next);
            }
        }
    };
    // Text fields apply when left (change) or on Enter: not a pass over every send per keystroke.
    let committed = |change: fn(&mut AlertForm, String)| {
        let apply = edit(change);
        let on_enter = apply.clone();
        let onchange = Callback::from(move |e: Event| apply(e.target_unchecked_into::<HtmlInputElement>().value()));
        let onkeydown = Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                on_enter(e.target_unchecked_into::<HtmlInputElement>().value());
            }
        });
        (onchange, onkeydown)
    };
    let (threshold_change, threshold_enter) = committed(|f, v| f.threshold = v);
    let (actor_change, actor_enter) = committed(|f, v| f.actor = v);
    let (mailbox_change, mailbox_enter) = committed(|f, v| f.mailbox = v);
    let on_window = {
        let apply = edit(|f, v| f.window = v);
        Callback::from(move |e: Event| apply(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };

    html! {
        <section class="panel alert-panel" data-testid="alert-panel" aria-labelledby="alert-title">
            <h3 id="alert-title">{ "Tune an alert on these sends" }</h3>
            <p class="hint">
                { "How an alert on send events would have fired over every loaded send (the filters above do not apply), how many of its alerts only connector cards and system identities set off, and the exclusion that silences those. Windows are fixed and aligned in UTC, as Purview alerts and Sentinel scheduled rules count them." }
            </p>
            <div class="alert-form">
                <fieldset class="operations">
                    <legend>{ "Operations watched" }</legend>
                    { for OPERATIONS.into_iter().map(|op| {
                        let (form, on_change) = (form.clone(), props.on_change.clone());
                        let onchange = Callback::from(move |e: Event| {
                            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                            on_change.emit(form.with_operation(op, on));
                        });
                        html! {
                            <label class="check">
                                <input type="checkbox" data-testid={format!("alert-op-{}", op.name())}
                                    checked={props.form.operations.contains(&op)} {onchange} />
                                <span>{ op.name() }</span>
                            </label>
                        }
                    }) }
                </fieldset>
                <label>
                    <span>{ "Threshold: events in one window" }</span>
                    <input type="number" min="1" step="1" inputmode="numeric" data-testid="alert-threshold"
                        value={form.threshold.clone()} onchange={threshold_change} onkeydown={threshold_enter} />
                </label>
                <label>
                    <span>{ "Window" }</span>
                    <select data-testid="alert-window" onchange={on_window}>
                        { for ALERT_WINDOWS.iter().map(|(name, _)| html! {
                            <option value={*name} selected={form.window == *name}>{ window_label(name) }</option>
                        }) }
                    </select>
                </label>
                <label>
                    <span>{ "Actor (optional, whole value)" }</span>
                    <input type="text" data-testid="alert-actor" value={form.actor.clone()} placeholder="any actor"
                        autocomplete="off" spellcheck="false" onchange={actor_change} onkeydown={actor_enter} />
                </label>
                <label>
                    <span>{ "Mailbox (optional, whole value)" }</span>
                    <input type="text" data-testid="alert-mailbox" value={form.mailbox.clone()} placeholder="any mailbox"
                        autocomplete="off" spellcheck="false" onchange={mailbox_change} onkeydown={mailbox_enter} />
                </label>
            </div>
            { match (&rule, report.as_ref()) {
                (Err(why), _) => html! { <p class="error" role="alert" data-testid="alert-error">{ why.clone() }</p> },
                (Ok(_), Some(report)) => results(report),
                (Ok(_), None) => html! {},
            } }
        </section>
    }
}
