//! Record 0: the PalmDoc header (compression, text size, encryption), the MOBI header that
//! follows it (encoding, version, trailing-entry flags, KF8's flow table) and the EXTH block
//! (title, author, language). A field that lies outside the record is treated as absent.

use super::Malformed;
use super::palmdb::{be_u16, be_u32};

const MOBI_MAGIC: &[u8] = b"MOBI";
const EXTH_MAGIC: &[u8] = b"EXTH";
const UTF8: u32 = 65001;
const HAS_EXTH: u32 = 0x40;
/// No record: the value MOBI uses for "none" in its record-index fields.
const NONE: u32 = 0xFFFF_FFFF;
/// "DH": the compression code of HUFF/CDIC.
const HUFF_CDIC: u16 = 17480;

/// How the text records are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    PalmDoc,
    HuffCdic,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub compression: Option<Compression>,
    pub text_records: usize,
    /// Non-zero when the text is encrypted (DRM).
    pub encryption: u16,
    pub utf8: bool,
    /// 8 for KF8 (AZW3); 6 or less for the older MOBI markup.
    pub version: u32,
    /// Which trailing entries each text record carries.
    pub extra_flags: u16,
    /// The HUFF record and how many records (it and the CDICs) the dictionary spans.
    pub huff: Option<(usize, usize)>,
    /// KF8's flow table (FDST) record, which separates the text from stylesheets.
    pub fdst: Option<usize>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub language: Option<String>,
}

impl Header {
    pub(crate) fn parse(record0: &[u8]) -> Result<Header, Malformed> {
        let field16 = |at| be_u16(record0, at).ok_or(Malformed::Truncated("the PalmDoc header"));
        let compression = match field16(0)? {
            1 => Some(Compression::None),
            2 => Some(Compression::PalmDoc),
            HUFF_CDIC => Some(Compression::HuffCdic),
            _ => None,
        };
        let mut header = Header {
            compression,
            text_records: usize::from(field16(8)?),
            encryption: field16(12)?,
            ..Header::default()
        };
        if record0.get(16..20) == Some(MOBI_MAGIC) {
            header.read_mobi(record0);
        }
        Ok(header)
    }

    fn read_mobi(&mut self, r: &[u8]) {
        let header_end = 16 + be_u32(r, 20).unwrap_or(0) as usize;
        // Fields past the declared header length belong to something else.
        let field = |at: usize| (at + 4 <= header_end).then(|| be_u32(r, at)).flatten();
        self.utf8 = field(0x1C) == Some(UTF8);
        self.version = field(0x24).unwrap_or(0);
        self.huff = field(0x70)
            .zip(field(0x74))
            .filter(|(first, count)| *first != NONE && *count > 0)
            .map(|(first, count)| (first as usize, count as usize));
        if header_end >= 0xF4 {
            self.extra_flags = be_u16(r, 0xF2).unwrap_or(0);
        }
        if self.version >= 8 {
            self.fdst = field(0xC0)
                .filter(|&i| i != NONE && i != 0)
                .map(|i| i as usize);
        }
        self.title = field(0x54)
            .zip(field(0x58))
            .and_then(|(at, len)| r.get(at as usize..(at as usize).checked_add(len as usize)?))
            .map(|b| self.string(b));
        if field(0x80).is_some_and(|f| f & HAS_EXTH != 0) {
            self.read_exth(r.get(header_end..).unwrap_or_default());
        }
    }

    /// EXTH records: type, length (header included), data. Stops at the first one that does
    /// not fit.
    fn read_exth(&mut self, exth: &[u8]) {
        if exth.get(..4) != Some(EXTH_MAGIC) {
            return;
        }
        let count = be_u32(exth, 8).unwrap_or(0);
        let mut at = 12usize;
        for _ in 0..count {
            let (Some(kind), Some(len)) = (be_u32(exth, at), be_u32(exth, at + 4)) else {
                return;
            };
            let Some(data) = (len >= 8)
                .then(|| exth.get(at + 8..at.checked_add(len as usize)?))
                .flatten()
            else {
                return;
            };
            let value = Some(self.string(data)).filter(|v| !v.is_empty());
            match kind {
                100 => self.author = self.author.take().or(value),
                503 => self.title = value.or(self.title.take()),
                524 => self.language = value,
                _ => {}
            }
            at += len as usize;
        }
    }

    fn string(&self, bytes: &[u8]) -> String {
        super::decode(bytes, self.utf8).trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record 0 with a MOBI header of `len` bytes and these EXTH records.
    fn record0(version: u32, exth: &[(u32, &str)]) -> Vec<u8> {
        let mut r = vec![0u8; 16 + 0xE8];
        r[0..2].copy_from_slice(&2u16.to_be_bytes());
        r[8..10].copy_from_slice(&3u16.to_be_bytes());
        r[16..20].copy_from_slice(MOBI_MAGIC);
        r[20..24].copy_from_slice(&0xE8u32.to_be_bytes());
        r[0x1C..0x20].copy_from_slice(&UTF8.to_be_bytes());
        r[0x24..0x28].copy_from_slice(&version.to_be_bytes());
        r[0x80..0x84].copy_from_slice(&HAS_EXTH.to_be_bytes());
        r[0xC0..0xC4].copy_from_slice(&7u32.to_be_bytes());
        r[0xF2..0xF4].copy_from_slice(&3u16.to_be_bytes());
        r.extend_from_slice(EXTH_MAGIC);
        r.extend_from_slice(&[0; 4]);
        r.extend_from_slice(&(exth.len() as u32).to_be_bytes());
        for (kind, value) in exth {
            r.extend_from_slice(&kind.to_be_bytes());
            r.extend_from_slice(&(value.len() as u32 + 8).to_be_bytes());
            r.extend_from_slice(value.as_bytes());
        }
        r
    }

    #[test]
    fn fields_and_exth_metadata() {
        let h = Header::parse(&record0(8, &[(100, "Franz Kafka"), (503, "Metamorphosis")]))
            .expect("header");
        assert_eq!(h.compression, Some(Compression::PalmDoc));
        assert_eq!(h.text_records, 3);
        assert!(h.utf8);
        assert_eq!(h.extra_flags, 3);
        assert_eq!(h.fdst, Some(7));
        assert_eq!(h.title.as_deref(), Some("Metamorphosis"));
        assert_eq!(h.author.as_deref(), Some("Franz Kafka"));
        assert_eq!(Header::parse(&record0(6, &[])).map(|h| h.fdst), Ok(None));
    }

    #[test]
    fn lying_lengths_are_ignored_not_followed() {
        let mut r = record0(8, &[(100, "A")]);
        let exth = 16 + 0xE8;
        r[exth + 8..exth + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        r[exth + 16..exth + 20].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(Header::parse(&r).map(|h| h.author), Ok(None));
        assert!(Header::parse(&r[..10]).is_err());
    }
}
