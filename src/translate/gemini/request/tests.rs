use super::*;
use serde_json::json;

#[test]
fn system_user_and_assistant_turns_map_to_instruction_and_contents() {
    let chat = json!({
        "model": "gemini-2.5-flash",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": [{"type": "text", "text": "How are you?"}]}
        ]
    });
    assert_eq!(
        chat_to_generate_content(&chat).unwrap(),
        json!({
            "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Answer in French."}]},
            "contents": [
                {"role": "user", "parts": [{"text": "Hello"}]},
                {"role": "model", "parts": [{"text": "Bonjour"}]},
                {"role": "user", "parts": [{"text": "How are you?"}]}
            ]
        })
    );
}

#[test]
fn images_become_inline_data_or_file_data() {
    let chat = json!({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Compare"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.WEBP?size=large"}},
        {"type": "image_url", "image_url": {"url": "gs://bucket/report.pdf"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/picture"}},
        {"type": "image_url", "image_url": "https://example.com/dog.gif"}
    ]}]});
    assert_eq!(
        chat_to_generate_content(&chat).unwrap(),
        json!({"contents": [{"role": "user", "parts": [
            {"text": "Compare"},
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0K"}},
            {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.WEBP?size=large"}},
            {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://bucket/report.pdf"}},
            {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/picture"}},
            {"fileData": {"mimeType": "image/gif", "fileUri": "https://example.com/dog.gif"}}
        ]}]})
    );
}

#[test]
fn audio_and_files_become_media_parts() {
    let chat = json!({"messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0"}},
        {"type": "file", "file": {"file_id": "https://generativelanguage.googleapis.com/v1beta/files/abc", "format": "video/mp4"}}
    ]}]});
    assert_eq!(
        chat_to_generate_content(&chat).unwrap()["contents"][0]["parts"],
        json!([
            {"inlineData": {"mimeType": "audio/wav", "data": "UklGR"}},
            {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0"}},
            {"fileData": {"mimeType": "video/mp4", "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc"}}
        ])
    );
}

#[test]
fn malformed_media_and_unknown_parts_are_rejected() {
    let bad_data_url = json!({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png,rawbytes"}}
    ]}]});
    assert_eq!(
        chat_to_generate_content(&bad_data_url).unwrap_err().0,
        "`messages[0].content[0].image_url.url`: data URLs must name a media type and be base64-encoded"
    );
    let unknown =
        json!({"messages": [{"role": "user", "content": [{"type": "video", "video": {}}]}]});
    assert_eq!(
        chat_to_generate_content(&unknown).unwrap_err().0,
        "`messages[0].content[0].type`: unsupported content part type `video`"
    );
    let role = json!({"messages": [{"role": "robot", "content": "hi"}]});
    assert_eq!(
        chat_to_generate_content(&role).unwrap_err().0,
        "`messages[0].role`: unsupported role `robot`"
    );
    assert!(
        chat_to_generate_content(&json!({"messages": [{"role": "system", "content": "x"}]}))
            .is_err()
    );
    assert!(chat_to_generate_content(&json!({})).is_err());
}

#[test]
fn tool_calls_and_results_map_to_function_parts() {
    let chat = json!({"messages": [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": "Checking.", "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_1__thought__c2ln", "type": "function", "function": {"name": "get_time", "arguments": ""}}
        ]},
        {"role": "tool", "tool_call_id": "call_0", "content": "{\"temp\":21}"},
        {"role": "tool", "tool_call_id": "call_1__thought__c2ln", "content": [{"type": "text", "text": "noon"}]},
        {"role": "user", "content": "Thanks"}
    ]});
    assert_eq!(
        chat_to_generate_content(&chat).unwrap(),
        json!({"contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
            {"role": "model", "parts": [
                {"text": "Checking."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                {"functionCall": {"name": "get_time", "args": {}}, "thoughtSignature": "c2ln"}
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"content": {"temp": 21}}}},
                {"functionResponse": {"name": "get_time", "response": {"content": {"result": "noon"}}}},
                {"text": "Thanks"}
            ]}
        ]})
    );
}

#[test]
fn a_reused_call_id_resolves_to_the_latest_call() {
    let chat = json!({"messages": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "first", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "1"},
        {"role": "assistant", "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "second", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "2"}
    ]});
    let body = chat_to_generate_content(&chat).unwrap();
    assert_eq!(
        body["contents"][2]["parts"][0]["functionResponse"],
        json!({"name": "first", "response": {"content": 1}})
    );
    assert_eq!(
        body["contents"][4]["parts"][0]["functionResponse"],
        json!({"name": "second", "response": {"content": 2}})
    );
}

