//! The book's markup: every text record with its trailing entries cut off, decompressed and
//! joined; for KF8, only the first flow (the others are stylesheets and images).

use super::Malformed;
use super::header::{Compression, Header};
use super::huffcdic::Huff;
use super::lz77;
use super::palmdb::{PalmDb, be_u32};

const FDST_MAGIC: &[u8] = b"FDST";

/// The text records' content, decompressed, at most `limit` bytes.
pub(crate) fn markup(db: &PalmDb<'_>, header: &Header, limit: usize) -> Result<Vec<u8>, Malformed> {
    let mut huff = match header.compression {
        Some(Compression::HuffCdic) => Some(dictionary(db, header, limit)?),
        Some(_) => None,
        None => return Err(Malformed::Unsupported),
    };
    let mut out = Vec::new();
    for i in 1..=header.text_records {
        let record = db.record(i).ok_or(Malformed::MissingRecord(i))?;
        let content = without_trailing_entries(record, header.extra_flags)
            .ok_or(Malformed::TrailingEntries(i))?;
        match huff.as_mut() {
            Some(huff) => huff.decompress(content, &mut out)?,
            None if header.compression == Some(Compression::PalmDoc) => {
                lz77::decompress(content, &mut out, limit)?;
            }
            None => out.extend_from_slice(content),
        }
        if out.len() > limit {
            return Err(Malformed::TooLarge { limit });
        }
    }
    match header.fdst {
        Some(fdst) => first_flow(out, db.record(fdst)),
        None => Ok(out),
    }
}

/// The HUFF/CDIC decoder from the records the header names.
fn dictionary(db: &PalmDb<'_>, header: &Header, limit: usize) -> Result<Huff, Malformed> {
    let (first, count) = header
        .huff
        .ok_or(Malformed::Huff("the header names no HUFF record"))?;
    let record = |i: usize| {
        db.record(i)
            .ok_or(Malformed::Huff("a dictionary record is missing"))
    };
    let cdics = (1..count)
        .map(|k| record(first.saturating_add(k)))
        .collect::<Result<Vec<_>, _>>()?;
    Huff::new(record(first)?, &cdics, limit)
}

/// Cuts the entries a writer appends to each text record (indexing data, multibyte overlap).
/// Each flag bit above the lowest announces one entry whose size is a backward-encoded number
/// at the record's end; the lowest bit announces the overlap, sized by the last byte's low bits.
fn without_trailing_entries(record: &[u8], flags: u16) -> Option<&[u8]> {
    let mut end = record.len();
    for bit in 1..16 {
        if flags & (1 << bit) != 0 {
            end = end.checked_sub(entry_size(&record[..end])?)?;
        }
    }
    if flags & 1 != 0 {
        let overlap = usize::from(*record.get(end.checked_sub(1)?)? & 0x3) + 1;
        end = end.checked_sub(overlap)?;
    }
    record.get(..end)
}

/// A size written backwards from the end: 7 bits per byte, the high bit marking the first.
fn entry_size(data: &[u8]) -> Option<usize> {
    let tail = &data[data.len().saturating_sub(4)..];
    let mut size = 0usize;
    for &b in tail {
        if b & 0x80 != 0 {
            size = 0;
        }
        size = size << 7 | usize::from(b & 0x7F);
    }
    (size > 0).then_some(size)
}

/// KF8 keeps stylesheets and SVG after the text, in further flows; the FDST record says where
/// the first one ends. A missing or malformed table leaves the text whole.
fn first_flow(mut text: Vec<u8>, fdst: Option<&[u8]>) -> Result<Vec<u8>, Malformed> {
    let Some(fdst) = fdst.filter(|r| r.get(..4) == Some(FDST_MAGIC)) else {
        return Ok(text);
    };
    let table = be_u32(fdst, 4).map(|t| t as usize);
    let bounds = table.and_then(|t| Some((be_u32(fdst, t)?, be_u32(fdst, t + 4)?)));
    let Some((start, end)) = bounds.map(|(s, e)| (s as usize, e as usize)) else {
        return Ok(text);
    };
    if start > end || end > text.len() {
        return Err(Malformed::Flow);
    }
    text.truncate(end);
    Ok(text.split_off(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_entries_are_cut() {
        // One indexing entry of 3 bytes (its size byte 0x83 included), then two bytes of
        // multibyte overlap (the last one says how many).
        let record = b"textA\x01\x01\x00\x83";
        assert_eq!(without_trailing_entries(record, 0b11), Some(&b"text"[..]));
        assert_eq!(without_trailing_entries(b"text", 0), Some(&b"text"[..]));
        assert_eq!(without_trailing_entries(b"\xFF", 0b10), None);
        assert_eq!(without_trailing_entries(b"", 0b1), None);
    }

    #[test]
    fn the_first_flow_is_the_text() {
        let fdst = b"FDST\x00\x00\x00\x0C\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x04\x00\x00\x00\x07";
        assert_eq!(
            first_flow(b"textcss".to_vec(), Some(fdst)),
            Ok(b"text".to_vec())
        );
        assert_eq!(
            first_flow(b"tex".to_vec(), Some(fdst)),
            Err(Malformed::Flow)
        );
        assert_eq!(first_flow(b"text".to_vec(), None), Ok(b"text".to_vec()));
    }
}
