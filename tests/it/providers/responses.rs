//! The Responses API (`/v1/responses`) asked of native providers, served
//! through their chat translation: what every provider's tests check of a
//! plain answer, a streamed one and a function-call round.

use serde_json::{Value, json};

use super::{SPEND_LOGS, call, post};
use crate::common::app::TestApp;
use crate::common::mock_native::{AFTER_TOOL, WEATHER};

/// A Responses request with instructions and a list input.
fn hello(model: &str) -> Value {
    json!({
        "model": model,
        "instructions": "Be brief.",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "Say hello"}]}],
        "max_output_tokens": 64,
        "temperature": 0.5,
    })
}

/// Asks for a plain answer and checks its shape; returns the answer's text
/// and usage (input, output tokens), once the spend row that records them
/// is written.
pub(super) async fn plain(app: &TestApp, key: &str, model: &str) -> (String, (i64, i64)) {
    let (status, answer) = call(app, key, "/v1/responses", &hello(model)).await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer["id"].as_str().unwrap().starts_with("resp_"),
        "{answer}"
    );
    assert_eq!(answer["object"], "response");
    assert!(answer["created_at"].as_i64().unwrap() > 0);
    assert_eq!(answer["status"], "completed");
    assert_eq!(answer["model"], model);
    assert_eq!(answer["instructions"], "Be brief.");
    assert_eq!(answer["max_output_tokens"], 64);
    assert!(
        answer.get("output_text").is_none(),
        "not in the wire format"
    );
    let output = answer["output"].as_array().unwrap();
    assert_eq!(output.len(), 1, "{answer}");
    let item = &output[0];
    assert_eq!(item["type"], "message");
    assert!(item["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(item["status"], "completed");
    assert_eq!(item["role"], "assistant");
    assert_eq!(item["content"][0]["type"], "output_text");
    assert_eq!(item["content"][0]["annotations"], json!([]));
    let usage = &answer["usage"];
    let tokens = (
        usage["input_tokens"].as_i64().unwrap(),
        usage["output_tokens"].as_i64().unwrap(),
    );
    assert_eq!(usage["total_tokens"].as_i64().unwrap(), tokens.0 + tokens.1);
    let log = logged(app, &answer["id"]).await;
    assert_eq!(log, tokens, "the spend row records the answer's usage");
    let text = item["content"][0]["text"].as_str().unwrap().to_owned();
    (text, tokens)
}

/// Streams an answer and checks the event sequence; returns the streamed
/// text and the usage of `response.completed`, once the spend row that
/// records it is written.
pub(super) async fn streamed(app: &TestApp, key: &str, model: &str) -> (String, (i64, i64)) {
    let mut body = hello(model);
    body["stream"] = json!(true);
    let (status, response) = post(app, key, "/v1/responses", &body).await;
    assert_eq!(status, 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    assert!(!text.contains("[DONE]"), "{text}");
    let events: Vec<Value> = text
        .split_terminator("\n\n")
        .map(|frame| {
            let (event, data) = frame
                .strip_prefix("event: ")
                .and_then(|rest| rest.split_once("\ndata: "))
                .unwrap_or_else(|| panic!("not an event frame: {frame}"));
            let data: Value = serde_json::from_str(data).unwrap();
            assert_eq!(data["type"], event, "{frame}");
            data
        })
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k != "response.output_text.delta")
            .collect::<Vec<_>>(),
        [
            &"response.created",
            &"response.in_progress",
            &"response.output_item.added",
            &"response.content_part.added",
            &"response.output_text.done",
            &"response.content_part.done",
            &"response.output_item.done",
            &"response.completed",
        ],
        "{text}"
    );
    for (number, event) in events.iter().enumerate() {
        assert_eq!(event["sequence_number"], number, "{text}");
    }
    let streamed: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    let created = &events[0]["response"];
    assert_eq!(created["status"], "in_progress");
    assert_eq!(created["model"], model);
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["id"], created["id"]);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["model"], model);
    assert_eq!(done["output"][0]["content"][0]["text"], streamed.as_str());
    let tokens = (
        done["usage"]["input_tokens"].as_i64().unwrap(),
        done["usage"]["output_tokens"].as_i64().unwrap(),
    );
    let log = logged(app, &done["id"]).await;
    assert_eq!(log, tokens, "the spend row records the streamed usage");
    (streamed, tokens)
}

/// A function-call round: a function tool in, a `function_call` item out,
/// then its output in and the final answer out. Returns the call id.
pub(super) async fn tool_round(app: &TestApp, key: &str, model: &str) -> String {
    let tools = json!([{
        "type": "function",
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }]);
    let question = json!({"role": "user", "content": "What is the weather in Paris?"});
    let body = json!({"model": model, "input": [question], "tools": tools});
    let (status, answer) = call(app, key, "/v1/responses", &body).await;
    assert_eq!(status, 200, "{answer}");
    let output = answer["output"].as_array().unwrap();
    let function_call = output
        .iter()
        .find(|item| item["type"] == "function_call")
        .unwrap_or_else(|| panic!("no function call: {answer}"));
    assert!(function_call["id"].as_str().unwrap().starts_with("fc_"));
    assert_eq!(function_call["name"], "get_weather");
    assert_eq!(function_call["status"], "completed");
    let arguments: Value =
        serde_json::from_str(function_call["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments, json!({"city": "Paris"}));
    let call_id = function_call["call_id"].as_str().unwrap().to_owned();
    assert!(!call_id.is_empty());

    let mut input = vec![question];
    input.extend(output.iter().cloned());
    input.push(json!({"type": "function_call_output", "call_id": call_id, "output": WEATHER}));
    let body = json!({"model": model, "input": input, "tools": tools});
    let (status, answer) = call(app, key, "/v1/responses", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["output"][0]["content"][0]["text"], AFTER_TOOL);
    call_id
}

/// The (prompt, completion) tokens of the spend row for response `id`.
async fn logged(app: &TestApp, id: &Value) -> (i64, i64) {
    for _ in 0..100 {
        let logs = app.wait_rows(SPEND_LOGS, 1).await;
        if let Some(log) = logs.iter().find(|log| log["request_id"] == *id) {
            assert_eq!(log["status"], "success", "{log}");
            assert_eq!(log["call_type"], "aresponses");
            return (
                log["prompt_tokens"].as_i64().unwrap(),
                log["completion_tokens"].as_i64().unwrap(),
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no spend row for {id}");
}
