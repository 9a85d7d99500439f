//! The page's components, one per file. They render what the core computed and dispatch
//! [`crate::state::Action`]s; none of them parses or aggregates audit data itself.

pub mod alert_panel;
pub mod app;
pub mod attribution_chart;
pub mod class_legend;
pub mod connectors_table;
pub mod delay_chart;
pub mod detail_panel;
pub mod drop_zone;
pub mod events_table;
pub mod filters_bar;
pub mod findings_list;
pub mod headline;
pub mod kql_panel;
pub mod matrix_chart;
pub mod progress_bar;
pub mod rejected_list;
pub mod rules_panel;
pub mod timeline_chart;
pub mod update_banner;
