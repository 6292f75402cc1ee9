//! The pages, in French, as maud templates (every value is escaped by
//! construction). No script: forms and links only.

use maud::{html, Markup};

mod dashboard;
mod dossier;
mod dossiers;
mod layout;
mod login;
mod rejects;
mod sync;
mod table;
mod words;

pub use dashboard::{dashboard, Dashboard};
pub use dossier::{dossier, DossierView, Draft};
pub use dossiers::{dossier_href, dossiers, encode, DossierFilter, DossierList, PAGE};
pub use layout::{csrf, layout, Frame, Section};
pub use login::login;
pub use rejects::{rejects, HeldBack, RejectsView};
pub use sync::{sync_result, SyncOutcome};
pub use words::{age, attachment_kind, plural, status_text, transmission, when, Towns};

/// An error page.
pub fn error(frame: &Frame<'_>, title: &str, text: &str) -> Markup {
    let body = html! {
        h1 { (title) }
        p { (text) }
        p { a href="/" { "Retour au tableau de bord" } }
    };
    layout(title, Section::None, frame, body)
}

/// The stylesheet, embedded in the binary.
pub const CSS: &str = include_str!("../../assets/msp.css");
