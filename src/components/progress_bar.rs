//! Reading progress, with Cancel.

use sendas_core::Progress;
use yew::prelude::*;

use crate::text::visible;

#[derive(Properties, PartialEq)]
pub struct ProgressBarProps {
    /// How far reading has come.
    pub progress: Progress,
    /// Stop reading.
    pub on_cancel: Callback<()>,
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

#[function_component(ProgressBar)]
pub fn progress_bar(props: &ProgressBarProps) -> Html {
    let on_cancel = {
        let cb = props.on_cancel.clone();
        Callback::from(move |_| cb.emit(()))
    };
    let Progress { file, bytes, total, rows } = &props.progress;
    html! {
        <section class="progress" aria-live="polite">
            <label for="read-progress">
                { format!("Reading {}: {} of {}, {rows} records", visible(file), megabytes(*bytes), megabytes(*total)) }
            </label>
            <progress id="read-progress" data-testid="progress" max={(*total).max(1).to_string()} value={bytes.to_string()}></progress>
            <button type="button" class="button" data-testid="cancel" onclick={on_cancel}>{ "Cancel" }</button>
        </section>
    }
}
