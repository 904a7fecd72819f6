//! OpenAI message content (a string or typed parts) as Converse content
//! blocks: text, images and documents as inline bytes, and prompt-cache
//! marks as `cachePoint` blocks.

use serde_json::{Value, json};

use crate::translate::TranslateError;

/// Which blocks a content field may turn into: system prompts take text
/// only, user turns and tool results also take images and documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Allowed {
    Text,
    Media,
}

/// The Converse blocks for an OpenAI `content` field found at `at`. Empty
/// text is dropped: Converse rejects blank text blocks.
pub(super) fn blocks(
    content: &Value,
    at: &str,
    allowed: Allowed,
) -> Result<Vec<Value>, TranslateError> {
    match content {
        Value::Null => Ok(Vec::new()),
        Value::String(text) if text.is_empty() => Ok(Vec::new()),
        Value::String(text) => Ok(vec![json!({ "text": text })]),
        Value::Array(parts) => {
            let mut blocks = Vec::new();
            for (index, part) in parts.iter().enumerate() {
                let at = format!("{at}[{index}]");
                if let Some(block) = part_block(part, &at, allowed)? {
                    blocks.push(block);
                }
                if part
                    .get("cache_control")
                    .is_some_and(|mark| !mark.is_null())
                {
                    blocks.push(cache_point());
                }
            }
            Ok(blocks)
        }
        _ => Err(TranslateError::field(
            at,
            "must be a string or an array of content parts",
        )),
    }
}

/// The block that marks the end of a cacheable prefix.
pub(super) fn cache_point() -> Value {
    json!({ "cachePoint": { "type": "default" } })
}

fn part_block(part: &Value, at: &str, allowed: Allowed) -> Result<Option<Value>, TranslateError> {
    let kind = part["type"].as_str().unwrap_or_default();
    match (kind, allowed) {
        ("text", _) => {
            let text = part["text"]
                .as_str()
                .ok_or_else(|| TranslateError::field(&format!("{at}.text"), "must be a string"))?;
            Ok((!text.is_empty()).then(|| json!({ "text": text })))
        }
        ("image_url", Allowed::Media) => image_block(part, at).map(Some),
        ("file", Allowed::Media) => document_block(part, at).map(Some),
        ("image_url" | "file", Allowed::Text) => Err(TranslateError::field(
            &format!("{at}.type"),
            "only text is allowed here by Bedrock Converse",
        )),
        _ => Err(TranslateError::field(
            &format!("{at}.type"),
            &format!("content part type `{kind}` is not supported by Bedrock Converse"),
        )),
    }
}

fn image_block(part: &Value, at: &str) -> Result<Value, TranslateError> {
    let image_url = &part["image_url"];
    let (url, field) = match image_url {
        Value::String(url) => (url.as_str(), format!("{at}.image_url")),
        _ => (
            image_url["url"].as_str().unwrap_or_default(),
            format!("{at}.image_url.url"),
        ),
    };
    if url.starts_with("http://") || url.starts_with("https://") {
        return Err(TranslateError::field(
            &field,
            "Bedrock Converse takes image bytes, not URLs: send a base64 `data:` URL",
        ));
    }
    let (mime, data) = data_url(url, &field)?;
    let format = match mime {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => {
            return Err(TranslateError::field(
                &field,
                &format!(
                    "image type `{mime}` is not supported by Bedrock Converse (png, jpeg, gif, webp)"
                ),
            ));
        }
    };
    Ok(json!({ "image": { "format": format, "source": { "bytes": data } } }))
}

fn document_block(part: &Value, at: &str) -> Result<Value, TranslateError> {
    let file = &part["file"];
    let field = format!("{at}.file.file_data");
    let Some(url) = file["file_data"].as_str() else {
        return Err(TranslateError::field(
            &field,
            "Bedrock Converse needs the file's bytes as a base64 `data:` URL (file ids are not supported)",
        ));
    };
    let (mime, data) = data_url(url, &field)?;
    let format = match mime {
        "application/pdf" => "pdf",
        "text/csv" => "csv",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "text/html" => "html",
        "text/plain" => "txt",
        "text/markdown" => "md",
        _ => {
            return Err(TranslateError::field(
                &field,
                &format!("document type `{mime}` is not supported by Bedrock Converse"),
            ));
        }
    };
    let name = document_name(file["filename"].as_str().unwrap_or_default(), at);
    Ok(json!({ "document": { "format": format, "name": name, "source": { "bytes": data } } }))
}

/// A document name Converse accepts (letters, digits, single spaces,
/// hyphens, parentheses and square brackets), from the file name without
/// its extension; the part's position when nothing usable is left.
fn document_name(filename: &str, at: &str) -> String {
    let stem = filename.rsplit_once('.').map_or(filename, |(stem, _)| stem);
    let mut name = String::new();
    for character in stem.chars() {
        let allowed = character.is_ascii_alphanumeric() || "-()[]".contains(character);
        if allowed {
            name.push(character);
        } else if !name.is_empty() && !name.ends_with(' ') {
            name.push(' ');
        }
    }
    let name = name.trim_end();
    if name.is_empty() {
        let position: Vec<&str> = at
            .split(|character: char| !character.is_ascii_digit())
            .filter(|digits| !digits.is_empty())
            .collect();
        format!("document-{}", position.join("-"))
    } else {
        name.to_owned()
    }
}

