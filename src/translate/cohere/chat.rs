//! OpenAI chat request to Cohere `/v2/chat` body, and the v2 chat response
//! back to an OpenAI `chat.completion`.

use crate::translate::content_text;
use serde_json::{Map, Value, json};

use crate::translate::{TranslateError, Usage};

/// Translates an OpenAI chat request into a `/v2/chat` body for
/// `upstream_model`. Cohere v2 already takes OpenAI-shaped tools, tool calls
/// and image parts; what differs is roles, sampling names and tool choice.
pub fn chat_to_cohere(chat: &Value, upstream_model: &str) -> Result<Value, TranslateError> {
    let messages = chat["messages"]
        .as_array()
        .ok_or_else(|| TranslateError::field("messages", "must be an array"))?;
    let mut translated = Vec::new();
    for (position, message) in messages.iter().enumerate() {
        if let Some(message) = translate_message(message, &format!("messages[{position}]"))? {
            translated.push(message);
        }
    }
    if chat["n"].as_u64().is_some_and(|n| n > 1) {
        return Err(TranslateError::field(
            "n",
            "Cohere returns one choice per request",
        ));
    }

    let mut body = Map::new();
    body.insert("model".into(), upstream_model.into());
    body.insert("messages".into(), Value::Array(translated));
    let (tools, strict) = tools(chat)?;
    let (tools, choice) = tool_choice(&chat["tool_choice"], tools)?;
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
        if strict {
            body.insert("strict_tools".into(), true.into());
        }
    }
    if let Some(choice) = choice {
        body.insert("tool_choice".into(), choice.into());
    }
    let max_tokens = if chat["max_completion_tokens"].is_null() {
        &chat["max_tokens"]
    } else {
        &chat["max_completion_tokens"]
    };
    if !max_tokens.is_null() {
        body.insert("max_tokens".into(), max_tokens.clone());
    }
    let copies = [
        ("temperature", "temperature"),
        ("top_p", "p"),
        ("top_k", "k"),
        ("seed", "seed"),
        ("frequency_penalty", "frequency_penalty"),
        ("presence_penalty", "presence_penalty"),
    ];
    for (openai, cohere) in copies {
        if !chat[openai].is_null() {
            body.insert(cohere.into(), chat[openai].clone());
        }
    }
    match &chat["stop"] {
        Value::Null => {}
        Value::String(stop) => {
            body.insert("stop_sequences".into(), json!([stop]));
        }
        Value::Array(stops) => {
            body.insert("stop_sequences".into(), Value::Array(stops.clone()));
        }
        _ => {
            return Err(TranslateError::field(
                "stop",
                "must be a string or an array of strings",
            ));
        }
    }
    if let Some(format) = response_format(&chat["response_format"])? {
        body.insert("response_format".into(), format);
    }
    if let Some(stream) = chat["stream"].as_bool() {
        body.insert("stream".into(), stream.into());
    }
    Ok(Value::Object(body))
}

fn translate_message(message: &Value, field: &str) -> Result<Option<Value>, TranslateError> {
    let content_field = format!("{field}.content");
    Ok(Some(match message["role"].as_str().unwrap_or_default() {
        "system" | "developer" => {
            json!({ "role": "system", "content": content_text(&message["content"], &content_field)? })
        }
        "user" => {
            json!({ "role": "user", "content": user_content(&message["content"], &content_field)? })
        }
        "assistant" => {
            let text = content_text(&message["content"], &content_field)?;
            let calls = tool_calls(&message["tool_calls"], &format!("{field}.tool_calls"))?;
            let mut out = json!({ "role": "assistant" });
            match (calls.is_empty(), text.is_empty()) {
                (true, true) => return Ok(None),
                (true, false) => out["content"] = text.into(),
                // Text beside tool calls is the model's plan for them.
                (false, true) => out["tool_calls"] = calls.into(),
                (false, false) => {
                    out["tool_plan"] = text.into();
                    out["tool_calls"] = calls.into();
                }
            }
            out
        }
        "tool" => {
            let id = message["tool_call_id"].as_str().ok_or_else(|| {
                TranslateError::field(&format!("{field}.tool_call_id"), "must be a string")
            })?;
            json!({ "role": "tool", "tool_call_id": id, "content": content_text(&message["content"], &content_field)? })
        }
        other => {
            return Err(TranslateError::field(
                &format!("{field}.role"),
                &format!("unsupported role `{other}`"),
            ));
        }
    }))
}

