//! Reading the old tool's state file (`.imaginize.state.json`, version 2.x, and the older
//! `.illustrate.state.json`, version 1.x) into plain types. The file is walked by hand rather than
//! with serde derive so that anything we cannot understand is reported with the path of the
//! field (`phases.analyze.chapters.3.status`), which the user can find and fix.

use crate::store::Error;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A chapter's status in one phase of the old tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OldStatus {
    Pending,
    InProgress,
    Completed,
    Failed,
}

/// One scene the old analysis chose (`sceneConcepts[]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OldScene {
    pub quote: String,
    pub description: String,
    pub mood: String,
    pub lighting: String,
    pub elements: Vec<String>,
    /// Where the old tool put the image (a path relative to the folder, or a URL).
    pub image: Option<String>,
}

/// A chapter in one phase (`phases.<phase>.chapters."<n>"`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OldChapter {
    pub status: OldStatus,
    pub concepts: u32,
    /// `None` when the old file predates `sceneConcepts` (then `Chapters.md` has the scenes).
    pub scenes: Option<Vec<OldScene>>,
    pub tokens_used: u64,
    pub completed_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub image_url: Option<String>,
}

/// A phase: its status and its chapters by number.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct OldPhase {
    pub completed: bool,
    pub chapters: BTreeMap<u32, OldChapter>,
}

/// One entry of the old `elements[]` catalogue.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OldElement {
    /// `character`, `creature`, `place`, `item` or `object`, as the old tool wrote it.
    pub kind: String,
    pub name: String,
    pub description: String,
    pub aliases: Vec<String>,
    /// Quote text and the page it is on, when the old file says.
    pub quotes: Vec<(String, Option<u32>)>,
}

/// What migration needs from the old state file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OldState {
    pub book_file: String,
    pub book_title: String,
    /// `toc.chapters[]`: number → title.
    pub toc: BTreeMap<u32, String>,
    /// `toc.chapters[].pages`: number → first and last page, where given.
    pub pages: BTreeMap<u32, (u32, u32)>,
    /// `phases.extract.status == "completed"`: the old catalogue was finished.
    pub extract_completed: bool,
    pub elements: Vec<OldElement>,
    pub analyze: OldPhase,
    pub illustrate: OldPhase,
    pub last_updated: Option<DateTime<Utc>>,
}

impl OldState {
    /// Every chapter number the file mentions, ascending.
    pub fn chapter_numbers(&self) -> BTreeSet<u32> {
        self.toc
            .keys()
            .chain(self.analyze.chapters.keys())
            .chain(self.illustrate.chapters.keys())
            .copied()
            .collect()
    }
}

/// Parses the state file at `path` (its bytes given).
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<OldState, Error> {
    let root: Value = serde_json::from_slice(bytes).map_err(|source| Error::MigrateParse {
        path: path.to_path_buf(),
        source,
    })?;
    let root = Field {
        file: path,
        path: String::new(),
        value: &root,
    };
    let version = root.req("version")?;
    let v = version.str()?;
    if !(v.starts_with("1.") || v.starts_with("2.")) {
        return Err(version.bad(format!(
            "is `{v}`; only state files of the old imaginize (versions 1.x and 2.x) can be migrated"
        )));
    }
    let phases = root.req("phases")?;
    phases.obj()?;
    let mut toc = BTreeMap::new();
    let toc_list = match root.opt("toc")? {
        Some(toc_field) => toc_field.opt("chapters")?,
        None => None,
    };
    let mut pages = BTreeMap::new();
    for entry in toc_list.map(|l| l.arr()).transpose()?.unwrap_or_default() {
        let number = entry.req("number")?.chapter_number()?;
        let title = entry.opt_str("title")?.unwrap_or_default();
        toc.insert(number, title);
        // Pages only place element quotes in chapters: a form we cannot read is skipped.
        if let Some(range) = entry.opt("pages")?.and_then(|p| p.page_range().ok()) {
            pages.insert(number, range);
        }
    }
    let mut elements = Vec::new();
    if let Some(list) = root.opt("elements")? {
        for e in list.arr()? {
            elements.push(element(&e)?);
        }
    }
    let extract_completed = match phases.opt("extract")? {
        Some(extract) => extract.req("status")?.status()? == OldStatus::Completed,
        None => false,
    };
    Ok(OldState {
        book_file: root.opt_str("bookFile")?.unwrap_or_default(),
        book_title: root.opt_str("bookTitle")?.unwrap_or_default(),
        toc,
        pages,
        extract_completed,
        elements,
        analyze: phase(phases.opt("analyze")?)?,
        illustrate: phase(phases.opt("illustrate")?)?,
        last_updated: root.opt_time("lastUpdated")?,
    })
}

