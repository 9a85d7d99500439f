//! The browser face of SendAs Lens. This placeholder: the real UI lands with the app issue.

use yew::prelude::*;

/// The page.
#[function_component(App)]
pub fn app() -> Html {
    html! {
        <main>
            <h1>{ "SendAs Lens" }</h1>
            <p>{ format!("Core ready: {} classification rules loaded.", sendas_core::classify::default_rules().len()) }</p>
        </main>
    }
}

/// Mounts the app on the page body.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
