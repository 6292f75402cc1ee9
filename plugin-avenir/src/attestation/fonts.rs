//! The two fonts of the page (DejaVu Sans and DejaVu Sans Bold): their
//! metrics for the layout, the CIDs the page shows, and their embedding as
//! subsets with widths and a ToUnicode map.

use std::collections::BTreeMap;

use msp_plugins::PluginError;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use super::pdf::deflate;

/// DejaVu Sans (fonts/LICENSE).
pub(super) static REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold (fonts/LICENSE).
pub(super) static BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// A font of the page: its metrics, and the glyphs the page uses (the
/// subset to embed, numbered in the order of first use: those numbers are
/// the CIDs the page shows).
pub(super) struct Font {
    face: Face<'static>,
    data: &'static [u8],
    /// PostScript name.
    name: &'static str,
    /// Its name in the page's resources.
    pub(super) resource: &'static [u8],
    glyphs: GlyphRemapper,
    /// The character each CID shows, for the ToUnicode map.
    chars: BTreeMap<u16, char>,
}

impl Font {
    pub(super) fn new(
        data: &'static [u8],
        name: &'static str,
        resource: &'static [u8],
    ) -> Result<Self, PluginError> {
        let face = Face::parse(data, 0)
            .map_err(|e| PluginError::fault(format!("the font {name} is unreadable: {e}")))?;
        Ok(Font {
            face,
            data,
            name,
            resource,
            glyphs: GlyphRemapper::new(),
            chars: BTreeMap::new(),
        })
    }

    /// The glyph of `c` and the character it shows (`?` for one the font
    /// lacks).
    fn glyph(&self, c: char) -> (GlyphId, char) {
        match self.face.glyph_index(c) {
            Some(g) => (g, c),
            None => (self.face.glyph_index('?').unwrap_or(GlyphId(0)), '?'),
        }
    }

    fn units(&self, g: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(g).unwrap_or(0))
    }

    /// Font units to PDF glyph space (thousandths of the size).
    fn scale(&self) -> f32 {
        1000.0 / f32::from(self.face.units_per_em())
    }

    /// The width of `s` at `size`, in points.
    pub(super) fn width(&self, s: &str, size: f32) -> f32 {
        let units: f32 = s.chars().map(|c| self.units(self.glyph(c).0)).sum();
        units * self.scale() / 1000.0 * size
    }

    /// `s` as the page shows it: the two-byte CIDs of its glyphs.
    pub(super) fn encode(&mut self, s: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 * s.len());
        for c in s.chars() {
            let (g, shown) = self.glyph(c);
            let cid = self.glyphs.remap(g.0);
            if g.0 != 0 {
                self.chars.entry(cid).or_insert(shown);
            }
            out.extend(cid.to_be_bytes());
        }
        out
    }

    /// Writes the font: Type0 font `id`, then its CID font, descriptor,
    /// subset program and ToUnicode map in the four objects after it.
    pub(super) fn write(&self, pdf: &mut Pdf, id: Ref) -> Result<(), PluginError> {
        let (cid_font, descriptor, program, cmap) = (
            Ref::new(id.get() + 1),
            Ref::new(id.get() + 2),
            Ref::new(id.get() + 3),
            Ref::new(id.get() + 4),
        );
        let subset = subsetter::subset(self.data, 0, &self.glyphs).map_err(|e| {
            PluginError::fault(format!("cannot subset the font {}: {e}", self.name))
        })?;
        let base = format!("{}+{}", self.tag(), self.name);
        let base = Name(base.as_bytes());
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        let scale = self.scale();

        pdf.type0_font(id)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_font)
            .to_unicode(cmap);

        let mut cid = pdf.cid_font(cid_font);
        cid.subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(info)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(
            0,
            self.glyphs
                .remapped_gids()
                .map(|g| (self.units(GlyphId(g)) * scale).round()),
        );
        cid.finish();

        let f = &self.face;
        let bbox = f.global_bounding_box();
        let weight = f32::from(f.weight().to_number());
        pdf.font_descriptor(descriptor)
            .name(base)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                f32::from(bbox.x_min) * scale,
                f32::from(bbox.y_min) * scale,
                f32::from(bbox.x_max) * scale,
                f32::from(bbox.y_max) * scale,
            ))
            .italic_angle(f.italic_angle())
            .ascent(f32::from(f.ascender()) * scale)
            .descent(f32::from(f.descender()) * scale)
            .cap_height(f32::from(f.capital_height().unwrap_or(f.ascender())) * scale)
            .stem_v(10.0 + 0.244 * (weight - 50.0))
            .font_file2(program);

        let packed = deflate(&subset)?;
        let mut stream = pdf.stream(program, &packed);
        stream.filter(Filter::FlateDecode);
        stream.pair(Name(b"Length1"), subset.len() as i32);
        stream.finish();

        let mut map = UnicodeCmap::new(Name(b"Custom"), info);
        for (&cid, &c) in &self.chars {
            map.pair(cid, c);
        }
        pdf.cmap(cmap, &map.finish());
        Ok(())
    }

    /// The six capital letters that name a subset (PDF 32000 §9.6.4),
    /// from the glyphs it holds.
    fn tag(&self) -> String {
        let mut h: u32 = 0x811c_9dc5;
        for g in self.glyphs.remapped_gids() {
            for b in g.to_be_bytes() {
                h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
            }
        }
        (0..6)
            .map(|_| {
                let c = char::from(b'A' + (h % 26) as u8);
                h /= 26;
                c
            })
            .collect()
    }
}