/// User content: a string, or text and `image_url` parts (vision models).
fn user_content(content: &Value, field: &str) -> Result<Value, TranslateError> {
    let Value::Array(parts) = content else {
        return Ok(content_text(content, field)?.into());
    };
    let mut out = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        match part["type"].as_str().unwrap_or_default() {
            "text" => out
                .push(json!({ "type": "text", "text": part["text"].as_str().unwrap_or_default() })),
            "image_url" => {
                let image = match &part["image_url"] {
                    Value::String(url) => json!({ "url": url }),
                    image if image["url"].is_string() => image.clone(),
                    _ => {
                        return Err(TranslateError::field(
                            &format!("{field}[{index}].image_url.url"),
                            "must be a string",
                        ));
                    }
                };
                out.push(json!({ "type": "image_url", "image_url": image }));
            }
            other => {
                return Err(TranslateError::field(
                    &format!("{field}[{index}].type"),
                    &format!("Cohere takes text and image parts, not `{other}`"),
                ));
            }
        }
    }
    Ok(Value::Array(out))
}

fn tool_calls(calls: &Value, field: &str) -> Result<Vec<Value>, TranslateError> {
    let mut out = Vec::new();
    for (index, call) in calls.as_array().into_iter().flatten().enumerate() {
        let (Some(id), Some(name)) = (call["id"].as_str(), call["function"]["name"].as_str())
        else {
            return Err(TranslateError::field(
                &format!("{field}[{index}]"),
                "needs an `id` and a `function.name`",
            ));
        };
        out.push(json!({
            "id": id,
            "type": "function",
            "function": { "name": name, "arguments": arguments_string(&call["function"]["arguments"]) },
        }));
    }
    Ok(out)
}

/// Tool-call arguments as the JSON string both formats carry.
fn arguments_string(arguments: &Value) -> String {
    match arguments {
        Value::String(text) => text.clone(),
        Value::Null => "{}".to_owned(),
        other => other.to_string(),
    }
}

/// The function tools and whether any asked for strict argument schemas.
fn tools(chat: &Value) -> Result<(Vec<Value>, bool), TranslateError> {
    let mut tools = Vec::new();
    let mut strict = false;
    for (index, tool) in chat["tools"].as_array().into_iter().flatten().enumerate() {
        let field = format!("tools[{index}]");
        if tool["type"].as_str().is_some_and(|t| t != "function") {
            return Err(TranslateError::field(
                &format!("{field}.type"),
                "Cohere takes function tools only",
            ));
        }
        let function = &tool["function"];
        let name = function["name"].as_str().ok_or_else(|| {
            TranslateError::field(&format!("{field}.function.name"), "must be a string")
        })?;
        let mut declared = json!({ "name": name });
        for key in ["description", "parameters"] {
            if !function[key].is_null() {
                declared[key] = function[key].clone();
            }
        }
        strict |= function["strict"].as_bool() == Some(true);
        tools.push(json!({ "type": "function", "function": declared }));
    }
    Ok((tools, strict))
}

/// Cohere knows REQUIRED and NONE; naming one function is expressed by
/// offering only that function and requiring a call.
fn tool_choice(
    choice: &Value,
    tools: Vec<Value>,
) -> Result<(Vec<Value>, Option<&'static str>), TranslateError> {
    match choice {
        Value::Null => Ok((tools, None)),
        Value::String(mode) => match mode.as_str() {
            "auto" => Ok((tools, None)),
            "none" => Ok((tools, Some("NONE"))),
            "required" => Ok((tools, Some("REQUIRED"))),
            other => Err(TranslateError::field(
                "tool_choice",
                &format!("unknown value `{other}`"),
            )),
        },
        Value::Object(_) => {
            let name = choice["function"]["name"].as_str().ok_or_else(|| {
                TranslateError::field("tool_choice.function.name", "must be a string")
            })?;
            let only: Vec<Value> = tools
                .into_iter()
                .filter(|tool| tool["function"]["name"] == name)
                .collect();
            if only.is_empty() {
                return Err(TranslateError::field(
                    "tool_choice.function.name",
                    &format!("no tool is named `{name}`"),
                ));
            }
            Ok((only, Some("REQUIRED")))
        }
        _ => Err(TranslateError::field(
            "tool_choice",
            "must be a string or an object",
        )),
    }
}

