//! Archive names: `<NumeroTeledemarche>-<FlowCode>-<FileNumber>.zip`,
//! parsed from the right against the registered flow codes (both the number
//! and the flow code contain dashes), also inside the portal transport's
//! wrapper `RitaGS.<timestamp>.<Numero>-<Flow>-<FileNumber>.ADER.ftp.zip`
//! (PROTOCOL §3.1; the file keeps its wrapped name in every folder and in
//! the record of what was received).

/// A parsed inbound archive name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArchiveName {
    /// NumeroTeledemarche (`A-2-IJO924A`).
    pub numero: String,
    /// Flow code (`RCO-LA`).
    pub flow: String,
    /// FileNumber (positive).
    pub file_number: u32,
}

impl ArchiveName {
    /// The canonical file name.
    pub fn file_name(&self) -> String {
        format!("{}-{}-{}.zip", self.numero, self.flow, self.file_number)
    }
}

/// True for names an upload is still writing or that are not ours to touch:
/// dot files, `*.part`, `*.tmp`, `*.filepart`, `*.crdownload`.
pub fn is_temporary(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with('~')
        || [".part", ".tmp", ".filepart", ".crdownload", ".partial"]
            .iter()
            .any(|s| lower.ends_with(s))
}

/// The protocol name inside the transport's wrapper, and where it starts in
/// `name`: `RitaGS.20190403162640.A-9-X3UGO4V7-RCO-LA-1.ADER.ftp.zip` gives
/// `A-9-X3UGO4V7-RCO-LA-1` at 22; a plain name gives its stem at 0.
pub fn unwrap_transport(name: &str) -> Option<(&str, usize)> {
    if let Some(rest) = name.strip_prefix("RitaGS.") {
        let (stamp, inner) = rest.split_once('.')?;
        let inner = inner.strip_suffix(".ADER.ftp.zip")?;
        if stamp.is_empty() || !stamp.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Some((inner, "RitaGS.".len() + stamp.len() + 1));
    }
    Some((name.strip_suffix(".zip")?, 0))
}

/// Why a file in input is not an archive msp imports (PROTOCOL §3.1: such
/// files are never touched, but reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// Its name is an archive's, of a flow with no plugin here.
    Flow(String),
    /// Its name is not the protocol's.
    Name,
}

impl Unknown {
    /// In English, for the synchronisation log and the command line.
    pub fn english(&self) -> String {
        match self {
            Unknown::Flow(flow) => format!(
                "flow {flow} has no plugin in this msp (`msp plugins` lists the flows it imports)"
            ),
            Unknown::Name => "the name is not <Numero>-<Flow>-<FileNumber>.zip (nor the transport's RitaGS.<timestamp>.<Numero>-<Flow>-<FileNumber>.ADER.ftp.zip)".to_string(),
        }
    }

    /// In French, for the clerk (the console).
    pub fn french(&self) -> String {
        match self {
            Unknown::Flow(flow) => format!(
                "La démarche {flow} n'a pas de module dans msp : le fichier est laissé dans l'entrée."
            ),
            Unknown::Name => "Ce nom n'est pas celui d'une archive du portail (<Numero>-<Démarche>-<N°>.zip) : le fichier est laissé dans l'entrée.".to_string(),
        }
    }
}

/// Why `name` is not an archive msp imports; `None` when it is one of
/// `flows`, or a temporary name it leaves alone without a word.
pub fn why_unrecognised(name: &str, flows: &[&str]) -> Option<Unknown> {
    if is_temporary(name) || parse(name, flows).is_some() {
        return None;
    }
    let unknown_flow = unwrap_transport(name).and_then(|(stem, _)| {
        let (rest, number) = stem.rsplit_once('-')?;
        number.parse::<u32>().ok().filter(|n| *n > 0)?;
        // Flow codes are two dash-separated parts (RCO-LA, DDPACS-LA).
        let mut parts = rest.rsplitn(3, '-');
        let (sub, code, numero) = (parts.next()?, parts.next()?, parts.next()?);
        let is_code = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        (is_code(sub) && is_code(code) && valid_numero(numero)).then(|| format!("{code}-{sub}"))
    });
    Some(unknown_flow.map_or(Unknown::Name, Unknown::Flow))
}

