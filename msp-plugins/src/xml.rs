//! A small, safe XML tree for the portal's documents.
//!
//! Portal documents are small (kilobytes), so they are read whole into a tree
//! whose elements are matched by **local name**: prefixes and namespace URIs
//! vary between portal versions, so they are recorded but never used to
//! reject a document. The reader:
//!
//! * honours a UTF-8 BOM and the encoding declared in the XML declaration
//!   (UTF-8, ISO-8859-1 / Windows-1252, and anything `encoding_rs` knows);
//! * refuses any `<!DOCTYPE ...>` (so no DTD, no entity declaration is ever
//!   resolved: the billion-laughs and XXE families are impossible);
//! * accepts only the five predefined entities and character references;
//! * keeps unknown elements in the tree: callers simply do not look at them.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

pub use compact_str::CompactString;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// Why a document could not be read as XML. The message is meant for a
/// person: it says what is wrong and, when known, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// What is wrong, in plain words.
    pub message: String,
    /// The same for the clerk, in French, when it is the citizen's data
    /// (a character XML forbids).
    pub french: Option<String>,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for XmlError {}

fn err(message: impl Into<String>) -> XmlError {
    XmlError {
        message: message.into(),
        french: None,
    }
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production): the
/// C0 control characters but tab, line feed and carriage return are
/// forbidden, raw or as character references (`&#x1b;`), and so are
/// U+FFFE and U+FFFF.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Refuses a text holding a character XML 1.0 forbids (an ESC that would
/// drive the clerk's terminal, a BEL...), naming it and where.
fn check_chars(text: &str, position: u64) -> Result<(), XmlError> {
    match text.chars().find(|c| !is_xml_char(*c)) {
        None => Ok(()),
        Some(c) => {
            let code = format!("U+{:04X}", c as u32);
            Err(XmlError {
                message: format!(
                    "character {code} (a control character) near byte {position} is not allowed in XML 1.0"
                ),
                french: Some(format!(
                    "le document contient un caractère de contrôle interdit en XML ({code}, vers l'octet {position}) : la demande est mal formée et doit être renvoyée par le portail."
                )),
            })
        }
    }
}

/// One element of a parsed document.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Element {
    /// Local name, without prefix (`Message` for `<ns2:Message>`). Names
    /// and texts up to 24 bytes are kept inline: most of a portal
    /// document's are, and a tree then costs an allocation per element
    /// with children instead of two per element (three with attributes).
    pub name: CompactString,
    /// Namespace URI the element was bound to, if any (recorded, never
    /// checked). Shared: a document's elements mostly have one or two.
    pub namespace: Option<Arc<str>>,
    /// Attributes as (local name, value).
    pub attributes: Vec<(String, String)>,
    /// Concatenated character data directly inside this element.
    pub text: CompactString,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a `/`-separated path of local names (first match at each step).
    pub fn find(&self, path: &str) -> Option<&Element> {
        // Split on bytes and compare bytes: `split('/')` sets up a `memchr`
        // searcher per call, and a predicate split decodes every char; both
        // cost more than these short walks (callgrind: +17 M instructions
        // for 3,000 archives with the predicate). Same rule as `child`.
        path.as_bytes()
            .split(|b| *b == b'/')
            .filter(|p| !p.is_empty())
            .try_fold(self, |e, step| {
                e.children.iter().find(|c| c.name.as_bytes() == step)
            })
    }

    /// The trimmed text of the element at `path`, `None` when the element is
    /// missing **or empty** (the portal writes empty elements for "not given").
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.find(path).and_then(Element::value)
    }

    /// This element's trimmed text, `None` when empty.
    pub fn value(&self) -> Option<&str> {
        let t = self.text.trim();
        (!t.is_empty()).then_some(t)
    }

    /// True when the element has neither non-blank text nor children with a value.
    pub fn is_blank(&self) -> bool {
        self.value().is_none() && self.children.iter().all(Element::is_blank)
    }
}

/// A parsed document: its root element and what the reader noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The root element.
    pub root: Element,
    /// The encoding the bytes were decoded from (`UTF-8`, `windows-1252`...).
    pub encoding: &'static str,
}

/// Reads a document from raw bytes, honouring BOM and declared encoding.
pub fn parse(bytes: &[u8]) -> Result<Document, XmlError> {
    let (text, encoding) = decode(bytes)?;
    let root = parse_str(&text)?;
    Ok(Document { root, encoding })
}

