//! Who sends as which mailbox: actors down, mailboxes across, cells coloured by the
//! dominant class and shaded by count.

use std::collections::BTreeMap;

use sendas_core::model::SendClass;
use sendas_core::report::MatrixCell;
use yew::prelude::*;

use crate::text::visible;

use super::class_legend::{chart_key, css, label, on_activate_key};
use crate::chart::{dominant, truncate};

#[derive(Properties, PartialEq)]
pub struct MatrixChartProps {
    /// Actor → mailbox cells, most sends first.
    pub cells: Vec<MatrixCell>,
    /// Filter on an actor and a mailbox.
    pub on_cell: Callback<(String, String)>,
}

const MAX_SIDE: usize = 10;
const LABEL_W: f64 = 200.0;
const HEAD_H: f64 = 120.0;
const CELL: f64 = 34.0;

/// The labels with the most sends, at most `MAX_SIDE`, in descending order.
fn top_labels(cells: &[MatrixCell], pick: fn(&MatrixCell) -> &String) -> Vec<String> {
    let mut totals: BTreeMap<&String, u64> = BTreeMap::new();
    for c in cells {
        *totals.entry(pick(c)).or_default() += c.total;
    }
    let mut sorted: Vec<(&String, u64)> = totals.into_iter().collect();
    sendas_core::sorting::sort_stable_by(&mut sorted, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    sorted.into_iter().take(MAX_SIDE).map(|(l, _)| l.clone()).collect()
}

#[function_component(MatrixChart)]
pub fn matrix_chart(props: &MatrixChartProps) -> Html {
    let actors = top_labels(&props.cells, |c| &c.actor);
    let mailboxes = top_labels(&props.cells, |c| &c.mailbox);
    let max = props.cells.iter().map(|c| c.total).max().unwrap_or(1).max(1);
    // Room on the right for the last column's slanted label.
    let width = LABEL_W + CELL * mailboxes.len().max(1) as f64 + 110.0;
    let height = HEAD_H + CELL * actors.len().max(1) as f64 + 10.0;
    let shown: Vec<&MatrixCell> =
        props.cells.iter().filter(|c| actors.contains(&c.actor) && mailboxes.contains(&c.mailbox)).collect();
    let present: Vec<SendClass> =
        SendClass::ALL.into_iter().filter(|k| shown.iter().any(|c| dominant(&c.by_class) == *k)).collect();
    html! {
        <figure class="chart" data-testid="chart-matrix">
            <figcaption><h3>{ "Who sends as which mailbox" }</h3>
                <p class="hint">{ "Rows: stamped actor. Columns: mailbox sent as or on behalf of. Darker: more sends. Click a cell to filter." }</p>
            </figcaption>
            if shown.is_empty() {
                <p class="empty">{ "No sends match the filter." }</p>
            } else {
                <svg width={width.to_string()} viewBox={format!("0 0 {width} {height}")} role="group" aria-label="Matrix of actors and the mailboxes they sent as">
                    { for mailboxes.iter().enumerate().map(|(j, m)| {
                        let x = LABEL_W + (j as f64 + 0.5) * CELL;
                        html! { <text class="col-label" transform={format!("translate({x} {}) rotate(-50)", HEAD_H - 6.0)}>{ truncate(m, 22) }</text> }
                    }) }
                    { for actors.iter().enumerate().map(|(i, a)| html! {
                        <text class="row-label" x={(LABEL_W - 8.0).to_string()} y={(HEAD_H + (i as f64 + 0.62) * CELL).to_string()} text-anchor="end">{ truncate(a, 28) }</text>
                    }) }
                    { for shown.iter().map(|c| {
                        let i = actors.iter().position(|a| *a == c.actor).unwrap_or(0);
                        let j = mailboxes.iter().position(|m| *m == c.mailbox).unwrap_or(0);
                        let class = dominant(&c.by_class);
                        let opacity = 0.35 + 0.65 * (c.total as f64 / max as f64);
                        let key = (c.actor.clone(), c.mailbox.clone());
                        let on_cell = props.on_cell.clone();
                        let activate = Callback::from(move |()| on_cell.emit(key.clone()));
                        let (x, y) = (LABEL_W + j as f64 * CELL, HEAD_H + i as f64 * CELL);
                        html! {
                            <g class="cell" tabindex="0" role="button"
                                aria-label={format!("{} as {}: {} sends. Filter on both", visible(&c.actor), visible(&c.mailbox), c.total)}
                                onclick={activate.reform(|_: MouseEvent| ())} onkeydown={on_activate_key(activate.clone())}>
                                <rect class={classes!("seg", css(class))} x={(x + 1.0).to_string()} y={(y + 1.0).to_string()}
                                    width={(CELL - 2.0).to_string()} height={(CELL - 2.0).to_string()} fill-opacity={format!("{opacity:.2}")}>
                                    <title>{ format!("{} → {}: {} sends, mostly {}", visible(&c.actor), visible(&c.mailbox), c.total, label(class).to_lowercase()) }</title>
                                </rect>
                                <text class="cell-count" x={(x + CELL / 2.0).to_string()} y={(y + CELL * 0.62).to_string()} text-anchor="middle">{ c.total }</text>
                            </g>
                        }
                    }) }
                </svg>
                { chart_key(present) }
            }
        </figure>
    }
}
