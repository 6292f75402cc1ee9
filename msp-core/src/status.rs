//! The status state machine of PROTOCOL §5, as data plus one function.
//!
//! [`RULES`] lists, for each status, the changes an agent may make while it
//! is not transmitted (indicator 0) and once it is (indicator 1 or 2), and
//! whether it may be cancelled. [`decide`] applies them to a requested
//! [`Action`] and answers with the [`Change`] to record, or a refusal that
//! names the rule.

use std::fmt;

/// The statuses of PROTOCOL §5.
pub const STATUSES: [u16; 7] = [14, 15, 16, 17, 19, 20, 100];

/// Statuses whose transmission makes msp close the dossier (automatic 100).
pub const AUTO_CLOSE_AFTER: [u16; 3] = [15, 19, 20];

/// The closed status.
pub const CLOSED: u16 = 100;

/// What an agent may do from one status.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The status.
    pub status: u16,
    /// Allowed targets while it is not transmitted.
    pub untransmitted: &'static [u16],
    /// Allowed targets once transmitted.
    pub transmitted: &'static [u16],
    /// Whether it may be cancelled while not transmitted.
    pub cancellable: bool,
}

/// PROTOCOL §5, one line per status.
pub const RULES: [Rule; 7] = [
    Rule {
        status: 14,
        untransmitted: &[],
        transmitted: &[15, 16, 100],
        cancellable: false,
    },
    Rule {
        status: 15,
        untransmitted: &[16, 100],
        transmitted: &[],
        cancellable: false,
    },
    Rule {
        status: 16,
        untransmitted: &[15, 17, 19, 100],
        transmitted: &[17, 19, 100],
        cancellable: false,
    },
    Rule {
        status: 17,
        untransmitted: &[16, 100],
        transmitted: &[19, 20, 100],
        cancellable: false,
    },
    Rule {
        status: 19,
        untransmitted: &[],
        transmitted: &[],
        cancellable: true,
    },
    Rule {
        status: 20,
        untransmitted: &[17, 100],
        transmitted: &[],
        cancellable: false,
    },
    // 100 is cancellable unless automatic (checked in `decide`).
    Rule {
        status: 100,
        untransmitted: &[],
        transmitted: &[],
        cancellable: true,
    },
];

/// The rule of a status.
pub fn rule(status: u16) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.status == status)
}

/// The current status of a dossier, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Current {
    /// Status code.
    pub status: u16,
    /// Transmitted (indicator 1 or 2, or its return flow already recorded).
    pub transmitted: bool,
    /// Recorded automatically by msp.
    pub automatic: bool,
}

/// What an agent asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Move to this status.
    Set(u16),
    /// Cancel the current, untransmitted status.
    Cancel,
}

/// What to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Append `status` (indicator 0); when `supersedes`, the current status
    /// was not transmitted and is marked superseded (never sent).
    Set {
        /// The new status.
        status: u16,
        /// Whether the current status is superseded.
        supersedes: bool,
    },
    /// Remove the current status and restore the one before it.
    Cancel,
}

/// A refused change, naming the rule: in English for logs and the command
/// line (`.0`), in plain French for the clerk (`.1`, the web console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String, pub String);

