//! How late the log is: per workload, a histogram of delays on log-spaced bins, the
//! cumulative share, the percentiles, and bounded arrivals as ranges. Where the input has no
//! arrival times, it says so and how to get them.

use std::collections::BTreeMap;

use sendas_core::kql::{delays_query, Target};
use sendas_core::report::{human_duration, DelayBin, DelayStats, MAX_PLAUSIBLE_DELAY_SECONDS};
use yew::prelude::*;

use crate::chart::{nice_ceiling, scale};

#[derive(Properties, PartialEq)]
pub struct DelayChartProps {
    /// Bins, in order.
    pub bins: Vec<DelayBin>,
    /// Figures per workload.
    pub delays: BTreeMap<String, DelayStats>,
    /// Why delays are unknown, where they are.
    pub note: Option<String>,
    /// Only this workload, if filtered.
    pub workload: Option<String>,
}

const LEFT: f64 = 40.0;
const PLOT_W: f64 = 420.0;
const PLOT_H: f64 = 150.0;
const TOP: f64 = 12.0;

fn workload_panel(name: &str, bins: &[DelayBin], d: &DelayStats) -> Html {
    let counts: Vec<u64> = (0..bins.len())
        .map(|i| {
            d.histogram
                .get(i)
                .copied()
                .unwrap_or(0)
                .max(d.bounded_at_least.get(i).copied().unwrap_or(0))
                .max(d.bounded_at_most.get(i).copied().unwrap_or(0))
        })
        .collect();
    let max = nice_ceiling(counts.iter().copied().max().unwrap_or(0));
    let bin_w = PLOT_W / bins.len().max(1) as f64;
    let fmt = |v: Option<i64>| v.map_or_else(|| "–".to_owned(), human_duration);
    let cdf_points: Vec<String> = d
        .cdf
        .iter()
        .enumerate()
        .map(|(i, share)| format!("{:.1},{:.1}", LEFT + (i as f64 + 1.0) * bin_w, TOP + PLOT_H - share * PLOT_H))
        .collect();
    let height = TOP + PLOT_H + 52.0;
    html! {
        <div class="delay-panel">
            <h4>{ name }</h4>
            <p class="stats">
                { format!("{} measured: p50 {}, p90 {}, p99 {}, max {}", d.measured, fmt(d.p50_seconds), fmt(d.p90_seconds), fmt(d.p99_seconds), fmt(d.max_seconds)) }
                if d.bounded > 0 {
                    <br />{ format!("{} bounded between exports: typically between {} and {} late", d.bounded, fmt(d.bounded_min_p50_seconds), fmt(d.bounded_max_p50_seconds)) }
                }
                if d.negative + d.implausible > 0 {
                    <br /><span data-testid="delays-left-out">{ format!("left out: {} arrived before they happened, {} over {}", d.negative, d.implausible, human_duration(MAX_PLAUSIBLE_DELAY_SECONDS)) }</span>
                }
            </p>
            <svg width={(LEFT + PLOT_W + 40.0).to_string()} viewBox={format!("0 0 {} {height}", LEFT + PLOT_W + 40.0)} role="img"
                aria-label={format!("Histogram of {name} delays between event and arrival in the log")}>
                <line class="axis" x1={LEFT.to_string()} x2={(LEFT + PLOT_W).to_string()} y1={(TOP + PLOT_H).to_string()} y2={(TOP + PLOT_H).to_string()} />
                { for bins.iter().enumerate().map(|(i, bin)| {
                    let x = LEFT + i as f64 * bin_w;
                    let n = d.histogram.get(i).copied().unwrap_or(0);
                    let low = d.bounded_at_least.get(i).copied().unwrap_or(0);
                    let high = d.bounded_at_most.get(i).copied().unwrap_or(0);
                    html! { <g>
                        if n > 0 {
                            <rect class="delay-bar" x={(x + bin_w * 0.15).to_string()} y={(TOP + PLOT_H - scale(n, max, PLOT_H)).to_string()}
                                width={(bin_w * 0.7).to_string()} height={scale(n, max, PLOT_H).to_string()}>
                                <title>{ format!("{name}: {n} events arrived {}", bin.label) }</title>
                            </rect>
                        }
                        if low > 0 {
                            <rect class="bound-low" x={(x + bin_w * 0.2).to_string()} y={(TOP + PLOT_H - scale(low, max, PLOT_H)).to_string()}
                                width={(bin_w * 0.25).to_string()} height={scale(low, max, PLOT_H).to_string()}>
                                <title>{ format!("{name}: {low} bounded events were at least {} late", bin.label) }</title>
                            </rect>
                        }
                        if high > 0 {
                            <rect class="bound-high" x={(x + bin_w * 0.55).to_string()} y={(TOP + PLOT_H - scale(high, max, PLOT_H)).to_string()}
                                width={(bin_w * 0.25).to_string()} height={scale(high, max, PLOT_H).to_string()}>
                                <title>{ format!("{name}: {high} bounded events were at most {} late", bin.label) }</title>
                            </rect>
                        }
                        <text class="x-label" x={(x + bin_w / 2.0).to_string()} y={(TOP + PLOT_H + 14.0).to_string()} text-anchor="middle">{ &bin.label }</text>
                    </g> }
                }) }
                if d.measured > 0 {
                    <polyline class="cdf" points={format!("{LEFT},{} {}", TOP + PLOT_H, cdf_points.join(" "))}>
                        <title>{ "Cumulative share of events arrived by the end of each bin" }</title>
                    </polyline>
                    <text class="tick" x={(LEFT + PLOT_W + 4.0).to_string()} y={(TOP + 4.0).to_string()}>{ "100%" }</text>
                }
                <text class="tick" x={(LEFT - 6.0).to_string()} y={(TOP + 4.0).to_string()} text-anchor="end">{ max }</text>
                <text class="tick" x={(LEFT - 6.0).to_string()} y={(TOP + PLOT_H).to_string()} text-anchor="end">{ "0" }</text>
                <text class="axis-label" x={(LEFT + PLOT_W / 2.0).to_string()} y={(height - 6.0).to_string()} text-anchor="middle">{ "Delay from event to arrival in the log" }</text>
            </svg>
            <ul class="chart-key" aria-label="Key">
                <li><span class="swatch delay-bar" aria-hidden="true"></span>{ "measured events" }</li>
                <li><span class="swatch cdf-key" aria-hidden="true"></span>{ "cumulative share" }</li>
                if d.bounded > 0 {
                    <li><span class="swatch bound-low" aria-hidden="true"></span>{ "bounded: least delay" }</li>
                    <li><span class="swatch bound-high" aria-hidden="true"></span>{ "bounded: greatest delay" }</li>
                }
            </ul>
        </div>
    }
}