#[test]
fn legacy_function_messages_and_unmatched_tool_results() {
    let legacy = json!({"messages": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": null, "function_call": {"name": "lookup", "arguments": "{\"q\":1}"}},
        {"role": "function", "name": "lookup", "content": "found"}
    ]});
    assert_eq!(
        chat_to_generate_content(&legacy).unwrap()["contents"],
        json!([
            {"role": "user", "parts": [{"text": "a"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "lookup", "args": {"q": 1}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": {"content": {"result": "found"}}}}]}
        ])
    );
    let unmatched = json!({"messages": [
        {"role": "user", "content": "a"},
        {"role": "tool", "tool_call_id": "call_9", "content": "x"}
    ]});
    assert_eq!(
        chat_to_generate_content(&unmatched).unwrap_err().0,
        "`messages[1].tool_call_id`: does not match any earlier assistant tool call"
    );
    let bad_arguments = json!({"messages": [
        {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1]"}}]}
    ]});
    assert_eq!(
        chat_to_generate_content(&bad_arguments).unwrap_err().0,
        "`messages[0].tool_calls[0].function.arguments`: must be a JSON object"
    );
}

#[test]
fn tools_and_tool_choice_map_to_declarations_and_config() {
    let chat = json!({
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [
            {"type": "function", "function": {
                "name": "get_weather",
                "description": "Current weather",
                "parameters": {"type": "object", "additionalProperties": false,
                    "properties": {"city": {"type": "string"}}, "required": ["city"]},
                "strict": true
            }},
            {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}}
        ],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}}
    });
    let body = chat_to_generate_content(&chat).unwrap();
    assert_eq!(
        body["tools"],
        json!([{"functionDeclarations": [
            {"name": "get_weather", "description": "Current weather",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            {"name": "now"}
        ]}])
    );
    assert_eq!(
        body["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}})
    );
}

#[test]
fn tool_choice_strings_map_to_modes() {
    for (choice, mode) in [("auto", "AUTO"), ("none", "NONE"), ("required", "ANY")] {
        let chat = json!({"messages": [{"role": "user", "content": "hi"}], "tool_choice": choice});
        assert_eq!(
            chat_to_generate_content(&chat).unwrap()["toolConfig"],
            json!({"functionCallingConfig": {"mode": mode}})
        );
    }
    let chat = json!({"messages": [{"role": "user", "content": "hi"}], "tool_choice": "sometimes"});
    assert!(chat_to_generate_content(&chat).is_err());
    let chat = json!({"messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "web_search", "web_search": {}}]});
    assert_eq!(
        chat_to_generate_content(&chat).unwrap_err().0,
        "`tools[0].type`: Gemini takes function tools only, not `web_search`"
    );
}

#[test]
fn sampling_parameters_map_to_generation_config() {
    let chat = json!({
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2, "top_p": 0.9, "max_tokens": 100, "stop": "END", "n": 2,
        "presence_penalty": 0.5, "frequency_penalty": 0.1, "seed": 7,
        "response_format": {"type": "json_object"}
    });
    assert_eq!(
        chat_to_generate_content(&chat).unwrap()["generationConfig"],
        json!({
            "temperature": 0.2, "topP": 0.9, "maxOutputTokens": 100, "stopSequences": ["END"],
            "candidateCount": 2, "presencePenalty": 0.5, "frequencyPenalty": 0.1, "seed": 7,
            "responseMimeType": "application/json"
        })
    );
}

#[test]
fn max_completion_tokens_wins_and_json_schema_sets_response_schema() {
    let chat = json!({
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 10, "max_completion_tokens": 50, "stop": ["a", "b"],
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
            "schema": {"type": "object", "additionalProperties": false,
                "properties": {"answer": {"type": "string"}}, "required": ["answer"]}}}
    });
    assert_eq!(
        chat_to_generate_content(&chat).unwrap()["generationConfig"],
        json!({
            "maxOutputTokens": 50, "stopSequences": ["a", "b"],
            "responseMimeType": "application/json",
            "responseSchema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
        })
    );
    let text = json!({"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "text"}});
    assert!(
        chat_to_generate_content(&text)
            .unwrap()
            .get("generationConfig")
            .is_none()
    );
}
