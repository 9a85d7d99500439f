//! Sends over time, stacked by class, per hour or per day as the range suggests.

use sendas_core::model::SendClass;
use sendas_core::report::{ClassCounts, TimeBucket, Timeline};
use yew::prelude::*;

use super::class_legend::{chart_key, css, label};
use crate::chart::{nice_ceiling, scale, stack, ticks};

#[derive(Properties, PartialEq)]
pub struct TimelineChartProps {
    /// The core's timeline (non-empty buckets).
    pub timeline: Timeline,
}

const LEFT: f64 = 44.0;
const PLOT_W: f64 = 900.0;
const PLOT_H: f64 = 180.0;
const TOP: f64 = 10.0;

#[function_component(TimelineChart)]
pub fn timeline_chart(props: &TimelineChartProps) -> Html {
    let t = &props.timeline;
    let (Some(first), Some(last)) = (t.rows.first(), t.rows.last()) else {
        return html! {
            <figure class="chart" data-testid="chart-timeline">
                <figcaption><h3>{ "Sends over time" }</h3></figcaption>
                <p class="empty">{ "No sends match the filter." }</p>
            </figure>
        };
    };
    let step = t.bucket.seconds();
    let start = first.start.timestamp();
    let buckets = ((last.start.timestamp() - start) / step + 1).max(1) as usize;
    let mut dense = vec![ClassCounts::default(); buckets];
    for row in &t.rows {
        let i = ((row.start.timestamp() - start) / step) as usize;
        if let Some(slot) = dense.get_mut(i) {
            slot.merge(&row.by_class);
        }
    }
    let max = nice_ceiling(dense.iter().map(|c| c.total()).max().unwrap_or(0));
    let bar_w = PLOT_W / buckets as f64;
    let every = (buckets / 8).max(1);
    let unit = match t.bucket {
        TimeBucket::Hour => "hour",
        TimeBucket::Day => "day",
    };
    let present: Vec<SendClass> = SendClass::ALL.into_iter().filter(|c| dense.iter().any(|d| d.get(*c) > 0)).collect();
    let height = TOP + PLOT_H + 48.0;
    html! {
        <figure class="chart wide" data-testid="chart-timeline">
            <figcaption><h3>{ "Sends over time" }</h3>
                <p class="hint">{ format!("Send-type events per {unit} (UTC), by class.") }</p>
            </figcaption>
            <svg width={(LEFT + PLOT_W + 10.0).to_string()} viewBox={format!("0 0 {} {height}", LEFT + PLOT_W + 10.0)} role="img" aria-label={format!("Stacked bar chart of sends per {unit}")}>
                { for ticks(max, 4).into_iter().map(|v| {
                    let y = TOP + PLOT_H - scale(v, max, PLOT_H);
                    html! { <g class="tick">
                        <line x1={LEFT.to_string()} x2={(LEFT + PLOT_W).to_string()} y1={y.to_string()} y2={y.to_string()} />
                        <text x={(LEFT - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ v }</text>
                    </g> }
                }) }
                { for dense.iter().enumerate().map(|(i, counts)| {
                    let x = LEFT + i as f64 * bar_w;
                    let when = chrono::DateTime::from_timestamp(start + i as i64 * step, 0).unwrap_or_default();
                    let when_text = match t.bucket {
                        TimeBucket::Hour => when.format("%d %b %H:00").to_string(),
                        TimeBucket::Day => when.format("%d %b").to_string(),
                    };
                    html! { <g>
                        { for stack(counts).into_iter().map(|(class, offset, n)| {
                            let y = TOP + PLOT_H - scale(offset + n, max, PLOT_H);
                            html! { <rect class={classes!("seg", css(class))} x={(x + bar_w * 0.1).to_string()} y={y.to_string()}
                                width={(bar_w * 0.8).max(0.5).to_string()} height={scale(n, max, PLOT_H).to_string()}>
                                <title>{ format!("{when_text}: {n} {}", label(class).to_lowercase()) }</title>
                            </rect> }
                        }) }
                        if i % every == 0 {
                            <text class="x-label" x={(x + bar_w / 2.0).to_string()} y={(TOP + PLOT_H + 14.0).to_string()} text-anchor="middle">{ when_text.clone() }</text>
                        }
                    </g> }
                }) }
                <text class="axis-label" x={(LEFT + PLOT_W / 2.0).to_string()} y={(height - 6.0).to_string()} text-anchor="middle">{ format!("Time (UTC, per {unit})") }</text>
                <text class="axis-label" transform={format!("translate(12 {}) rotate(-90)", TOP + PLOT_H / 2.0)} text-anchor="middle">{ "Sends" }</text>
            </svg>
            { chart_key(present) }
        </figure>
    }
}
