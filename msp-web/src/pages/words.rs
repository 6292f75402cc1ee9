//! Values as people read them: dates, durations, statuses, communes,
//! attachment codes, plurals.

use msp_core::backend::StatusEntry;
use msp_core::status::label_fr;

/// A date and time as people read them.
pub fn when(t: &chrono::NaiveDateTime) -> String {
    t.format("%d/%m/%Y %H:%M").to_string()
}

/// A log time stamp (`2026-11-29 05:00:00`) as people read it.
pub(super) fn stamp(s: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .map(|t| t.format("%d/%m/%Y %H:%M:%S").to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// A duration in words.
pub fn age(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} j", secs / 86_400),
    }
}

/// A status with its French label.
pub fn status_text(status: u16) -> String {
    format!("{status} — {}", label_fr(status))
}

/// The communes the configuration names (a client's `commune`), by INSEE
/// code: the console shows "Belfort (90010)" where it would show a code.
/// Only a code a client lists names it (not a client's `"*"`).
#[derive(Debug, Clone, Default)]
pub struct Towns(std::collections::HashMap<String, String>);

impl Towns {
    /// The names of `config`'s clients (the first client naming a code).
    pub fn of(config: &msp_core::config::Config) -> Towns {
        let mut names = std::collections::HashMap::new();
        for c in &config.clients {
            let Some(name) = c.commune.as_deref().map(str::trim) else {
                continue;
            };
            for code in c.insee.iter().filter(|k| *k != "*") {
                names
                    .entry(code.clone())
                    .or_insert_with(|| name.to_string());
            }
        }
        Towns(names)
    }

    /// "Belfort (90010)", or the code alone when no client names it.
    pub fn show(&self, insee: &str) -> String {
        match self.0.get(insee) {
            Some(name) => format!("{name} ({insee})"),
            None => insee.to_string(),
        }
    }
}

/// Whether a status of the history has reached the portal, in words. The
/// indicator is 0 (not transmitted) or 2 (transmitted, its return archive
/// written); a 1, written by a business application, counts as
/// transmitted, and so does a status whose return flow is recorded.
pub fn transmission(h: &StatusEntry) -> String {
    match (h.indicator, h.return_increment) {
        (2, _) => "transmis au portail".to_string(),
        (0, Some(n)) => format!("en cours d'envoi (retour n° {n})"),
        (0, None) if h.cancelled || h.superseded => "jamais transmis".to_string(),
        (0, None) => "pas encore transmis".to_string(),
        (i, _) => format!("considéré comme transmis (indicateur {i})"),
    }
}

/// What an attachment's code (the portal's `PieceJointe/Code`) means,
/// when it is one the console knows.
pub fn attachment_kind(code: &str) -> Option<&'static str> {
    match code {
        "JI" => Some("justificatif d'identité"),
        "JD" => Some("justificatif de domicile"),
        "recapPDF" => Some("récapitulatif de la demande"),
        "AUTRE" => Some("autre pièce"),
        _ => None,
    }
}

/// French agreement: the singular for 0 and 1, the plural from 2.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n > 1 {
        many
    } else {
        one
    }
}
