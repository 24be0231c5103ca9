//! A zip archive built in memory from (name, bytes) entries, for the EPUB and DOCX fixtures the
//! book tests make themselves.

use std::io::Write;

pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, body) in entries {
        w.start_file(*name, options).expect("zip entry");
        w.write_all(body).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}
