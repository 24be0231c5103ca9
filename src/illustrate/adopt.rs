//! Adopting an image file that exists but was never recorded (the process died between the
//! atomic write and the manifest update): if its bytes are a complete image, it is recorded
//! instead of being paid for again.

use crate::ids::{ChapterNo, SceneNo};
use crate::provider::ImageFormat;
use crate::store::layout::image_file_name;
use std::path::Path;

/// The relative path of a complete image already on disk for this scene, if any.
pub fn existing_image(out: &Path, chapter: ChapterNo, scene: SceneNo) -> Option<String> {
    [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Webp]
        .into_iter()
        .map(|format| image_file_name(chapter, scene, format.extension()))
        .find(|relative| {
            std::fs::read(out.join(relative)).is_ok_and(|bytes| is_complete_image(&bytes))
        })
}

/// Whether `bytes` are a whole PNG, JPEG or WebP file (right magic and a proper end), so a
/// truncated or foreign file is never adopted.
pub fn is_complete_image(bytes: &[u8]) -> bool {
    match ImageFormat::detect(bytes) {
        Some(ImageFormat::Png) => bytes.ends_with(b"IEND\xAE\x42\x60\x82"),
        Some(ImageFormat::Jpeg) => bytes.ends_with(&[0xFF, 0xD9]),
        Some(ImageFormat::Webp) => {
            let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
            declared + 8 == bytes.len()
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut pixmap = tiny_skia::Pixmap::new(4, 4).expect("pixmap");
        pixmap.fill(tiny_skia::Color::from_rgba8(10, 20, 30, 255));
        pixmap.encode_png().expect("png")
    }

    #[test]
    fn adopts_a_complete_png_and_ignores_truncated_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("images")).expect("mkdir");
        let bytes = png();
        let path = dir.path().join("images/chapter_3_scene_2.png");
        std::fs::write(&path, &bytes[..bytes.len() - 5]).expect("write");
        assert_eq!(existing_image(dir.path(), ChapterNo(3), SceneNo(2)), None);
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(
            existing_image(dir.path(), ChapterNo(3), SceneNo(2)).as_deref(),
            Some("images/chapter_3_scene_2.png")
        );
        assert_eq!(existing_image(dir.path(), ChapterNo(3), SceneNo(1)), None);
    }

    #[test]
    fn checks_jpeg_and_webp_ends() {
        assert!(is_complete_image(&[
            0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0xFF, 0xD9
        ]));
        assert!(!is_complete_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]));
        assert!(!is_complete_image(b"RIFF\x0c\0\0\0WEBPVP8 "));
        assert!(!is_complete_image(b"<html></html>"));
        assert!(is_complete_image(
            &[b"RIFF".as_slice(), &[4, 0, 0, 0], b"WEBP"].concat()
        ));
    }
}