fn phase(field: Option<Field<'_>>) -> Result<OldPhase, Error> {
    let Some(field) = field else {
        return Ok(OldPhase::default());
    };
    let completed = field.req("status")?.status()? == OldStatus::Completed;
    let mut chapters = BTreeMap::new();
    if let Some(list) = field.opt("chapters")? {
        for (key, ch) in list.entries()? {
            let number = key_number(&ch, key)?;
            chapters.insert(number, chapter(&ch)?);
        }
    }
    Ok(OldPhase {
        completed,
        chapters,
    })
}

fn chapter(ch: &Field<'_>) -> Result<OldChapter, Error> {
    let scenes = match ch.opt("sceneConcepts")? {
        None => None,
        Some(list) => Some(list.arr()?.iter().map(scene).collect::<Result<_, _>>()?),
    };
    Ok(OldChapter {
        status: ch.req("status")?.status()?,
        concepts: ch
            .opt_u64("concepts")?
            .unwrap_or(0)
            .try_into()
            .unwrap_or(u32::MAX),
        scenes,
        tokens_used: ch.opt_u64("tokensUsed")?.unwrap_or(0),
        completed_at: ch.opt_time("completedAt")?,
        error: ch.opt_str("error")?,
        image_url: ch.opt_str("imageUrl")?,
    })
}

fn scene(s: &Field<'_>) -> Result<OldScene, Error> {
    let elements = match s.opt("elements_present")? {
        None => Vec::new(),
        Some(list) => list
            .arr()?
            .iter()
            .map(|e| e.str().map(str::to_string))
            .collect::<Result<_, _>>()?,
    };
    Ok(OldScene {
        quote: s.req("quote")?.str()?.to_string(),
        description: s.opt_str("description")?.unwrap_or_default(),
        mood: s.opt_str("mood")?.unwrap_or_default(),
        lighting: s.opt_str("lighting")?.unwrap_or_default(),
        elements,
        image: s.opt_str("imageUrl")?,
    })
}

fn element(e: &Field<'_>) -> Result<OldElement, Error> {
    let strings = |key: &str| -> Result<Vec<String>, Error> {
        match e.opt(key)? {
            None => Ok(Vec::new()),
            Some(list) => list
                .arr()?
                .iter()
                .map(|a| a.str().map(str::to_string))
                .collect(),
        }
    };
    let mut quotes = Vec::new();
    if let Some(list) = e.opt("quotes")? {
        for q in list.arr()? {
            let page = q.opt("page")?.and_then(|p| p.page_range().ok());
            quotes.push((
                q.req("text")?.str()?.to_string(),
                page.map(|(first, _)| first),
            ));
        }
    }
    Ok(OldElement {
        kind: e.req("type")?.str()?.to_string(),
        name: e.req("name")?.str()?.to_string(),
        description: e.opt_str("description")?.unwrap_or_default(),
        aliases: strings("aliases")?,
        quotes,
    })
}

/// A chapter number used as an object key (`"3"`).
fn key_number(field: &Field<'_>, key: &str) -> Result<u32, Error> {
    match key.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(field.bad(format!(
            "is keyed `{key}`, which is not a chapter number (1, 2, …)"
        ))),
    }
}

/// A value inside the state file, with its path for messages.
struct Field<'a> {
    file: &'a Path,
    path: String,
    value: &'a Value,
}

