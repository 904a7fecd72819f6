//! The AWS event-stream framing (`application/vnd.amazon.eventstream`) of
//! ConverseStream responses: binary messages, each a CRC-checked prelude,
//! typed headers, a JSON payload and a CRC of the whole, cut into pieces
//! anywhere by the transport.

use serde_json::Value;

use crate::translate::TranslateError;

/// Total length, headers length and prelude CRC, four bytes each.
const PRELUDE_LEN: usize = 12;
/// A message with no headers and no payload: prelude plus message CRC.
const MIN_MESSAGE_LEN: usize = PRELUDE_LEN + 4;
/// The format's limit; anything longer is a corrupt length, not a message.
const MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024;

/// Feed response bytes with [`EventStreamDecoder::push`]; whole messages
/// come back in order as `(event or exception type, JSON payload)`.
/// Only a partial message is ever buffered.
#[derive(Debug, Default)]
pub struct EventStreamDecoder {
    pending: Vec<u8>,
}

impl EventStreamDecoder {
    /// A decoder with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Consumes `bytes` and returns the messages they complete: events by
    /// their `:event-type`, exceptions by their `:exception-type` (such as
    /// `throttlingException`). A corrupt frame or an `error` message is an
    /// error, after which the stream cannot be trusted.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<(String, Value)>, TranslateError> {
        self.pending.extend_from_slice(bytes);
        let mut messages = Vec::new();
        while self.pending.len() >= PRELUDE_LEN {
            let total_len = be_u32(&self.pending, 0) as usize;
            let headers_len = be_u32(&self.pending, 4) as usize;
            if crc32fast::hash(&self.pending[..8]) != be_u32(&self.pending, 8) {
                return Err(stream_error("prelude checksum mismatch"));
            }
            if !(MIN_MESSAGE_LEN..=MAX_MESSAGE_LEN).contains(&total_len)
                || headers_len > total_len - MIN_MESSAGE_LEN
            {
                return Err(stream_error("invalid message length"));
            }
            if self.pending.len() < total_len {
                break;
            }
            let message: Vec<u8> = self.pending.drain(..total_len).collect();
            let body_end = total_len - 4;
            if crc32fast::hash(&message[..body_end]) != be_u32(&message, body_end) {
                return Err(stream_error("message checksum mismatch"));
            }
            let headers_end = PRELUDE_LEN + headers_len;
            let headers = parse_headers(&message[PRELUDE_LEN..headers_end])?;
            messages.push(interpret(&headers, &message[headers_end..body_end])?);
        }
        Ok(messages)
    }

    /// Checks that the stream ended on a message boundary.
    pub fn finish(&self) -> Result<(), TranslateError> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(stream_error("the stream ended inside a message"))
        }
    }
}

fn stream_error(problem: &str) -> TranslateError {
    TranslateError(format!("Bedrock event stream: {problem}"))
}

/// Reads four big-endian bytes at `at`; callers have checked the length.
fn be_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_be_bytes(word)
}

/// The string-valued headers; other types are skipped by their size, as
/// ConverseStream sends only strings.
fn parse_headers(mut bytes: &[u8]) -> Result<Vec<(String, String)>, TranslateError> {
    let truncated = || stream_error("truncated header");
    let mut headers = Vec::new();
    while let Some((&name_len, rest)) = bytes.split_first() {
        let name_len = usize::from(name_len);
        let (name, rest) = rest.split_at_checked(name_len).ok_or_else(truncated)?;
        let (&kind, rest) = rest.split_first().ok_or_else(truncated)?;
        let value_len = match kind {
            0 | 1 => 0,
            2 => 1,
            3 => 2,
            4 => 4,
            5 | 8 => 8,
            9 => 16,
            6 | 7 => {
                let (len, _) = rest.split_at_checked(2).ok_or_else(truncated)?;
                2 + usize::from(u16::from_be_bytes([len[0], len[1]]))
            }
            _ => return Err(stream_error(&format!("unknown header value type {kind}"))),
        };
        let (value, rest) = rest.split_at_checked(value_len).ok_or_else(truncated)?;
        if kind == 7 {
            headers.push((
                String::from_utf8_lossy(name).into_owned(),
                String::from_utf8_lossy(&value[2..]).into_owned(),
            ));
        }
        bytes = rest;
    }
    Ok(headers)
}

