//! Chapter-heading recognition shared by every reader: "Chapter 12", "CHAPTER XII.",
//! "Chapter Twelve: The Ball", "Part II", "Prologue". Also turns such headings into the titles we
//! show ("Chapter 12: The Ball"), so every format names its chapters alike.

use regex::Regex;
use std::sync::LazyLock;

/// What a heading line announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadingKind {
    /// "Chapter N", with N as written (roman, arabic or words).
    Chapter(u32),
    /// "Part/Book/Volume N": groups chapters, usually without text of its own.
    Part,
    /// Prologue, epilogue, interlude, preface…: a section named by a word, not a number.
    Named(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Heading {
    pub kind: HeadingKind,
    /// The words after the number ("The Ball" in "Chapter 3. The Ball"), if any.
    pub subtitle: Option<String>,
}

/// The number token: arabic, roman, or an English number word ("twenty-one").
const NUMBER: &str = r"([0-9]{1,4}|[ivxlcdm]{1,12}|[a-z]+(?:-[a-z]+)?)";
/// What may follow the number before a subtitle: Gutenberg writes "CHAPTER I." and "Chapter I.]".
const TAIL: &str = r"[.:\]\)]*\s*(?:[-–—:.]\s*)?(.*?)\s*$";

static CHAPTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^\s*(?:chapter|chap\.)\s+{NUMBER}\b{TAIL}")).expect("static regex")
});
static PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^\s*(?:part|book|volume|vol\.)\s+{NUMBER}\b{TAIL}"
    ))
    .expect("static regex")
});
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^\s*(prologue|epilogue|interlude|preface|foreword|afterword){TAIL}"
    ))
    .expect("static regex")
});

/// Longest line we accept as a heading: longer lines are prose that happens to start with
/// "Chapter".
pub(crate) const MAX_HEADING_CHARS: usize = 100;

/// Recognises a heading line, or `None` for anything else.
pub(crate) fn parse_heading(line: &str) -> Option<Heading> {
    let line = line.trim();
    if line.is_empty() || line.chars().count() > MAX_HEADING_CHARS {
        return None;
    }
    if let Some(c) = CHAPTER.captures(line) {
        let n = parse_number(&c[1])?;
        return Some(Heading {
            kind: HeadingKind::Chapter(n),
            subtitle: subtitle(&c[2]),
        });
    }
    if let Some(c) = PART.captures(line) {
        parse_number(&c[1])?;
        return Some(Heading {
            kind: HeadingKind::Part,
            subtitle: subtitle(&c[2]),
        });
    }
    let c = NAMED.captures(line)?;
    // "Prologue" must be the whole word: "Prologues are dull" is prose.
    let rest = &line[c.get(1).map_or(0, |m| m.end())..];
    if rest.starts_with(|ch: char| ch.is_alphanumeric()) {
        return None;
    }
    Some(Heading {
        kind: HeadingKind::Named(title_case(&c[1])),
        subtitle: subtitle(&c[2]),
    })
}

