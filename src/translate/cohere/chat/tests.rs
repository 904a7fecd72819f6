use super::*;
use serde_json::json;

/// The response with `created` removed, the one field that depends on the clock.
fn settled(mut response: Value) -> Value {
    assert!(response["created"].as_i64().is_some_and(|t| t > 0));
    if let Some(object) = response.as_object_mut() {
        object.remove("created");
    }
    response
}

#[test]
fn messages_and_sampling_map_to_the_v2_body() {
    let chat = json!({
        "model": "command",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use French."}]},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA", "detail": "low"}},
                {"type": "image_url", "image_url": "https://example.com/a.jpg"}
            ]}
        ],
        "max_tokens": 100, "temperature": 0.3, "top_p": 0.8, "stop": "END", "seed": 4,
        "frequency_penalty": 0.1, "presence_penalty": 0.2, "stream": true
    });
    assert_eq!(
        chat_to_cohere(&chat, "command-a-03-2025").unwrap(),
        json!({
            "model": "command-a-03-2025",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "system", "content": "Use French."},
                {"role": "user", "content": "Hello"},
                {"role": "assistant", "content": "Bonjour"},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA", "detail": "low"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}}
                ]}
            ],
            "max_tokens": 100, "temperature": 0.3, "p": 0.8, "stop_sequences": ["END"], "seed": 4,
            "frequency_penalty": 0.1, "presence_penalty": 0.2, "stream": true
        })
    );
}

