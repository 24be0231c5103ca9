use super::cast::{join, record};
use super::*;
use crate::analyze::model::{Catalogue, Detail, Element};
use crate::ids::ChapterNo;
use crate::provider::ElementKind;

fn element(name: &str, aliases: &[&str], description: &str, appearance: &str) -> Element {
    Element {
        name: name.into(),
        kind: ElementKind::Character,
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        description: description.into(),
        quotes: Vec::new(),
        first_chapter: ChapterNo(2),
        chapters: vec![ChapterNo(2)],
        appearance: appearance.into(),
        details: Vec::new(),
    }
}

fn catalogue(elements: Vec<Element>) -> Catalogue {
    Catalogue {
        title: "Book".into(),
        elements,
        partial_from: Vec::new(),
    }
}

#[test]
fn a_returning_character_keeps_the_series_card_and_gains_this_books_detail() {
    let mut cast = SeriesCast::default();
    let first = catalogue(vec![element(
        "Elizabeth Bennet",
        &["Lizzy"],
        "The second daughter.",
        "age 20; dark eyes; muslin gown",
    )]);
    record(&mut cast, &first, "Volume One");
    let mut second = catalogue(vec![
        element("Lizzy", &[], "Now engaged.", ""),
        element("Georgiana Darcy", &[], "Shy.", ""),
    ]);
    let joined = join(&cast, &mut second, "Volume Two");
    assert_eq!(joined.returning, vec!["Elizabeth Bennet".to_string()]);
    let lizzy = &second.elements[0];
    assert_eq!(lizzy.name, "Elizabeth Bennet");
    assert_eq!(lizzy.appearance, "age 20; dark eyes; muslin gown");
    assert_eq!(lizzy.description, "The second daughter.");
    assert_eq!(
        lizzy.details,
        vec![Detail {
            text: "Now engaged.".into(),
            book: "Volume Two".into(),
            chapter: ChapterNo(2),
        }]
    );
    assert!(
        second.elements[1].details.is_empty(),
        "a new element has none"
    );
    record(&mut cast, &second, "Volume Two");
    assert_eq!(cast.elements.len(), 2);
    assert_eq!(cast.elements[0].details.len(), 1);
    assert_eq!(cast.elements[0].books, vec!["Volume One", "Volume Two"]);
    assert_eq!(cast.elements[1].first_book, "Volume Two");
}

#[test]
fn a_name_of_another_kind_is_not_the_same_element() {
    let mut cast = SeriesCast::default();
    record(
        &mut cast,
        &catalogue(vec![element("Pemberley", &[], "d", "")]),
        "One",
    );
    let mut place = element("Pemberley", &[], "A great house.", "");
    place.kind = ElementKind::Place;
    let mut book = catalogue(vec![place]);
    assert!(join(&cast, &mut book, "Two").returning.is_empty());
}

#[test]
fn init_refuses_an_existing_series_and_open_refuses_a_plain_folder() {
    let dir = tempfile::tempdir().unwrap();
    let plain = Series::open(dir.path()).unwrap_err();
    assert!(matches!(plain, Error::NotASeries(_)), "{plain}");
    let series = Series::init(dir.path(), Some("Bennets")).unwrap();
    let (file, cast) = series.read().unwrap();
    assert_eq!(file.name, "Bennets");
    assert!(cast.elements.is_empty());
    assert!(matches!(
        Series::init(dir.path(), None),
        Err(Error::Exists(_))
    ));
}

#[test]
fn concurrent_updates_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    Series::init(dir.path(), Some("S")).unwrap();
    let writers: Vec<_> = (0..8)
        .map(|i| {
            let dir = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let series = Series::open(&dir).unwrap();
                for j in 0..5 {
                    let name = format!("Person {i}-{j}");
                    series
                        .update(|_, cast| {
                            record(cast, &catalogue(vec![element(&name, &[], "d", "")]), "B")
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let (_, cast) = Series::open(dir.path()).unwrap().read().unwrap();
    assert_eq!(cast.elements.len(), 40);
}

#[test]
fn the_old_tools_series_files_are_converted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".imaginize.series.json"),
        r#"{"version":1,"name":"Potter","books":[{"id":"book-1","title":"Stone","path":"./book-1","order":1,"status":"completed"}],
            "sharedElements":{"enabled":true,"mode":"progressive","mergeStrategy":"enrich"},"createdAt":"x","lastUpdated":"y"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".series-elements-memory.json"),
        r#"{"version":1,"seriesName":"Potter","entities":{"Harry Potter":{"name":"Harry Potter","type":"character",
            "baseDescription":"Young wizard with a scar","firstAppearance":{"bookId":"book-1","chapter":1},
            "enrichments":[{"detail":"Gryffindor seeker","sourceBook":"book-1","sourceChapter":9,"addedAt":"z"}]}}}"#,
    )
    .unwrap();
    let series = Series::open(dir.path()).unwrap();
    let (file, cast) = series.read().unwrap();
    assert_eq!(file.name, "Potter");
    assert_eq!(file.books[0].title, "Stone");
    let harry = &cast.elements[0];
    assert_eq!(harry.description, "Young wizard with a scar");
    assert_eq!(harry.first_book, "Stone");
    assert_eq!(
        harry.details,
        vec![Detail {
            text: "Gryffindor seeker".into(),
            book: "Stone".into(),
            chapter: ChapterNo(9),
        }]
    );
}

#[test]
fn two_book_elements_of_one_series_element_become_one() {
    let mut cast = SeriesCast::default();
    record(
        &mut cast,
        &catalogue(vec![element(
            "Elizabeth Bennet",
            &["Lizzy", "Eliza"],
            "d",
            "card",
        )]),
        "One",
    );
    let mut eliza = element("Eliza", &[], "d", "");
    eliza.chapters = vec![ChapterNo(5)];
    eliza.first_chapter = ChapterNo(5);
    let mut book = catalogue(vec![element("Lizzy", &[], "d", ""), eliza]);
    let joined = join(&cast, &mut book, "Two");
    assert_eq!(joined.returning, vec!["Elizabeth Bennet".to_string()]);
    assert_eq!(book.elements.len(), 1);
    assert_eq!(book.elements[0].chapters, vec![ChapterNo(2), ChapterNo(5)]);
}
