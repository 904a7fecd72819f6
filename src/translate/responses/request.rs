//! A Responses request as a chat completions request: `instructions` and
//! the `input` items become messages, function tools and the text format
//! keep their meaning under chat's names.

use serde_json::{Map, Value, json};

use crate::translate::TranslateError;

/// Fields that carry over under the same name and meaning.
const SAME: &[&str] = &[
    "model",
    "stream",
    "temperature",
    "top_p",
    "parallel_tool_calls",
    "user",
];

/// Translates a Responses request into a chat completions request.
pub fn responses_to_chat(request: &Value) -> Result<Value, TranslateError> {
    for field in ["previous_response_id", "conversation"] {
        if !request[field].is_null() {
            return Err(TranslateError::field(
                field,
                "stored conversations cannot be continued on this provider; send the whole `input`",
            ));
        }
    }
    if request["background"] == true {
        return Err(TranslateError::field(
            "background",
            "background responses are not served for this provider",
        ));
    }
    let mut messages = Vec::new();
    if let Some(instructions) = request["instructions"].as_str() {
        messages.push(json!({"role": "system", "content": instructions}));
    }
    input_messages(&request["input"], &mut messages)?;
    let mut chat = Map::new();
    for field in SAME {
        if let Some(value) = request.get(*field).filter(|value| !value.is_null()) {
            chat.insert((*field).to_owned(), value.clone());
        }
    }
    chat.insert("messages".to_owned(), Value::Array(messages));
    if let Some(max) = request.get("max_output_tokens").filter(|v| !v.is_null()) {
        chat.insert("max_tokens".to_owned(), max.clone());
    }
    if let Some(tools) = request["tools"].as_array().filter(|t| !t.is_empty()) {
        chat.insert("tools".to_owned(), chat_tools(tools)?);
    }
    if let Some(choice) = request.get("tool_choice").filter(|v| !v.is_null()) {
        chat.insert("tool_choice".to_owned(), tool_choice(choice)?);
    }
    if let Some(format) = response_format(&request["text"]["format"])? {
        chat.insert("response_format".to_owned(), format);
    }
    Ok(Value::Object(chat))
}

/// Appends the messages that `input` (a string, or a list of items) holds.
fn input_messages(input: &Value, messages: &mut Vec<Value>) -> Result<(), TranslateError> {
    let items = match input {
        Value::String(text) => {
            messages.push(json!({"role": "user", "content": text}));
            return Ok(());
        }
        Value::Array(items) if !items.is_empty() => items,
        _ => {
            return Err(TranslateError::field(
                "input",
                "must be a string or a non-empty list of items",
            ));
        }
    };
    for (index, item) in items.iter().enumerate() {
        let path = format!("input[{index}]");
        let kind = item["type"]
            .as_str()
            .unwrap_or(if item.get("role").is_some() {
                "message"
            } else {
                ""
            });
        match kind {
            "message" => messages.push(message(item, &path)?),
            "function_call" => add_tool_call(messages, item, &path)?,
            "function_call_output" => messages.push(json!({
                "role": "tool",
                "tool_call_id": text_field(item, "call_id", &path)?,
                "content": output_text(&item["output"], &path)?,
            })),
            // Reasoning summaries of earlier turns: chat has no place for them.
            "reasoning" => {}
            other => {
                return Err(TranslateError::field(
                    &format!("{path}.type"),
                    &format!("`{other}` items cannot be sent to this provider"),
                ));
            }
        }
    }
    Ok(())
}

/// A message item as a chat message.
fn message(item: &Value, path: &str) -> Result<Value, TranslateError> {
    let role = item["role"].as_str().unwrap_or_default();
    match role {
        "user" => Ok(json!({"role": "user", "content": user_content(&item["content"], path)?})),
        "system" | "developer" | "assistant" => Ok(json!({
            "role": role,
            "content": plain_text(&item["content"], &format!("{path}.content"))?,
        })),
        _ => Err(TranslateError::field(
            &format!("{path}.role"),
            "must be `user`, `assistant`, `system` or `developer`",
        )),
    }
}

