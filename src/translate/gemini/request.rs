//! OpenAI chat request to Gemini `generateContent` body.

use crate::translate::content_text;
use serde_json::{Map, Value, json};

use super::THOUGHT_SIGNATURE_SEPARATOR;
use super::schema;
use crate::translate::TranslateError;

/// Translates an OpenAI chat request into the body of Gemini's
/// `models/{model}:generateContent` (the model and stream choice travel in
/// the URL, so `model` and `stream` are not read).
pub fn chat_to_generate_content(chat: &Value) -> Result<Value, TranslateError> {
    let messages = chat["messages"]
        .as_array()
        .ok_or_else(|| TranslateError::field("messages", "must be an array"))?;
    let mut system = Vec::new();
    let mut contents = Vec::new();
    for (position, message) in messages.iter().enumerate() {
        let field = format!("messages[{position}]");
        match message["role"].as_str().unwrap_or_default() {
            "system" | "developer" => {
                system.extend(text_parts(
                    &message["content"],
                    &format!("{field}.content"),
                )?);
            }
            "user" => push(
                &mut contents,
                "user",
                user_parts(&message["content"], &field)?,
            ),
            "assistant" => push(&mut contents, "model", assistant_parts(message, &field)?),
            "tool" | "function" => {
                let part = function_response(message, &messages[..position], &field)?;
                push(&mut contents, "user", vec![part]);
            }
            other => {
                return Err(TranslateError::field(
                    &format!("{field}.role"),
                    &format!("unsupported role `{other}`"),
                ));
            }
        }
    }
    if contents.is_empty() {
        return Err(TranslateError::field(
            "messages",
            "Gemini needs at least one user or assistant message",
        ));
    }

    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(contents));
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({ "parts": system }));
    }
    if let Some(tools) = tools(chat)? {
        body.insert("tools".into(), tools);
    }
    if let Some(config) = tool_config(&chat["tool_choice"])? {
        body.insert("toolConfig".into(), config);
    }
    let generation = generation_config(chat)?;
    if !generation.is_empty() {
        body.insert("generationConfig".into(), Value::Object(generation));
    }
    Ok(Value::Object(body))
}

/// Appends parts to the conversation, merging into the previous turn when it
/// has the same role: parallel tool results must share one turn.
fn push(contents: &mut Vec<Value>, role: &str, parts: Vec<Value>) {
    if parts.is_empty() {
        return;
    }
    if let Some(last) = contents.last_mut()
        && last["role"] == role
        && let Some(existing) = last["parts"].as_array_mut()
    {
        existing.extend(parts);
        return;
    }
    contents.push(json!({ "role": role, "parts": parts }));
}

fn text_parts(content: &Value, field: &str) -> Result<Vec<Value>, TranslateError> {
    let text = content_text(content, field)?;
    Ok(if text.is_empty() {
        Vec::new()
    } else {
        vec![json!({ "text": text })]
    })
}

fn user_parts(content: &Value, field: &str) -> Result<Vec<Value>, TranslateError> {
    let Value::Array(items) = content else {
        return text_parts(content, &format!("{field}.content"));
    };
    let mut parts = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let field = format!("{field}.content[{index}]");
        match item["type"].as_str().unwrap_or_default() {
            "text" => {
                let text = item["text"].as_str().unwrap_or_default();
                if !text.is_empty() {
                    parts.push(json!({ "text": text }));
                }
            }
            "image_url" => {
                let url = item["image_url"]["url"]
                    .as_str()
                    .or_else(|| item["image_url"].as_str())
                    .ok_or_else(|| {
                        TranslateError::field(&format!("{field}.image_url.url"), "must be a string")
                    })?;
                parts.push(media_part(url, None, &format!("{field}.image_url.url"))?);
            }
            "input_audio" => {
                let audio = &item["input_audio"];
                let (Some(data), Some(format)) = (audio["data"].as_str(), audio["format"].as_str())
                else {
                    return Err(TranslateError::field(
                        &format!("{field}.input_audio"),
                        "needs `data` and `format`",
                    ));
                };
                parts.push(json!({ "inlineData": { "mimeType": format!("audio/{format}"), "data": data } }));
            }
            "file" => {
                let file = &item["file"];
                let url = file["file_data"]
                    .as_str()
                    .or_else(|| file["file_id"].as_str())
                    .ok_or_else(|| {
                        TranslateError::field(
                            &format!("{field}.file"),
                            "needs `file_data` or `file_id`",
                        )
                    })?;
                parts.push(media_part(
                    url,
                    file["format"].as_str(),
                    &format!("{field}.file"),
                )?);
            }
            other => {
                return Err(TranslateError::field(
                    &format!("{field}.type"),
                    &format!("unsupported content part type `{other}`"),
                ));
            }
        }
    }
    Ok(parts)
}

