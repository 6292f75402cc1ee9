//! The list tables the pages share: a frame that scrolls on a narrow
//! screen, a caption for screen readers, a row of column headers.

use maud::{html, Markup};

/// A list table: `head` (the column headers) over `rows`, captioned
/// `caption` for screen readers only.
pub(super) fn listing(caption: &str, head: Markup, rows: Markup) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                caption class="skip" { (caption) }
                thead { tr { (head) } }
                tbody { (rows) }
            }
        }
    }
}

/// Column headers, one per name.
pub(super) fn headers(names: &[&str]) -> Markup {
    html! {
        @for name in names {
            th scope="col" { (name) }
        }
    }
}