fn response_format(format: &Value) -> Result<Option<Value>, TranslateError> {
    match format["type"].as_str() {
        None | Some("text") => Ok(None),
        Some("json_object") => Ok(Some(json!({ "type": "json_object" }))),
        Some("json_schema") => {
            let mut out = json!({ "type": "json_object" });
            if format["json_schema"]["schema"].is_object() {
                out["json_schema"] = format["json_schema"]["schema"].clone();
            }
            Ok(Some(out))
        }
        Some(other) => Err(TranslateError::field(
            "response_format.type",
            &format!("unsupported value `{other}`"),
        )),
    }
}

/// Translates a `/v2/chat` response into an OpenAI chat completion; `model`
/// is the name the client asked for. A generation Cohere ended in error is
/// an error here too, carrying Cohere's words.
pub fn cohere_to_chat(response: &Value, model: &str) -> Result<Value, TranslateError> {
    let reason = response["finish_reason"].as_str();
    failure(reason, &response["error"])?;
    let message = &response["message"];
    let mut text = String::new();
    let mut reasoning = String::new();
    for item in message["content"].as_array().into_iter().flatten() {
        match item["type"].as_str() {
            Some("text") => text.push_str(item["text"].as_str().unwrap_or_default()),
            Some("thinking") => reasoning.push_str(item["thinking"].as_str().unwrap_or_default()),
            _ => {}
        }
    }
    let calls: Vec<Value> = message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|call| {
            json!({
                "id": call["id"],
                "type": "function",
                "function": {
                    "name": call["function"]["name"],
                    "arguments": arguments_string(&call["function"]["arguments"]),
                },
            })
        })
        .collect();
    if text.is_empty()
        && let Some(plan) = message["tool_plan"].as_str()
    {
        text = plan.to_owned();
    }
    let mut out = json!({
        "role": "assistant",
        "content": if text.is_empty() { Value::Null } else { text.into() },
    });
    if !reasoning.is_empty() {
        out["reasoning_content"] = reasoning.into();
    }
    let called = !calls.is_empty();
    if called {
        out["tool_calls"] = calls.into();
    }
    Ok(json!({
        "id": response["id"].as_str().map_or_else(|| format!("chatcmpl-{}", uuid::Uuid::new_v4()), str::to_owned),
        "object": "chat.completion",
        "created": chrono::Utc::now().timestamp(),
        "model": model,
        "choices": [{
            "index": 0,
            "message": out,
            "finish_reason": finish_reason(reason, called).unwrap_or("stop"),
        }],
        "usage": usage(&response["usage"]).to_openai(),
    }))
}

/// Cohere ends a failed generation with ERROR (or TIMEOUT) rather than an
/// HTTP error; OpenAI has no such finish reason, so it becomes an error.
pub(super) fn failure(reason: Option<&str>, error: &Value) -> Result<(), TranslateError> {
    let what = match reason {
        Some("ERROR") => "failed",
        Some("TIMEOUT") => "timed out",
        _ => return Ok(()),
    };
    Err(TranslateError(match error.as_str() {
        Some(text) if !text.is_empty() => format!("Cohere generation {what}: {text}"),
        _ => format!("Cohere generation {what}"),
    }))
}

/// OpenAI's finish reason for a Cohere one; `None` when Cohere gave none.
pub(super) fn finish_reason(reason: Option<&str>, called_tool: bool) -> Option<&'static str> {
    let reason = reason?;
    if called_tool {
        return Some("tool_calls");
    }
    Some(match reason {
        "MAX_TOKENS" => "length",
        "TOOL_CALL" => "tool_calls",
        "ERROR_TOXIC" => "content_filter",
        _ => "stop",
    })
}

/// Cohere's `usage`: counted `tokens` when present, else `billed_units`
/// (which leave out tokens Cohere does not bill, such as its own preamble).
pub(super) fn usage(usage: &Value) -> Usage {
    let count = |value: &Value| value.as_u64().or_else(|| value.as_f64().map(|f| f as u64));
    let pick = |key: &str| {
        count(&usage["tokens"][key])
            .or_else(|| count(&usage["billed_units"][key]))
            .unwrap_or(0)
    };
    Usage {
        prompt_tokens: pick("input_tokens"),
        completion_tokens: pick("output_tokens"),
        cache_read_input_tokens: count(&usage["cached_tokens"]).unwrap_or(0),
        ..Usage::default()
    }
}

#[cfg(test)]
mod tests;
