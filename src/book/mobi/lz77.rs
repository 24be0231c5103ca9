//! PalmDoc compression, the LZ77 variant MOBI text records use: literals, runs of up to eight
//! raw bytes, a space folded into the next character, and back-references of 3–10 bytes up to
//! 2047 bytes back. Each record is compressed on its own, so a reference never reaches into an
//! earlier record.

use super::Malformed;

/// Appends the decompressed `input` to `out`, refusing to grow `out` past `limit` bytes.
pub(crate) fn decompress(input: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), Malformed> {
    let record_start = out.len();
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        i += 1;
        match byte {
            0x01..=0x08 => {
                let run = input
                    .get(i..i + usize::from(byte))
                    .ok_or(Malformed::Compressed("a literal run goes past the record"))?;
                out.extend_from_slice(run);
                i += run.len();
            }
            0x00 | 0x09..=0x7F => out.push(byte),
            0x80..=0xBF => {
                let next = *input
                    .get(i)
                    .ok_or(Malformed::Compressed("a back-reference is cut off"))?;
                i += 1;
                let pair = (usize::from(byte) << 8 | usize::from(next)) & 0x3FFF;
                copy_back(out, record_start, pair >> 3, (pair & 7) + 3)?;
            }
            0xC0..=0xFF => out.extend_from_slice(&[b' ', byte ^ 0x80]),
        }
        if out.len() > limit {
            return Err(Malformed::TooLarge { limit });
        }
    }
    Ok(())
}

/// Copies `len` bytes from `distance` back, byte by byte: the ranges may overlap (a run).
fn copy_back(
    out: &mut Vec<u8>,
    record_start: usize,
    distance: usize,
    len: usize,
) -> Result<(), Malformed> {
    if distance == 0 || distance > out.len() - record_start {
        return Err(Malformed::Compressed(
            "a back-reference points before the record",
        ));
    }
    let from = out.len() - distance;
    for k in 0..len {
        let b = out[from + k];
        out.push(b);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> Result<Vec<u8>, Malformed> {
        let mut out = b"prev".to_vec();
        decompress(input, &mut out, 1 << 20)?;
        Ok(out.split_off(4))
    }

    #[test]
    fn literals_runs_spaces_and_references() {
        assert_eq!(run(b"abc").ok(), Some(b"abc".to_vec()));
        assert_eq!(run(b"\x02\xC3\xA9x").ok(), Some("éx".as_bytes().to_vec()));
        assert_eq!(run(b"a\xE2").ok(), Some(b"a b".to_vec()));
        // "ab" then distance 2, length 5: "ababa".
        let pair: u16 = 0x8000 | (2 << 3) | (5 - 3);
        let input = [b'a', b'b', (pair >> 8) as u8, pair as u8];
        assert_eq!(run(&input).ok(), Some(b"abababa".to_vec()));
    }

    #[test]
    fn bad_streams_are_refused() {
        assert!(run(b"\x05ab").is_err());
        assert!(run(b"\x80").is_err());
        // A reference into the previous record's output.
        let pair: u16 = 0x8000 | (2 << 3);
        assert!(run(&[(pair >> 8) as u8, pair as u8]).is_err());
        let mut out = Vec::new();
        assert!(matches!(
            decompress(&[b'a'; 10], &mut out, 5),
            Err(Malformed::TooLarge { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn any_input_is_decoded_or_refused_within_bounds(
            input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4_096),
        ) {
            let mut out = Vec::new();
            if decompress(&input, &mut out, 1 << 16).is_ok() {
                // Nothing expands by more than five times (two bytes for ten).
                proptest::prop_assert!(out.len() <= input.len() * 5);
            }
        }
    }
}
