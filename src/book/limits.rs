//! Resource limits for untrusted input: an EPUB is a zip, and a zip can inflate to far more than
//! its size on disk.

use std::io::Read;
use std::time::Duration;

/// How much a book may inflate to, and how long a PDF may take to read, before we refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single zip entry, once inflated.
    pub max_entry_bytes: u64,
    /// Largest total of all entries we read, once inflated.
    pub max_total_bytes: u64,
    /// Longest a PDF's text extraction may run: a malformed or hostile PDF can keep the parser
    /// busy for ever, and a hang is worse than an error.
    pub max_pdf_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        // No real book comes near these; a zip bomb passes them in seconds. A 250-page novel's
        // PDF takes about 1.3 s to read here.
        Limits {
            max_entry_bytes: 256 << 20,
            max_total_bytes: 1 << 30,
            max_pdf_time: Duration::from_secs(300),
        }
    }
}

/// Reads at most `limit` bytes; `Ok(None)` when the reader holds more than that.
pub(crate) fn read_limited(reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    // One byte past the limit tells "exactly at the limit" from "over it".
    reader.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= limit).then_some(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_limit_and_refuses_past_it() {
        assert_eq!(
            read_limited(&b"abcd"[..], 4).ok().flatten(),
            Some(b"abcd".to_vec())
        );
        assert_eq!(read_limited(&b"abcde"[..], 4).ok().flatten(), None);
    }
}
