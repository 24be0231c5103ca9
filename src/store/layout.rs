//! The one owner of the output folder's names (docs/ARCHITECTURE.md §3): every file and folder a
//! run, a render or a compile reads or writes in `<out>/` is named here and nowhere else, so a
//! change of layout is a change of this file.
//!
//! Names are constants or functions returning a `String` (a name inside its folder) or a
//! `PathBuf` (the full path under `out`). This module depends on `crate::ids` and `std` only, so
//! every other module may use it without pulling in the store's logic.

use crate::ids::{ChapterNo, SceneNo};
use std::path::{Path, PathBuf};

/// The manifest: the single source of truth of the folder, written only under the lock.
pub const MANIFEST_FILE: &str = ".imaginize.manifest.json";

/// The manifest's previous version, kept by every write so a damaged manifest can be recovered.
pub const MANIFEST_BACKUP_FILE: &str = ".imaginize.manifest.json.bak";

/// The file `flock`'d by whoever writes the manifest; it holds the holder's line for messages.
pub const LOCK_FILE: &str = ".imaginize.lock";

/// One lock file per live illustrator, `flock`'d for its whole life (§5).
pub const WORKERS_DIR: &str = ".imaginize.workers";

/// The append-only log of every run.
pub const PROGRESS_FILE: &str = "progress.md";

/// Scenes per chapter: `chapters/NNN.json`.
pub const CHAPTERS_DIR: &str = "chapters";

/// Pass 1 answers: `entities/NNN.json` or `entities/NNN-MMM.json` for a pack of chapters.
pub const ENTITIES_DIR: &str = "entities";

/// Illustrations: `images/chapter_N_scene_K.ext`. The gallery's copies use the same name.
pub const IMAGES_DIR: &str = "images";

/// Inside `images/`: the images `--force` replaced, kept rather than deleted.
pub const REPLACED_DIR: &str = ".replaced";

/// Inside `images/`: cast portraits (`<slug>.png`) the illustrated PDF shows with the cast.
pub const CAST_DIR: &str = "cast";

/// The merged cast of pass 1 (the durable form of Elements.md).
pub const ELEMENTS_JSON: &str = "elements.json";

/// The book's style guide: who chose it (`imaginize style --set`, or the model from the book) and
/// its fields.
pub const STYLE_JSON: &str = "style.json";

/// The rendered cast; a hand-edited one is read back by pass 2 and never overwritten by a render.
pub const ELEMENTS_MD: &str = "Elements.md";

/// The rendered scenes of every analysed chapter.
pub const CHAPTERS_MD: &str = "Chapters.md";

/// The rendered table of contents with each chapter's status.
pub const CONTENTS_MD: &str = "Contents.md";

/// The self-contained HTML gallery (`index.html`, `elements.html`, `images/`).
pub const GALLERY_DIR: &str = "gallery";

/// The gallery's page of illustrations, inside `gallery/`.
pub const GALLERY_INDEX: &str = "index.html";

/// The gallery's page of the cast, inside `gallery/`.
pub const GALLERY_ELEMENTS: &str = "elements.html";

/// The run report: a self-contained timeline of the last run (docs/ARCHITECTURE.md §3).
pub const REPORT_HTML: &str = "report.html";

/// The default output folder is this prefix and the book's stem.
pub const OUTPUT_DIR_PREFIX: &str = "imaginize_";

/// The subfolders whose files are written atomically and may hold a killed writer's temp files.
pub const SUBDIRS: [&str; 3] = [CHAPTERS_DIR, ENTITIES_DIR, IMAGES_DIR];

/// `<out>/.imaginize.manifest.json`.
pub fn manifest_path(out: &Path) -> PathBuf {
    out.join(MANIFEST_FILE)
}

/// `<out>/.imaginize.manifest.json.bak`.
pub fn manifest_backup_path(out: &Path) -> PathBuf {
    out.join(MANIFEST_BACKUP_FILE)
}

/// `.imaginize.manifest.json.corrupt-<stamp>`: where an unusable manifest is kept for the user.
pub fn corrupt_manifest_name(stamp: &str) -> String {
    format!("{MANIFEST_FILE}.corrupt-{stamp}")
}

/// `<out>/.imaginize.lock`.
pub fn lock_path(out: &Path) -> PathBuf {
    out.join(LOCK_FILE)
}

/// `<out>/.imaginize.workers`.
pub fn workers_dir(out: &Path) -> PathBuf {
    out.join(WORKERS_DIR)
}

/// `<out>/progress.md`.
pub fn progress_path(out: &Path) -> PathBuf {
    out.join(PROGRESS_FILE)
}

/// `NNN.json` (zero-padded to 3): the name of a chapter's file inside `chapters/` and of its
/// pass 1 answer inside `entities/`. The only place this name is built.
pub fn chapter_file_name(chapter: ChapterNo) -> String {
    format!("{:03}.json", chapter.0)
}

