//! Sends per actor, stacked by class: who is stamped on the sends, and what they really are.

use sendas_core::model::SendClass;
use sendas_core::report::ActorRow;
use yew::prelude::*;

use crate::text::visible;

use super::class_legend::{chart_key, css, label, on_activate_key};
use crate::chart::{nice_ceiling, scale, stack, ticks, truncate};

#[derive(Properties, PartialEq)]
pub struct AttributionChartProps {
    /// Actors, most sends first.
    pub rows: Vec<ActorRow>,
    /// Filter on an actor.
    pub on_actor: Callback<String>,
}

const SHOWN: usize = 12;
const LABEL_W: f64 = 210.0;
const PLOT_W: f64 = 430.0;
const ROW_H: f64 = 26.0;
const TOP: f64 = 8.0;

#[function_component(AttributionChart)]
pub fn attribution_chart(props: &AttributionChartProps) -> Html {
    let rows: Vec<&ActorRow> = props.rows.iter().take(SHOWN).collect();
    let max = nice_ceiling(rows.iter().map(|r| r.total).max().unwrap_or(0));
    let plot_h = ROW_H * rows.len().max(1) as f64;
    let height = TOP + plot_h + 44.0;
    let width = LABEL_W + PLOT_W + 20.0;
    let present: Vec<SendClass> =
        SendClass::ALL.into_iter().filter(|c| rows.iter().any(|r| r.by_class.get(*c) > 0)).collect();
    html! {
        <figure class="chart" data-testid="chart-attribution">
            <figcaption><h3>{ "Who is stamped on the sends" }</h3>
                <p class="hint">{ format!("Send-type events per stamped actor (top {SHOWN}), by what they really are. Click a bar to filter.") }</p>
            </figcaption>
            if rows.is_empty() {
                <p class="empty">{ "No sends match the filter." }</p>
            } else {
                <svg width={width.to_string()} viewBox={format!("0 0 {width} {height}")} role="group" aria-label="Stacked bar chart of sends per actor by class">
                    { for ticks(max, 4).into_iter().map(|t| {
                        let x = LABEL_W + scale(t, max, PLOT_W);
                        html! { <g class="tick">
                            <line x1={x.to_string()} x2={x.to_string()} y1={TOP.to_string()} y2={(TOP + plot_h).to_string()} />
                            <text x={x.to_string()} y={(TOP + plot_h + 14.0).to_string()} text-anchor="middle">{ t }</text>
                        </g> }
                    }) }
                    { for rows.iter().enumerate().map(|(i, row)| {
                        let y = TOP + i as f64 * ROW_H;
                        let actor = row.actor.clone();
                        let on_actor = props.on_actor.clone();
                        let activate = Callback::from(move |()| on_actor.emit(actor.clone()));
                        let onclick = activate.reform(|_: MouseEvent| ());
                        let onkeydown = on_activate_key(activate);
                        // The button's name says the actor (untruncated) and the count. The label and the
                        // total drawn for the eye sit outside it, hidden from assistive technology (they
                        // repeat the name), under a transparent rect that makes the whole row clickable.
                        html! {
                            <>
                                <g class="bar-text" aria-hidden="true">
                                    <text class="row-label" x={(LABEL_W - 8.0).to_string()} y={(y + ROW_H * 0.65).to_string()} text-anchor="end">
                                        { truncate(&row.actor, 30) }
                                    </text>
                                    <text class="bar-total" x={(LABEL_W + scale(row.total, max, PLOT_W) + 4.0).to_string()} y={(y + ROW_H * 0.65).to_string()}>{ row.total }</text>
                                </g>
                                <g class="bar-row" {onclick} {onkeydown} tabindex="0" role="button"
                                    aria-label={format!("{}: {} sends. Filter on this actor", visible(&row.actor), row.total)}>
                                    <rect class="hit" x="2" y={y.to_string()} width={(LABEL_W + PLOT_W - 2.0).to_string()} height={ROW_H.to_string()} />
                                    { for stack(&row.by_class).into_iter().map(|(class, offset, n)| html! {
                                        <rect class={classes!("seg", css(class))}
                                            x={(LABEL_W + scale(offset, max, PLOT_W)).to_string()} y={(y + 4.0).to_string()}
                                            width={scale(n, max, PLOT_W).max(1.0).to_string()} height={(ROW_H - 8.0).to_string()}>
                                            <title>{ format!("{}: {n} {} send{}", visible(&row.actor), label(class).to_lowercase(), if n == 1 { "" } else { "s" }) }</title>
                                        </rect>
                                    }) }
                                </g>
                            </>
                        }
                    }) }
                    <text class="axis-label" x={(LABEL_W + PLOT_W / 2.0).to_string()} y={(height - 6.0).to_string()} text-anchor="middle">{ "Send-type events" }</text>
                </svg>
                { chart_key(present) }
            }
        </figure>
    }
}
