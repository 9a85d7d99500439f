//! Component tests in a real browser (wasm-bindgen-test in headless Chromium): the core runs
//! as Wasm, and components render its results into the DOM as the app does.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use sendas_core::model::SendClass;
use sendas_core::{Analysis, AnalysisResult, SourceMeta};
use sendas_lens_web::components::class_legend::{ClassLegend, ClassLegendProps};
use sendas_lens_web::components::events_table::{EventsTable, EventsTableProps};
use sendas_lens_web::components::headline::{Headline, HeadlineProps};
use sendas_lens_web::filters::Filters;
use sendas_lens_web::state::{visible_rows, Data, Rows, Sort};
use sendas_lens_web::worker::SAMPLE;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn root() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no {selector}")).text_content().unwrap_or_default()
}

fn sample() -> Rc<AnalysisResult> {
    let mut analysis = Analysis::default();
    analysis.read_source(SourceMeta { name: "sample".into(), exported_at: None }, SAMPLE).unwrap();
    Rc::new(analysis.finish())
}

#[wasm_bindgen_test]
async fn headline_numbers_are_plain_integers_from_the_core() {
    let result = sample();
    let div = root();
    let props = HeadlineProps { summary: result.summary.clone(), on_rejected: Callback::noop(), rejected_open: false };
    yew::Renderer::<Headline>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(text(&div, "[data-testid=rows-read]"), "233");
    assert_eq!(text(&div, "[data-testid=send-events]"), "131");
    assert_eq!(text(&div, "[data-testid=rejected]"), "0");
    assert!(div.query_selector("[data-testid=unusable-inputs]").unwrap().is_none(), "every input was usable");
}

#[wasm_bindgen_test]
async fn an_unusable_input_is_named_with_its_reason_as_text() {
    let mut analysis = Analysis::default();
    analysis.read_source(SourceMeta { name: "sample".into(), exported_at: None }, SAMPLE).unwrap();
    let name = "<b>notes</b>\u{202e}vsc.txt";
    let unusable = analysis.read_source(SourceMeta { name: name.into(), exported_at: None }, b"just some notes\n");
    assert!(unusable.is_err());
    let summary = analysis.finish().summary;
    let reason = summary.unusable_inputs[0].reason.clone();
    let div = root();
    let props = HeadlineProps { summary, on_rejected: Callback::noop(), rejected_open: false };
    yew::Renderer::<Headline>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    let shown = text(&div, "[data-testid=unusable-inputs]");
    assert_eq!(shown, format!("Not read: <b>notes</b>[U+202E]vsc.txt: {reason}"));
    assert!(div.query_selector("[data-testid=unusable-inputs] b").unwrap().is_none(), "the name stays text");
    assert!(text(&div, "[data-testid=sources]").contains("[U+202E]vsc.txt (not read)"));
    assert_eq!(text(&div, "[data-testid=rows-read]"), "233");
}

#[wasm_bindgen_test]
async fn the_legend_counts_classes_and_asks_to_filter() {
    let result = sample();
    let div = root();
    let clicked = Rc::new(RefCell::new(Vec::new()));
    let log = clicked.clone();
    let props = ClassLegendProps {
        counts: result.summary.by_class,
        selected: vec![],
        on_toggle: Callback::from(move |c: SendClass| log.borrow_mut().push(c)),
    };
    yew::Renderer::<ClassLegend>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(text(&div, "[data-testid=class-count-connector]"), "84");
    assert_eq!(text(&div, "[data-testid=class-count-unknown]"), "1");
    let button: HtmlElement = div.query_selector("button").unwrap().unwrap().unchecked_into();
    button.click();
    assert_eq!(*clicked.borrow(), vec![SendClass::Connector]);
}

#[wasm_bindgen_test]
async fn the_table_renders_only_the_rows_in_view() {
    let result = sample();
    let filters = Filters { include_send: true, ..Filters::default() };
    let rows = visible_rows(&result.sends, &filters, Sort::default());
    assert_eq!(rows.len(), 131);
    let div = root();
    let props = EventsTableProps {
        data: Data(result),
        rows: Rows(Rc::new(rows)),
        sort: Sort::default(),
        selected: None,
        on_sort: Callback::noop(),
        on_select: Callback::noop(),
    };
    yew::Renderer::<EventsTable>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    let table = div.query_selector("[data-testid=events-table]").unwrap().unwrap();
    let rendered = table.query_selector_all("tr.row").unwrap().length();
    assert!(rendered > 10 && rendered < 40, "{rendered} rows in the DOM for 131 sends");
    assert!(text(&div, "h3").contains("131"));
}