/// `<out>/chapters`.
pub fn chapters_dir(out: &Path) -> PathBuf {
    out.join(CHAPTERS_DIR)
}

/// `<out>/chapters/NNN.json`: the scenes of one chapter.
pub fn chapter_path(out: &Path, chapter: ChapterNo) -> PathBuf {
    chapters_dir(out).join(chapter_file_name(chapter))
}

/// `<out>/entities`.
pub fn entities_dir(out: &Path) -> PathBuf {
    out.join(ENTITIES_DIR)
}

/// The name of one chapter's pass 1 answer inside `entities/`: the chapter's file name, so
/// `entities/007.json` and `chapters/007.json` belong together.
pub fn entities_file_name(chapter: ChapterNo) -> String {
    chapter_file_name(chapter)
}

/// `NNN-MMM.json`: the name of a pack's pass 1 answer (chapters `first..=last`) in `entities/`.
pub fn pack_file_name(first: ChapterNo, last: ChapterNo) -> String {
    format!("{:03}-{:03}.json", first.0, last.0)
}

/// `chapter_N_scene_K.ext` (not padded): an image's file name, whatever folder holds it (the
/// output folder's `images/`, the gallery's, an EPUB's). The only place this name is built.
pub fn image_base_name(chapter: ChapterNo, scene: SceneNo, extension: &str) -> String {
    format!("chapter_{}_scene_{}.{extension}", chapter.0, scene.0)
}

/// `images/chapter_N_scene_K.ext`: an image relative to the output folder, as the chapter JSON
/// records it (always with `/`, whatever the platform).
pub fn image_file_name(chapter: ChapterNo, scene: SceneNo, extension: &str) -> String {
    format!(
        "{IMAGES_DIR}/{}",
        image_base_name(chapter, scene, extension)
    )
}

/// Folder of the prompts last sent for each scene's image.
pub const PROMPTS_DIR: &str = "prompts";

/// `prompts/chapter_N_scene_K.txt`: the exact prompt of the scene's latest image request (the
/// dashboard's scene page shows it), relative to the output folder.
pub fn prompt_file_name(chapter: ChapterNo, scene: SceneNo) -> String {
    format!("{PROMPTS_DIR}/chapter_{}_scene_{}.txt", chapter.0, scene.0)
}

/// An element's slug, the stem of its portrait's file: lowercase letters and digits, other
/// runs as one `-` ("Mr. Darcy" → `mr-darcy`).
pub fn element_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// `images/cast/<slug>.<ext>`: an element's reference portrait, relative to the output folder.
pub fn portrait_file_name(slug: &str, extension: &str) -> String {
    format!("{IMAGES_DIR}/{CAST_DIR}/{slug}.{extension}")
}

/// `prompts/cast_<slug>.txt`: the exact prompt of a portrait's latest request.
pub fn portrait_prompt_file_name(slug: &str) -> String {
    format!("{PROMPTS_DIR}/cast_{slug}.txt")
}

/// `images/chapter_N_scene_K.vV.ext`: version `V` of a scene's image, relative to the output
/// folder. Version 1 is the image the pipeline drew, under [`image_file_name`]; the review loop
/// writes versions 2, 3, … beside it and never deletes one.
pub fn image_version_file_name(
    chapter: ChapterNo,
    scene: SceneNo,
    version: u32,
    extension: &str,
) -> String {
    if version <= 1 {
        return image_file_name(chapter, scene, extension);
    }
    format!(
        "{IMAGES_DIR}/chapter_{}_scene_{}.v{version}.{extension}",
        chapter.0, scene.0
    )
}

/// The chapter, scene and version an image's file name (inside `images/`) stands for: the
/// inverse of [`image_version_file_name`]; `None` for any other file.
pub fn parse_image_version(base_name: &str) -> Option<(ChapterNo, SceneNo, u32)> {
    let rest = base_name.strip_prefix("chapter_")?;
    let (chapter, rest) = rest.split_once("_scene_")?;
    let (stem, extension) = rest.rsplit_once('.')?;
    let (scene, version) = match stem.split_once(".v") {
        Some((scene, version)) => (scene, version.parse().ok().filter(|v| *v >= 2)?),
        None => (stem, 1),
    };
    let known = ["png", "jpg", "webp"].contains(&extension);
    let number = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
    };
    known.then_some((
        ChapterNo(number(chapter)?),
        SceneNo(number(scene)?),
        version,
    ))
}

/// `<out>/report.html`.
pub fn report_path(out: &Path) -> PathBuf {
    out.join(REPORT_HTML)
}

/// `<out>/images`.
pub fn images_dir(out: &Path) -> PathBuf {
    out.join(IMAGES_DIR)
}

