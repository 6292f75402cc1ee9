//! The frame around every page: the menu, the signed-in user, the message
//! shown once.

use maud::{html, Markup, DOCTYPE};

use crate::auth::Flash;

/// Which menu entry a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Tableau de bord.
    Dashboard,
    /// Dossiers.
    Dossiers,
    /// Rejets.
    Rejects,
    /// None (sign-in, errors).
    None,
}

/// What every page knows about its visitor.
pub struct Frame<'a> {
    /// The signed-in user, if any.
    pub user: Option<&'a str>,
    /// The session's CSRF token (forms carry it).
    pub csrf: &'a str,
    /// A message to show once.
    pub flash: Option<Flash>,
}

/// The hidden CSRF field of a form.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// The page around `body`.
pub fn layout(title: &str, section: Section, frame: &Frame<'_>, body: Markup) -> Markup {
    let item = |s: Section, href: &str, text: &str| {
        html! {
            li { a href=(href) aria-current=[(section == s).then_some("page")] { (text) } }
        }
    };
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — msp" }
                link rel="stylesheet" href="/static/msp.css";
            }
            body {
                a class="skip" href="#contenu" { "Aller au contenu" }
                header {
                    a class="brand" href="/" { "msp — Ma démarche en ligne" }
                    @if section != Section::None || frame.user.is_some() {
                        nav aria-label="Menu principal" {
                            ul {
                                (item(Section::Dashboard, "/", "Tableau de bord"))
                                (item(Section::Dossiers, "/dossiers", "Dossiers"))
                                (item(Section::Rejects, "/rejets", "Rejets"))
                            }
                        }
                    }
                    @if let Some(user) = frame.user {
                        div class="who" {
                            span { "Connecté : " (user) }
                            form class="inline" method="post" action="/deconnexion" {
                                (csrf(frame.csrf))
                                button type="submit" { "Se déconnecter" }
                            }
                        }
                    }
                }
                main id="contenu" tabindex="-1" {
                    @if let Some(f) = &frame.flash {
                        div class=(if f.ok { "flash ok" } else { "flash bad" })
                            role=(if f.ok { "status" } else { "alert" }) { (f.text) }
                    }
                    (body)
                }
            }
        }
    }
}