fn subtitle(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches([']', ')']).trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// The title we show: "Chapter <arabic>" (plus ": subtitle"), or the heading word in title case;
/// anything that is not a heading keeps its words, with whitespace collapsed.
pub(crate) fn normalise_title(raw: &str) -> String {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(h) = parse_heading(&collapsed) else {
        return collapsed;
    };
    let head = match h.kind {
        HeadingKind::Chapter(n) => format!("Chapter {n}"),
        HeadingKind::Part | HeadingKind::Named(_) => return collapsed,
    };
    match h.subtitle {
        Some(sub) => format!("{head}: {sub}"),
        None => head,
    }
}

fn title_case(word: &str) -> String {
    let lower = word.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Arabic, roman or English-word numbers ("12", "XII", "twelve", "twenty-one").
pub(crate) fn parse_number(token: &str) -> Option<u32> {
    let lower = token.to_ascii_lowercase();
    if let Ok(n) = lower.parse::<u32>() {
        return (n > 0).then_some(n);
    }
    parse_roman(&lower).or_else(|| parse_number_words(&lower))
}

/// Canonical roman numerals up to 399 (I…CCCXCIX). We stop below D and M so that words such as
/// "mix" or "did" never pass for numbers.
pub(crate) fn parse_roman(token: &str) -> Option<u32> {
    let value = |c: char| match c.to_ascii_lowercase() {
        'i' => Some(1),
        'v' => Some(5),
        'x' => Some(10),
        'l' => Some(50),
        'c' => Some(100),
        _ => None,
    };
    let digits: Vec<i64> = token.chars().map(value).collect::<Option<_>>()?;
    let mut total = 0i64;
    for (i, d) in digits.iter().enumerate() {
        match digits.get(i + 1) {
            Some(next) if next > d => total -= d,
            _ => total += d,
        }
    }
    // Round-trip to reject non-canonical forms like "IIII" or "IC".
    let total = u32::try_from(total).ok().filter(|t| *t > 0)?;
    (to_roman(total) == token.to_ascii_uppercase()).then_some(total)
}

fn to_roman(mut n: u32) -> String {
    const TABLE: [(u32, &str); 9] = [
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, symbol) in TABLE {
        while n >= value {
            out.push_str(symbol);
            n -= value;
        }
    }
    out
}

const ONES: [&str; 19] = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

fn parse_number_words(token: &str) -> Option<u32> {
    let ones = |w: &str| ONES.iter().position(|o| *o == w).map(|i| i as u32 + 1);
    let tens = |w: &str| {
        TENS.iter()
            .position(|t| *t == w)
            .map(|i| i as u32 * 10 + 20)
    };
    match token.split_once('-') {
        Some((t, o)) => Some(tens(t)? + ones(o).filter(|n| *n < 10)?),
        None => ones(token).or_else(|| tens(token)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(line: &str) -> Option<(u32, Option<String>)> {
        match parse_heading(line)? {
            Heading {
                kind: HeadingKind::Chapter(n),
                subtitle,
            } => Some((n, subtitle)),
            _ => None,
        }
    }

    #[test]
    fn roman_numerals_round_trip() {
        assert_eq!(parse_roman("i"), Some(1));
        assert_eq!(parse_roman("IV"), Some(4));
        assert_eq!(parse_roman("xlix"), Some(49));
        assert_eq!(parse_roman("LXI"), Some(61));
        assert_eq!(parse_roman("CCCXCIX"), Some(399));
        assert_eq!(parse_roman("IIII"), None);
        assert_eq!(parse_roman("IC"), None);
        assert_eq!(parse_roman("mix"), None);
        assert_eq!(parse_roman(""), None);
    }

    #[test]
    fn number_words() {
        assert_eq!(parse_number("Twelve"), Some(12));
        assert_eq!(parse_number("twenty-one"), Some(21));
        assert_eq!(parse_number("forty"), Some(40));
        assert_eq!(parse_number("twenty-twelve"), None);
        assert_eq!(parse_number("0"), None);
    }

    #[test]
    fn chapter_headings_in_their_usual_spellings() {
        assert_eq!(chapter("Chapter 12"), Some((12, None)));
        assert_eq!(chapter("CHAPTER XII."), Some((12, None)));
        assert_eq!(chapter("Chapter I.]"), Some((1, None)));
        assert_eq!(
            chapter("Chapter 3. The Ball"),
            Some((3, Some("The Ball".into())))
        );
        assert_eq!(
            chapter("CHAPTER IV: A Visit"),
            Some((4, Some("A Visit".into())))
        );
        assert_eq!(
            chapter("Chapter Twenty-One — Home"),
            Some((21, Some("Home".into())))
        );
        assert_eq!(chapter("  chapter 7  "), Some((7, None)));
    }

    #[test]
    fn prose_is_not_a_heading() {
        assert_eq!(chapter("Chapters are long"), None);
        assert_eq!(chapter("Chapter the Last"), None);
        assert_eq!(parse_heading("Prologues bore me."), None);
        let long = format!("Chapter 1 {}", "word ".repeat(40));
        assert_eq!(parse_heading(&long), None);
    }

    #[test]
    fn parts_and_named_sections() {
        assert_eq!(
            parse_heading("PART II").map(|h| h.kind),
            Some(HeadingKind::Part)
        );
        assert_eq!(
            parse_heading("Volume One").map(|h| h.kind),
            Some(HeadingKind::Part)
        );
        let pro = parse_heading("PROLOGUE: The Storm").expect("prologue");
        assert_eq!(pro.kind, HeadingKind::Named("Prologue".into()));
        assert_eq!(pro.subtitle.as_deref(), Some("The Storm"));
    }

    #[test]
    fn titles_are_normalised_to_arabic() {
        assert_eq!(normalise_title("CHAPTER I."), "Chapter 1");
        assert_eq!(normalise_title("Chapter LXI.]"), "Chapter 61");
        assert_eq!(
            normalise_title("Chapter 3. The Ball"),
            "Chapter 3: The Ball"
        );
        assert_eq!(normalise_title("  The   Ball "), "The Ball");
        assert_eq!(normalise_title("Epilogue"), "Epilogue");
    }
}