/// The media type and base64 data of a `data:<type>[;param]*;base64,<data>`
/// URL. The data is passed on as is: Converse's JSON carries bytes as base64.
fn data_url<'a>(url: &'a str, field: &str) -> Result<(&'a str, &'a str), TranslateError> {
    let parsed = url
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
        .filter(|(meta, data)| meta.ends_with(";base64") && !data.is_empty());
    let Some((meta, data)) = parsed else {
        return Err(TranslateError::field(field, "must be a base64 `data:` URL"));
    };
    let mime = meta.split(';').next().unwrap_or_default();
    Ok((mime, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_text_parts_become_text_blocks_and_cache_marks_cache_points() {
        assert_eq!(
            blocks(&json!("hi"), "m", Allowed::Text).unwrap(),
            vec![json!({ "text": "hi" })]
        );
        assert_eq!(
            blocks(&json!(""), "m", Allowed::Text).unwrap(),
            Vec::<Value>::new()
        );
        let parts = json!([
            { "type": "text", "text": "long context", "cache_control": { "type": "ephemeral" } },
            { "type": "text", "text": "" },
            { "type": "text", "text": "question" }
        ]);
        assert_eq!(
            blocks(&parts, "m", Allowed::Text).unwrap(),
            vec![
                json!({ "text": "long context" }),
                json!({ "cachePoint": { "type": "default" } }),
                json!({ "text": "question" }),
            ]
        );
    }

    #[test]
    fn data_url_images_become_image_bytes() {
        let parts = json!([
            { "type": "image_url", "image_url": { "url": "data:image/jpg;base64,/9j/AA==", "detail": "high" } },
            { "type": "image_url", "image_url": "data:image/webp;base64,UklGRg==" }
        ]);
        assert_eq!(
            blocks(&parts, "m", Allowed::Media).unwrap(),
            vec![
                json!({ "image": { "format": "jpeg", "source": { "bytes": "/9j/AA==" } } }),
                json!({ "image": { "format": "webp", "source": { "bytes": "UklGRg==" } } }),
            ]
        );
    }

    #[test]
    fn image_urls_and_unknown_images_are_rejected_by_field() {
        let remote = json!([{ "type": "text", "text": "see" }, {
            "type": "image_url", "image_url": { "url": "https://example.com/cat.png" }
        }]);
        let error = blocks(&remote, "messages[2].content", Allowed::Media).unwrap_err();
        assert_eq!(
            error.0,
            "`messages[2].content[1].image_url.url`: Bedrock Converse takes image bytes, not URLs: send a base64 `data:` URL"
        );
        let svg = json!([{ "type": "image_url", "image_url": { "url": "data:image/svg+xml;base64,PHN2Zz4=" } }]);
        assert!(
            blocks(&svg, "m", Allowed::Media)
                .unwrap_err()
                .0
                .contains("`image/svg+xml`")
        );
        let not_base64 =
            json!([{ "type": "image_url", "image_url": { "url": "data:image/png,raw" } }]);
        assert_eq!(
            blocks(&not_base64, "m", Allowed::Media).unwrap_err().0,
            "`m[0].image_url.url`: must be a base64 `data:` URL"
        );
    }

    #[test]
    fn files_become_named_documents() {
        let parts = json!([
            { "type": "file", "file": { "file_data": "data:application/pdf;base64,JVBERi0=", "filename": "Q3 report_final.v2.pdf" } },
            { "type": "file", "file": { "file_data": "data:text/csv;base64,YSxi" } }
        ]);
        assert_eq!(
            blocks(&parts, "messages[0].content", Allowed::Media).unwrap(),
            vec![
                json!({ "document": { "format": "pdf", "name": "Q3 report final v2", "source": { "bytes": "JVBERi0=" } } }),
                json!({ "document": { "format": "csv", "name": "document-0-1", "source": { "bytes": "YSxi" } } }),
            ]
        );
        let by_id = json!([{ "type": "file", "file": { "file_id": "file-abc" } }]);
        assert!(
            blocks(&by_id, "m", Allowed::Media)
                .unwrap_err()
                .0
                .starts_with("`m[0].file.file_data`:")
        );
    }

    #[test]
    fn media_and_unknown_parts_are_rejected_where_not_allowed() {
        let image =
            json!([{ "type": "image_url", "image_url": { "url": "data:image/png;base64,AA==" } }]);
        assert_eq!(
            blocks(&image, "messages[0].content", Allowed::Text)
                .unwrap_err()
                .0,
            "`messages[0].content[0].type`: only text is allowed here by Bedrock Converse"
        );
        let audio =
            json!([{ "type": "input_audio", "input_audio": { "data": "AA==", "format": "wav" } }]);
        assert_eq!(
            blocks(&audio, "m", Allowed::Media).unwrap_err().0,
            "`m[0].type`: content part type `input_audio` is not supported by Bedrock Converse"
        );
        assert!(blocks(&json!(3), "m", Allowed::Media).is_err());
    }
}
