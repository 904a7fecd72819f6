//! The gateway's wire shapes, pinned as snapshots: OpenAI and Anthropic
//! error envelopes, the headers of a rate-limited answer, the event
//! sequences of chat, Messages and Responses streams, and plain chat and
//! embedding answers. Bodies are compared as parsed JSON; values that vary
//! between runs (generated ids, clocks, key hashes) are redacted. A changed
//! shape fails here until its snapshot under `snapshots/` is reviewed and
//! updated.

use alchemi::db::AccountId;
use insta::assert_json_snapshot;
use reqwest::RequestBuilder;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

use crate::common::app::TestApp;
use crate::common::mock_anthropic::MockAnthropic;
use crate::common::mock_llm::MockLlm;

/// An app whose account serves `gpt-3.5` (priced), `broken` (the provider
/// answers 500) and `text-embedding` from the OpenAI-compatible mock, and
/// `claude` from the Anthropic mock.
async fn setup() -> (TestApp, AccountId, MockLlm, MockAnthropic) {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let anthropic = MockAnthropic::start().await;
    let account = app.test.create_account("shapes").await;
    for (name, model) in [
        ("gpt-3.5", "openai/gpt-3.5-turbo-0301"),
        ("broken", "openai/fail-500"),
        ("text-embedding", "openai/text-embedding-3-small"),
    ] {
        app.add_model(
            account,
            name,
            json!({"model": model, "api_base": mock.api_base(), "api_key": "sk-provider"}),
        )
        .await;
    }
    app.add_model(
        account,
        "claude",
        json!({"model": "anthropic/claude-3-5-haiku-20241022", "api_base": anthropic.base, "api_key": "sk-ant-test"}),
    )
    .await;
    (app, account, mock, anthropic)
}

fn chat_body(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "Say hello"}]})
}

fn messages_body(model: &str) -> Value {
    json!({"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": "Say hello"}]})
}

/// One answer: its status, headers and parsed JSON body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// Sends `request` and parses the answer's body as JSON.
    async fn of(request: RequestBuilder) -> Self {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {status} {text}"));
        Self {
            status,
            headers,
            body,
        }
    }

    /// The status and the body, as one snapshot pins them.
    fn pinned(&self) -> Value {
        json!({"status": self.status, "body": self.body})
    }

    /// The headers, by name, less those of the transport (`date`,
    /// `content-length`) that say nothing of the gateway.
    fn headers(&self) -> Value {
        let mut selected = Map::new();
        for (name, value) in &self.headers {
            if !TRANSPORT_HEADERS.contains(&name.as_str()) {
                selected.insert(name.to_string(), json!(value.to_str().unwrap()));
            }
        }
        Value::Object(selected)
    }
}

/// Headers the HTTP stack sets, left out of header snapshots.
const TRANSPORT_HEADERS: [&str; 3] = ["date", "content-length", "transfer-encoding"];

/// Headers whose values vary between runs, and what stands in for them.
const VARYING_HEADERS: [(&str, &str); 8] = [
    ("x-litellm-call-id", "[call id]"),
    ("x-litellm-model-id", "[model id]"),
    ("x-litellm-model-api-base", "[api base]"),
    ("x-litellm-response-duration-ms", "[duration]"),
    ("x-litellm-overhead-duration-ms", "[duration]"),
    ("x-litellm-version", "[version]"),
    ("retry-after", "[seconds]"),
    ("reset_at", "[reset time]"),
];

/// Where an error message names the clock, the text that comes before
/// the time.
const CLOCK_MARKERS: [&str; 2] = ["and current time ", "Limit resets at: "];

/// Asserts `value` matches snapshot `name`, with what varies between runs
/// redacted: the varying headers of a header snapshot, the clock time in
/// an error message, the creation time of a streamed response.
fn assert_snapshot(name: &str, value: &Value) {
    let mut settings = insta::Settings::clone_current();
    for (header, placeholder) in VARYING_HEADERS {
        settings.add_redaction(&format!("[\"{header}\"]"), placeholder);
    }
    settings.add_dynamic_redaction(".body.error.message", |message, _| {
        let message = message.as_str().unwrap_or_default().to_owned();
        CLOCK_MARKERS
            .iter()
            .find_map(|marker| {
                message
                    .split_once(marker)
                    .map(|(before, _)| format!("{before}{marker}[time]"))
            })
            .unwrap_or(message)
    });
    settings.add_redaction("[].data.response.created_at", "[created at]");
    settings.bind(|| assert_json_snapshot!(name, value));
}

