//! The inputs read, the ones that could not be and why, and the headline numbers. Each number
//! holds a plain integer as its text (tests read them).

use sendas_core::report::Summary;
use yew::prelude::*;

use crate::text::visible;

#[derive(Properties, PartialEq)]
pub struct HeadlineProps {
    /// The report.
    pub summary: Summary,
    /// Show the rejected rows.
    pub on_rejected: Callback<()>,
    /// Whether the rejected list is open.
    pub rejected_open: bool,
}

#[function_component(Headline)]
pub fn headline(props: &HeadlineProps) -> Html {
    let s = &props.summary;
    let connector_share = if s.send_events > 0 {
        format!("{:.0}%", s.by_class.connector as f64 * 100.0 / s.send_events as f64)
    } else {
        "–".to_owned()
    };
    let card = |testid: &'static str, value: u64, label: &'static str| {
        html! {
            <div class="card">
                <span class="card-value" data-testid={testid}>{ value }</span>
                <span class="card-label">{ label }</span>
            </div>
        }
    };
    let on_rejected = {
        let cb = props.on_rejected.clone();
        Callback::from(move |_| cb.emit(()))
    };
    html! {
        <>
        <p class="sources" data-testid="sources">
            { "Loaded: " }
            { for s.sources.iter().enumerate().map(|(i, src)| html! {
                <>
                    if i > 0 { { "; " } }
                    <strong>{ visible(&src.name) }</strong>
                    { match (&src.format, &src.error) {
                        // Why is said on its own line below, with the other unusable inputs.
                        (_, Some(_)) => " (not read)".to_owned(),
                        (Some(format), None) => format!(" ({format}, {} records)", src.rows_read),
                        (None, None) => String::new(),
                    } }
                </>
            }) }
        </p>
        if !s.unusable_inputs.is_empty() {
            // Each input on its own line (`.error` keeps line breaks); names and reasons as text.
            <p class="error" role="status" data-testid="unusable-inputs">
                { s.unusable_inputs.iter().map(|input| format!("Not read: {}: {}", visible(&input.file), visible(&input.reason)))
                    .collect::<Vec<_>>().join("\n") }
            </p>
        }
        <section class="headline" aria-label="Totals">
            { card("rows-read", s.rows_read, "rows read") }
            { card("events", s.events, "events") }
            <button type="button" class="card card-button" aria-expanded={props.rejected_open.to_string()}
                disabled={s.rejected == 0} onclick={on_rejected}
                title="List the rejected rows with file, line and reason">
                <span class="card-value" data-testid="rejected">{ s.rejected }</span>
                <span class="card-label">{ "rejected rows" }</span>
            </button>
            { card("duplicates", s.duplicates, "duplicates") }
            { card("send-events", s.send_events, "send-type events") }
            <div class="card">
                <span class="card-value" data-testid="connector-share">{ connector_share }</span>
                <span class="card-label">{ "connector noise" }</span>
            </div>
        </section>
        </>
    }
}