impl<'a> Field<'a> {
    fn child(&self, key: &str, value: &'a Value) -> Field<'a> {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        Field {
            file: self.file,
            path,
            value,
        }
    }

    fn bad(&self, problem: String) -> Error {
        Error::MigrateField {
            path: PathBuf::from(self.file),
            field: if self.path.is_empty() {
                "(top level)".into()
            } else {
                self.path.clone()
            },
            problem,
        }
    }

    fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    fn obj(&self) -> Result<&'a Map<String, Value>, Error> {
        self.value
            .as_object()
            .ok_or_else(|| self.bad(format!("is {}, expected an object", self.kind())))
    }

    /// A present, non-null field.
    fn opt(&self, key: &str) -> Result<Option<Field<'a>>, Error> {
        Ok(match self.obj()?.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(self.child(key, value)),
        })
    }

    fn req(&self, key: &str) -> Result<Field<'a>, Error> {
        let missing = self.child(key, &Value::Null);
        self.opt(key)?
            .ok_or_else(|| missing.bad("is missing".to_string()))
    }

    fn entries(&self) -> Result<Vec<(&'a str, Field<'a>)>, Error> {
        Ok(self
            .obj()?
            .iter()
            .map(|(k, v)| (k.as_str(), self.child(k, v)))
            .collect())
    }

    fn arr(&self) -> Result<Vec<Field<'a>>, Error> {
        let list = self
            .value
            .as_array()
            .ok_or_else(|| self.bad(format!("is {}, expected a list", self.kind())))?;
        Ok(list
            .iter()
            .enumerate()
            .map(|(i, v)| self.child(&i.to_string(), v))
            .collect())
    }

    fn str(&self) -> Result<&'a str, Error> {
        self.value
            .as_str()
            .ok_or_else(|| self.bad(format!("is {}, expected a string", self.kind())))
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, Error> {
        self.opt(key)?
            .map(|f| f.str().map(str::to_string))
            .transpose()
    }

    fn u64(&self) -> Result<u64, Error> {
        self.value
            .as_u64()
            .or_else(|| {
                // The old tool wrote JavaScript numbers: `12.0` is a count too.
                self.value
                    .as_f64()
                    .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 9e15)
                    .map(|f| f as u64)
            })
            .ok_or_else(|| self.bad(format!("is {}, expected a whole number", self.kind())))
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, Error> {
        self.opt(key)?.map(|f| f.u64()).transpose()
    }

    fn chapter_number(&self) -> Result<u32, Error> {
        match self.u64()? {
            n @ 1..=0xFFFF_FFFF => Ok(n as u32),
            n => Err(self.bad(format!("is {n}, not a chapter number (1, 2, …)"))),
        }
    }

    /// A page or page range: `3`, `"3"`, `"3-5"` → (first, last).
    fn page_range(&self) -> Result<(u32, u32), Error> {
        if self.value.is_number() {
            let page = u32::try_from(self.u64()?).unwrap_or(u32::MAX);
            return Ok((page, page));
        }
        let text = self.str()?;
        let parse = |t: &str| t.trim().parse::<u32>().ok();
        let range = match text.split_once('-') {
            Some((a, b)) => parse(a).zip(parse(b)),
            None => parse(text).map(|p| (p, p)),
        };
        range.ok_or_else(|| {
            self.bad(format!(
                "is `{text}`, not a page or a page range like `3-5`"
            ))
        })
    }

    fn opt_time(&self, key: &str) -> Result<Option<DateTime<Utc>>, Error> {
        let Some(field) = self.opt(key)? else {
            return Ok(None);
        };
        let text = field.str()?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| field.bad(format!("is `{text}`, not an ISO 8601 date and time")))
    }

    fn status(&self) -> Result<OldStatus, Error> {
        Ok(match self.str()? {
            "pending" => OldStatus::Pending,
            "in_progress" => OldStatus::InProgress,
            "completed" => OldStatus::Completed,
            "failed" => OldStatus::Failed,
            other => {
                return Err(self.bad(format!(
                    "is `{other}`; expected `pending`, `in_progress`, `completed` or `failed`"
                )));
            }
        })
    }
}