/// `<out>/images/.replaced`: where `--force` puts the images it replaces.
pub fn replaced_dir(out: &Path) -> PathBuf {
    images_dir(out).join(REPLACED_DIR)
}

/// `<out>/images/.replaced/<stamp>-<base name>`: one replaced image, stamped so a second
/// `--force` never overwrites the first one's.
pub fn replaced_image_path(out: &Path, stamp: &str, base_name: &str) -> PathBuf {
    replaced_dir(out).join(format!("{stamp}-{base_name}"))
}

/// `<out>/images/cast`: the cast portraits.
pub fn cast_dir(out: &Path) -> PathBuf {
    images_dir(out).join(CAST_DIR)
}

/// `<out>/elements.json`.
pub fn elements_json_path(out: &Path) -> PathBuf {
    out.join(ELEMENTS_JSON)
}

/// `<out>/style.json`.
pub fn style_path(out: &Path) -> PathBuf {
    out.join(STYLE_JSON)
}

/// `<out>/Elements.md`.
pub fn elements_md_path(out: &Path) -> PathBuf {
    out.join(ELEMENTS_MD)
}

/// `<out>/Chapters.md`.
pub fn chapters_md_path(out: &Path) -> PathBuf {
    out.join(CHAPTERS_MD)
}

/// `<out>/Contents.md`.
pub fn contents_md_path(out: &Path) -> PathBuf {
    out.join(CONTENTS_MD)
}

/// The stem compiled outputs are named after: the book file's stem, `book` if it has none.
pub fn book_stem(book: &Path) -> String {
    book.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "book".to_owned())
}

/// `<out>/<stem>-illustrated.epub`.
pub fn epub_path(out: &Path, stem: &str) -> PathBuf {
    out.join(format!("{stem}-illustrated.epub"))
}

/// `<out>/<stem>-illustrated.pdf`.
pub fn pdf_path(out: &Path, stem: &str) -> PathBuf {
    out.join(format!("{stem}-illustrated.pdf"))
}

/// `<out>/<stem>.cbz`.
pub fn cbz_path(out: &Path, stem: &str) -> PathBuf {
    out.join(format!("{stem}.cbz"))
}

/// `<out>/gallery`.
pub fn gallery_dir(out: &Path) -> PathBuf {
    out.join(GALLERY_DIR)
}

/// `imaginize_<stem>` (to be put in the current folder): the book's stem lower-cased, runs of
/// non-alphanumerics turned into one `_`, none at the end.
pub fn default_output_dir(book: &Path) -> PathBuf {
    let stem = book
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut name = String::from(OUTPUT_DIR_PREFIX);
    let mut last_was_sep = false;
    for c in stem.chars() {
        if c.is_alphanumeric() {
            name.push(c);
            last_was_sep = false;
        } else if !last_was_sep {
            name.push('_');
            last_was_sep = true;
        }
    }
    PathBuf::from(name.trim_end_matches('_'))
}