/// `value` with every occurrence of each `(text, placeholder)` replaced in
/// its strings: for values the test knows that vary between runs, such as
/// a key's hash inside an error message or the ids a stream generated.
/// Unlike a redaction by path, it keeps showing where the same value recurs.
fn scrubbed(value: Value, replacements: &[(&str, &str)]) -> Value {
    match value {
        Value::String(text) => Value::String(
            replacements
                .iter()
                .fold(text, |text, (from, to)| text.replace(from, to)),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| scrubbed(item, replacements))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, item)| (name, scrubbed(item, replacements)))
                .collect(),
        ),
        other => other,
    }
}

/// Sends a streaming request and returns its frames in order: the JSON of
/// each `data:` line, under `{"event", "data"}` when the frame names its
/// event, and `"[DONE]"` for OpenAI's terminator.
async fn frames(request: RequestBuilder) -> Vec<Value> {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    text.split_terminator("\n\n")
        .map(|frame| {
            let mut event = None;
            let mut data = None;
            for line in frame.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event = Some(name);
                } else if let Some(payload) = line.strip_prefix("data: ") {
                    data = Some(match payload {
                        "[DONE]" => json!("[DONE]"),
                        json => serde_json::from_str(json)
                            .unwrap_or_else(|error| panic!("{error}: {frame}")),
                    });
                } else {
                    panic!("unexpected line {line:?} in {text}");
                }
            }
            let data = data.unwrap_or_else(|| panic!("no data in {frame:?}"));
            match event {
                Some(event) => json!({"event": event, "data": data}),
                None => data,
            }
        })
        .collect()
}

#[tokio::test]
async fn openai_error_envelopes() {
    let (app, account, _mock, _anthropic) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let blocked = app.add_key(account, json!({"blocked": true})).await;
    let expired = app
        .add_key(account, json!({"expires": "2020-01-01T00:00:00Z"}))
        .await;
    let broke = app.add_key(account, json!({"max_budget": 0.0})).await;
    let chat = || app.http.post(app.url("/v1/chat/completions"));
    let huge =
        json!({"model": "gpt-3.5", "messages": [{"role": "user", "content": "x".repeat(100_000)}]});
    let cases = [
        (
            "malformed_json",
            chat()
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body("{not json"),
        ),
        (
            "missing_model",
            chat().bearer_auth(&key).json(&json!({"messages": []})),
        ),
        (
            "unknown_model",
            chat().bearer_auth(&key).json(&chat_body("no-such-model")),
        ),
        ("missing_key", chat().json(&chat_body("gpt-3.5"))),
        (
            "unknown_key",
            chat()
                .bearer_auth("sk-unknown-key")
                .json(&chat_body("gpt-3.5")),
        ),
        (
            "blocked_key",
            chat().bearer_auth(&blocked).json(&chat_body("gpt-3.5")),
        ),
        (
            "expired_key",
            chat().bearer_auth(&expired).json(&chat_body("gpt-3.5")),
        ),
        ("body_too_large", chat().bearer_auth(&key).json(&huge)),
        (
            "upstream_error",
            chat()
                .bearer_auth(&key)
                .json(&json!({"model": "broken", "messages": [], "num_retries": 0})),
        ),
        (
            "budget_exceeded",
            chat().bearer_auth(&broke).json(&chat_body("gpt-3.5")),
        ),
    ];
    // The expired key is named by its last four characters.
    let expired_name = format!("sk-...{}", &expired[expired.len() - 4..]);
    for (name, request) in cases {
        let answer = Answer::of(request).await;
        assert!(answer.status >= 400, "{name}: {}", answer.body);
        let pinned = scrubbed(answer.pinned(), &[(&expired_name, "sk-...[key]")]);
        assert_snapshot(&format!("openai_error_{name}"), &pinned);
    }
}

