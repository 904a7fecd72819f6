//! AWS Signature Version 4 for requests to Bedrock Runtime (or any AWS
//! service but S3, whose paths are encoded once rather than twice): the
//! headers that authenticate one request at one instant.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::translate::TranslateError;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Everything but RFC 3986's unreserved characters, as SigV4 encodes.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The same, keeping the path's slashes.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Headers an HTTP client or proxy may add or rewrite after signing, left
/// unsigned as AWS's own SDKs leave them; plus the ones this signer sets.
const UNSIGNED: &[&str] = &[
    "authorization",
    "expect",
    "transfer-encoding",
    "user-agent",
    "x-amzn-trace-id",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];

/// An AWS access key: long-term (IAM user) or temporary (STS, with a
/// session token). Its `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    /// Named in the signature's scope, in the clear.
    pub access_key_id: String,
    /// Never sent: it only derives the signing key.
    pub secret_access_key: String,
    /// Sent and signed as `x-amz-security-token` with temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The headers to add to a request so AWS accepts it: `authorization`,
/// `x-amz-date`, `x-amz-content-sha256` and, for temporary credentials,
/// `x-amz-security-token`. `headers` are those the request will be sent
/// with (`host` is taken from `url` when absent); the request must go out
/// with exactly these, `body` unchanged, within five minutes of `now`.
#[expect(
    clippy::too_many_arguments,
    reason = "each is one input of the signature, and a struct would only rename them"
)]
pub fn sign(
    method: &str,
    url: &url::Url,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &AwsCredentials,
    region: &str,
    service: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(String, String)>, TranslateError> {
    if region.is_empty() || service.is_empty() {
        return Err(TranslateError::field(
            "region",
            "AWS signing needs a region and a service",
        ));
    }
    if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() {
        return Err(TranslateError::field(
            "aws_access_key_id",
            "AWS signing needs an access key id and a secret access key",
        ));
    }
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = &amz_date[..8];
    let payload_hash = hex::encode(Sha256::digest(body));

    let mut signed: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .filter(|(name, _)| !UNSIGNED.contains(&name.as_str()))
        .collect();
    if !signed.iter().any(|(name, _)| name == "host") {
        signed.push(("host".into(), host(url)?));
    }
    let mut added = vec![
        ("x-amz-date".to_owned(), amz_date.clone()),
        ("x-amz-content-sha256".to_owned(), payload_hash.clone()),
    ];
    if let Some(token) = &credentials.session_token {
        added.push(("x-amz-security-token".into(), token.clone()));
    }
    signed.extend(added.iter().cloned());

    let canonical = canonical_request(method, url, &signed, &payload_hash);
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = string_to_sign(&amz_date, &scope, &canonical.request);
    let signature = signature(
        &credentials.secret_access_key,
        date,
        region,
        service,
        &to_sign,
    )?;
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        credentials.access_key_id, canonical.signed_headers
    );
    let mut result = vec![("authorization".to_owned(), authorization)];
    result.extend(added);
    Ok(result)
}

/// The `Host` header an HTTP client sends for `url`: the port only when it
/// is not the scheme's default.
fn host(url: &url::Url) -> Result<String, TranslateError> {
    let host = url
        .host_str()
        .ok_or_else(|| TranslateError::field("url", "has no host to sign"))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[derive(Debug, PartialEq, Eq)]
struct Canonical {
    request: String,
    signed_headers: String,
}

fn canonical_request(
    method: &str,
    url: &url::Url,
    headers: &[(String, String)],
    payload_hash: &str,
) -> Canonical {
    // `url` holds its path already percent-encoded once; SigV4 encodes each
    // segment again, so a model id's `%3A` is signed as `%253A`.
    let path = match url.path() {
        "" => "/".to_owned(),
        path => utf8_percent_encode(path, PATH).to_string(),
    };

    let mut query: Vec<(String, String)> = url
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (reencode(name), reencode(value))
        })
        .collect();
    query.sort();
    let query: Vec<String> = query
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();

    // Names are lowercase; values trimmed with inner runs of spaces folded;
    // repeated names joined by commas in their order.
    let mut merged: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        match merged.iter_mut().find(|(seen, _)| seen == name) {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            None => merged.push((name.clone(), value)),
        }
    }
    merged.sort_by(|left, right| left.0.cmp(&right.0));
    let canonical_headers: String = merged
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let signed_headers = merged
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");

    Canonical {
        request: format!(
            "{}\n{path}\n{}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
            method.to_ascii_uppercase(),
            query.join("&"),
        ),
        signed_headers,
    }
}