#[function_component(DelayChart)]
pub fn delay_chart(props: &DelayChartProps) -> Html {
    let shown: Vec<(&String, &DelayStats)> = props
        .delays
        .iter()
        .filter(|(w, d)| d.measured + d.bounded > 0 && props.workload.as_ref().is_none_or(|f| f == *w))
        .collect();
    html! {
        <section class="chart wide delays" data-testid="chart-delays" aria-labelledby="delays-title">
            <h3 id="delays-title">{ "How late is the log?" }</h3>
            if shown.is_empty() {
                <div class="no-data">
                    <p>{ props.note.clone().unwrap_or_else(|| "No arrival times in these inputs.".to_owned()) }</p>
                    <p>{ "In Microsoft Sentinel, this query measures it per workload from each event's ingestion time. The \"Use it in Sentinel / Defender\" panel below has it too, beside a classify query whose CSV export loads back here with its arrival times." }</p>
                    // The one generated query, as the CLI's `kql --query delays` prints it.
                    <pre data-testid="delays-kql" tabindex="0" role="region" aria-label="KQL that measures the log's delay">
                        { delays_query(Target::Sentinel).unwrap_or_else(|e| e.to_string()) }
                    </pre>
                </div>
            } else {
                <div class="delay-grid">
                    { for shown.into_iter().map(|(name, d)| workload_panel(name, &props.bins, d)) }
                </div>
                if let Some(note) = &props.note {
                    <p class="hint">{ note }</p>
                }
            }
        </section>
    }
}