fn interpret(
    headers: &[(String, String)],
    payload: &[u8],
) -> Result<(String, Value), TranslateError> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let name = match header(":message-type") {
        Some("event") => header(":event-type"),
        Some("exception") => header(":exception-type"),
        Some("error") => {
            let code = header(":error-code").unwrap_or("unknown");
            let message = header(":error-message").unwrap_or("no message");
            return Err(stream_error(&format!("{code}: {message}")));
        }
        _ => None,
    };
    let Some(name) = name else {
        return Err(stream_error("message without an event or exception type"));
    };
    let payload = if payload.is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(payload)
            .map_err(|error| stream_error(&format!("`{name}` payload is not JSON: {error}")))?
    };
    Ok((name.to_owned(), payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Encodes one message the way AWS does, with string headers plus the
    /// raw `extra` header bytes.
    fn frame_with(headers: &[(&str, &str)], extra: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut encoded = Vec::new();
        for (name, value) in headers {
            encoded.push(u8::try_from(name.len()).unwrap());
            encoded.extend_from_slice(name.as_bytes());
            encoded.push(7);
            encoded.extend_from_slice(&u16::try_from(value.len()).unwrap().to_be_bytes());
            encoded.extend_from_slice(value.as_bytes());
        }
        encoded.extend_from_slice(extra);
        let total = PRELUDE_LEN + encoded.len() + payload.len() + 4;
        let mut message = Vec::new();
        message.extend_from_slice(&u32::try_from(total).unwrap().to_be_bytes());
        message.extend_from_slice(&u32::try_from(encoded.len()).unwrap().to_be_bytes());
        let prelude_crc = crc32fast::hash(&message);
        message.extend_from_slice(&prelude_crc.to_be_bytes());
        message.extend_from_slice(&encoded);
        message.extend_from_slice(payload);
        let crc = crc32fast::hash(&message);
        message.extend_from_slice(&crc.to_be_bytes());
        message
    }

    fn event(event_type: &str, payload: &Value) -> Vec<u8> {
        frame_with(
            &[
                (":event-type", event_type),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            &[],
            payload.to_string().as_bytes(),
        )
    }

    #[test]
    fn messages_split_at_every_byte_come_out_whole() {
        let mut stream = event("messageStart", &json!({ "role": "assistant" }));
        stream.extend(event(
            "contentBlockDelta",
            &json!({ "contentBlockIndex": 0, "delta": { "text": "Hi" }, "p": "abcdefgh" }),
        ));
        stream.extend(event("messageStop", &json!({ "stopReason": "end_turn" })));
        let expected = vec![
            ("messageStart".to_owned(), json!({ "role": "assistant" })),
            (
                "contentBlockDelta".to_owned(),
                json!({ "contentBlockIndex": 0, "delta": { "text": "Hi" }, "p": "abcdefgh" }),
            ),
            (
                "messageStop".to_owned(),
                json!({ "stopReason": "end_turn" }),
            ),
        ];

        let mut whole = EventStreamDecoder::new();
        assert_eq!(whole.push(&stream).unwrap(), expected);
        whole.finish().unwrap();

        let mut bytewise = EventStreamDecoder::new();
        let mut decoded = Vec::new();
        for byte in &stream {
            decoded.extend(bytewise.push(std::slice::from_ref(byte)).unwrap());
        }
        assert_eq!(decoded, expected);
        bytewise.finish().unwrap();
    }

    #[test]
    fn exceptions_are_named_by_their_exception_type() {
        let message = frame_with(
            &[
                (":exception-type", "validationException"),
                (":content-type", "application/json"),
                (":message-type", "exception"),
            ],
            &[],
            br#"{"message":"Input is too long"}"#,
        );
        assert_eq!(
            EventStreamDecoder::new().push(&message).unwrap(),
            vec![(
                "validationException".to_owned(),
                json!({ "message": "Input is too long" })
            )]
        );
    }

    #[test]
    fn headers_of_other_types_are_skipped_and_empty_payloads_are_empty_objects() {
        let mut extra = Vec::new();
        for (name, kind, value) in [
            ("flag", 0_u8, &[][..]),
            ("n", 4, &[0, 0, 0, 7][..]),
            ("blob", 6, &[0, 2, 0xff, 0xfe][..]),
            ("at", 8, &[0; 8][..]),
            ("id", 9, &[1; 16][..]),
        ] {
            extra.push(u8::try_from(name.len()).unwrap());
            extra.extend_from_slice(name.as_bytes());
            extra.push(kind);
            extra.extend_from_slice(value);
        }
        let message = frame_with(
            &[
                (":message-type", "event"),
                (":event-type", "contentBlockStop"),
            ],
            &extra,
            b"",
        );
        assert_eq!(
            EventStreamDecoder::new().push(&message).unwrap(),
            vec![("contentBlockStop".to_owned(), json!({}))]
        );
    }

    #[test]
    fn corrupt_frames_and_error_messages_are_errors() {
        let good = event("messageStop", &json!({ "stopReason": "end_turn" }));

        let mut bad_prelude = good.clone();
        bad_prelude[3] ^= 1;
        assert_eq!(
            EventStreamDecoder::new().push(&bad_prelude).unwrap_err().0,
            "Bedrock event stream: prelude checksum mismatch"
        );

        let mut bad_payload = good.clone();
        let last_payload_byte = bad_payload.len() - 6;
        bad_payload[last_payload_byte] ^= 1;
        assert_eq!(
            EventStreamDecoder::new().push(&bad_payload).unwrap_err().0,
            "Bedrock event stream: message checksum mismatch"
        );

        let error = frame_with(
            &[
                (":message-type", "error"),
                (":error-code", "InternalFailure"),
                (":error-message", "boom"),
            ],
            &[],
            b"",
        );
        assert_eq!(
            EventStreamDecoder::new().push(&error).unwrap_err().0,
            "Bedrock event stream: InternalFailure: boom"
        );

        let not_json = frame_with(
            &[(":message-type", "event"), (":event-type", "metadata")],
            &[],
            b"{oops",
        );
        assert!(
            EventStreamDecoder::new()
                .push(&not_json)
                .unwrap_err()
                .0
                .starts_with("Bedrock event stream: `metadata` payload is not JSON")
        );

        let mut truncated = EventStreamDecoder::new();
        assert!(truncated.push(&good[..good.len() - 1]).unwrap().is_empty());
        assert_eq!(
            truncated.finish().unwrap_err().0,
            "Bedrock event stream: the stream ended inside a message"
        );
    }
}
