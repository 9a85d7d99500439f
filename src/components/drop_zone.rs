//! Getting data in: drop files, pick files, or try the sample.

use web_sys::{DragEvent, File, FileList, HtmlInputElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    /// Files chosen or dropped.
    pub on_files: Callback<Vec<File>>,
    /// The sample was asked for.
    pub on_sample: Callback<()>,
    /// Smaller once data is loaded.
    pub compact: bool,
}

fn files_of(list: Option<FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

#[function_component(DropZone)]
pub fn drop_zone(props: &DropZoneProps) -> Html {
    let dragging = use_state(|| false);
    let on_drag_over = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Without preventDefault the browser opens the file instead of firing `drop`.
            e.prevent_default();
            dragging.set(true);
        })
    };
    let on_drag_leave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_drop = {
        let (dragging, on_files) = (dragging.clone(), props.on_files.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            let files = files_of(e.data_transfer().and_then(|d| d.files()));
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };
    let on_change = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = files_of(input.files());
            // Clear, so choosing the same file again still fires `change`.
            input.set_value("");
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };
    let on_sample = {
        let on_sample = props.on_sample.clone();
        Callback::from(move |_| on_sample.emit(()))
    };
    html! {
        <section class={classes!("drop-zone", (*dragging).then_some("dragging"), props.compact.then_some("compact"))}
            data-testid="drop-zone"
            ondragover={on_drag_over.clone()} ondragenter={on_drag_over}
            ondragleave={on_drag_leave} ondrop={on_drop}
            aria-label="Load audit exports">
            <p class="drop-title">{ "Drop audit log exports here" }</p>
            <p class="drop-help">
                { "Purview or compliance-center CSV, Search-UnifiedAuditLog CSV, Management API JSON or NDJSON, Graph audit query JSON, Sentinel OfficeActivity CSV, Search-MailboxAuditLog CSV. Several files at once are merged." }
            </p>
            <div class="drop-actions">
                // The input stays focusable (Tab, then Enter or Space opens the picker); its label
                // is the visible button and shows the focus ring.
                <input id="file-input" class="visually-hidden" type="file" multiple=true
                    accept=".csv,.json,.jsonl,.ndjson,.txt" data-testid="file-input" onchange={on_change} />
                <label class="button primary" for="file-input">{ "Choose files…" }</label>
                <button type="button" class="button" data-testid="load-sample" onclick={on_sample}>
                    { "Try the sample" }
                </button>
            </div>
            <p class="drop-privacy">{ "Files are read in this browser tab only. Nothing is uploaded." }</p>
        </section>
    }
}