impl Refused {
    /// The refusal in plain French words.
    pub fn french(&self) -> &str {
        &self.1
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn list(v: &[u16]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
    }
}

/// `16 (dossier en cours de traitement)`.
fn named(status: u16) -> String {
    format!("{status} ({})", label_fr(status))
}

fn list_fr(v: &[u16]) -> String {
    if v.is_empty() {
        "aucun".into()
    } else {
        v.iter().map(|s| named(*s)).collect::<Vec<_>>().join(", ")
    }
}

/// Decides whether `action` is allowed from `current`.
pub fn decide(current: Current, action: Action) -> Result<Change, Refused> {
    let c = current.status;
    let r = rule(c).ok_or_else(|| {
        Refused(
            format!("{c} is not a known status"),
            format!("Le statut actuel {c} n'est pas un statut connu."),
        )
    })?;
    match action {
        Action::Cancel => decide_cancel(current, r),
        Action::Set(t) => decide_set(current, r, t),
    }
}

/// Whether the current status (whose rule is `r`) may be cancelled.
fn decide_cancel(current: Current, r: &Rule) -> Result<Change, Refused> {
    let c = current.status;
    if current.transmitted {
        return Err(Refused(
            format!("cancel is only allowed while the current status is not transmitted, and {c} has been transmitted"),
            format!("Impossible d'annuler : le statut {} a déjà été transmis au portail.", named(c)),
        ));
    }
    if !r.cancellable {
        return Err(Refused(
            format!("cancel is only allowed for an untransmitted 19 or a manual 100, not for {c}"),
            format!("Seul un statut 19 ou une clôture manuelle (100) non encore transmis peut être annulé, pas le statut {}.", named(c)),
        ));
    }
    if c == CLOSED && current.automatic {
        return Err(Refused(
            "an automatic closure (100) cannot be cancelled".into(),
            "Une clôture automatique (100) ne peut pas être annulée.".into(),
        ));
    }
    Ok(Change::Cancel)
}

/// Whether the current status (whose rule is `r`) may change to `t`.
fn decide_set(current: Current, r: &Rule, t: u16) -> Result<Change, Refused> {
    let c = current.status;
    if rule(t).is_none() {
        return Err(Refused(
            format!("{t} is not a status (known: {})", list(&STATUSES)),
            format!(
                "{t} n'est pas un statut (statuts possibles : {}).",
                list(&STATUSES)
            ),
        ));
    }
    let (allowed, other) = if current.transmitted {
        (r.transmitted, r.untransmitted)
    } else {
        (r.untransmitted, r.transmitted)
    };
    if allowed.contains(&t) {
        return Ok(Change::Set {
            status: t,
            supersedes: !current.transmitted,
        });
    }
    if other.contains(&t) {
        return Err(if current.transmitted {
            Refused(
                format!("{c} → {t} is only allowed while {c} has not been transmitted"),
                format!("Le passage de {} à {} n'est possible que tant que le statut {c} n'a pas été transmis au portail ; il l'a été.", named(c), named(t)),
            )
        } else {
            Refused(
                format!("{c} → {t} is only allowed once {c} has been transmitted"),
                format!("Le passage de {} à {} n'est possible qu'une fois le statut {c} transmis au portail : lancez d'abord une synchronisation.", named(c), named(t)),
            )
        });
    }
    if current.transmitted && AUTO_CLOSE_AFTER.contains(&c) {
        return Err(Refused(
            format!("{c} → {t} is refused: {c} has been transmitted, msp closes the dossier automatically (100)"),
            format!("Le statut {} a été transmis au portail : le dossier va être clos automatiquement (100), il ne peut plus changer de statut.", named(c)),
        ));
    }
    if c == CLOSED && current.transmitted {
        return Err(Refused(
            format!("{c} → {t} is refused: the dossier is closed (100 is final)"),
            "Le dossier est clos (100) : son statut ne peut plus changer.".into(),
        ));
    }
    Err(not_allowed(current, r, allowed, t))
}

/// The refusal of a change the rules do not list, with the changes that
/// are possible (`allowed`) and why.
fn not_allowed(current: Current, r: &Rule, allowed: &[u16], t: u16) -> Refused {
    let c = current.status;
    let state = if current.transmitted {
        "transmitted"
    } else {
        "not transmitted"
    };
    // Why the list is what it is: whether the current status has
    // been transmitted, said as a cause.
    let since = if current.transmitted {
        format!("Le statut {c} ayant été transmis au portail")
    } else {
        format!("Le statut {c} n'ayant pas encore été transmis au portail")
    };
    let choices = if !allowed.is_empty() {
        format!("les statuts possibles sont : {}", list_fr(allowed))
    } else if !current.transmitted && r.cancellable && !(c == CLOSED && current.automatic) {
        "il peut seulement être annulé".to_string()
    } else {
        "aucun changement de statut n'est possible pour l'instant".to_string()
    };
    Refused(
        format!(
            "{c} → {t} is not an allowed change (from {c} {state}: {})",
            list(allowed)
        ),
        format!(
            "Le passage de {} à {} n'est pas permis. {since}, {choices}.",
            named(c),
            named(t),
        ),
    )
}

/// A French sentence as it reads after a colon: its first letter in lower
/// case ("Dossier A-1 : le passage de 14…"), unless its first word is an
/// acronym or a code (`SIRET`, `A-2-…`).
pub fn after_colon(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second))
            if first.is_uppercase() && !second.is_uppercase() && second != '-' =>
        {
            first
                .to_lowercase()
                .chain(sentence[first.len_utf8()..].chars())
                .collect()
        }
        _ => sentence.to_string(),
    }
}

