//! Findings first: the answer in sentences, each a link to the events behind it.

use sendas_core::report::{Finding, FindingFilter};
use yew::prelude::*;

use crate::text::visible;

#[derive(Properties, PartialEq)]
pub struct FindingsListProps {
    /// The core's findings.
    pub findings: Vec<Finding>,
    /// Show the events behind one.
    pub on_show: Callback<FindingFilter>,
}

#[function_component(FindingsList)]
pub fn findings_list(props: &FindingsListProps) -> Html {
    html! {
        <section class="findings" aria-labelledby="findings-title">
            <h2 id="findings-title">{ "Findings" }</h2>
            <ul>
                { for props.findings.iter().map(|f| {
                    let filter = f.filter.clone();
                    let linked = filter != FindingFilter::default();
                    let on_show = props.on_show.clone();
                    html! {
                        <li class={classes!("finding", format!("finding-{}", f.kind))}>
                            <span>{ visible(&f.text) }</span>
                            if linked {
                                { " " }
                                <button type="button" class="link" onclick={Callback::from(move |_| on_show.emit(filter.clone()))}>
                                    { "Show these events" }
                                </button>
                            }
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