#[test]
fn tool_calls_results_and_tools_map_to_v2() {
    let chat = json!({
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "I will look it up.", "tool_calls": [
                {"id": "tc_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "tc_1", "content": "{\"temp\":21}"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "tc_2", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Rome"}}}
            ]},
            {"role": "tool", "tool_call_id": "tc_2", "content": [{"type": "text", "text": "sunny"}]}
        ],
        "tools": [{"type": "function", "function": {
            "name": "get_weather", "description": "Weather now",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            "strict": true
        }}],
        "tool_choice": "required",
        "max_completion_tokens": 50, "max_tokens": 10, "stop": ["a", "b"]
    });
    assert_eq!(
        chat_to_cohere(&chat, "command-r").unwrap(),
        json!({
            "model": "command-r",
            "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "tool_plan": "I will look it up.", "tool_calls": [
                    {"id": "tc_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "tc_1", "content": "{\"temp\":21}"},
                {"role": "assistant", "tool_calls": [
                    {"id": "tc_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "tc_2", "content": "sunny"}
            ],
            "tools": [{"type": "function", "function": {
                "name": "get_weather", "description": "Weather now",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
            }}],
            "strict_tools": true,
            "tool_choice": "REQUIRED",
            "max_tokens": 50,
            "stop_sequences": ["a", "b"]
        })
    );
}

#[test]
fn tool_choice_variants() {
    let tools = json!([
        {"type": "function", "function": {"name": "a"}},
        {"type": "function", "function": {"name": "b"}}
    ]);
    let with = |choice: Value| {
        chat_to_cohere(
            &json!({"messages": [{"role": "user", "content": "x"}], "tools": tools, "tool_choice": choice}),
            "m",
        )
    };
    let auto = with(json!("auto")).unwrap();
    assert!(auto.get("tool_choice").is_none());
    assert_eq!(auto["tools"].as_array().unwrap().len(), 2);
    assert_eq!(with(json!("none")).unwrap()["tool_choice"], "NONE");
    let named = with(json!({"type": "function", "function": {"name": "b"}})).unwrap();
    assert_eq!(named["tool_choice"], "REQUIRED");
    assert_eq!(
        named["tools"],
        json!([{"type": "function", "function": {"name": "b"}}])
    );
    assert_eq!(
        with(json!({"type": "function", "function": {"name": "c"}}))
            .unwrap_err()
            .0,
        "`tool_choice.function.name`: no tool is named `c`"
    );
    assert!(with(json!("maybe")).is_err());
}

#[test]
fn response_formats_map_to_json_object() {
    let with = |format: Value| {
        chat_to_cohere(
            &json!({"messages": [{"role": "user", "content": "x"}], "response_format": format}),
            "m",
        )
    };
    assert_eq!(
        with(json!({"type": "json_object"})).unwrap()["response_format"],
        json!({"type": "json_object"})
    );
    assert_eq!(
        with(json!({"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object"}}})).unwrap()["response_format"],
        json!({"type": "json_object", "json_schema": {"type": "object"}})
    );
    assert!(
        with(json!({"type": "text"}))
            .unwrap()
            .get("response_format")
            .is_none()
    );
    assert!(with(json!({"type": "xml"})).is_err());
}

#[test]
fn inexpressible_requests_are_rejected() {
    let bad = |chat: Value| chat_to_cohere(&chat, "m").unwrap_err().0;
    assert_eq!(
        bad(json!({"messages": [{"role": "user", "content": "x"}], "n": 2})),
        "`n`: Cohere returns one choice per request"
    );
    assert_eq!(
        bad(json!({"messages": [{"role": "tool", "content": "x"}]})),
        "`messages[0].tool_call_id`: must be a string"
    );
    assert_eq!(
        bad(
            json!({"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]})
        ),
        "`messages[0].content[0].type`: Cohere takes text and image parts, not `input_audio`"
    );
    assert_eq!(
        bad(json!({"messages": [{"role": "function", "name": "f", "content": "x"}]})),
        "`messages[0].role`: unsupported role `function`"
    );
    assert!(chat_to_cohere(&json!({}), "m").is_err());
}

#[test]
fn a_text_response_becomes_a_completion() {
    let response = json!({
        "id": "c-1",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": " there"}]},
        "usage": {"billed_units": {"input_tokens": 5, "output_tokens": 2}, "tokens": {"input_tokens": 70, "output_tokens": 2}}
    });
    assert_eq!(
        settled(cohere_to_chat(&response, "cmd").unwrap()),
        json!({
            "id": "c-1", "object": "chat.completion", "model": "cmd",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 70, "completion_tokens": 2, "total_tokens": 72}
        })
    );
}

#[test]
fn a_tool_call_response_carries_plan_and_calls() {
    let response = json!({
        "id": "c-2",
        "finish_reason": "TOOL_CALL",
        "message": {
            "role": "assistant",
            "tool_plan": "I will check the weather.",
            "tool_calls": [{"id": "get_weather_abc", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]
        },
        "usage": {"billed_units": {"input_tokens": 30, "output_tokens": 12}}
    });
    let chat = settled(cohere_to_chat(&response, "cmd").unwrap());
    assert_eq!(
        chat["choices"],
        json!([{"index": 0, "message": {
            "role": "assistant",
            "content": "I will check the weather.",
            "tool_calls": [{"id": "get_weather_abc", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]
        }, "finish_reason": "tool_calls"}])
    );
    assert_eq!(
        chat["usage"],
        json!({"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42})
    );

    // The assistant turn goes back to Cohere as it came.
    let next = json!({"messages": [
        {"role": "user", "content": "Weather?"},
        chat["choices"][0]["message"],
        {"role": "tool", "tool_call_id": "get_weather_abc", "content": "sunny"}
    ]});
    assert_eq!(
        chat_to_cohere(&next, "cmd").unwrap()["messages"][1],
        json!({"role": "assistant", "tool_plan": "I will check the weather.", "tool_calls": [
            {"id": "get_weather_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
        ]})
    );
}

#[test]
fn finish_reasons_map_to_openai() {
    for (cohere, openai) in [
        ("COMPLETE", "stop"),
        ("STOP_SEQUENCE", "stop"),
        ("MAX_TOKENS", "length"),
        ("TOOL_CALL", "tool_calls"),
        ("ERROR_TOXIC", "content_filter"),
    ] {
        let response = json!({"id": "x", "finish_reason": cohere, "message": {"role": "assistant", "content": []}});
        let chat = cohere_to_chat(&response, "m").unwrap();
        assert_eq!(chat["choices"][0]["finish_reason"], openai, "{cohere}");
        assert_eq!(chat["choices"][0]["message"]["content"], Value::Null);
    }
}

#[test]
fn error_finishes_become_errors_with_cohere_text() {
    let response = json!({"id": "x", "finish_reason": "ERROR", "error": "internal model failure", "message": {"role": "assistant"}});
    assert_eq!(
        cohere_to_chat(&response, "m").unwrap_err().0,
        "Cohere generation failed: internal model failure"
    );
    let timeout = json!({"id": "x", "finish_reason": "TIMEOUT", "message": {"role": "assistant"}});
    assert_eq!(
        cohere_to_chat(&timeout, "m").unwrap_err().0,
        "Cohere generation timed out"
    );
}

#[test]
fn thinking_is_reasoning_and_cached_tokens_are_read() {
    let response = json!({
        "id": "x", "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "Let me think."},
            {"type": "text", "text": "42"}
        ]},
        "usage": {"tokens": {"input_tokens": 10.0, "output_tokens": 3.0}, "cached_tokens": 4}
    });
    let chat = cohere_to_chat(&response, "m").unwrap();
    assert_eq!(
        chat["choices"][0]["message"],
        json!({"role": "assistant", "content": "42", "reasoning_content": "Let me think."})
    );
    assert_eq!(
        usage(&response["usage"]),
        Usage {
            prompt_tokens: 10,
            completion_tokens: 3,
            cache_read_input_tokens: 4,
            ..Usage::default()
        }
    );
}
