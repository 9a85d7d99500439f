//! Component tests in a real browser (wasm-bindgen-test in headless Chromium): the core runs
//! as Wasm, and components render its results into the DOM as the app does.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use sendas_core::classify::RuleSet;
use sendas_core::kql::{alert_query, classify_query, delays_query, Target};
use sendas_core::model::SendClass;
use sendas_core::report::AlertRule;
use sendas_core::{Analysis, AnalysisResult, SourceMeta};
use sendas_lens_web::components::alert_panel::{AlertPanel, AlertPanelProps};
use sendas_lens_web::components::class_legend::{ClassLegend, ClassLegendProps};
use sendas_lens_web::components::delay_chart::{DelayChart, DelayChartProps};
use sendas_lens_web::components::events_table::{EventsTable, EventsTableProps};
use sendas_lens_web::components::headline::{Headline, HeadlineProps};
use sendas_lens_web::components::kql_panel::{KqlPanel, KqlPanelProps};
use sendas_lens_web::filters::Filters;
use sendas_lens_web::state::{visible_rows, Data, Rows, Sort};
use sendas_lens_web::tuning::AlertForm;
use sendas_lens_web::worker::SAMPLE;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlSelectElement};
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

#[wasm_bindgen_test]
async fn the_alert_panel_shows_what_the_core_evaluates() {
    let result = sample();
    let expected = AlertRule::default().evaluate(&result.sends, &result.rules);
    assert!(expected.alerts_noise_only > 0 && expected.alerts_after_exclusion > 0);
    let div = root();
    let props = AlertPanelProps { data: Data(result), form: AlertForm::default(), on_change: Callback::noop() };
    yew::Renderer::<AlertPanel>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(text(&div, "[data-testid=alert-fired]"), expected.alerts_fired.to_string());
    assert_eq!(text(&div, "[data-testid=alert-noise-only]"), expected.alerts_noise_only.to_string());
    assert_eq!(text(&div, "[data-testid=alert-after-exclusion]"), expected.alerts_after_exclusion.to_string());
    assert_eq!(text(&div, "[data-testid=alert-person-lost]"), "0");
    assert_eq!(text(&div, "[data-testid=alert-exclusion]"), expected.exclusion);
    let rows = div.query_selector_all("[data-testid=alert-windows] tbody tr").unwrap().length() as usize;
    assert_eq!(rows, expected.alerts.len().min(sendas_lens_web::components::alert_panel::SHOWN_WINDOWS));
    // Every input has a label (a real <label> around it).
    let inputs = div.query_selector_all("input, select").unwrap();
    for i in 0..inputs.length() {
        let input: Element = inputs.get(i).unwrap().unchecked_into();
        assert!(input.closest("label").unwrap().is_some(), "{} has no label", input.outer_html());
    }
}

#[wasm_bindgen_test]
async fn a_broken_alert_form_says_why_and_evaluates_nothing() {
    let div = root();
    let props = AlertPanelProps {
        data: Data(sample()),
        form: AlertForm { threshold: "0".into(), ..AlertForm::default() },
        on_change: Callback::noop(),
    };
    yew::Renderer::<AlertPanel>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert!(text(&div, "[data-testid=alert-error]").contains("threshold"));
    assert!(div.query_selector("[data-testid=alert-fired]").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_kql_panel_shows_the_cores_query_as_text_and_switches_target_and_query() {
    let result = sample();
    let rules = result.rules.clone();
    let alert = AlertRule { threshold: 4, ..AlertRule::default() };
    let div = root();
    let props = KqlPanelProps { data: Data(result), alert: Ok(alert.clone()) };
    yew::Renderer::<KqlPanel>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(text(&div, "[data-testid=kql-text]"), classify_query(&rules, Target::Sentinel).unwrap());
    // Comparison operators and quotes stay characters: no element is made from the query.
    assert_eq!(div.query_selector("[data-testid=kql-text]").unwrap().unwrap().child_element_count(), 0);
    let choose = |testid: &str, value: &str| {
        let select: HtmlSelectElement =
            div.query_selector(&format!("[data-testid={testid}]")).unwrap().unwrap().unchecked_into();
        select.set_value(value);
        select.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    };
    choose("kql-query", "alert");
    yew::scheduler::flush().await;
    assert_eq!(text(&div, "[data-testid=kql-text]"), alert_query(&rules, Target::Sentinel, &alert).unwrap());
    choose("kql-target", "defender");
    yew::scheduler::flush().await;
    assert_eq!(text(&div, "[data-testid=kql-text]"), alert_query(&rules, Target::Defender, &alert).unwrap());
    choose("kql-query", "delays");
    yew::scheduler::flush().await;
    assert!(div.query_selector("[data-testid=kql-text]").unwrap().is_none());
    assert!(text(&div, "[data-testid=kql-unavailable]").contains("no ingestion time"));
    let copy: HtmlElement = div.query_selector("[data-testid=kql-copy]").unwrap().unwrap().unchecked_into();
    assert!(copy.has_attribute("disabled"));
    choose("kql-target", "sentinel");
    yew::scheduler::flush().await;
    assert_eq!(text(&div, "[data-testid=kql-text]"), delays_query(Target::Sentinel).unwrap());
    assert_eq!(rules, RuleSet::default(), "the worker's table today");
}

#[wasm_bindgen_test]
async fn without_arrival_times_the_delay_chart_shows_the_generated_query() {
    let div = root();
    let props = DelayChartProps { bins: Vec::new(), delays: Default::default(), note: None, workload: None };
    yew::Renderer::<DelayChart>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(text(&div, "[data-testid=delays-kql]"), delays_query(Target::Sentinel).unwrap());
}

#[wasm_bindgen_test]
async fn a_tenant_rules_text_stays_text_in_both_panels() {
    use sendas_core::classify::{Condition, Field, Rule};
    let hostile = "<img src=x onerror=alert(1)>\u{202e}gnp.exe";
    let mut rules = RuleSet::default();
    rules.rules[0] = Rule {
        name: "noise".into(),
        class: SendClass::Connector,
        explanation: String::new(),
        condition: Condition::Contains { field: Field::ClientInfo, any_of: vec![hostile.into()] },
    };
    // The sample classified with them, as the worker does when the rules change.
    let mut result = Rc::try_unwrap(sample()).expect("one owner");
    result.reclassify(rules);
    let data = Data(Rc::new(result));
    let div = root();
    let props = AlertPanelProps { data: data.clone(), form: AlertForm::default(), on_change: Callback::noop() };
    yew::Renderer::<AlertPanel>::with_root_and_props(div.clone(), props).render();
    let kql = root();
    yew::Renderer::<KqlPanel>::with_root_and_props(
        kql.clone(),
        KqlPanelProps { data, alert: Ok(AlertRule::default()) },
    )
    .render();
    yew::scheduler::flush().await;
    let exclusion = text(&div, "[data-testid=alert-exclusion]");
    assert!(exclusion.contains("<img src=x onerror=alert(1)>[U+202E]gnp.exe"), "{exclusion}");
    let query = text(&kql, "[data-testid=kql-text]");
    assert!(query.contains("<img src=x onerror=alert(1)>[U+202E]gnp.exe"), "{query}");
    assert!(!query.contains('\u{202e}'), "no raw bidi control on screen");
    for root in [&div, &kql] {
        assert!(root.query_selector("img").unwrap().is_none(), "no element made from a rule's text");
    }
}
