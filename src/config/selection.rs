//! `--chapters "1-5,10"`: which story chapters a run touches.

use super::Error;
use crate::ids::ChapterNo;
use std::ops::RangeInclusive;

/// A set of chapter numbers given as ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterSelection {
    ranges: Vec<RangeInclusive<u32>>,
}

impl ChapterSelection {
    /// Parses "1-5,10" (spaces allowed; "7-" means 7 to the end).
    pub fn parse(input: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::BadRange {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let mut ranges = Vec::new();
        for part in input.split(',').map(str::trim) {
            if part.is_empty() {
                return Err(bad("empty item"));
            }
            let (start, end) = match part.split_once('-') {
                Some((start, "")) => (parse_number(start, input)?, u32::MAX),
                Some((start, end)) => (parse_number(start, input)?, parse_number(end, input)?),
                None => {
                    let n = parse_number(part, input)?;
                    (n, n)
                }
            };
            if start == 0 {
                return Err(bad("chapters are numbered from 1"));
            }
            if start > end {
                return Err(bad(&format!("{start} is after {end}")));
            }
            ranges.push(start..=end);
        }
        Ok(ChapterSelection { ranges })
    }

    pub fn contains(&self, chapter: ChapterNo) -> bool {
        self.ranges.iter().any(|range| range.contains(&chapter.0))
    }
}

fn parse_number(text: &str, input: &str) -> Result<u32, Error> {
    text.trim().parse().map_err(|_| Error::BadRange {
        input: input.to_string(),
        reason: format!("`{}` is not a chapter number", text.trim()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_single_chapters() {
        let selection = ChapterSelection::parse("1-5, 10,12-").expect("valid");
        for n in [1, 3, 5, 10, 12, 99] {
            assert!(selection.contains(ChapterNo(n)), "{n}");
        }
        for n in [6, 9, 11] {
            assert!(!selection.contains(ChapterNo(n)), "{n}");
        }
    }

    #[test]
    fn rejects_nonsense() {
        for input in ["", "a", "5-2", "0", "1,,2", "3-x"] {
            assert!(ChapterSelection::parse(input).is_err(), "{input}");
        }
    }
}
