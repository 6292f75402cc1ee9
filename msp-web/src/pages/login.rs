//! The sign-in page.

use maud::{html, Markup};

use super::{csrf, layout, Frame, Section};

/// Sign-in page.
pub fn login(frame: &Frame<'_>, error: Option<&str>, name: &str) -> Markup {
    let body = html! {
        h1 { "Connexion" }
        @if let Some(e) = error { p class="flash bad" role="alert" { (e) } }
        form method="post" action="/connexion" {
            (csrf(frame.csrf))
            div class="field" {
                label for="nom" { "Identifiant" }
                input type="text" id="nom" name="nom" value=(name) autocomplete="username" required autofocus[error.is_none()];
            }
            div class="field" {
                label for="mot_de_passe" { "Mot de passe" }
                input type="password" id="mot_de_passe" name="mot_de_passe" autocomplete="current-password" required;
            }
            p { button type="submit" { "Se connecter" } }
        }
    };
    layout("Connexion", Section::None, frame, body)
}