/// Decodes bytes to text: a BOM wins, then the XML declaration, then UTF-8.
fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), XmlError> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(err(format!(
                "the text is not valid {} (as its byte-order mark says)",
                enc.name()
            )));
        }
        return Ok((text, enc.name()));
    }
    let enc = declared_encoding(bytes)
        .map(|label| {
            encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                err(format!(
                    "unknown encoding \"{label}\" in the XML declaration"
                ))
            })
        })
        .transpose()?
        .unwrap_or(encoding_rs::UTF_8);
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(err(format!(
            "the text is not valid {} (declared or assumed encoding)",
            enc.name()
        )));
    }
    Ok((text, enc.name()))
}

/// The `encoding="..."` of an `<?xml ...?>` declaration at the very start.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let pos = decl.find("encoding")?;
    let rest = decl[pos + "encoding".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let value = &rest[1..];
    let close = value.find(quote)?;
    Some(value[..close].trim().to_string())
}

/// Parses already-decoded text into a tree.
pub fn parse_str(text: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    // The last namespace URI seen: consecutive elements share its string.
    let mut last_namespace: Option<Arc<str>> = None;
    loop {
        let position = reader.buffer_position();
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => return Err(err(format!("malformed XML near byte {position}: {e}"))),
        };
        let mut namespace = || match &ns {
            ResolveResult::Bound(n) => Some(match &last_namespace {
                Some(last) if **last == *n.0 => last.clone(),
                _ => last_namespace.insert(Arc::from(n.0)).clone(),
            }),
            _ => None,
        };
        match event {
            Event::DocType(_) => {
                return Err(err(
                    "the document contains a DOCTYPE declaration (DTDs and entity declarations are refused)",
                ))
            }
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                return Err(err(format!(
                    "malformed XML: element <{}> after the end of the root element",
                    local_name(e.name().as_ref())
                )));
            }
            Event::Start(e) => {
                let el = start_element(&e, namespace())?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = start_element(&e, namespace())?;
                close(&mut stack, &mut root, el);
            }
            Event::End(_) => match stack.pop() {
                Some(el) => close(&mut stack, &mut root, el),
                None => return Err(err("malformed XML: closing tag without an opening tag")),
            },
            Event::Text(t) => push_text(&mut stack, &t, position)?,
            Event::CData(c) => {
                let content = c.into_inner();
                check_chars(&content, position)?;
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&content);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = resolve_reference(&r)?;
                check_chars(&resolved, position)?;
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(err(format!(
            "malformed XML: the document ends before </{}>",
            open.name
        )));
    }
    root.ok_or_else(|| err("the document has no root element"))
}

/// Adds a text to the open element's. Leading whitespace (indentation
/// between elements) is never data: values are read trimmed. Not storing
/// it saves an allocation per element.
fn push_text(
    stack: &mut [Element],
    t: &quick_xml::events::BytesText<'_>,
    position: u64,
) -> Result<(), XmlError> {
    if t.as_ref().bytes().all(|b| b.is_ascii_whitespace())
        && stack.last().is_none_or(|el| el.text.is_empty())
    {
        return Ok(());
    }
    let content = t.xml10_content();
    check_chars(&content, position)?;
    match stack.last_mut() {
        Some(el) => {
            el.text.push_str(&content);
            Ok(())
        }
        None => Err(err("malformed XML: text outside the root element")),
    }
}

/// The text of a character reference or of one of the five predefined
/// entities; any other entity is refused.
fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<String, XmlError> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c.to_string()),
        Ok(None) => {
            let name = r.xml10_content();
            match quick_xml::escape::resolve_predefined_entity(&name) {
                Some(s) => Ok(s.to_string()),
                None => Err(err(format!(
                    "undeclared entity &{name}; (only the five XML entities and character references are accepted)"
                ))),
            }
        }
        Err(e) => Err(err(format!("bad character reference: {e}"))),
    }
}

fn start_element(
    e: &quick_xml::events::BytesStart<'_>,
    namespace: Option<Arc<str>>,
) -> Result<Element, XmlError> {
    let mut attributes = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| err(format!("malformed attribute: {e}")))?;
        let key = local_name(a.key.as_ref()).to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| err(format!("malformed attribute value: {e}")))?;
        check_chars(&value, 0)?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element {
        name: CompactString::from(local_name(e.name().as_ref())),
        namespace,
        attributes,
        ..Element::default()
    })
}

