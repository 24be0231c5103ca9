//! The Palm database every Kindle book is stored in: a 78-byte header, then a table of record
//! offsets. Every offset is checked against the file before any record is handed out.

use super::Malformed;

const HEADER_LEN: usize = 78;
const ENTRY_LEN: usize = 8;
const RECORD_COUNT_AT: usize = 76;
const KIND_AT: std::ops::Range<usize> = 60..68;
/// Database types that hold a book: MOBI/AZW/AZW3, and plain PalmDoc.
const BOOK_KINDS: [&[u8]; 2] = [b"BOOKMOBI", b"TEXtREAd"];

/// The records of a Palm database, as slices of the file.
#[derive(Debug)]
pub(crate) struct PalmDb<'a> {
    bytes: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> PalmDb<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, Malformed> {
        if bytes.len() < HEADER_LEN {
            return Err(Malformed::Truncated("the Palm database header"));
        }
        if !BOOK_KINDS.contains(&&bytes[KIND_AT]) {
            return Err(Malformed::NotABook);
        }
        let count = usize::from(be_u16(bytes, RECORD_COUNT_AT).unwrap_or(0));
        if count == 0 {
            return Err(Malformed::NoRecords);
        }
        // The table itself must fit in the file: this bounds the count before we allocate.
        let table_end = HEADER_LEN + count * ENTRY_LEN;
        if table_end > bytes.len() {
            return Err(Malformed::Truncated("the record table"));
        }
        let mut starts = Vec::with_capacity(count);
        for i in 0..count {
            let start = be_u32(bytes, HEADER_LEN + i * ENTRY_LEN).unwrap_or(u32::MAX) as usize;
            let previous = starts.last().copied().unwrap_or(table_end);
            if start < previous || start > bytes.len() {
                return Err(Malformed::RecordOffset {
                    record: i,
                    offset: start,
                });
            }
            starts.push(start);
        }
        Ok(PalmDb { bytes, starts })
    }

    /// Record `i`, or `None` past the last one.
    pub(crate) fn record(&self, i: usize) -> Option<&'a [u8]> {
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).copied().unwrap_or(self.bytes.len());
        self.bytes.get(start..end)
    }
}

/// Big-endian integers at `at`, or `None` past the end.
pub(crate) fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

pub(crate) fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(offsets: &[u32], len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len.max(HEADER_LEN + offsets.len() * ENTRY_LEN)];
        b[KIND_AT].copy_from_slice(b"BOOKMOBI");
        b[RECORD_COUNT_AT..HEADER_LEN].copy_from_slice(&(offsets.len() as u16).to_be_bytes());
        for (i, o) in offsets.iter().enumerate() {
            let at = HEADER_LEN + i * ENTRY_LEN;
            b[at..at + 4].copy_from_slice(&o.to_be_bytes());
        }
        b
    }

    #[test]
    fn records_are_slices_between_offsets() {
        let bytes = db(&[94, 100], 110);
        let db = PalmDb::parse(&bytes).expect("db");
        assert_eq!(db.record(0).map(<[u8]>::len), Some(6));
        assert_eq!(db.record(1).map(<[u8]>::len), Some(10));
        assert_eq!(db.record(2), None);
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(matches!(
            PalmDb::parse(&[0; 10]),
            Err(Malformed::Truncated(_))
        ));
        assert!(matches!(
            PalmDb::parse(&db(&[94, 5000], 110)),
            Err(Malformed::RecordOffset { record: 1, .. })
        ));
        assert!(matches!(
            PalmDb::parse(&db(&[100, 94], 110)),
            Err(Malformed::RecordOffset { record: 1, .. })
        ));
        let mut huge = db(&[94], 110);
        huge[RECORD_COUNT_AT..HEADER_LEN].copy_from_slice(&u16::MAX.to_be_bytes());
        assert!(matches!(PalmDb::parse(&huge), Err(Malformed::Truncated(_))));
        let mut other = db(&[94], 110);
        other[KIND_AT].copy_from_slice(b"DATAxxxx");
        assert!(matches!(PalmDb::parse(&other), Err(Malformed::NotABook)));
    }
}
