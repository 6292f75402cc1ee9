//! Archive names: `<NumeroTeledemarche>-<FlowCode>-<FileNumber>.zip`,
//! parsed from the right against the registered flow codes (both the number
//! and the flow code contain dashes).

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

/// Parses `name` against the registered `flows`; `None` when it is not an
/// inbound archive of one of them (such files are left alone).
pub fn parse(name: &str, flows: &[&str]) -> Option<ArchiveName> {
    if is_temporary(name) {
        return None;
    }
    let stem = name.strip_suffix(".zip")?;
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