/// A data URL becomes inline bytes; any other URL is referenced by URI.
fn media_part(url: &str, mime_type: Option<&str>, field: &str) -> Result<Value, TranslateError> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (meta, data) = rest
            .split_once(',')
            .ok_or_else(|| TranslateError::field(field, "malformed data URL"))?;
        let mut meta = meta.split(';');
        let mime = meta.next().unwrap_or_default();
        if mime.is_empty() || !meta.any(|p| p == "base64") {
            return Err(TranslateError::field(
                field,
                "data URLs must name a media type and be base64-encoded",
            ));
        }
        return Ok(json!({ "inlineData": { "mimeType": mime, "data": data } }));
    }
    let mime = mime_type.map_or_else(|| guess_mime_type(url), str::to_owned);
    Ok(json!({ "fileData": { "mimeType": mime, "fileUri": url } }))
}

/// Gemini needs a media type for a file URI; the extension is the only hint.
fn guess_mime_type(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "mp3" => "audio/mp3",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp4" => "video/mp4",
        "mov" => "video/mov",
        "webm" => "video/webm",
        _ => "image/jpeg",
    }
    .to_owned()
}

fn assistant_parts(message: &Value, field: &str) -> Result<Vec<Value>, TranslateError> {
    let mut parts = text_parts(&message["content"], &format!("{field}.content"))?;
    for (index, call) in message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = format!("{field}.tool_calls[{index}]");
        let function = &call["function"];
        let mut part = function_call(function, &format!("{field}.function"))?;
        if let Some((_, signature)) = call["id"]
            .as_str()
            .and_then(|id| id.split_once(THOUGHT_SIGNATURE_SEPARATOR))
        {
            part["thoughtSignature"] = signature.into();
        }
        parts.push(part);
    }
    if message["function_call"].is_object() {
        parts.push(function_call(
            &message["function_call"],
            &format!("{field}.function_call"),
        )?);
    }
    Ok(parts)
}

fn function_call(function: &Value, field: &str) -> Result<Value, TranslateError> {
    let name = function["name"]
        .as_str()
        .ok_or_else(|| TranslateError::field(&format!("{field}.name"), "must be a string"))?;
    let args = match &function["arguments"] {
        Value::Null => json!({}),
        Value::String(text) if text.trim().is_empty() => json!({}),
        Value::String(text) => serde_json::from_str(text).map_err(|_| {
            TranslateError::field(&format!("{field}.arguments"), "must be a JSON object")
        })?,
        other => other.clone(),
    };
    if !args.is_object() {
        return Err(TranslateError::field(
            &format!("{field}.arguments"),
            "must be a JSON object",
        ));
    }
    Ok(json!({ "functionCall": { "name": name, "args": args } }))
}

/// A tool result; Gemini matches results to calls by function name, which
/// OpenAI only gives on the call, so the name is found through the call id.
fn function_response(
    message: &Value,
    earlier: &[Value],
    field: &str,
) -> Result<Value, TranslateError> {
    let name = match message["tool_call_id"].as_str() {
        Some(id) => earlier
            .iter()
            .rev()
            .flat_map(|m| m["tool_calls"].as_array().into_iter().flatten())
            .find(|call| call["id"].as_str() == Some(id))
            .and_then(|call| call["function"]["name"].as_str())
            .or_else(|| message["name"].as_str()),
        None => message["name"].as_str(),
    }
    .ok_or_else(|| {
        TranslateError::field(
            &format!("{field}.tool_call_id"),
            "does not match any earlier assistant tool call",
        )
    })?;
    let text = content_text(&message["content"], &format!("{field}.content"))?;
    let content =
        serde_json::from_str::<Value>(&text).unwrap_or_else(|_| json!({ "result": text }));
    Ok(json!({ "functionResponse": { "name": name, "response": { "content": content } } }))
}

