//! The rejected rows: file, line and reason.

use sendas_core::report::ErrorRow;
use yew::prelude::*;

use crate::text::visible;

#[derive(Properties, PartialEq)]
pub struct RejectedListProps {
    /// The first rejected rows.
    pub errors: Vec<ErrorRow>,
    /// How many were rejected in all.
    pub total: u64,
}

#[function_component(RejectedList)]
pub fn rejected_list(props: &RejectedListProps) -> Html {
    html! {
        <section class="rejected" aria-labelledby="rejected-title" data-testid="rejected-list">
            <h2 id="rejected-title">
                { format!("Rejected rows ({} listed of {})", props.errors.len(), props.total) }
            </h2>
            <table>
                <thead><tr><th scope="col">{ "File" }</th><th scope="col">{ "Line" }</th><th scope="col">{ "Reason" }</th></tr></thead>
                <tbody>
                    { for props.errors.iter().map(|e| html! {
                        <tr><td>{ visible(&e.file) }</td><td class="num">{ e.line }</td><td>{ visible(&e.message) }</td></tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}