#[tokio::test]
async fn a_rate_limited_answer_and_its_headers() {
    let (app, account, _mock, _anthropic) = setup().await;
    let key = app.add_key(account, json!({"rpm_limit": 1})).await;
    let hash = alchemi::secret::hash_api_key(&key);
    let mut body = chat_body("gpt-3.5");
    body["mock_response"] = json!("ok");
    let call = || {
        app.http
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&body)
    };
    assert_eq!(Answer::of(call()).await.status, 200);
    let answer = Answer::of(call()).await;
    assert_eq!(answer.status, 429, "{}", answer.body);
    let pinned = scrubbed(answer.pinned(), &[(&hash, "[key hash]")]);
    assert_snapshot("openai_error_rate_limited", &pinned);
    let retry = answer.headers["retry-after"].to_str().unwrap();
    assert!(
        retry
            .parse::<u64>()
            .is_ok_and(|seconds| (1..=60).contains(&seconds)),
        "{retry}"
    );
    assert_snapshot("openai_error_rate_limited_headers", &answer.headers());
}

#[tokio::test]
async fn anthropic_error_envelopes() {
    let (app, account, _mock, _anthropic) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let messages = || app.http.post(app.url("/v1/messages"));
    let cases = [
        (
            "malformed_json",
            messages()
                .header("x-api-key", &key)
                .header("content-type", "application/json")
                .body("{not json"),
        ),
        (
            "unknown_model",
            messages()
                .header("x-api-key", &key)
                .json(&messages_body("no-such-model")),
        ),
        (
            "unknown_key",
            messages()
                .header("x-api-key", "sk-unknown-key")
                .json(&messages_body("gpt-3.5")),
        ),
        (
            "upstream_error",
            messages()
                .header("x-api-key", &key)
                .json(&messages_body("broken")),
        ),
    ];
    for (name, request) in cases {
        let answer = Answer::of(request).await;
        assert!(answer.status >= 400, "{name}: {}", answer.body);
        assert_snapshot(&format!("anthropic_error_{name}"), &answer.pinned());
    }
}

#[tokio::test]
async fn stream_event_sequences() {
    let (app, account, _mock, _anthropic) = setup().await;
    let key = app.add_key(account, json!({})).await;

    let mut chat = chat_body("gpt-3.5");
    chat["stream"] = json!(true);
    chat["stream_options"] = json!({"include_usage": true});
    let chunks = frames(
        app.http
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&chat),
    )
    .await;
    assert_snapshot("stream_chat_completions", &json!(chunks));

    let mut messages = messages_body("gpt-3.5");
    messages["stream"] = json!(true);
    let events = frames(
        app.http
            .post(app.url("/v1/messages"))
            .header("x-api-key", &key)
            .json(&messages),
    )
    .await;
    assert_snapshot("stream_messages_from_openai", &json!(events));

    let responses = json!({"model": "claude", "input": "Say hello", "stream": true});
    let events = frames(
        app.http
            .post(app.url("/v1/responses"))
            .bearer_auth(&key)
            .json(&responses),
    )
    .await;
    // The gateway names the response and its message item: every event
    // must repeat the names the first ones gave.
    let response_id = events[0]["data"]["response"]["id"].as_str().unwrap();
    let item_id = events[2]["data"]["item"]["id"].as_str().unwrap();
    let events = scrubbed(
        json!(events),
        &[(response_id, "[response id]"), (item_id, "[item id]")],
    );
    assert_snapshot("stream_responses", &events);
}

#[tokio::test]
async fn plain_answers() {
    let (app, account, _mock, _anthropic) = setup().await;
    let key = app.add_key(account, json!({})).await;
    let answer = Answer::of(
        app.http
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&chat_body("gpt-3.5")),
    )
    .await;
    assert_snapshot("chat_completion", &answer.pinned());
    assert_snapshot("chat_completion_headers", &answer.headers());

    let answer = Answer::of(
        app.http
            .post(app.url("/v1/embeddings"))
            .bearer_auth(&key)
            .json(&json!({"model": "text-embedding", "input": "hello"})),
    )
    .await;
    assert_snapshot("embeddings", &answer.pinned());
}