/// The part of a qualified name after its prefix: what quick-xml's
/// `local_name` gives, found by a byte loop rather than a `str` searcher
/// (once per element, on names of a few bytes).
fn local_name(qname: &str) -> &str {
    match qname.bytes().position(|b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

fn close(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_by_local_name_whatever_the_prefix() {
        let d = parse(br#"<?xml version="1.0"?><a:M xmlns:a="urn:x"><a:H><b:F xmlns:b="urn:y">RCO-LA</b:F></a:H></a:M>"#).unwrap();
        assert_eq!(d.root.name, "M");
        assert_eq!(d.root.namespace.as_deref(), Some("urn:x"));
        assert_eq!(d.root.text_at("H/F"), Some("RCO-LA"));
    }

    #[test]
    fn each_element_keeps_its_own_namespace() {
        // The reader shares the last namespace string seen: elements that
        // switch between namespaces must still get each their own.
        let d =
            parse(br#"<a:M xmlns:a="urn:x" xmlns:b="urn:y"><a:H/><b:F/><a:G/><N/><b:K/></a:M>"#)
                .unwrap();
        let ns: Vec<Option<&str>> = d
            .root
            .children
            .iter()
            .map(|c| c.namespace.as_deref())
            .collect();
        assert_eq!(
            ns,
            [
                Some("urn:x"),
                Some("urn:y"),
                Some("urn:x"),
                None,
                Some("urn:y")
            ]
        );
    }

    #[test]
    fn decodes_iso_8859_1_from_the_declaration() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><N>".to_vec();
        bytes.extend_from_slice(&[0x4E, 0x6F, 0xEB, 0x6C]); // Noël
        bytes.extend_from_slice(b"</N>");
        let d = parse(&bytes).unwrap();
        assert_eq!(d.root.text, "Noël");
        assert_eq!(d.encoding, "windows-1252");
    }

    #[test]
    fn honours_a_utf8_bom() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<N>Müller</N>".as_bytes());
        assert_eq!(parse(&bytes).unwrap().root.text, "Müller");
    }

    #[test]
    fn refuses_doctype_and_entities() {
        let e = parse(b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>")
            .unwrap_err();
        assert!(e.message.contains("DOCTYPE"), "{e}");
        let e = parse(b"<x>&lol;</x>").unwrap_err();
        assert!(e.message.contains("&lol;"), "{e}");
    }

    #[test]
    fn resolves_predefined_entities_and_char_refs() {
        let d = parse(b"<x>a &amp; b &#233;&#x41;</x>").unwrap();
        assert_eq!(d.root.text, "a & b éA");
    }

    #[test]
    fn reports_malformed_xml() {
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a>").unwrap_err().message.contains("ends before"));
        assert!(parse(b"").is_err());
        assert!(parse(b"<a/><b/>").is_err());
    }

    #[test]
    fn long_names_and_texts_are_kept_whole() {
        // Names and texts past the 24 bytes kept inline go to the heap.
        let name = "UnNomDElementPlusLongQueVingtQuatreOctets";
        let text = "une valeur nettement plus longue que vingt-quatre octets, accentuée";
        let d = parse(format!("<a><{name}>{text}</{name}><b>x</b></a>").as_bytes()).unwrap();
        assert_eq!(d.root.text_at(name), Some(text));
        assert_eq!(d.root.children[0].name, name);
        assert_eq!(d.root.text_at("b"), Some("x"));
    }

    #[test]
    fn paths_skip_empty_steps_and_match_whole_names() {
        let d = parse(b"<a><bc><d>1</d></bc><b><d>2</d></b></a>").unwrap();
        assert_eq!(d.root.text_at("/b//d/"), Some("2"));
        assert_eq!(d.root.text_at("bc/d"), Some("1"));
        assert_eq!(d.root.find(""), Some(&d.root));
        assert!(d.root.find("b/e").is_none());
    }

    #[test]
    fn empty_elements_are_absent_values() {
        let d = parse(b"<a><b></b><c>  </c><d>x</d></a>").unwrap();
        assert_eq!(d.root.text_at("b"), None);
        assert_eq!(d.root.text_at("c"), None);
        assert_eq!(d.root.text_at("d"), Some("x"));
        assert!(d.root.child("b").unwrap().is_blank());
    }
}
