//! The sends, one row each: virtualised (only the rows in view exist in the DOM), sortable,
//! and each row opens the detail panel.

use sendas_core::report::{human_duration, Delay};
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

use super::class_legend::{css, label};
use crate::state::{Column, Data, Rows, Sort};
use crate::text::visible;

#[derive(Properties, PartialEq)]
pub struct EventsTableProps {
    /// The analysis.
    pub data: Data,
    /// Rows to show, in order.
    pub rows: Rows,
    /// Current order.
    pub sort: Sort,
    /// The open row.
    pub selected: Option<usize>,
    /// Sort on a column.
    pub on_sort: Callback<Column>,
    /// Open a row.
    pub on_select: Callback<Option<usize>>,
}

/// Row height in pixels (fixed: the virtualisation depends on it; see `.events td` in CSS).
const ROW_H: f64 = 34.0;
/// Height of the scrolling viewport.
const VIEW_H: f64 = 476.0;
/// Rows rendered above and below the viewport, so fast scrolling shows no gaps.
const OVERSCAN: usize = 8;

/// The slice of rows to render for a scroll position: `(first, end)`.
pub fn window(scroll_top: f64, total: usize) -> (usize, usize) {
    let first = ((scroll_top / ROW_H).floor().max(0.0) as usize).saturating_sub(OVERSCAN).min(total);
    let count = (VIEW_H / ROW_H).ceil() as usize + 2 * OVERSCAN;
    (first, (first + count).min(total))
}

/// A delay as the table and the detail panel show it.
pub fn delay_text(delay: Option<Delay>) -> String {
    match delay {
        Some(Delay::Measured { seconds }) => human_duration(seconds),
        Some(Delay::Bounded { min_seconds, max_seconds }) => {
            format!("{}–{}", human_duration(min_seconds), human_duration(max_seconds))
        }
        None => "–".to_owned(),
    }
}

#[function_component(EventsTable)]
pub fn events_table(props: &EventsTableProps) -> Html {
    let scroll_top = use_state(|| 0.0f64);
    let on_scroll = {
        let scroll_top = scroll_top.clone();
        Callback::from(move |e: Event| {
            let el: Element = e.target_unchecked_into();
            scroll_top.set(el.scroll_top() as f64);
        })
    };
    let rows = &props.rows.0;
    let sends = &props.data.0.sends;
    let (first, end) = window(*scroll_top, rows.len());
    let header = |column: Column, title: &'static str| {
        let on_sort = props.on_sort.clone();
        let sorted = props.sort.column == column;
        let aria = match (sorted, props.sort.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        };
        html! {
            <th scope="col" aria-sort={aria}>
                <button type="button" class="sort" onclick={Callback::from(move |_| on_sort.emit(column))}>
                    { title }{ if sorted { if props.sort.descending { " ▼" } else { " ▲" } } else { "" } }
                </button>
            </th>
        }
    };
    html! {
        <section class="events" aria-labelledby="events-title">
            <h3 id="events-title">{ format!("Send events ({})", rows.len()) }</h3>
            <div class="table-scroll" onscroll={on_scroll} data-testid="events-table" tabindex="0" aria-label="Send events table">
                <table>
                    <colgroup>
                        <col class="w-time" /><col class="w-op" /><col class="w-class" /><col class="w-actor" />
                        <col class="w-mailbox" /><col class="w-subject" /><col class="w-delay" />
                    </colgroup>
                    <thead>
                        <tr>
                            { header(Column::Time, "Time (UTC)") }
                            { header(Column::Operation, "Operation") }
                            { header(Column::Class, "Class") }
                            { header(Column::Actor, "Actor") }
                            { header(Column::Mailbox, "Mailbox") }
                            <th scope="col">{ "Subject" }</th>
                            { header(Column::Delay, "Delay") }
                        </tr>
                    </thead>
                    <tbody>
                        <tr class="spacer" aria-hidden="true"><td colspan="7" style={format!("height:{}px", first as f64 * ROW_H)}></td></tr>
                        { for rows[first..end].iter().map(|&i| {
                            let e = &sends[i];
                            let selected = props.selected == Some(i);
                            let on_select = props.on_select.clone();
                            let open = on_select.clone();
                            let onkeydown = Callback::from(move |k: KeyboardEvent| {
                                if k.key() == "Enter" || k.key() == " " {
                                    k.prevent_default();
                                    open.emit(Some(i));
                                }
                            });
                            html! {
                                <tr key={i} class={classes!("row", selected.then_some("selected"))} tabindex="0"
                                    aria-selected={selected.to_string()}
                                    onclick={Callback::from(move |_| on_select.emit(Some(i)))} {onkeydown}>
                                    <td>{ e.event.time.format("%Y-%m-%d %H:%M:%S").to_string() }</td>
                                    <td>{ visible(&e.event.operation) }</td>
                                    <td><span class={classes!("swatch", css(e.classification.class))} aria-hidden="true"></span>{ label(e.classification.class) }</td>
                                    <td title={visible(e.actor_label())}>{ visible(e.actor_label()) }</td>
                                    <td title={visible(e.mailbox_label())}>{ visible(e.mailbox_label()) }</td>
                                    <td title={visible(e.event.subject.as_deref().unwrap_or_default())}>{ visible(e.event.subject.as_deref().unwrap_or_default()) }</td>
                                    <td class="num">{ delay_text(e.delay) }</td>
                                </tr>
                            }
                        }) }
                        <tr class="spacer" aria-hidden="true"><td colspan="7" style={format!("height:{}px", (rows.len() - end) as f64 * ROW_H)}></td></tr>
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_the_viewport_and_stays_in_bounds() {
        assert_eq!(window(0.0, 0), (0, 0));
        let (first, end) = window(0.0, 1_000_000);
        assert_eq!(first, 0);
        assert!(end as f64 * ROW_H >= VIEW_H);
        let (first, end) = window(340_000.0 * ROW_H, 1_000_000);
        assert_eq!(first, 340_000 - OVERSCAN);
        assert!(end - first < 40, "only a screenful is rendered");
        assert_eq!(window(1e12, 100), (100, 100));
    }
}
