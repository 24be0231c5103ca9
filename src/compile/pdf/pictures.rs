//! The pictures of the PDF, read once each: scene images and cast portraits, with the sizes the
//! layout needs. A file whose header cannot be read is left out and counted, as the other
//! outputs leave out images they cannot use.

use crate::compile::{Error, read_file};
use krilla::image::Image;
use std::path::{Path, PathBuf};

/// A loaded picture: its index and its size in pixels (only the proportions matter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loaded {
    pub image: usize,
    pub size: (f32, f32),
}

/// Every picture the PDF draws; layouts refer to them by index.
#[derive(Default)]
pub struct Pictures {
    images: Vec<Image>,
    files: Vec<PathBuf>,
}

impl Pictures {
    /// Reads `file` (png, jpg/jpeg or webp), or `None` when its contents are not an image of
    /// that kind.
    pub fn add(&mut self, file: &Path, ext: &str) -> Result<Option<Loaded>, Error> {
        let data = read_file(file)?.into();
        // Interpolation stays off: PDF/A forbids it.
        let image = match ext {
            "png" => Image::from_png(data, false),
            "jpg" | "jpeg" => Image::from_jpeg(data, false),
            "webp" => Image::from_webp(data, false),
            _ => return Ok(None),
        };
        let Ok(image) = image else {
            return Ok(None);
        };
        let (w, h) = image.size();
        if w == 0 || h == 0 {
            return Ok(None);
        }
        self.images.push(image);
        self.files.push(file.to_path_buf());
        Ok(Some(Loaded {
            image: self.images.len() - 1,
            size: (w as f32, h as f32),
        }))
    }

    pub fn get(&self, index: usize) -> Option<&Image> {
        self.images.get(index)
    }

    /// The file a picture came from, to name it in an error.
    pub fn file_of(&self, image: &Image) -> Option<&Path> {
        let i = self.images.iter().position(|x| x == image)?;
        self.files.get(i).map(PathBuf::as_path)
    }
}
