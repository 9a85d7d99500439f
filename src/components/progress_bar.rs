//! Reading progress, with Cancel.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProgressBarProps {
    /// File being read.
    pub file: String,
    /// Bytes read.
    pub bytes: u64,
    /// Bytes in all.
    pub total: u64,
    /// Records read.
    pub rows: u64,
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
    html! {
        <section class="progress" aria-live="polite">
            <label for="read-progress">
                { format!("Reading {}: {} of {}, {} records", props.file, megabytes(props.bytes), megabytes(props.total), props.rows) }
            </label>
            <progress id="read-progress" data-testid="progress" max={props.total.max(1).to_string()} value={props.bytes.to_string()}></progress>
            <button type="button" class="button" data-testid="cancel" onclick={on_cancel}>{ "Cancel" }</button>
        </section>
    }
}
