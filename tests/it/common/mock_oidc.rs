//! A local OpenID provider, faithful to the wire protocol the console relies
//! on: discovery (`/.well-known/openid-configuration`), a JWKS with one RSA
//! key, `/authorize` (authorization code with PKCE S256; it consents at once
//! as the configured user and redirects back with `code` and `state`) and
//! `/token` (single-use codes, the same `redirect_uri`, the PKCE verifier
//! checked against the challenge, client authentication by HTTP Basic or
//! form fields; answers an RS256-signed ID token carrying the nonce).
//!
//! Knobs let a test make the provider misbehave: another issuer or audience
//! in the token, another nonce, a signature by a key not in its JWKS.
//! The keys in `tests/fixtures/oidc/` are test keys made for this mock only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use openidconnect::PrivateSigningKey;
use openidconnect::core::CoreRsaPrivateSigningKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::mock_native::serve;

const SIGNING_KEY: &str = include_str!("../../fixtures/oidc/signing-key.pem");
const FOREIGN_KEY: &str = include_str!("../../fixtures/oidc/foreign-key.pem");
const KEY_ID: &str = "mock-key-1";

/// The person the provider signs in.
#[derive(Debug, Clone)]
pub struct MockUser {
    pub subject: String,
    pub email: String,
    /// `None` leaves the claim out.
    pub email_verified: Option<bool>,
    /// Extra claims (`groups`, `role`...).
    pub extra: Value,
}

impl MockUser {
    /// A verified user with no extra claims.
    pub fn new(subject: &str, email: &str) -> Self {
        Self {
            subject: subject.to_owned(),
            email: email.to_owned(),
            email_verified: Some(true),
            extra: json!({}),
        }
    }
}

/// Ways to make the provider's ID token wrong.
#[derive(Debug, Clone, Default)]
pub struct Tampering {
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    pub foreign_key: bool,
}

struct Pending {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    challenge: String,
}

struct Inner {
    issuer: String,
    client_id: String,
    client_secret: String,
    user: MockUser,
    tampering: Tampering,
    codes: HashMap<String, Pending>,
    discoveries: usize,
    tokens: usize,
}

type Shared = Arc<Mutex<Inner>>;

/// A running provider.
pub struct MockOidc {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    inner: Shared,
}

impl MockOidc {
    /// Starts a provider for client `console` (secret `console-secret`)
    /// signing in `user`.
    pub async fn start(user: MockUser) -> Self {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            issuer: String::new(),
            client_id: "console".into(),
            client_secret: "console-secret".into(),
            user,
            tampering: Tampering::default(),
            codes: HashMap::new(),
            discoveries: 0,
            tokens: 0,
        }));
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(inner.clone());
        let issuer = serve(router).await;
        inner.lock().unwrap().issuer.clone_from(&issuer);
        Self {
            issuer,
            client_id: "console".into(),
            client_secret: "console-secret".into(),
            inner,
        }
    }

    /// Signs in `user` from now on.
    pub fn set_user(&self, user: MockUser) {
        self.inner.lock().unwrap().user = user;
    }

    /// Makes the next ID tokens wrong in the given ways.
    pub fn tamper(&self, tampering: Tampering) {
        self.inner.lock().unwrap().tampering = tampering;
    }

    /// How often the discovery document was fetched.
    pub fn discoveries(&self) -> usize {
        self.inner.lock().unwrap().discoveries
    }

    /// How many codes were exchanged.
    pub fn tokens(&self) -> usize {
        self.inner.lock().unwrap().tokens
    }
}

async fn discovery(State(inner): State<Shared>) -> Json<Value> {
    let mut inner = inner.lock().unwrap();
    inner.discoveries += 1;
    let issuer = &inner.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
    }))
}

fn signing_key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(openidconnect::JsonWebKeyId::new(KEY_ID.into())))
        .unwrap()
}

async fn jwks() -> Json<Value> {
    let key = serde_json::to_value(signing_key(SIGNING_KEY).as_verification_key()).unwrap();
    Json(json!({"keys": [key]}))
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({"error": error}))).into_response()
}

async fn authorize(
    State(inner): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    let mut inner = inner.lock().unwrap();
    let redirect_uri = param("redirect_uri");
    if param("client_id") != inner.client_id || !redirect_uri.starts_with("http") {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client");
    }
    let scopes = param("scope");
    if param("response_type") != "code"
        || !scopes.split(' ').any(|scope| scope == "openid")
        || param("code_challenge_method") != "S256"
        || param("code_challenge").is_empty()
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let code = hex::encode(rand::random::<[u8; 16]>());
    inner.codes.insert(
        code.clone(),
        Pending {
            client_id: param("client_id"),
            redirect_uri: redirect_uri.clone(),
            nonce: params.get("nonce").cloned(),
            challenge: param("code_challenge"),
        },
    );
    let back = url::Url::parse_with_params(
        &redirect_uri,
        &[("code", code.as_str()), ("state", param("state").as_str())],
    )
    .unwrap();
    Redirect::to(back.as_str()).into_response()
}

/// The client's credentials, from HTTP Basic or the form.
fn client_credentials(headers: &HeaderMap, form: &HashMap<String, String>) -> (String, String) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    if let Some(pair) = basic
        && let Some((id, secret)) = pair.split_once(':')
    {
        let decode = |text: &str| {
            form_urlencoded::parse(format!("x={text}").as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        };
        return (decode(id), decode(secret));
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    (field("client_id"), field("client_secret"))
}

async fn token(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut inner = inner.lock().unwrap();
    let (client_id, client_secret) = client_credentials(&headers, &form);
    if client_id != inner.client_id || client_secret != inner.client_secret {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    if field("grant_type") != "authorization_code" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let Some(pending) = inner.codes.remove(&field("code")) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if pending.client_id != client_id
        || pending.redirect_uri != field("redirect_uri")
        || pending.challenge != challenge
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    inner.tokens += 1;
    let now = chrono::Utc::now().timestamp();
    let tampering = inner.tampering.clone();
    let mut claims = json!({
        "iss": tampering.issuer.clone().unwrap_or_else(|| inner.issuer.clone()),
        "sub": inner.user.subject,
        "aud": tampering.audience.clone().unwrap_or_else(|| inner.client_id.clone()),
        "iat": now,
        "exp": now + 300,
        "email": inner.user.email,
    });
    if let Some(nonce) = tampering.nonce.clone().or(pending.nonce) {
        claims["nonce"] = json!(nonce);
    }
    if let Some(verified) = inner.user.email_verified {
        claims["email_verified"] = json!(verified);
    }
    if let Some(extra) = inner.user.extra.as_object() {
        for (name, value) in extra {
            claims[name] = value.clone();
        }
    }
    let pem = if tampering.foreign_key {
        FOREIGN_KEY
    } else {
        SIGNING_KEY
    };
    Json(json!({
        "access_token": hex::encode(rand::random::<[u8; 16]>()),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": sign(pem, &claims),
    }))
    .into_response()
}

/// A compact RS256 JWS of `claims`, by hand: header, payload, signature.
fn sign(pem: &str, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": KEY_ID});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signing_key(pem)
        .sign(
            &openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            input.as_bytes(),
        )
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}
