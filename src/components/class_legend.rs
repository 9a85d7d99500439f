//! Class colours and names, shared by every chart; clicking a class filters on it.

use sendas_core::model::SendClass;
use sendas_core::report::ClassCounts;
use yew::prelude::*;

/// Human label of a class.
pub fn label(class: SendClass) -> &'static str {
    match class {
        SendClass::Connector => "Connector",
        SendClass::System => "System",
        SendClass::Application => "Application",
        SendClass::Admin => "Admin",
        SendClass::Owner => "Owner",
        SendClass::Delegate => "Delegate",
        SendClass::Unknown => "Unknown",
    }
}

/// CSS class that colours a shape by send class.
pub fn css(class: SendClass) -> String {
    format!("c-{}", class.name())
}

#[derive(Properties, PartialEq)]
pub struct ClassLegendProps {
    /// Counts shown beside each class (all sends, unfiltered).
    pub counts: ClassCounts,
    /// Classes currently selected (empty: all).
    pub selected: Vec<SendClass>,
    /// Toggle a class in the filter.
    pub on_toggle: Callback<SendClass>,
}

/// The legend with a count per class: each count has `data-testid="class-count-<class>"`.
#[function_component(ClassLegend)]
pub fn class_legend(props: &ClassLegendProps) -> Html {
    html! {
        <ul class="legend" aria-label="Send classes">
            { for SendClass::ALL.into_iter().map(|class| {
                let on_toggle = props.on_toggle.clone();
                let pressed = props.selected.contains(&class);
                html! {
                    <li>
                        <button type="button" class={classes!("legend-item", pressed.then_some("pressed"))}
                            aria-pressed={pressed.to_string()}
                            title={format!("Show only {} sends (click again to show all)", label(class).to_lowercase())}
                            onclick={Callback::from(move |_| on_toggle.emit(class))}>
                            <span class={classes!("swatch", css(class))} aria-hidden="true"></span>
                            <span class="legend-name">{ label(class) }</span>
                            <span class="legend-count" data-testid={format!("class-count-{}", class.name())}>
                                { props.counts.get(class) }
                            </span>
                        </button>
                    </li>
                }
            }) }
        </ul>
    }
}

/// A small, static key for one chart: the classes it draws.
pub fn chart_key(classes: impl IntoIterator<Item = SendClass>) -> Html {
    html! {
        <ul class="chart-key" aria-label="Colour key">
            { for classes.into_iter().map(|class| html! {
                <li><span class={classes!("swatch", css(class))} aria-hidden="true"></span>{ label(class) }</li>
            }) }
        </ul>
    }
}

/// Keyboard access for a clickable chart shape: Enter or Space does what a click does.
pub fn on_activate_key(action: Callback<()>) -> Callback<KeyboardEvent> {
    Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            action.emit(());
        }
    })
}
