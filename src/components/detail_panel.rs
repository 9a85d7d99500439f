//! One send in full: the class and the evidence that decided it, the fields, and the raw
//! record as the export had it. Everything is rendered as text.

use std::rc::Rc;
use std::sync::OnceLock;

use sendas_core::classify::{default_rules, Rule};
use sendas_core::report::ClassifiedEvent;
use yew::prelude::*;

use super::class_legend::{css, label};
use super::events_table::delay_text;
use crate::text::visible;

#[derive(Properties, PartialEq)]
pub struct DetailPanelProps {
    /// The send.
    pub send: ClassifiedEvent,
    /// Its input's name.
    pub source_name: String,
    /// Its raw record, which the worker sends when asked: `None` while it is on its way,
    /// `Some(None)` when the export had none. (A send that carries its own is shown as is.)
    pub raw: Option<Option<Rc<str>>>,
    /// Close the panel.
    pub on_close: Callback<()>,
}

/// The rule table, built once: the panel looks up the deciding rule's explanation.
fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(default_rules)
}

fn pretty(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| raw.to_owned())
}

#[function_component(DetailPanel)]
pub fn detail_panel(props: &DetailPanelProps) -> Html {
    let e = &props.send;
    let ev = &e.event;
    let c = &e.classification;
    let explanation = c
        .rule
        .as_ref()
        .and_then(|name| rules().iter().find(|r| &r.name == name))
        .map(|r| r.explanation.clone())
        .unwrap_or_else(|| {
            "No rule matched: the fields the export carries do not decide who sent this, so it is not guessed.".into()
        });
    let on_close = {
        let cb = props.on_close.clone();
        Callback::from(move |_| cb.emit(()))
    };
    let row = |name: &str, value: Option<String>| match value.filter(|v| !v.is_empty()) {
        Some(v) => html! { <tr><th scope="row">{ name }</th><td>{ visible(&v) }</td></tr> },
        None => html! {},
    };
    html! {
        <aside class="detail" aria-labelledby="detail-title" data-testid="detail-panel">
            <header>
                <h3 id="detail-title">
                    <span class={classes!("swatch", css(c.class))} aria-hidden="true"></span>
                    { format!("{} · {}", visible(&ev.operation), label(c.class)) }
                </h3>
                <button type="button" class="button" onclick={on_close} aria-label="Close details">{ "Close" }</button>
            </header>
            <p class="explanation">{ explanation }</p>
            <h4>{ "Evidence" }</h4>
            <ul class="evidence">
                { for c.evidence_lines().into_iter().map(|line| html! { <li><code>{ visible(&line) }</code></li> }) }
            </ul>
            <table class="fields">
                { row("Time (UTC)", Some(ev.time.to_rfc3339())) }
                { row("Actor (stamped)", ev.actor.clone()) }
                { row("Mailbox", ev.target_mailbox().map(str::to_owned)) }
                { row("Mailbox owner", ev.mailbox_owner.clone()) }
                { row("Client", ev.client_info.clone()) }
                { row("App id", ev.app_id.clone().or_else(|| ev.client_app_id.clone())) }
                { row("Logon type", ev.logon_type.map(|l| l.name().to_owned())) }
                { row("User type", ev.user_type.map(|u| u.name().to_owned())) }
                { row("Client IP", ev.client_ip.clone()) }
                { row("Subject", ev.subject.clone()) }
                { row("Delay", Some(delay_text(e.delay))) }
                { row("Record id", ev.id.clone()) }
                { row("Source", Some(format!("{}:{}", props.source_name, ev.source.line))) }
            </table>
            <h4>{ "Raw record" }</h4>
            {
                match ev.raw.as_deref().map(Some).or_else(|| props.raw.as_ref().map(|raw| raw.as_deref())) {
                    Some(Some(raw)) => html! { <pre class="raw" data-testid="raw-record" tabindex="0" role="region" aria-label="Raw record">{ visible(&pretty(raw)) }</pre> },
                    Some(None) => html! { <p class="muted" data-testid="raw-record-none">{ "The export kept no raw form of this record." }</p> },
                    None => html! { <p class="muted" data-testid="raw-record-loading" aria-busy="true">{ "Reading the raw record…" }</p> },
                }
            }
        </aside>
    }
}
