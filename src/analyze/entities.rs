//! Pass 1 for one chapter: ask the text model for the chapter's cast, chunk by chunk so a long
//! chapter is read whole, never truncated.

use crate::analyze::chunks;
use crate::analyze::entities_json::{RawEntity, entities_from_value};
use crate::analyze::prompts::entities_request;
use crate::ids::ChapterNo;
use crate::provider::{self, TextModel, Usage};
use serde::{Deserialize, Serialize};

/// `entities/NNN.json`: one chapter's pass 1 answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChapterEntities {
    pub chapter: ChapterNo,
    pub entities: Vec<RawEntity>,
}

/// The file name of a chapter's pass 1 answer inside `entities/`.
pub fn entities_file_name(chapter: ChapterNo) -> String {
    format!("{:03}.json", chapter.0)
}

/// Extracts the chapter's entities, one request per chunk of at most `chunk_tokens`.
pub async fn extract(
    model: &dyn TextModel,
    chapter: ChapterNo,
    title: &str,
    text: &str,
    chunk_tokens: usize,
) -> Result<(ChapterEntities, Usage), provider::Error> {
    let mut entities = Vec::new();
    let mut usage = Usage::default();
    for chunk in chunks::split(text, chunk_tokens) {
        let request = entities_request(chapter, title, &chunk);
        let (value, used) = model.complete_json(&request).await?;
        usage += used;
        let parsed = entities_from_value(&value).map_err(|e| provider::Error::BadResponse {
            provider: model.name(),
            message: e.to_string(),
        })?;
        entities.extend(parsed.entities);
    }
    Ok((ChapterEntities { chapter, entities }, usage))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{TextRequest, TextTask};
    use async_trait::async_trait;
    use std::sync::Mutex;

    /// Answers with one entity named after the first word of each chunk it is sent.
    struct Echo {
        chunks: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl TextModel for Echo {
        fn name(&self) -> String {
            "echo".into()
        }
        async fn complete_json(
            &self,
            request: &TextRequest,
        ) -> Result<(serde_json::Value, Usage), provider::Error> {
            assert_eq!(request.task, TextTask::Entities);
            self.chunks.lock().unwrap().push(request.text.clone());
            let first = request.text.split_whitespace().next().unwrap_or("");
            let usage = Usage {
                prompt_tokens: 10,
                ..Usage::default()
            };
            Ok((
                serde_json::json!({"entities": [{"name": first, "type": "character"}]}),
                usage,
            ))
        }
    }

    #[tokio::test]
    async fn a_long_chapter_is_read_whole_in_chunks() {
        let para = |name: &str| format!("{name} {}\n\n", "walked far. ".repeat(60));
        let text = format!("{}{}{}", para("Anna"), para("Boris"), para("Clara"));
        let model = Echo {
            chunks: Mutex::new(Vec::new()),
        };
        let (found, usage) = extract(&model, ChapterNo(3), "Chapter 3", &text, 200)
            .await
            .unwrap();
        let sent = model.chunks.lock().unwrap().concat();
        assert_eq!(sent, text, "every character of the chapter is sent");
        let names: Vec<_> = found.entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Anna", "Boris", "Clara"]);
        assert_eq!(usage.prompt_tokens, 30);
        assert_eq!(found.chapter, ChapterNo(3));
    }
}