/// A folder name without the default output folder's `imaginize_` prefix (the book id part);
/// any other name unchanged.
pub fn strip_output_prefix(name: &str) -> &str {
    name.strip_prefix(OUTPUT_DIR_PREFIX).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "/o";

    fn at(path: PathBuf) -> String {
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn portraits_are_named_by_the_elements_slug() {
        assert_eq!(element_slug("Mr. Darcy"), "mr-darcy");
        assert_eq!(element_slug("  Élise  O'Hara "), "élise-o-hara");
        assert_eq!(
            portrait_file_name("mr-darcy", "png"),
            "images/cast/mr-darcy.png"
        );
        assert_eq!(
            portrait_prompt_file_name("mr-darcy"),
            "prompts/cast_mr-darcy.txt"
        );
    }

    #[test]
    fn state_files_have_their_exact_names() {
        let out = Path::new(OUT);
        assert_eq!(at(manifest_path(out)), "/o/.imaginize.manifest.json");
        assert_eq!(
            at(manifest_backup_path(out)),
            "/o/.imaginize.manifest.json.bak"
        );
        assert_eq!(
            corrupt_manifest_name("20260101T000000.000Z"),
            ".imaginize.manifest.json.corrupt-20260101T000000.000Z"
        );
        assert_eq!(at(lock_path(out)), "/o/.imaginize.lock");
        assert_eq!(at(workers_dir(out)), "/o/.imaginize.workers");
        assert_eq!(at(progress_path(out)), "/o/progress.md");
        assert_eq!(SUBDIRS, ["chapters", "entities", "images"]);
    }

    #[test]
    fn chapter_and_entities_files_are_zero_padded() {
        let out = Path::new(OUT);
        assert_eq!(chapter_file_name(ChapterNo(7)), "007.json");
        assert_eq!(chapter_file_name(ChapterNo(1234)), "1234.json");
        assert_eq!(at(chapters_dir(out)), "/o/chapters");
        assert_eq!(at(chapter_path(out, ChapterNo(12))), "/o/chapters/012.json");
        assert_eq!(at(entities_dir(out)), "/o/entities");
        assert_eq!(entities_file_name(ChapterNo(3)), "003.json");
        assert_eq!(pack_file_name(ChapterNo(8), ChapterNo(10)), "008-010.json");
    }

    #[test]
    fn image_names_are_not_padded() {
        let out = Path::new(OUT);
        let (chapter, scene) = (ChapterNo(3), SceneNo(12));
        assert_eq!(
            image_base_name(chapter, scene, "png"),
            "chapter_3_scene_12.png"
        );
        assert_eq!(
            image_file_name(chapter, scene, "webp"),
            "images/chapter_3_scene_12.webp"
        );
        assert_eq!(at(images_dir(out)), "/o/images");
        assert_eq!(at(replaced_dir(out)), "/o/images/.replaced");
        assert_eq!(
            at(replaced_image_path(
                out,
                "20260101T000000",
                "chapter_1_scene_2.png"
            )),
            "/o/images/.replaced/20260101T000000-chapter_1_scene_2.png"
        );
        assert_eq!(at(cast_dir(out)), "/o/images/cast");
    }

    #[test]
    fn image_versions_are_named_and_parsed_back() {
        let (chapter, scene) = (ChapterNo(3), SceneNo(12));
        assert_eq!(
            image_version_file_name(chapter, scene, 1, "png"),
            "images/chapter_3_scene_12.png"
        );
        assert_eq!(
            image_version_file_name(chapter, scene, 4, "jpg"),
            "images/chapter_3_scene_12.v4.jpg"
        );
        assert_eq!(
            parse_image_version("chapter_3_scene_12.png"),
            Some((chapter, scene, 1))
        );
        assert_eq!(
            parse_image_version("chapter_3_scene_12.v4.jpg"),
            Some((chapter, scene, 4))
        );
        for other in [
            "chapter_3_scene_12.v1.png",
            "chapter_3_scene_12.v4.gif",
            "chapter_3_scene_x.png",
            ".chapter_3_scene_1.png.tmp-h-1-0000abcd",
            "cover.png",
        ] {
            assert_eq!(parse_image_version(other), None, "{other}");
        }
        assert_eq!(at(report_path(Path::new(OUT))), "/o/report.html");
    }

    #[test]
    fn renders_have_their_exact_names() {
        let out = Path::new(OUT);
        assert_eq!(at(elements_json_path(out)), "/o/elements.json");
        assert_eq!(at(style_path(out)), "/o/style.json");
        assert_eq!(at(elements_md_path(out)), "/o/Elements.md");
        assert_eq!(at(chapters_md_path(out)), "/o/Chapters.md");
        assert_eq!(at(contents_md_path(out)), "/o/Contents.md");
    }

    #[test]
    fn compiled_outputs_are_named_after_the_book() {
        let out = Path::new(OUT);
        assert_eq!(
            book_stem(Path::new("/b/Pride and Prejudice.epub")),
            "Pride and Prejudice"
        );
        assert_eq!(book_stem(Path::new("")), "book");
        assert_eq!(at(epub_path(out, "p")), "/o/p-illustrated.epub");
        assert_eq!(at(pdf_path(out, "p")), "/o/p-illustrated.pdf");
        assert_eq!(at(cbz_path(out, "p")), "/o/p.cbz");
        assert_eq!(at(gallery_dir(out)), "/o/gallery");
        assert_eq!(
            (GALLERY_INDEX, GALLERY_ELEMENTS),
            ("index.html", "elements.html")
        );
    }

    #[test]
    fn default_output_folder_is_prefixed_and_normalised() {
        let dir = default_output_dir(Path::new("/b/Pride & Prejudice!.epub"));
        assert_eq!(dir, PathBuf::from("imaginize_pride_prejudice"));
        assert_eq!(strip_output_prefix("imaginize_pride"), "pride");
        assert_eq!(strip_output_prefix("mine"), "mine");
    }

    #[test]
    fn layout_depends_on_ids_and_std_only() {
        // The store is a leaf: its naming part must stay usable by every module without a cycle.
        let source = include_str!("layout.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        for line in code.lines().map(str::trim) {
            if let Some(path) = line.strip_prefix("use ") {
                assert!(
                    path.starts_with("std::") || path.starts_with("crate::ids::"),
                    "layout.rs imports `{path}`"
                );
            }
            assert!(
                !line.contains("crate::") || line.contains("crate::ids"),
                "{line}"
            );
            assert!(!line.contains("super::"), "{line}");
        }
    }
}
