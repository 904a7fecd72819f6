//! Calling the management API's own handlers from console pages, as the
//! signed-in actor, so roles, validation and audit rows are the API's.
//! No page logic here.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::page::{AccountConsole, PageError, see_other};
use crate::AppState;
use crate::management::Actor;
use crate::management::body::{Body, Query};
use crate::proxy::ApiError;

impl AccountConsole {
    /// Calls a body-taking management handler (`/team/update`...) and
    /// returns its answer.
    pub async fn call<B, F, Fut>(
        &self,
        state: &AppState,
        handler: F,
        body: B,
    ) -> Result<Value, PageError>
    where
        F: FnOnce(State<AppState>, Actor, Body<B>) -> Fut,
        Fut: Future<Output = Result<Json<Value>, ApiError>>,
    {
        let Json(answer) = handler(State(state.clone()), self.actor.clone(), Body(body)).await?;
        Ok(answer)
    }

    /// Calls a query-taking management handler (`/team/info`...) and
    /// returns its answer.
    pub async fn read<Q, F, Fut>(
        &self,
        state: &AppState,
        handler: F,
        query: Q,
    ) -> Result<Value, PageError>
    where
        F: FnOnce(State<AppState>, Actor, Query<Q>) -> Fut,
        Fut: Future<Output = Result<Json<Value>, ApiError>>,
    {
        let Json(answer) = handler(State(state.clone()), self.actor.clone(), Query(query)).await?;
        Ok(answer)
    }

    /// A change form's answer: refuses roles that only read before the
    /// form is read, builds the request with `body`, calls `handler` and
    /// sends the browser to `to`.
    pub async fn change<B, F, Fut>(
        &self,
        state: &AppState,
        handler: F,
        body: impl FnOnce() -> Result<B, PageError>,
        to: &str,
    ) -> Result<Response, PageError>
    where
        F: FnOnce(State<AppState>, Actor, Body<B>) -> Fut,
        Fut: Future<Output = Result<Json<Value>, ApiError>>,
    {
        self.require_writer()?;
        self.call(state, handler, body()?).await?;
        Ok(see_other(to))
    }
}