fn tools(chat: &Value) -> Result<Option<Value>, TranslateError> {
    let mut declarations = Vec::new();
    for (index, tool) in chat["tools"].as_array().into_iter().flatten().enumerate() {
        let field = format!("tools[{index}]");
        match tool["type"].as_str() {
            Some("function") | None => {}
            Some(other) => {
                return Err(TranslateError::field(
                    &format!("{field}.type"),
                    &format!("Gemini takes function tools only, not `{other}`"),
                ));
            }
        }
        declarations.push(declaration(
            &tool["function"],
            &format!("{field}.function"),
        )?);
    }
    for (index, function) in chat["functions"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        declarations.push(declaration(function, &format!("functions[{index}]"))?);
    }
    Ok((!declarations.is_empty()).then(|| json!([{ "functionDeclarations": declarations }])))
}

fn declaration(function: &Value, field: &str) -> Result<Value, TranslateError> {
    let name = function["name"]
        .as_str()
        .ok_or_else(|| TranslateError::field(&format!("{field}.name"), "must be a string"))?;
    let mut declaration = json!({ "name": name });
    if let Some(description) = function["description"].as_str() {
        declaration["description"] = description.into();
    }
    let parameters = &function["parameters"];
    if parameters.is_object() && !schema::is_empty_object(parameters) {
        declaration["parameters"] = schema::sanitize(parameters, &format!("{field}.parameters"))?;
    }
    Ok(declaration)
}

fn tool_config(choice: &Value) -> Result<Option<Value>, TranslateError> {
    let config = match choice {
        Value::Null => return Ok(None),
        Value::String(mode) => match mode.as_str() {
            "auto" => json!({ "mode": "AUTO" }),
            "none" => json!({ "mode": "NONE" }),
            "required" => json!({ "mode": "ANY" }),
            other => {
                return Err(TranslateError::field(
                    "tool_choice",
                    &format!("unknown value `{other}`"),
                ));
            }
        },
        Value::Object(_) => {
            let name = choice["function"]["name"].as_str().ok_or_else(|| {
                TranslateError::field("tool_choice.function.name", "must be a string")
            })?;
            json!({ "mode": "ANY", "allowedFunctionNames": [name] })
        }
        _ => {
            return Err(TranslateError::field(
                "tool_choice",
                "must be a string or an object",
            ));
        }
    };
    Ok(Some(json!({ "functionCallingConfig": config })))
}

fn generation_config(chat: &Value) -> Result<Map<String, Value>, TranslateError> {
    let mut config = Map::new();
    let copies = [
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("top_k", "topK"),
        ("n", "candidateCount"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
        ("seed", "seed"),
    ];
    for (openai, gemini) in copies {
        if !chat[openai].is_null() {
            config.insert(gemini.into(), chat[openai].clone());
        }
    }
    let max_tokens = if chat["max_completion_tokens"].is_null() {
        &chat["max_tokens"]
    } else {
        &chat["max_completion_tokens"]
    };
    if !max_tokens.is_null() {
        config.insert("maxOutputTokens".into(), max_tokens.clone());
    }
    match &chat["stop"] {
        Value::Null => {}
        Value::String(stop) => {
            config.insert("stopSequences".into(), json!([stop]));
        }
        Value::Array(stops) => {
            config.insert("stopSequences".into(), Value::Array(stops.clone()));
        }
        _ => {
            return Err(TranslateError::field(
                "stop",
                "must be a string or an array of strings",
            ));
        }
    }
    let format = &chat["response_format"];
    match format["type"].as_str() {
        None | Some("text") => {}
        Some("json_object") => {
            config.insert("responseMimeType".into(), "application/json".into());
        }
        Some("json_schema") => {
            config.insert("responseMimeType".into(), "application/json".into());
            let schema = &format["json_schema"]["schema"];
            if schema.is_object() {
                config.insert(
                    "responseSchema".into(),
                    schema::sanitize(schema, "response_format.json_schema.schema")?,
                );
            }
        }
        Some(other) => {
            return Err(TranslateError::field(
                "response_format.type",
                &format!("unsupported value `{other}`"),
            ));
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests;
