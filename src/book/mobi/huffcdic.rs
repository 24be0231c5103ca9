//! HUFF/CDIC compression, which Amazon's own tools use: a Huffman code whose symbols are
//! phrases from a dictionary (the CDIC records), and a phrase may itself be compressed. The HUFF
//! record gives, per leading code byte, the code length (or a lower bound to refine with the
//! per-length limits) and the largest code of that length; a code's distance below that largest
//! code is the phrase's index.
//!
//! Hostile tables can make phrases refer to themselves or expand exponentially, so expansion is
//! guarded against cycles, depth and total size.

use super::Malformed;
use super::palmdb::{be_u16, be_u32};

const HUFF_MAGIC: &[u8] = b"HUFF";
const CDIC_MAGIC: &[u8] = b"CDIC";
const CDIC_HEADER: usize = 16;
/// More index bits per CDIC record than its 16-bit offsets can address is not a dictionary.
const MAX_CDIC_BITS: u32 = 16;
/// Phrases nest a few levels in real books; this bounds recursion on hostile ones.
const MAX_DEPTH: usize = 32;

/// Per leading byte of a code: its length, whether that length is final, the largest code.
#[derive(Debug, Clone, Copy, Default)]
struct Lead {
    len: u32,
    terminal: bool,
    max: u64,
}

#[derive(Debug, Clone)]
enum Phrase {
    Compressed(Vec<u8>),
    Expanding,
    Plain(Vec<u8>),
}

#[derive(Debug)]
pub(crate) struct Huff {
    leads: Vec<Lead>,
    /// Per code length (1–32): the smallest and largest code, left-aligned in 32 bits.
    bounds: Vec<(u64, u64)>,
    phrases: Vec<Phrase>,
    /// Bytes held by expanded phrases plus the text so far, against `limit`.
    used: usize,
    limit: usize,
}

impl Huff {
    /// The decoder from the HUFF record and its CDIC records.
    pub(crate) fn new(huff: &[u8], cdics: &[&[u8]], limit: usize) -> Result<Huff, Malformed> {
        let bad = Malformed::Huff;
        if huff.get(..4) != Some(HUFF_MAGIC) {
            return Err(bad("the HUFF record is missing"));
        }
        let table = |at: usize, n: usize| -> Option<Vec<u32>> {
            let start = be_u32(huff, at)? as usize;
            (0..n).map(|i| be_u32(huff, start + 4 * i)).collect()
        };
        let leads = table(8, 256).ok_or(bad("the code table is cut off"))?;
        let limits = table(12, 64).ok_or(bad("the code length table is cut off"))?;
        let mut phrases = Vec::new();
        for cdic in cdics {
            read_cdic(cdic, &mut phrases)?;
        }
        Ok(Huff {
            leads: leads.into_iter().map(lead).collect(),
            bounds: std::iter::once((0, 0))
                .chain((1..=32).map(|len| length_bounds(&limits, len)))
                .collect(),
            phrases,
            used: 0,
            limit,
        })
    }