/// Parses `name` against the registered `flows`; `None` when it is not an
/// inbound archive of one of them (such files are left alone, and
/// reported: [`why_unrecognised`]). The transport's wrapped name is read
/// as the archive it wraps.
pub fn parse(name: &str, flows: &[&str]) -> Option<ArchiveName> {
    if is_temporary(name) {
        return None;
    }
    let (stem, _) = unwrap_transport(name)?;
    let (rest, number) = stem.rsplit_once('-')?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) || number.starts_with('0') {
        return None;
    }
    let file_number: u32 = number.parse().ok()?;
    // Longest flow code first, so that a flow code ending another one wins.
    let mut sorted: Vec<&str> = flows.to_vec();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.len()));
    for flow in sorted {
        if let Some(numero) = rest.strip_suffix(flow).and_then(|n| n.strip_suffix('-')) {
            if valid_numero(numero) {
                return Some(ArchiveName {
                    numero: numero.to_string(),
                    flow: flow.to_string(),
                    file_number,
                });
            }
        }
    }
    None
}

/// A NumeroTeledemarche usable as part of file names: ASCII letters,
/// digits, dashes and underscores, 1 to 64 characters.
pub fn valid_numero(numero: &str) -> bool {
    !numero.is_empty()
        && numero.len() <= 64
        && !numero.starts_with('-')
        && numero
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The return archive name `<Numero>-<Flow>-<Increment>.zip`.
pub fn return_name(numero: &str, flow: &str, increment: u32) -> String {
    format!("{numero}-{flow}-{increment}.zip")
}

/// An entry name with its `-<FileNumber>` suffix taken off (the portal
/// names a complement's files `...-pj-ji-1-2.pdf` where the first archive
/// had `...-pj-ji-1-1.pdf`): the same file sent again with a complement is
/// recognised whatever the archive it came in. Names without the suffix are
/// returned whole.
pub fn entry_stem(name: &str, file_number: u32) -> (&str, &str) {
    let (base, ext) = match name.rfind('.') {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    };
    let suffix = format!("-{file_number}");
    match base.strip_suffix(suffix.as_str()) {
        Some(stem) if !stem.is_empty() => (stem, ext),
        _ => (base, ext),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const FLOWS: [&str; 3] = ["RCO-LA", "AEC-LA", "ILE-LA"];

    #[test]
    fn parses_from_the_right_with_dashes_everywhere() {
        let n = parse("A-2-IJO924A-RCO-LA-1.zip", &FLOWS).unwrap();
        assert_eq!(n.numero, "A-2-IJO924A");
        assert_eq!(n.flow, "RCO-LA");
        assert_eq!(n.file_number, 1);
        assert_eq!(n.file_name(), "A-2-IJO924A-RCO-LA-1.zip");
        let n = parse("X-ILE-LA-12.zip", &FLOWS).unwrap();
        assert_eq!(
            (n.numero.as_str(), n.flow.as_str(), n.file_number),
            ("X", "ILE-LA", 12)
        );
    }

    #[test]
    fn leaves_other_files_alone() {
        for name in [
            "A-2-X-RCO-LA-1.zip.part",
            "A-2-X-RCO-LA-1.zip.tmp",
            ".A-2-X-RCO-LA-1.zip",
            "A-2-X-XYZ-LA-1.zip",
            "A-2-X-RCO-LA-0.zip",
            "A-2-X-RCO-LA-01.zip",
            "A-2-X-RCO-LA-.zip",
            "A-2-X-RCO-LA-1.ZIP.txt",
            "RCO-LA-1.zip",
            "-RCO-LA-1.zip",
            "A-2-X-RCO-LA-1.xml",
            "A 2-RCO-LA-1.zip",
            "A-2-X-RCO-LA-99999999999.zip",
        ] {
            assert_eq!(parse(name, &FLOWS), None, "{name}");
        }
    }

    #[test]
    fn only_registered_flows() {
        assert!(parse("A-1-RCO-LA-1.zip", &["AEC-LA"]).is_none());
        // a flow code that ends another one: the longest wins
        let n = parse("A-1-XRCO-LA-1.zip", &["RCO-LA", "XRCO-LA"]).unwrap();
        assert_eq!((n.numero.as_str(), n.flow.as_str()), ("A-1", "XRCO-LA"));
    }

    #[test]
    fn the_transport_wrapper_is_read_as_the_archive_it_wraps() {
        let wrapped = "RitaGS.20190403162640.A-9-X3UGO4V7-RCO-LA-1.ADER.ftp.zip";
        let n = parse(wrapped, &FLOWS).unwrap();
        assert_eq!(
            (n.numero.as_str(), n.flow.as_str(), n.file_number),
            ("A-9-X3UGO4V7", "RCO-LA", 1)
        );
        assert_eq!(
            unwrap_transport(wrapped),
            Some(("A-9-X3UGO4V7-RCO-LA-1", 22))
        );
        assert_eq!(&wrapped[22..22 + n.numero.len()], "A-9-X3UGO4V7");
        for bad in [
            "RitaGS..A-9-X-RCO-LA-1.ADER.ftp.zip",
            "RitaGS.2019x.A-9-X-RCO-LA-1.ADER.ftp.zip",
            "RitaGS.2019.A-9-X-RCO-LA-1.zip",
        ] {
            assert_eq!(parse(bad, &FLOWS), None, "{bad}");
        }
    }

    #[test]
    fn unrecognised_files_say_why() {
        assert_eq!(why_unrecognised("A-2-X-RCO-LA-1.zip", &FLOWS), None);
        assert_eq!(why_unrecognised("A-2-X-RCO-LA-1.zip.part", &FLOWS), None);
        assert_eq!(why_unrecognised(".hidden", &FLOWS), None);
        let w = why_unrecognised("A-2-X-DDPACS-LA-1.zip", &FLOWS)
            .unwrap()
            .english();
        assert!(w.starts_with("flow DDPACS-LA has no plugin"), "{w}");
        let w = why_unrecognised("RitaGS.2019.A-2-X-DDPACS-LA-3.ADER.ftp.zip", &FLOWS)
            .unwrap()
            .english();
        assert!(w.starts_with("flow DDPACS-LA has no plugin"), "{w}");
        for odd in [
            "notes.txt",
            "A-2-X-RCO-LA-0.zip",
            "demande.zip",
            "RitaGS.x.A-2-X-RCO-LA-1.ADER.ftp.zip",
        ] {
            let w = why_unrecognised(odd, &FLOWS).unwrap().english();
            assert!(
                w.starts_with("the name is not <Numero>-<Flow>-<FileNumber>.zip"),
                "{odd}: {w}"
            );
        }
    }

    #[test]
    fn entry_stems_drop_the_file_number() {
        assert_eq!(
            entry_stem("A-1-RCO-LA-pj-ji-1-2.pdf", 2),
            ("A-1-RCO-LA-pj-ji-1", ".pdf")
        );
        assert_eq!(
            entry_stem("A-1-RCO-LA-pj-ji-1-2.pdf", 2),
            entry_stem("A-1-RCO-LA-pj-ji-1-1.pdf", 1)
        );
        assert_eq!(
            entry_stem("A-1-RCO-LA-pj-ji-1-0.pdf", 2),
            ("A-1-RCO-LA-pj-ji-1-0", ".pdf")
        );
        assert_eq!(entry_stem("-2", 2), ("-2", ""));
        assert_eq!(entry_stem("x-12.pdf", 2), ("x-12", ".pdf"));
    }

    #[test]
    fn temporary_names() {
        assert!(is_temporary("a.zip.part"));
        assert!(is_temporary(".hidden.zip"));
        assert!(is_temporary("x.TMP"));
        assert!(!is_temporary("A-1-RCO-LA-1.zip"));
    }
}
