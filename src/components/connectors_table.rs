//! The connectors: whose name their cards carry, and which Group mailbox they fill.

use sendas_core::report::ConnectorRow;
use yew::prelude::*;

use crate::text::visible;

#[derive(Properties, PartialEq)]
pub struct ConnectorsTableProps {
    /// Connectors, most cards first.
    pub rows: Vec<ConnectorRow>,
    /// Filter on a connector's mailbox.
    pub on_mailbox: Callback<String>,
}

#[function_component(ConnectorsTable)]
pub fn connectors_table(props: &ConnectorsTableProps) -> Html {
    html! {
        <section class="connectors" aria-labelledby="connectors-title">
            <h3 id="connectors-title">{ "Office 365 connectors" }</h3>
            if props.rows.is_empty() {
                <p class="empty">{ "No connector cards in these exports." }</p>
            } else {
                <p class="hint">{ "Each card a connector writes is logged as SendAs under the name of the account that created the connector. Nobody sent these." }</p>
                <table>
                    <thead><tr>
                        <th scope="col">{ "Stamped as (creator)" }</th><th scope="col">{ "Group mailbox" }</th>
                        <th scope="col" class="num">{ "Cards" }</th><th scope="col">{ "First" }</th><th scope="col">{ "Last" }</th>
                    </tr></thead>
                    <tbody>
                        { for props.rows.iter().map(|r| {
                            let mailbox = r.mailbox.clone();
                            let on_mailbox = props.on_mailbox.clone();
                            html! { <tr>
                                <td>{ visible(&r.stamped_as) }</td>
                                <td><button type="button" class="link" onclick={Callback::from(move |_| on_mailbox.emit(mailbox.clone()))}>{ visible(&r.mailbox) }</button></td>
                                <td class="num">{ r.events }</td>
                                <td>{ r.first.format("%Y-%m-%d %H:%M").to_string() }</td>
                                <td>{ r.last.format("%Y-%m-%d %H:%M").to_string() }</td>
                            </tr> }
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
