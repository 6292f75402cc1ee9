use super::fonts::{Font, BOLD, REGULAR};
use super::layout::{layout, wrap};
use super::*;
use crate::tables::{ADRESSE, PERSONNE, RECENSEMENT};
use chrono::NaiveDate;
use msp_plugins::{DossierData, Row, Value};

fn dossier(commune: Option<&str>, departement: Option<&str>) -> DossierData {
    DossierData {
        numero: "A-2-TEST".into(),
        flow: "RCO-LA".into(),
        insee: "90010".into(),
        status: 19,
        status_at: NaiveDate::from_ymd_opt(2026, 12, 5)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap(),
        rows: vec![
            Row::new(RECENSEMENT).set(
                "date_soumission",
                NaiveDate::from_ymd_opt(2026, 11, 2)
                    .unwrap()
                    .and_hms_opt(9, 0, 0),
            ),
            Row::new(PERSONNE)
                .set("role", "RECENSE")
                .set("sexe", 2i64)
                .set("nom_famille", "DUBOIS")
                .set("prenom_usuel", "Noëlle")
                .set("autres_prenoms", "Loïse Marie")
                .set("date_naissance", NaiveDate::from_ymd_opt(2009, 8, 16))
                .set("nationalite", "FRA")
                .set("commune_naissance", "NANTES")
                .set("lieu_naissance_autre", "44000"),
            Row::new(ADRESSE)
                .set("type", "DOMICILE")
                .set("numero_voie", "18")
                .set("type_voie", "PLACE")
                .set("nom_voie", "DE L'ÉGLISE")
                .set("code_postal", "90000")
                .set("localite", "BELFORT"),
        ],
        commune: commune.map(str::to_string),
        departement: departement.map(str::to_string),
    }
}

/// Sets a column of the dossier's `i`th row, replacing its value.
fn put(d: &mut DossierData, i: usize, column: &'static str, value: impl Into<Value>) {
    d.rows[i].values.retain(|(c, _)| *c != column);
    d.rows[i].values.push((column, value.into()));
}

/// To look at the PDFs of the tests:
/// `ATTESTATION_PDF_DIR=/tmp/att cargo test -p plugin-avenir`, then
/// `pdftoppm -png -r 60` on them.
fn keep(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("ATTESTATION_PDF_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(name), pdf).unwrap();
    }
}

fn texts(d: &DossierData) -> Vec<String> {
    lines(d).unwrap().into_iter().map(|l| l.text).collect()
}

#[test]
fn with_the_commune_it_reads_as_its_town_hall_issues_it() {
    let t = texts(&dossier(Some("Belfort"), Some("Territoire de Belfort")));
    for expected in [
        "RÉPUBLIQUE FRANÇAISE",
        "Département : Territoire de Belfort",
        "Mairie de Belfort",
        "Le maire de Belfort certifie que :",
        "Noëlle Loïse Marie DUBOIS",
        "née le 16/08/2009 à NANTES (44000)",
        "de nationalité française",
        "domiciliée 18 PLACE DE L'ÉGLISE, 90000 BELFORT",
        "Fait à Belfort, le 05/12/2026",
        "Le Maire,",
        "(signature et cachet)",
    ] {
        assert!(t.iter().any(|l| l == expected), "{expected:?} in {t:#?}");
    }
    assert!(t
        .iter()
        .any(|l| l.contains("demande déposée le 02/11/2026")));
    assert!(t.iter().any(|l| l
        .contains("Journée défense et citoyenneté (JDC), à laquelle l'intéressée sera appelée")));
    let order: Vec<Style> = lines(&dossier(Some("Belfort"), None))
        .unwrap()
        .iter()
        .map(|l| l.style)
        .collect();
    assert!(!order.contains(&Style::Department), "no department set");
    let place = order.iter().position(|s| *s == Style::Place).unwrap();
    assert_eq!(
        order[place + 1],
        Style::Signatory,
        "signature after the date"
    );
}

#[test]
fn without_the_commune_it_names_the_insee_code() {
    let t = texts(&dossier(None, None));
    keep("bare.pdf", &pdf(&dossier(None, None)).unwrap());
    assert!(t.contains(&"Mairie de la commune de code INSEE 90010".to_string()));
    assert!(t.contains(&"Le maire certifie que :".to_string()));
    assert!(t.contains(&"Fait le 05/12/2026".to_string()));
    assert!(!t.iter().any(|l| l.starts_with("Département")));
    assert!(!t.iter().any(|l| l.contains("Fait à")));
    // Blank settings count as unset.
    assert_eq!(texts(&dossier(Some("  "), Some(""))), t);
}