/// A query name or value decoded and encoded again the SigV4 way.
fn reencode(component: &str) -> String {
    let decoded = percent_decode_str(component).decode_utf8_lossy();
    utf8_percent_encode(&decoded, UNRESERVED).to_string()
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = hex::encode(Sha256::digest(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{hash}")
}

fn signature(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> Result<String, TranslateError> {
    let key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes())?;
    let key = hmac(&key, region.as_bytes())?;
    let key = hmac(&key, service.as_bytes())?;
    let key = hmac(&key, b"aws4_request")?;
    Ok(hex::encode(hmac(&key, string_to_sign.as_bytes())?))
}

fn hmac(key: &[u8], data: &[u8]) -> Result<Vec<u8>, TranslateError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|error| TranslateError(format!("AWS signing key: {error}")))?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn example_credentials(session_token: Option<&str>) -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SECRET.into(),
            session_token: session_token.map(str::to_owned),
        }
    }

    fn test_suite_time() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc
            .with_ymd_and_hms(2015, 8, 30, 12, 36, 0)
            .unwrap()
    }

    fn pairs(headers: &[(&str, &str)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// AWS's SigV4 test suite, `get-vanilla`: every intermediate step.
    #[test]
    fn the_get_vanilla_vector_signs_as_documented() {
        let url = url::Url::parse("https://example.amazonaws.com/").unwrap();
        let headers = pairs(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ]);
        let canonical = canonical_request("GET", &url, &headers, EMPTY_HASH);
        assert_eq!(
            canonical.request,
            format!(
                "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY_HASH}"
            )
        );
        let to_sign = string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/service/aws4_request",
            &canonical.request,
        );
        assert_eq!(
            to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        assert_eq!(
            signature(SECRET, "20150830", "us-east-1", "service", &to_sign).unwrap(),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// AWS's SigV4 test suite, `get-vanilla-query-order-key-case`.
    #[test]
    fn query_parameters_are_sorted() {
        let url =
            url::Url::parse("https://example.amazonaws.com/?Param2=value2&Param1=value1").unwrap();
        let headers = pairs(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ]);
        let canonical = canonical_request("GET", &url, &headers, EMPTY_HASH);
        assert!(
            canonical
                .request
                .starts_with("GET\n/\nParam1=value1&Param2=value2\n")
        );
        let to_sign = string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/service/aws4_request",
            &canonical.request,
        );
        assert_eq!(
            signature(SECRET, "20150830", "us-east-1", "service", &to_sign).unwrap(),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
    }

    #[test]
    fn query_values_and_header_values_are_normalised() {
        let url = url::Url::parse("https://example.com/a%20b?b=%7Ex+y&a=1/2&flag").unwrap();
        let headers = pairs(&[
            ("host", "example.com"),
            ("x-multi", "  one   two "),
            ("x-multi", "three"),
        ]);
        let canonical = canonical_request("get", &url, &headers, EMPTY_HASH);
        assert_eq!(
            canonical.request,
            format!(
                "GET\n/a%2520b\na=1%2F2&b=~x%2By&flag=\nhost:example.com\nx-multi:one two,three\n\nhost;x-multi\n{EMPTY_HASH}"
            )
        );
    }

    /// A Converse call signed as botocore signs it (same inputs, same
    /// instant): the model id's `:` is encoded twice in the canonical path.
    #[test]
    fn a_bedrock_converse_post_signs_like_the_aws_sdks() {
        let url = super::super::converse_url(
            &url::Url::parse("https://bedrock-runtime.us-east-1.amazonaws.com").unwrap(),
            "anthropic.claude-3-haiku-20240307-v1:0",
            false,
        );
        let body = br#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}"#;
        let body_hash = "7421da8d1a0949a481724fee62d5886aacde03836bf58248adb73e8b61ac0d54";
        let headers = pairs(&[
            ("Content-Type", "application/json"),
            ("User-Agent", "alchemi"),
        ]);
        let canonical = canonical_request(
            "POST",
            &url,
            &pairs(&[("host", "bedrock-runtime.us-east-1.amazonaws.com")]),
            body_hash,
        );
        assert!(
            canonical.request.starts_with(
                "POST\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse\n\n"
            )
        );
        assert_eq!(
            sign(
                "POST",
                &url,
                &headers,
                body,
                &example_credentials(None),
                "us-east-1",
                "bedrock",
                test_suite_time()
            )
            .unwrap(),
            pairs(&[
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, \
                     SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, \
                     Signature=b198e4befe1c937987b35a9fb1366502b48853d1da53142f867e0be785ec1d8f"
                ),
                ("x-amz-date", "20150830T123600Z"),
                ("x-amz-content-sha256", body_hash),
            ])
        );
    }

    #[test]
    fn temporary_credentials_sign_and_send_their_session_token() {
        let url = url::Url::parse(
            "https://bedrock-runtime.eu-west-3.amazonaws.com/model/mistral.mistral-large-2402-v1%3A0/converse-stream",
        )
        .unwrap();
        let body = br#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}"#;
        let headers = pairs(&[
            ("content-type", "application/json"),
            ("accept", "application/vnd.amazon.eventstream"),
        ]);
        let signed = sign(
            "POST",
            &url,
            &headers,
            body,
            &example_credentials(Some("IQoJb3JpZ2luX2VjEXAMPLETOKEN")),
            "eu-west-3",
            "bedrock",
            test_suite_time(),
        )
        .unwrap();
        assert_eq!(
            signed[0].1,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-3/bedrock/aws4_request, \
             SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, \
             Signature=848f1e336bd1826c316102d24937577002d624397563358d2f8b33a93d89c3a8"
        );
        assert_eq!(
            signed[3],
            (
                "x-amz-security-token".to_owned(),
                "IQoJb3JpZ2luX2VjEXAMPLETOKEN".to_owned()
            )
        );
    }

    #[test]
    fn a_non_default_port_is_part_of_the_signed_host() {
        let url = url::Url::parse("http://127.0.0.1:4566/model/m/converse").unwrap();
        assert_eq!(host(&url).unwrap(), "127.0.0.1:4566");
        let url = url::Url::parse("https://example.com:443/").unwrap();
        assert_eq!(host(&url).unwrap(), "example.com");
    }

    #[test]
    fn missing_inputs_are_errors_and_debug_hides_secrets() {
        let url = url::Url::parse("https://example.com/").unwrap();
        let credentials = example_credentials(Some("IQoJb3JpZ2luX2VjEXAMPLETOKEN"));
        assert!(
            sign(
                "GET",
                &url,
                &[],
                b"",
                &credentials,
                "",
                "bedrock",
                test_suite_time()
            )
            .is_err()
        );
        let no_key = AwsCredentials {
            access_key_id: String::new(),
            ..credentials.clone()
        };
        assert!(
            sign(
                "GET",
                &url,
                &[],
                b"",
                &no_key,
                "us-east-1",
                "bedrock",
                test_suite_time()
            )
            .is_err()
        );
        let debug = format!("{credentials:?}");
        assert!(
            !debug.contains(SECRET) && !debug.contains("EXAMPLETOKEN"),
            "{debug}"
        );
    }
}
