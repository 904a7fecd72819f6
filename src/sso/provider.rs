//! Talking to an account's OpenID provider with `openidconnect`: discovery
//! (cached per account and issuer for a few minutes), the authorization URL
//! with PKCE, nonce and state, and the code exchange with ID-token
//! verification (signature against the provider's JWKS, issuer, audience,
//! expiry, nonce). The HTTP client never follows redirects, so a provider's
//! answer cannot steer the server elsewhere.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenClaims,
    IdTokenFields, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::SsoError;
use crate::db::AccountId;

/// How long discovered provider metadata (with its keys) is reused.
const METADATA_TTL: Duration = Duration::from_secs(300);

/// How long one call to a provider may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The claims beyond the standard ones (groups, roles...), read by the role
/// mapping.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

impl AdditionalClaims for ExtraClaims {}

type Fields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type Tokens = StandardTokenResponse<Fields, CoreTokenType>;

type OidcClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What the server needs of one provider: where it is and who we are to it.
pub struct ProviderClient<'a> {
    pub account: AccountId,
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The revealed secret, if the client has one.
    pub client_secret: Option<String>,
    pub redirect_uri: &'a str,
}

/// The secrets of one sign-in, kept (sealed) in the browser until the
/// provider sends it back.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// The identity a verified ID token asserts.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub extra: Map<String, Value>,
}

/// Provider metadata per account and issuer, and the HTTP client that
/// fetches it.
pub struct Providers {
    http: reqwest::Client,
    metadata: Cache<(AccountId, String), Arc<CoreProviderMetadata>>,
}

impl Providers {
    /// An empty cache and a client that follows no redirects.
    pub fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(CALL_TIMEOUT)
            .build()?;
        Ok(Self {
            http,
            metadata: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(METADATA_TTL)
                .build(),
        })
    }

    async fn discover(
        &self,
        account: AccountId,
        issuer: &str,
        fresh: bool,
    ) -> Result<Arc<CoreProviderMetadata>, SsoError> {
        let key = (account, issuer.to_owned());
        if fresh {
            self.metadata.invalidate(&key).await;
        } else if let Some(found) = self.metadata.get(&key).await {
            return Ok(found);
        }
        let issuer_url = IssuerUrl::new(issuer.to_owned())
            .map_err(|err| SsoError::Provider(format!("issuer URL: {err}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer_url, &self.http)
            .await
            .map_err(|err| SsoError::Provider(format!("discovery: {}", chain(&err))))?;
        let metadata = Arc::new(metadata);
        self.metadata.insert(key, metadata.clone()).await;
        Ok(metadata)
    }

    async fn client(
        &self,
        provider: &ProviderClient<'_>,
        fresh: bool,
    ) -> Result<OidcClient, SsoError> {
        let metadata = self
            .discover(provider.account, provider.issuer, fresh)
            .await?;
        let redirect = RedirectUrl::new(provider.redirect_uri.to_owned())
            .map_err(|err| SsoError::Provider(format!("redirect URL: {err}")))?;
        Ok(OidcClient::from_provider_metadata(
            (*metadata).clone(),
            ClientId::new(provider.client_id.to_owned()),
            provider.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL for a new sign-in, with a fresh
    /// state, nonce and PKCE (S256) challenge; `login_hint` pre-fills the
    /// provider's form.
    pub async fn start(
        &self,
        provider: &ProviderClient<'_>,
        login_hint: &str,
    ) -> Result<Started, SsoError> {
        let client = self.client(provider, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()))
            .set_pkce_challenge(challenge);
        if !login_hint.is_empty() {
            request = request.add_extra_param("login_hint", login_hint.to_owned());
        }
        let (url, state, nonce) = request.url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and verifies the ID
    /// token. When verification fails against cached keys, the provider's
    /// metadata is fetched again once (it may have rotated its keys).
    pub async fn finish(
        &self,
        provider: &ProviderClient<'_>,
        code: String,
        nonce: String,
        verifier: String,
    ) -> Result<Identity, SsoError> {
        let client = self.client(provider, false).await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|err| SsoError::Provider(format!("token endpoint: {err}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await
            .map_err(|err| SsoError::Provider(format!("code exchange: {}", chain(&err))))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| SsoError::Provider("the token response has no id_token".into()))?;
        let nonce = Nonce::new(nonce);
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            Err(first) => {
                let fresh = self.client(provider, true).await?;
                id_token
                    .claims(&fresh.id_token_verifier(), &nonce)
                    .map_err(|err| {
                        SsoError::Token(format!("{first}; after refreshing the keys: {err}"))
                    })?
                    .clone()
            }
        };
        Ok(identity(&claims))
    }
}

fn identity(claims: &IdTokenClaims<ExtraClaims, CoreGenderClaim>) -> Identity {
    Identity {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|email| email.as_str().to_owned()),
        email_verified: claims.email_verified(),
        name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_owned()),
        extra: claims.additional_claims().claims.clone(),
    }
}

/// An error with its causes, for the log.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
