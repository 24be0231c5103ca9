//! A store URL as it may be shown: its password replaced, wherever the URL carries one.

/// `url` with any password replaced by `***`: in the userinfo of a URL
/// (`postgres://user:secret@host`), in a `password=` query parameter, or in a `password=`
/// pair of a key-value string. Messages and `Debug` only ever show this.
pub fn redact(url: &str) -> String {
    let url = redact_userinfo(url);
    redact_password_pairs(&url)
}

/// The password of `scheme://user:password@host`: from the userinfo's first `:` to the last
/// `@` of the URL, so a password with an unencoded `/`, `?` or `@` is hidden whole (a `@` later
/// in the query hides more than needed, never less).
fn redact_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let (Some(colon), Some(first_at), Some(last_at)) =
        (rest.find(':'), rest.find('@'), rest.rfind('@'))
    else {
        return url.to_string();
    };
    if colon > first_at {
        return url.to_string();
    }
    format!(
        "{}{}:***{}",
        &url[..scheme_end],
        &rest[..colon],
        &rest[last_at..]
    )
}

/// Replaces the value after every `password=` (case-insensitive) up to the next separator.
fn redact_password_pairs(text: &str) -> String {
    const KEY: &str = "password=";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find(KEY) {
        let value = from + found + KEY.len();
        out.push_str(&text[from..value]);
        out.push_str("***");
        let quoted = text[value..].starts_with('\'');
        let end = if quoted {
            text[value + 1..]
                .find('\'')
                .map_or(text.len(), |e| value + e + 2)
        } else {
            text[value..]
                .find(['&', ' ', '#'])
                .map_or(text.len(), |e| value + e)
        };
        from = end;
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_show() {
        let cases = [
            (
                "postgres://me:s3cret@db.example:5432/books?sslmode=require",
                "postgres://me:***@db.example:5432/books?sslmode=require",
            ),
            (
                "postgresql://me@db/books?password=s3cret&sslmode=require",
                "postgresql://me@db/books?password=***&sslmode=require",
            ),
            (
                "host=db user=me password='s e c' dbname=books",
                "host=db user=me password=*** dbname=books",
            ),
            (
                "host=db PASSWORD=s3cret dbname=books",
                "host=db PASSWORD=*** dbname=books",
            ),
            ("postgres:///books?host=/tmp", "postgres:///books?host=/tmp"),
            ("postgres://me@db/books", "postgres://me@db/books"),
            (
                "postgres://me:s3/c?r@t@db:5432/books",
                "postgres://me:***@db:5432/books",
            ),
            ("postgres://me@db:5432/books", "postgres://me@db:5432/books"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact(url), shown);
            assert!(!redact(url).contains("s3cret"));
        }
    }
}
