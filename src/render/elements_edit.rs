//! One element's description or appearance card changed inside Elements.md, leaving every other
//! line as it is (the file is the source of truth and may hold hand edits a re-render would
//! lose). Pure.

/// Why a description could not be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("Elements.md has no element number {index}")]
    NoSuchElement { index: usize },
    #[error("element {index} of Elements.md is `{found}`, not `{expected}` (the file changed)")]
    NameMismatch {
        index: usize,
        expected: String,
        found: String,
    },
}

const DESCRIPTION: &str = "**Description:**";
const APPEARANCE: &str = "**Appearance:**";

/// Which one-line field of an element an edit sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Description,
    /// The appearance card every image prompt showing the element carries verbatim.
    Appearance,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Description => DESCRIPTION,
            Field::Appearance => APPEARANCE,
        }
    }
}

/// `text` with the description of its `index`-th element (0-based, in file order, as
/// `ElementsLookup::parse_markdown` lists them) set to `description` on one line. `name` must be
/// that element's name, so an edit made on a page older than the file never lands on another
/// element.
pub fn set_description(
    text: &str,
    index: usize,
    name: &str,
    description: &str,
) -> Result<String, EditError> {
    set_field(text, index, name, Field::Description, description)
}

/// `text` with `field` of its `index`-th element (named `name`) set to `value` on one line; a
/// missing card goes after the description.
pub fn set_field(
    text: &str,
    index: usize,
    name: &str,
    field: Field,
    value: &str,
) -> Result<String, EditError> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let header = element_header(&lines, index).ok_or(EditError::NoSuchElement { index })?;
    let found = lines[header].trim().trim_start_matches('#').trim();
    if found != name.trim() {
        return Err(EditError::NameMismatch {
            index,
            expected: name.to_owned(),
            found: found.to_owned(),
        });
    }
    let new_line = format!("{} {}\n", field.label(), one_line(value));
    let block_end = block_end(&lines, header);
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let line_of =
        |label: &str| (header + 1..block_end).find(|&i| lines[i].trim_start().starts_with(label));
    match (line_of(field.label()), field, line_of(DESCRIPTION)) {
        (Some(i), _, _) => out[i] = new_line,
        (None, Field::Appearance, Some(d)) => out.insert(d + 1, format!("\n{new_line}")),
        (None, _, _) => out.insert(header + 1, format!("\n{new_line}")),
    }
    if !out[header].ends_with('\n') {
        out[header].push('\n');
    }
    Ok(out.concat())
}

/// The line of the `index`-th `#### ` heading.
fn element_header(lines: &[&str], index: usize) -> Option<usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim().starts_with("#### "))
        .nth(index)
        .map(|(i, _)| i)
}

/// Where the element starting at `header` ends: the next heading or `---`, or the end.
fn block_end(lines: &[&str], header: usize) -> usize {
    (header + 1..lines.len())
        .find(|&i| {
            let l = lines[i].trim();
            l.starts_with('#') || l == "---"
        })
        .unwrap_or(lines.len())
}

/// Descriptions are one line in Elements.md, so the parser reads them back whole.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::lookup::ElementsLookup;

    const MD: &str = "# Elements - B\n\n### Characters\n\n#### Ann\n\n**Aliases:** A\n\n\
**Description:** Tall.\n\n**Appears in:** Chapter 1\n\n---\n\n#### Bob\n\n\
**Description:** Short.\n\n---\n\n## Statistics\n\n- Total: 2\n";

    #[test]
    fn only_the_chosen_description_changes_and_reads_back() {
        let edited = set_description(MD, 1, "Bob", "Very\n  short,  bald.").unwrap();
        assert_eq!(edited, MD.replace("Short.", "Very short, bald."));
        let cast = ElementsLookup::parse_markdown(&edited).unwrap();
        assert_eq!(cast.elements[1].description, "Very short, bald.");
        assert_eq!(cast.elements[0].description, "Tall.");
    }

    #[test]
    fn a_missing_description_line_is_added() {
        let md = "### Places\n\n#### Moor\n\n**Appears in:** Chapter 2\n";
        let edited = set_description(md, 0, "Moor", "Wide and grey").unwrap();
        let cast = ElementsLookup::parse_markdown(&edited).unwrap();
        assert_eq!(cast.elements[0].description, "Wide and grey");
        assert_eq!(cast.elements[0].chapters.len(), 1);
    }

    #[test]
    fn a_card_is_set_or_added_after_the_description() {
        let added = set_field(MD, 0, "Ann", Field::Appearance, "age 30; red coat").unwrap();
        assert!(
            added.contains("**Description:** Tall.\n\n**Appearance:** age 30; red coat\n"),
            "{added}"
        );
        let changed = set_field(&added, 0, "Ann", Field::Appearance, "grey coat").unwrap();
        let cast = ElementsLookup::parse_markdown(&changed).unwrap();
        assert_eq!(cast.elements[0].appearance, "grey coat");
        assert_eq!(cast.elements[0].description, "Tall.");
        assert_eq!(cast.elements[1].appearance, "");
    }

    #[test]
    fn a_wrong_index_or_name_changes_nothing() {
        assert_eq!(
            set_description(MD, 2, "X", "d"),
            Err(EditError::NoSuchElement { index: 2 })
        );
        assert!(matches!(
            set_description(MD, 0, "Bob", "d"),
            Err(EditError::NameMismatch { .. })
        ));
    }
}
