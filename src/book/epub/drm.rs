//! DRM detection. `META-INF/encryption.xml` also appears in DRM-free books, to obfuscate embedded
//! fonts; only encryption of anything else means the text is locked.

use super::archive::Archive;
use super::xml;
use crate::book::Error;

const ENCRYPTION: &str = "META-INF/encryption.xml";

/// Font obfuscation algorithms (IDPF and Adobe): harmless to us.
const FONT_OBFUSCATION: [&str; 2] = [
    "http://www.idpf.org/2008/embedding",
    "http://ns.adobe.com/pdf/enc#RC",
];

/// Refuses a book whose content is encrypted.
pub(crate) fn check(archive: &mut Archive<'_>) -> Result<(), Error> {
    let Some(text) = archive.read_text(ENCRYPTION)? else {
        return Ok(());
    };
    let doc = xml::parse(&text, archive.path(), ENCRYPTION)?;
    let locked = doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "EncryptedData")
        .any(|data| {
            let algorithm =
                xml::find(data, "EncryptionMethod").and_then(|m| m.attribute("Algorithm"));
            !algorithm.is_some_and(|a| FONT_OBFUSCATION.contains(&a))
        });
    if locked {
        return Err(Error::Drm {
            path: archive.path().to_path_buf(),
            evidence: format!("{ENCRYPTION} encrypts its content"),
        });
    }
    Ok(())
}