/// The French label of a status, for texts people read.
pub fn label_fr(status: u16) -> &'static str {
    match status {
        14 => "dossier importé",
        15 => "dossier non recevable",
        16 => "dossier en cours de traitement",
        17 => "dossier en attente d'informations complémentaires",
        19 => "dossier traité / accepté",
        20 => "dossier refusé",
        100 => "dossier clos",
        _ => "statut inconnu",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PROTOCOL §5, written out as the table reads: (current, indicator 0 list, indicator 2 list).
    const TABLE: [(u16, &[u16], &[u16]); 7] = [
        (14, &[], &[15, 16, 100]),
        (15, &[16, 100], &[]),
        (16, &[15, 17, 19, 100], &[17, 19, 100]),
        (17, &[16, 100], &[19, 20, 100]),
        (19, &[], &[]),
        (20, &[17, 100], &[]),
        (100, &[], &[]),
    ];

    #[test]
    fn every_combination_is_allowed_or_refused_as_the_protocol_says() {
        let mut checked = 0;
        for (status, untransmitted, transmitted) in TABLE {
            for tr in [false, true] {
                for automatic in [false, true] {
                    for target in STATUSES {
                        let cur = Current {
                            status,
                            transmitted: tr,
                            automatic,
                        };
                        let expected = if tr { transmitted } else { untransmitted };
                        let got = decide(cur, Action::Set(target));
                        if expected.contains(&target) {
                            assert_eq!(
                                got,
                                Ok(Change::Set {
                                    status: target,
                                    supersedes: !tr
                                }),
                                "{status}/{tr} → {target}"
                            );
                        } else {
                            let e = got
                                .expect_err(&format!("{status}/{tr} → {target} must be refused"));
                            assert!(e.0.contains(&format!("{status} → {target}")), "{e}");
                        }
                        checked += 1;
                    }
                    let cancel = decide(
                        Current {
                            status,
                            transmitted: tr,
                            automatic,
                        },
                        Action::Cancel,
                    );
                    let allowed = !tr && (status == 19 || (status == 100 && !automatic));
                    assert_eq!(
                        cancel.is_ok(),
                        allowed,
                        "cancel {status}/{tr}/auto={automatic}: {cancel:?}"
                    );
                }
            }
        }
        assert_eq!(checked, 7 * 2 * 2 * 7);
    }

    #[test]
    fn refusals_name_the_rule() {
        let cur = |status, transmitted| Current {
            status,
            transmitted,
            automatic: false,
        };
        assert_eq!(
            decide(cur(16, true), Action::Set(15)).unwrap_err().0,
            "16 → 15 is only allowed while 16 has not been transmitted"
        );
        assert_eq!(
            decide(cur(17, false), Action::Set(19)).unwrap_err().0,
            "17 → 19 is only allowed once 17 has been transmitted"
        );
        assert!(decide(cur(19, true), Action::Set(16))
            .unwrap_err()
            .0
            .contains("closes the dossier automatically"));
        assert!(decide(cur(100, true), Action::Set(16))
            .unwrap_err()
            .0
            .contains("100 is final"));
        assert!(decide(cur(14, true), Action::Set(19))
            .unwrap_err()
            .0
            .contains("from 14 transmitted: 15, 16, 100"));
        assert!(decide(cur(14, true), Action::Set(18))
            .unwrap_err()
            .0
            .contains("18 is not a status"));
        let auto = Current {
            status: 100,
            transmitted: false,
            automatic: true,
        };
        assert_eq!(
            decide(auto, Action::Cancel).unwrap_err().0,
            "an automatic closure (100) cannot be cancelled"
        );
    }

    #[test]
    fn after_a_colon_french_takes_a_lower_case() {
        assert_eq!(after_colon("Le passage de 14"), "le passage de 14");
        assert_eq!(after_colon("Évidemment"), "évidemment");
        assert_eq!(after_colon("SIRET absent"), "SIRET absent");
        assert_eq!(after_colon("A-2-X est clos"), "A-2-X est clos");
        assert_eq!(
            after_colon("18 n'est pas un statut."),
            "18 n'est pas un statut."
        );
        assert_eq!(after_colon(""), "");
    }

    #[test]
    fn every_refusal_has_french_words_for_the_clerk() {
        for (status, _, _) in TABLE {
            for transmitted in [false, true] {
                for automatic in [false, true] {
                    let cur = Current {
                        status,
                        transmitted,
                        automatic,
                    };
                    let actions = STATUSES
                        .iter()
                        .map(|t| Action::Set(*t))
                        .chain([Action::Cancel, Action::Set(18)]);
                    for action in actions {
                        if let Err(r) = decide(cur, action) {
                            let fr = r.french();
                            assert!(fr.ends_with('.'), "{fr}");
                            assert!(
                                !fr.contains("transmitted") && !fr.contains("allowed"),
                                "{fr}"
                            );
                        }
                    }
                }
            }
        }
        let r = decide(
            Current {
                status: 17,
                transmitted: false,
                automatic: false,
            },
            Action::Set(19),
        )
        .unwrap_err();
        assert_eq!(
            r.french(),
            "Le passage de 17 (dossier en attente d'informations complémentaires) à 19 (dossier traité / accepté) n'est possible qu'une fois le statut 17 transmis au portail : lancez d'abord une synchronisation."
        );
        // The list of what is possible, with its cause.
        let r = decide(
            Current {
                status: 14,
                transmitted: true,
                automatic: false,
            },
            Action::Set(19),
        )
        .unwrap_err();
        assert_eq!(
            r.french(),
            "Le passage de 14 (dossier importé) à 19 (dossier traité / accepté) n'est pas permis. Le statut 14 ayant été transmis au portail, les statuts possibles sont : 15 (dossier non recevable), 16 (dossier en cours de traitement), 100 (dossier clos)."
        );
        let untransmitted = |status, automatic| Current {
            status,
            transmitted: false,
            automatic,
        };
        assert_eq!(
            decide(untransmitted(19, false), Action::Set(16)).unwrap_err().french(),
            "Le passage de 19 (dossier traité / accepté) à 16 (dossier en cours de traitement) n'est pas permis. Le statut 19 n'ayant pas encore été transmis au portail, il peut seulement être annulé."
        );
        assert!(decide(untransmitted(100, true), Action::Set(16))
            .unwrap_err()
            .french()
            .ends_with("Le statut 100 n'ayant pas encore été transmis au portail, aucun changement de statut n'est possible pour l'instant."));
    }
}