#[test]
fn nationalities_in_words_and_unknown_codes_as_they_are() {
    assert_eq!(nationality("FRA"), "française");
    assert_eq!(nationality("fr"), "française");
    assert_eq!(nationality("DEU"), "allemande");
    assert_eq!(nationality("XYZ"), "XYZ");
    let mut d = dossier(None, None);
    put(&mut d, 1, "nationalite", "ZZZ");
    assert!(texts(&d).contains(&"de nationalité ZZZ".to_string()));
    put(&mut d, 1, "nationalite", None::<String>);
    assert!(!texts(&d).iter().any(|l| l.contains("nationalité")));
}

#[test]
fn the_commune_takes_the_french_article_and_elision() {
    assert_eq!(of_commune("Belfort"), "de Belfort");
    assert_eq!(of_commune("Orléans"), "d'Orléans");
    assert_eq!(of_commune("Le Mans"), "du Mans");
    assert_eq!(of_commune("Les Abymes"), "des Abymes");
    assert_eq!(of_commune("La Rochelle"), "de La Rochelle");
    assert_eq!(at_commune("Belfort"), "à Belfort");
    assert_eq!(at_commune("Le Mans"), "au Mans");
    assert_eq!(at_commune("Les Abymes"), "aux Abymes");
}

#[test]
fn wraps_with_the_fonts_widths() {
    let font = Font::new(REGULAR, "DejaVuSans", b"F1").unwrap();
    // DejaVu Sans: "i" is much narrower than "W".
    assert!(font.width("iiii", 10.0) < font.width("WW", 10.0));
    let text = "Ce recensement ouvre la voie à la Journée défense et citoyenneté : \
                l'intéressé sera appelé";
    let lines = wrap(&font, 11.0, text, 200.0);
    assert!(lines.len() > 1);
    for l in &lines {
        assert!(font.width(l, 11.0) <= 200.0, "{l:?}");
        assert!(!l.starts_with(':'), "no line starts with a colon: {l:?}");
    }
    assert_eq!(lines.join(" "), text);
    // "le" keeps its date.
    let dated = "recensement enregistré le 05/12/2026.";
    let w = font.width("recensement enregistré le", 11.0) + 1.0;
    assert_eq!(
        wrap(&font, 11.0, dated, w),
        ["recensement enregistré", "le 05/12/2026."]
    );
    // A word longer than the line stays whole.
    assert_eq!(wrap(&font, 11.0, "a Wwwwwwwwwwwwwww b", 30.0).len(), 3);
    // A character the font lacks is a question mark, in width too.
    assert_eq!(font.width("漢", 10.0), font.width("?", 10.0));
}

#[test]
fn the_pdf_embeds_font_subsets_with_unicode_maps() {
    let pdf = pdf(&dossier(Some("Belfort"), Some("Territoire de Belfort"))).unwrap();
    keep("belfort.pdf", &pdf);
    keep(
        "insee.pdf",
        &super::pdf(&dossier(None, Some("Territoire de Belfort"))).unwrap(),
    );
    assert!(pdf.starts_with(b"%PDF-"));
    let has = |s: &[u8]| pdf.windows(s.len()).any(|w| w == s);
    for s in [
        &b"/FontFile2"[..],
        b"/CIDFontType2",
        b"/Identity-H",
        b"/ToUnicode",
        b"+DejaVuSans-Bold",
    ] {
        assert!(has(s), "{}", String::from_utf8_lossy(s));
    }
    assert!(!has(b"/Helvetica"));
    // Subsets, compressed: far below the 1.4 MB of the two fonts.
    assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
}

#[test]
fn a_long_address_wraps_and_still_fits() {
    let mut d = dossier(Some("Belfort"), Some("Territoire de Belfort"));
    put(&mut d, 2, "nom_voie", "TRÈS LONGUE ".repeat(21));
    let fonts = [
        Font::new(REGULAR, "DejaVuSans", b"F1").unwrap(),
        Font::new(BOLD, "DejaVuSans-Bold", b"F2").unwrap(),
    ];
    let lines = lines(&d).unwrap();
    assert!(layout(&lines, &fonts, 1.0).is_some());
    keep("long.pdf", &pdf(&d).unwrap());
    // Every column at its 255 characters: smaller, still one page.
    let long = "MOTLONG ".repeat(32)[..255].to_string();
    for (i, column) in [
        (1, "prenom_usuel"),
        (1, "autres_prenoms"),
        (1, "nom_famille"),
        (1, "nom_usage"),
        (1, "commune_naissance"),
        (1, "lieu_naissance_autre"),
        (2, "complement"),
        (2, "nom_voie"),
        (2, "lieu_dit"),
        (2, "localite"),
    ] {
        put(&mut d, i, column, long.as_str());
    }
    let lines = super::lines(&d).unwrap();
    assert!(layout(&lines, &fonts, 1.0).is_none());
    let pdf = pdf(&d).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    keep("longest.pdf", &pdf);
}
