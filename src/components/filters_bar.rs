//! The filter controls. Every change replaces the whole [`Filters`] value.

use chrono::NaiveDate;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::text::visible;

use crate::filters::Filters;

#[derive(Properties, PartialEq)]
pub struct FiltersBarProps {
    /// The current filter.
    pub filters: Filters,
    /// Sends the noise toggle hides (or would hide).
    pub noise_count: usize,
    /// Sends shown / in all.
    pub shown: usize,
    /// Sends in all.
    pub total: usize,
    /// Workloads in the data, for the workload choice.
    pub workloads: Vec<String>,
    /// Replace the filter.
    pub on_change: Callback<Filters>,
}

#[function_component(FiltersBar)]
pub fn filters_bar(props: &FiltersBarProps) -> Html {
    let f = &props.filters;
    let update = |edit: fn(&mut Filters, String)| {
        let (filters, on_change) = (f.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = filters.clone();
            edit(&mut next, input.value());
            on_change.emit(next);
        })
    };
    let toggle = |edit: fn(&mut Filters, bool)| {
        let (filters, on_change) = (f.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = filters.clone();
            edit(&mut next, input.checked());
            on_change.emit(next);
        })
    };
    let on_text = {
        let (filters, on_change) = (f.clone(), props.on_change.clone());
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_change.emit(Filters { text: input.value(), ..filters.clone() });
        })
    };
    let clear = {
        let on_change = props.on_change.clone();
        Callback::from(move |_| on_change.emit(Filters::default()))
    };
    let chip = |label: &str, value: &Option<String>, edit: fn(&mut Filters)| -> Html {
        match value {
            Some(v) => {
                let (filters, on_change) = (f.clone(), props.on_change.clone());
                html! {
                    <button type="button" class="chip" title="Remove this filter"
                        onclick={Callback::from(move |_| { let mut next = filters.clone(); edit(&mut next); on_change.emit(next); })}>
                        { format!("{label}: {} ✕", visible(v)) }
                    </button>
                }
            }
            None => html! {},
        }
    };
    let on_workload = {
        let (filters, on_change) = (f.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let value = select.value();
            on_change.emit(Filters { workload: (!value.is_empty()).then_some(value), ..filters.clone() });
        })
    };
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    html! {
        <section class="filters" aria-label="Filters">
            <label class="search">
                <span>{ "Search" }</span>
                <input type="search" value={f.text.clone()} oninput={on_text} placeholder="subject, person, mailbox, client…" />
            </label>
            <label>
                <span>{ "From" }</span>
                <input type="date" value={date(f.from)} onchange={update(|f, v| f.from = v.parse().ok())} />
            </label>
            <label>
                <span>{ "To" }</span>
                <input type="date" value={date(f.to)} onchange={update(|f, v| f.to = v.parse().ok())} />
            </label>
            <label>
                <span>{ "Workload" }</span>
                <select onchange={on_workload}>
                    <option value="" selected={f.workload.is_none()}>{ "All workloads" }</option>
                    { for props.workloads.iter().map(|w| html! {
                        <option value={w.clone()} selected={f.workload.as_deref() == Some(w.as_str())}>{ w }</option>
                    }) }
                </select>
            </label>
            <label class="check">
                <input type="checkbox" data-testid="hide-noise" checked={f.hide_noise} onchange={toggle(|f, on| f.hide_noise = on)} />
                <span>{ format!("Hide connector/system noise ({} {})", props.noise_count, if f.hide_noise { "hidden" } else { "events" }) }</span>
            </label>
            <label class="check">
                <input type="checkbox" checked={f.include_send} onchange={toggle(|f, on| f.include_send = on)} />
                <span>{ "Include ordinary Send events" }</span>
            </label>
            { chip("Actor", &f.actor, |f| f.actor = None) }
            { chip("Mailbox", &f.mailbox, |f| f.mailbox = None) }
            <span class="shown" aria-live="polite">{ format!("{} of {} sends shown", props.shown, props.total) }</span>
            if !f.is_default() {
                <button type="button" class="button" onclick={clear}>{ "Clear filters" }</button>
            }
        </section>
    }
}
