//! SendAs Lens in the browser: a Yew app that renders what the core computes, and the Web
//! Worker that runs the core. Two binaries (`src/bin/app.rs`, `src/bin/worker.rs`) start them.

pub mod bridge;
pub mod chart;
pub mod components;
pub mod download;
pub mod filters;
pub mod parts;
pub mod protocol;
pub mod rules;
pub mod state;
pub mod tenant_rules;
pub mod text;
pub mod timing;
pub mod tuning;
pub mod worker;
pub mod workers;

/// Mounts the app on the page body.
pub fn start_app() {
    yew::Renderer::<components::app::App>::new().render();
}