/// A user message's content: text as is, parts as chat parts.
fn user_content(content: &Value, path: &str) -> Result<Value, TranslateError> {
    let parts = match content {
        Value::String(_) => return Ok(content.clone()),
        Value::Array(parts) => parts,
        _ => {
            return Err(TranslateError::field(
                &format!("{path}.content"),
                "must be a string or a list of parts",
            ));
        }
    };
    let mut chat = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let path = format!("{path}.content[{index}]");
        match part["type"].as_str().unwrap_or_default() {
            "input_text" | "output_text" | "text" => {
                chat.push(json!({"type": "text", "text": text_field(part, "text", &path)?}));
            }
            "input_image" => {
                let url = part["image_url"].as_str().ok_or_else(|| {
                    TranslateError::field(
                        &format!("{path}.image_url"),
                        "images must be given by URL or data URL for this provider",
                    )
                })?;
                let mut image = json!({"url": url});
                if let Some(detail) = part["detail"].as_str() {
                    image["detail"] = detail.into();
                }
                chat.push(json!({"type": "image_url", "image_url": image}));
            }
            "input_file" => {
                let data = text_field(part, "file_data", &path)?;
                let mut file = json!({"file_data": data});
                if let Some(name) = part["filename"].as_str() {
                    file["filename"] = name.into();
                }
                chat.push(json!({"type": "file", "file": file}));
            }
            other => {
                return Err(TranslateError::field(
                    &path,
                    &format!("`{other}` parts cannot be sent to this provider"),
                ));
            }
        }
    }
    Ok(Value::Array(chat))
}

/// The text of a string content or of its text parts (refusals dropped).
fn plain_text(content: &Value, path: &str) -> Result<String, TranslateError> {
    match content {
        Value::String(text) => Ok(text.clone()),
        Value::Array(parts) => {
            let mut text = String::new();
            for (index, part) in parts.iter().enumerate() {
                match part["type"].as_str().unwrap_or_default() {
                    "input_text" | "output_text" | "text" => {
                        text.push_str(part["text"].as_str().unwrap_or_default());
                    }
                    "refusal" => {}
                    other => {
                        return Err(TranslateError::field(
                            &format!("{path}[{index}]"),
                            &format!("only text parts are allowed here, not `{other}`"),
                        ));
                    }
                }
            }
            Ok(text)
        }
        _ => Err(TranslateError::field(
            path,
            "must be a string or a list of parts",
        )),
    }
}

/// A function call output: text, or the text parts of a list.
fn output_text(output: &Value, path: &str) -> Result<String, TranslateError> {
    match output {
        Value::String(text) => Ok(text.clone()),
        Value::Array(_) => plain_text(output, &format!("{path}.output")),
        Value::Null => Err(TranslateError::field(
            &format!("{path}.output"),
            "is required",
        )),
        other => Ok(other.to_string()),
    }
}

/// A required string field of an item.
fn text_field<'a>(item: &'a Value, field: &str, path: &str) -> Result<&'a str, TranslateError> {
    item[field]
        .as_str()
        .ok_or_else(|| TranslateError::field(&format!("{path}.{field}"), "must be a string"))
}

/// Adds a `function_call` item to the assistant turn it belongs to: the
/// assistant message just before it, else a new one.
fn add_tool_call(
    messages: &mut Vec<Value>,
    item: &Value,
    path: &str,
) -> Result<(), TranslateError> {
    let call = json!({
        "id": text_field(item, "call_id", path)?,
        "type": "function",
        "function": {
            "name": text_field(item, "name", path)?,
            "arguments": item["arguments"].as_str().unwrap_or("{}"),
        },
    });
    if let Some(last) = messages.last_mut().filter(|m| m["role"] == "assistant") {
        match last["tool_calls"].as_array_mut() {
            Some(calls) => calls.push(call),
            None => last["tool_calls"] = json!([call]),
        }
        return Ok(());
    }
    messages.push(json!({"role": "assistant", "content": null, "tool_calls": [call]}));
    Ok(())
}

