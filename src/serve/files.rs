//! Files of a book's folder served to the page: images, the run report, the renders and the
//! compiled outputs. A path is refused unless it stays inside the folder: no `..`, no absolute
//! path, no hidden component (the folder's config and state files, which may hold a key), no
//! symlink leading out, and only the kinds of file the folder's outputs are.

use std::path::{Path, PathBuf};

/// Why a file is not served; each is a 4xx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not a plain relative path inside the folder")]
    BadPath,
    #[error("not a kind of file the dashboard serves")]
    BadKind,
    #[error("no such file")]
    Missing,
}

/// Extensions served and their content types.
const KINDS: [(&str, &str); 10] = [
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("webp", "image/webp"),
    ("html", "text/html; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("epub", "application/epub+zip"),
    ("pdf", "application/pdf"),
    ("cbz", "application/vnd.comicbook+zip"),
    ("css", "text/css; charset=utf-8"),
];

/// The file `relative` names inside `dir`, with its content type.
pub fn resolve(dir: &Path, relative: &str) -> Result<(PathBuf, &'static str), Refused> {
    let path = Path::new(relative);
    // Each `/`-separated part must be a plain name: this refuses `..`, `.`, an absolute path
    // (an empty first part), `//` and hidden files in one rule.
    let plain = !relative.contains(['\\', '\0'])
        && relative
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.'));
    if !plain {
        return Err(Refused::BadPath);
    }
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let kind = KINDS
        .iter()
        .find(|(ext, _)| *ext == extension)
        .map(|(_, kind)| *kind)
        .ok_or(Refused::BadKind)?;
    let root = dir.canonicalize().map_err(|_| Refused::Missing)?;
    let file = root
        .join(path)
        .canonicalize()
        .map_err(|_| Refused::Missing)?;
    // A symlink inside the folder may point anywhere: only where it ends counts.
    if !file.starts_with(&root) {
        return Err(Refused::BadPath);
    }
    if !file.is_file() {
        return Err(Refused::Missing);
    }
    Ok((file, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_inside_the_folder_are_served() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("book");
        std::fs::create_dir_all(dir.join("images")).unwrap();
        std::fs::write(dir.join("images/a.png"), b"png").unwrap();
        std::fs::write(dir.join(".imaginize.config"), b"apiKey: sk-x").unwrap();
        std::fs::write(tmp.path().join("secret.png"), b"outside").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret.png"), dir.join("images/out.png"))
            .unwrap();
        assert_eq!(resolve(&dir, "images/a.png").unwrap().1, "image/png");
        for bad in [
            "../secret.png",
            "images/../../secret.png",
            "/etc/passwd",
            "images/./a.png",
            ".imaginize.config",
            "images\\a.png",
            "",
            "images/out.png",
        ] {
            assert_eq!(resolve(&dir, bad), Err(Refused::BadPath), "{bad}");
        }
        assert_eq!(resolve(&dir, "Cargo.toml"), Err(Refused::BadKind));
        assert_eq!(resolve(&dir, "images/none.png"), Err(Refused::Missing));
    }
}
