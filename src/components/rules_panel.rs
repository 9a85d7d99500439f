//! "Tenant rules": the tenant's own rules in the table the app classifies with, where each
//! stands among the built-in ones; a form to add one, Remove, Import a rules file (refused whole
//! with the JSON path of the fault), Export the table as `sendas-lens rules --json` prints it, and
//! back to the built-in rules. The logic is `crate::tenant_rules` (tested natively); this renders
//! and hands a new table to the page, which keeps it and has the sends classified again.

use std::rc::Rc;

use sendas_core::classify::RuleSet;
use sendas_core::model::SendClass;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::download::save_text;
use crate::tenant_rules::{departures, encode, listed, Place, RuleForm, Test, EXPORT_NAME};
use crate::text::visible;

#[derive(Properties, PartialEq)]
pub struct RulesPanelProps {
    /// The rule table in use.
    pub rules: Rc<RuleSet>,
    /// Why the last import (or the kept rules) was refused, if it was.
    pub error: Option<String>,
    /// Use this table.
    pub on_change: Callback<RuleSet>,
    /// Say why something was refused (nothing of it is used).
    pub on_error: Callback<String>,
}

#[function_component(RulesPanel)]
pub fn rules_panel(props: &RulesPanelProps) -> Html {
    let form = use_state(RuleForm::default);
    let form_error = use_state(|| None::<String>);

    let edit = |change: fn(&mut RuleForm, String)| {
        let form = form.clone();
        move |value: String| {
            let mut next = (*form).clone();
            change(&mut next, value);
            form.set(next);
        }
    };
    let on_input = |change: fn(&mut RuleForm, String)| {
        let apply = edit(change);
        Callback::from(move |e: InputEvent| apply(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_select = |change: fn(&mut RuleForm, String)| {
        let apply = edit(change);
        Callback::from(move |e: Event| apply(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_values = {
        let apply = edit(|f, v| f.values = v);
        Callback::from(move |e: InputEvent| apply(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };

    let on_add = {
        let (form, form_error, rules, on_change) =
            (form.clone(), form_error.clone(), props.rules.clone(), props.on_change.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match form.add_to(&rules) {
                Ok(next) => {
                    form_error.set(None);
                    form.set(RuleForm::default());
                    on_change.emit(next);
                }
                Err(why) => form_error.set(Some(why)),
            }
        })
    };
    let on_import = {
        let (on_change, on_error) = (props.on_change.clone(), props.on_error.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            // The same file can be chosen again after it is fixed.
            input.set_value("");
            let (on_change, on_error) = (on_change.clone(), on_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                let text = JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
                match text.map(|t| crate::tenant_rules::decode(&t)) {
                    Some(Ok(rules)) => on_change.emit(rules),
                    Some(Err(why)) => on_error.emit(format!("{name} was not used: {why}")),
                    None => on_error.emit(format!("{name} could not be read.")),
                }
            });
        })
    };
    let on_export = {
        let rules = props.rules.clone();
        Callback::from(move |_| {
            let _ = save_text(EXPORT_NAME, "application/json", &encode(&rules));
        })
    };
    let on_reset = {
        let on_change = props.on_change.clone();
        Callback::from(move |_| on_change.emit(RuleSet::default()))
    };

    let own = listed(&props.rules);
    let warnings = departures(&props.rules);
    let built_in = *props.rules == RuleSet::default();

    html! {
        <section class="panel rules-panel" data-testid="rules-panel" aria-labelledby="rules-title">
            <h2 id="rules-title">{ "Tenant rules" }</h2>
            <p class="hint">
                { "Rules of your own, for senders the built-in rules cannot know (a scanner account, an in-house connector's app id). The first rule that matches decides; a rule placed first decides before every built-in rule. Changing the rules classifies the loaded sends again without reading the files again, and they are kept in this browser (the rules only, never audit data). The KQL and the alert's exclusion use them too." }
            </p>
            if let Some(error) = &props.error {
                <p class="error" role="alert" data-testid="rules-error">{ visible(error) }</p>
            }
            if !warnings.is_empty() {
                <ul class="rules-warnings" data-testid="rules-departures">
                    { for warnings.iter().map(|w| html! { <li>{ visible(w) }</li> }) }
                </ul>
            }
            <h3 id="rules-list-title">{ format!("Your rules ({})", own.len()) }</h3>
            if own.is_empty() {
                <p class="empty" data-testid="rules-none">{ "None: the built-in rules decide every send." }</p>
            } else {
                <ul class="rules-list" data-testid="rules-list" aria-labelledby="rules-list-title">
                    { for own.iter().map(|item| {
                        let name = item.rule.name.clone();
                        let on_remove = {
                            let (rules, on_change, name) = (props.rules.clone(), props.on_change.clone(), name.clone());
                            Callback::from(move |_| on_change.emit(crate::tenant_rules::remove(&rules, &name)))
                        };
                        html! {
                            <li class="rule-item" data-testid="rule-item">
                                <div class="rule-head">
                                    <code class="rule-name" data-testid="rule-name">{ visible(&name) }</code>
                                    <span class="rule-class" data-testid="rule-class">
                                        <span class={classes!("swatch", super::class_legend::css(item.rule.class))} aria-hidden="true"></span>
                                        { item.rule.class.name() }
                                    </span>
                                    <span class="rule-position" data-testid="rule-position">{ visible(&item.position) }</span>
                                    <button type="button" class="button small" data-testid="rule-remove"
                                        aria-label={format!("Remove rule {}", visible(&name))} onclick={on_remove}>{ "Remove" }</button>
                                </div>
                                <p class="rule-condition" data-testid="rule-condition"><span class="muted">{ "When: " }</span>{ visible(&item.condition) }</p>
                                <p class="rule-explanation">{ visible(&item.rule.explanation) }</p>
                            </li>
                        }
                    }) }
                </ul>
            }
            <h3>{ "Add a rule" }</h3>
            <form class="rule-form" data-testid="rule-form" onsubmit={on_add} novalidate=true>
                <label>
                    <span>{ "Name" }</span>
                    <input type="text" data-testid="rule-form-name" value={form.name.clone()} autocomplete="off"
                        spellcheck="false" placeholder="scanner-sends-for-staff" oninput={on_input(|f, v| f.name = v)} />
                </label>
                <label>
                    <span>{ "Class" }</span>
                    <select data-testid="rule-form-class" onchange={on_select(|f, v| {
                        if let Some(class) = SendClass::ALL.into_iter().find(|c| c.name() == v) { f.class = class; }
                    })}>
                        { for SendClass::ALL.into_iter().map(|c| html! {
                            <option value={c.name()} selected={form.class == c}>{ c.name() }</option>
                        }) }
                    </select>
                </label>
                <label>
                    <span>{ "Test" }</span>
                    <select data-testid="rule-form-test" onchange={on_select(|f, v| {
                        if let Some(test) = Test::from_name(&v) { f.test = test; }
                    })}>
                        { for Test::ALL.into_iter().map(|t| html! {
                            <option value={t.name()} selected={form.test == t}>{ t.label() }</option>
                        }) }
                    </select>
                </label>
                <label class="wide">
                    <span>{ if form.test == Test::ClientInfoContains { "Values (any of; one per line)" } else { "Values (any of; commas or one per line)" } }</span>
                    <textarea rows="2" data-testid="rule-form-values" value={form.values.clone()} spellcheck="false"
                        placeholder="scanner@contoso.com" oninput={on_values} />
                </label>
                <label class="wide">
                    <span>{ "Explanation (optional)" }</span>
                    <input type="text" data-testid="rule-form-explanation" value={form.explanation.clone()} autocomplete="off"
                        oninput={on_input(|f, v| f.explanation = v)} />
                </label>
                <label>
                    <span>{ "Place" }</span>
                    <select data-testid="rule-form-place" onchange={on_select(|f, v| {
                        f.place = if v == "last" { Place::Last } else { Place::First };
                    })}>
                        <option value="first" selected={form.place == Place::First}>{ "First, before the built-in rules" }</option>
                        <option value="last" selected={form.place == Place::Last}>{ "Last, after the built-in rules" }</option>
                    </select>
                </label>
                <button type="submit" class="button primary" data-testid="rule-form-add">{ "Add rule" }</button>
            </form>
            if let Some(why) = &*form_error {
                <p class="error" role="alert" data-testid="rule-form-error">{ visible(why) }</p>
            }
            <div class="rules-actions">
                <input id="rules-file-input" class="visually-hidden" type="file" accept=".json,application/json"
                    data-testid="rules-file-input" onchange={on_import} />
                <label class="button" for="rules-file-input">{ "Import rules (JSON)…" }</label>
                <button type="button" class="button" data-testid="rules-export" onclick={on_export}>{ "Export rules (JSON)" }</button>
                <button type="button" class="button" data-testid="rules-reset" disabled={built_in} onclick={on_reset}>{ "Use the built-in rules" }</button>
            </div>
            <p class="hint">{ "The file is the one sendas-lens rules --json prints; the CLI reads an export with --rules FILE." }</p>
        </section>
    }
}