    /// Appends the decompressed `data` to `out`.
    pub(crate) fn decompress(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Malformed> {
        self.unpack(data, out, 0)
    }

    fn unpack(&mut self, data: &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), Malformed> {
        if depth > MAX_DEPTH {
            return Err(Malformed::Huff("phrases nest too deep"));
        }
        let mut bits = Bits::new(data);
        while let Some(code) = bits.peek32() {
            let (len, max) = self.code_length(code)?;
            if !bits.consume(len) {
                break;
            }
            let index = max
                .checked_sub(code)
                .map(|d| d >> (32 - len))
                .ok_or(Malformed::Huff("a code lies above its length's range"))?;
            let phrase = self.phrase(index as usize, depth)?;
            self.used += phrase.len();
            if self.used > self.limit {
                return Err(Malformed::TooLarge { limit: self.limit });
            }
            out.extend_from_slice(&phrase);
        }
        Ok(())
    }

    /// The code's length and the largest code of that length.
    fn code_length(&self, code: u64) -> Result<(u32, u64), Malformed> {
        let lead = self.leads[(code >> 24) as usize & 0xFF];
        if lead.len == 0 {
            return Err(Malformed::Huff("a code has length zero"));
        }
        if lead.terminal {
            return Ok((lead.len, lead.max));
        }
        let mut len = lead.len as usize;
        while self.bounds.get(len).is_some_and(|(min, _)| code < *min) {
            len += 1;
        }
        let (_, max) = self
            .bounds
            .get(len)
            .ok_or(Malformed::Huff("a code is longer than 32 bits"))?;
        Ok((len as u32, *max))
    }

    /// Phrase `index`, expanded (and remembered expanded) if it was compressed.
    fn phrase(&mut self, index: usize, depth: usize) -> Result<Vec<u8>, Malformed> {
        let slot = self.phrases.get_mut(index).ok_or(Malformed::Huff(
            "a code names a phrase the dictionary lacks",
        ))?;
        match std::mem::replace(slot, Phrase::Expanding) {
            Phrase::Plain(bytes) => {
                let copy = bytes.clone();
                self.phrases[index] = Phrase::Plain(bytes);
                Ok(copy)
            }
            Phrase::Expanding => Err(Malformed::Huff("a phrase contains itself")),
            Phrase::Compressed(packed) => {
                let mut expanded = Vec::new();
                self.unpack(&packed, &mut expanded, depth + 1)?;
                self.phrases[index] = Phrase::Plain(expanded.clone());
                Ok(expanded)
            }
        }
    }
}

fn lead(v: u32) -> Lead {
    let len = v & 0x1F;
    Lead {
        len,
        terminal: v & 0x80 != 0,
        max: left_aligned_max(u64::from(v >> 8), len),
    }
}

fn length_bounds(limits: &[u32], len: u32) -> (u64, u64) {
    let at = 2 * (len as usize - 1);
    let (min, max) = (limits[at], limits[at + 1]);
    (
        u64::from(min) << (32 - len),
        left_aligned_max(u64::from(max), len),
    )
}

/// The largest 32-bit code whose first `len` bits are `max`.
fn left_aligned_max(max: u64, len: u32) -> u64 {
    ((max + 1) << (32 - len.min(32))).saturating_sub(1)
}

/// One CDIC record's phrases: offsets after the header, each to a 16-bit length (top bit set
/// when the phrase is stored plain) and the phrase.
fn read_cdic(cdic: &[u8], phrases: &mut Vec<Phrase>) -> Result<(), Malformed> {
    let bad = Malformed::Huff;
    if cdic.get(..4) != Some(CDIC_MAGIC) {
        return Err(bad("a CDIC record is missing"));
    }
    let total = be_u32(cdic, 8).ok_or(bad("a CDIC header is cut off"))? as usize;
    let bits = be_u32(cdic, 12).ok_or(bad("a CDIC header is cut off"))?;
    if bits > MAX_CDIC_BITS {
        return Err(bad("a CDIC record claims too many phrases"));
    }
    let count = (1usize << bits).min(total.saturating_sub(phrases.len()));
    for i in 0..count {
        let entry = CDIC_HEADER
            + usize::from(be_u16(cdic, CDIC_HEADER + 2 * i).ok_or(bad("CDIC offsets cut off"))?);
        let header = be_u16(cdic, entry).ok_or(bad("a phrase is cut off"))?;
        let len = usize::from(header & 0x7FFF);
        let bytes = cdic
            .get(entry + 2..entry + 2 + len)
            .ok_or(bad("a phrase is cut off"))?
            .to_vec();
        phrases.push(if header & 0x8000 != 0 {
            Phrase::Plain(bytes)
        } else {
            Phrase::Compressed(bytes)
        });
    }
    Ok(())
}

/// A big-endian bit reader that looks 32 bits ahead, past the end as zeros.
struct Bits<'a> {
    data: &'a [u8],
    /// Bits consumed so far.
    at: usize,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits { data, at: 0 }
    }

    /// The next 32 bits (zero-padded), or `None` once every bit is consumed.
    fn peek32(&self) -> Option<u64> {
        if self.at >= self.data.len() * 8 {
            return None;
        }
        let byte = self.at / 8;
        let mut window = 0u64;
        for k in 0..5 {
            window = window << 8 | u64::from(self.data.get(byte + k).copied().unwrap_or(0));
        }
        Some((window >> (8 - self.at % 8)) & 0xFFFF_FFFF)
    }

    /// Consumes `n` bits; `false` when fewer are left (the record's padding).
    fn consume(&mut self, n: u32) -> bool {
        self.at += n as usize;
        self.at <= self.data.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A HUFF record with this entry per leading byte and these (min, max) per code length.
    fn huff_with(lead: impl Fn(u32) -> u32, lengths: &[(u32, u32)]) -> Vec<u8> {
        let mut r = b"HUFF\0\0\0\x18".to_vec();
        r.extend_from_slice(&24u32.to_be_bytes());
        r.extend_from_slice(&(24 + 1024u32).to_be_bytes());
        r.extend_from_slice(&[0; 8]);
        for c in 0..256 {
            r.extend_from_slice(&lead(c).to_be_bytes());
        }
        for len in 0..32 {
            let (min, max) = lengths.get(len).copied().unwrap_or((0, 0));
            r.extend_from_slice(&min.to_be_bytes());
            r.extend_from_slice(&max.to_be_bytes());
        }
        r
    }

    /// Every code 8 bits long and final: byte `c` names phrase `255 - c`.
    fn huff() -> Vec<u8> {
        huff_with(|_| (255 << 8) | 0x80 | 8, &[])
    }

    /// A CDIC record holding these phrases (plain unless marked compressed).
    fn cdic(phrases: &[(&[u8], bool)]) -> Vec<u8> {
        let mut r = b"CDIC\0\0\0\x10".to_vec();
        r.extend_from_slice(&(phrases.len() as u32).to_be_bytes());
        r.extend_from_slice(&8u32.to_be_bytes());
        let mut body = Vec::new();
        let mut offsets = Vec::new();
        for (bytes, compressed) in phrases {
            offsets.push((2 * phrases.len() + body.len()) as u16);
            let flag = if *compressed { 0 } else { 0x8000 };
            body.extend_from_slice(&(bytes.len() as u16 | flag).to_be_bytes());
            body.extend_from_slice(bytes);
        }
        for o in offsets {
            r.extend_from_slice(&o.to_be_bytes());
        }
        r.extend_from_slice(&body);
        r
    }

    fn run(phrases: &[(&[u8], bool)], data: &[u8]) -> Result<Vec<u8>, Malformed> {
        let mut huff = Huff::new(&huff(), &[&cdic(phrases)], 1 << 20)?;
        let mut out = Vec::new();
        huff.decompress(data, &mut out)?;
        Ok(out)
    }

    #[test]
    fn codes_name_phrases_and_phrases_nest() {
        let phrases: &[(&[u8], bool)] = &[(b"Hello", false), (b", ", false), (&[255, 255], true)];
        // 255 names phrase 0, 254 phrase 1, 253 phrase 2 (which is phrase 0 twice).
        assert_eq!(
            run(phrases, &[255, 254, 253]).ok(),
            Some(b"Hello, HelloHello".to_vec())
        );
    }

    #[test]
    fn codes_of_several_lengths_are_refined_by_the_length_table() {
        // A = "1", B = "01" (both final from the leading byte); C = "001" and D = "000" start
        // with a byte that only bounds their length from below.
        let lead = |c: u32| match c {
            0x80.. => (1 << 8) | 0x80 | 1,
            0x40..0x80 => (2 << 8) | 0x80 | 2,
            _ => 2,
        };
        let huff = huff_with(lead, &[(1, 1), (1, 2), (0, 3)]);
        let phrases = cdic(&[(b"A", false), (b"B", false), (b"C", false), (b"D", false)]);
        let mut decoder = Huff::new(&huff, &[&phrases], 1 << 20).expect("tables");
        let mut out = Vec::new();
        // 1 01 001 000 000 01 01
        decoder
            .decompress(&[0xA4, 0x05], &mut out)
            .expect("decodes");
        assert_eq!(out, b"ABCDDBB");
    }

    #[test]
    fn hostile_dictionaries_are_refused() {
        let looped: &[(&[u8], bool)] = &[(&[255], true)];
        assert_eq!(
            run(looped, &[255]),
            Err(Malformed::Huff("a phrase contains itself"))
        );
        assert!(run(&[(b"a", false)], &[200]).is_err());
        let doubling: Vec<Vec<u8>> = (0..40u8).map(|i| vec![255 - (i + 1); 2]).collect();
        let mut nested: Vec<(&[u8], bool)> = doubling.iter().map(|p| (&p[..], true)).collect();
        nested.push((b"x", false));
        assert!(run(&nested, &[255]).is_err());
        assert!(Huff::new(b"HUFF", &[], 10).is_err());
        assert!(Huff::new(&huff(), &[b"CDIC"], 10).is_err());
    }

    proptest::proptest! {
        #[test]
        fn random_tables_and_data_never_panic(
            leads in proptest::collection::vec(proptest::prelude::any::<u32>(), 256),
            lengths in proptest::collection::vec(proptest::prelude::any::<(u32, u32)>(), 32),
            phrases in proptest::collection::vec(
                (proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8), proptest::prelude::any::<bool>()),
                0..64,
            ),
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
        ) {
            let huff = huff_with(|c| leads[c as usize], &lengths);
            let phrases: Vec<(&[u8], bool)> = phrases.iter().map(|(p, c)| (&p[..], *c)).collect();
            let cdic = cdic(&phrases);
            if let Ok(mut decoder) = Huff::new(&huff, &[&cdic], 1 << 16) {
                let mut out = Vec::new();
                let _ = decoder.decompress(&data, &mut out);
                proptest::prop_assert!(out.len() <= 1 << 16);
            }
        }
    }
}