/// Function tools in chat's nesting; hosted tools have no chat form.
fn chat_tools(tools: &[Value]) -> Result<Value, TranslateError> {
    tools
        .iter()
        .enumerate()
        .map(|(index, tool)| {
            let kind = tool["type"].as_str().unwrap_or_default();
            if kind != "function" {
                return Err(TranslateError::field(
                    &format!("tools[{index}]"),
                    &format!("only function tools can be served by this provider, not `{kind}`"),
                ));
            }
            let mut function = Map::new();
            for field in ["name", "description", "parameters", "strict"] {
                if let Some(value) = tool.get(field).filter(|v| !v.is_null()) {
                    function.insert(field.to_owned(), value.clone());
                }
            }
            if !function.contains_key("name") {
                return Err(TranslateError::field(
                    &format!("tools[{index}].name"),
                    "is required",
                ));
            }
            Ok(json!({"type": "function", "function": function}))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// `tool_choice`: the modes as they are, a named function in chat's nesting.
fn tool_choice(choice: &Value) -> Result<Value, TranslateError> {
    if choice.is_string() {
        return Ok(choice.clone());
    }
    match (choice["type"].as_str(), choice["name"].as_str()) {
        (Some("function"), Some(name)) => {
            Ok(json!({"type": "function", "function": {"name": name}}))
        }
        _ => Err(TranslateError::field(
            "tool_choice",
            "must be `auto`, `none`, `required` or a function by name for this provider",
        )),
    }
}

/// `text.format` as chat's `response_format`; plain text needs none.
fn response_format(format: &Value) -> Result<Option<Value>, TranslateError> {
    match format["type"].as_str() {
        None | Some("text") => Ok(None),
        Some("json_object") => Ok(Some(json!({"type": "json_object"}))),
        Some("json_schema") => {
            let mut schema = Map::new();
            for field in ["name", "schema", "strict", "description"] {
                if let Some(value) = format.get(field).filter(|v| !v.is_null()) {
                    schema.insert(field.to_owned(), value.clone());
                }
            }
            Ok(Some(json!({"type": "json_schema", "json_schema": schema})))
        }
        Some(other) => Err(TranslateError::field(
            "text.format.type",
            &format!("`{other}` is not a known format"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_input_with_instructions_becomes_two_messages() {
        let request = json!({
            "model": "claude", "input": "Say hello", "instructions": "Be brief.",
            "max_output_tokens": 64, "temperature": 0.3, "top_p": 0.9, "stream": true,
            "store": false, "metadata": {"a": "b"},
        });
        assert_eq!(
            responses_to_chat(&request).unwrap(),
            json!({
                "model": "claude", "stream": true, "temperature": 0.3, "top_p": 0.9,
                "max_tokens": 64,
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Say hello"},
                ],
            })
        );
    }

    #[test]
    fn message_items_keep_their_roles_and_parts() {
        let request = json!({"model": "m", "input": [
            {"role": "developer", "content": "Answer in French."},
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"},
            ]},
            {"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "Un chat.", "annotations": []},
            ]},
            {"role": "user", "content": [{"type": "input_text", "text": "Merci"}]},
        ]});
        let chat = responses_to_chat(&request).unwrap();
        assert_eq!(
            chat["messages"],
            json!([
                {"role": "developer", "content": "Answer in French."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
                ]},
                {"role": "assistant", "content": "Un chat."},
                {"role": "user", "content": [{"type": "text", "text": "Merci"}]},
            ])
        );
    }

    #[test]
    fn function_calls_and_outputs_become_a_tool_round() {
        let request = json!({"model": "m",
        "tools": [{"type": "function", "name": "get_weather", "description": "Weather",
            "parameters": {"type": "object"}, "strict": null}],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "input": [
            {"role": "user", "content": "Weather in Paris?"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Let me check."}]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        ]});
        let chat = responses_to_chat(&request).unwrap();
        assert_eq!(
            chat["tools"],
            json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object"}}}])
        );
        assert_eq!(
            chat["tool_choice"],
            json!({"type": "function", "function": {"name": "get_weather"}})
        );
        assert_eq!(
            chat["messages"],
            json!([
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": "Let me check.", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            ])
        );
    }

    #[test]
    fn a_function_call_without_assistant_text_opens_its_own_turn() {
        let request = json!({"model": "m", "input": [
            {"role": "user", "content": "Weather?"},
            {"type": "function_call", "call_id": "a", "name": "f", "arguments": "{}"},
            {"type": "function_call", "call_id": "b", "name": "f", "arguments": "{}"},
        ]});
        let messages = responses_to_chat(&request).unwrap()["messages"].clone();
        assert_eq!(messages.as_array().unwrap().len(), 2);
        assert_eq!(messages[1]["content"], Value::Null);
        assert_eq!(messages[1]["tool_calls"][1]["id"], "b");
    }

    #[test]
    fn json_schema_formats_become_response_formats() {
        let request = json!({"model": "m", "input": "x", "text": {"format": {
            "type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": true}}});
        assert_eq!(
            responses_to_chat(&request).unwrap()["response_format"],
            json!({"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": true}})
        );
    }

    #[test]
    fn what_chat_cannot_express_is_refused() {
        let refused = |request: Value| responses_to_chat(&request).unwrap_err().0;
        assert!(
            refused(json!({"input": "x", "previous_response_id": "resp_1"}))
                .starts_with("`previous_response_id`")
        );
        assert_eq!(
            refused(json!({"input": "x", "tools": [{"type": "web_search"}]})),
            "`tools[0]`: only function tools can be served by this provider, not `web_search`"
        );
        assert_eq!(
            refused(json!({"input": [{"type": "item_reference", "id": "msg_1"}]})),
            "`input[0].type`: `item_reference` items cannot be sent to this provider"
        );
        assert!(refused(json!({"input": []})).starts_with("`input`"));
        assert!(refused(json!({"input": [{"role": "tool", "content": "x"}]})).contains("role"));
    }
}
