//! The console: security headers, sessions and CSRF over plain HTTP, the
//! account pages' forms over plain HTTP (`pages`: teams, users,
//! organizations, keys; `admin_pages`: models, budgets, guardrails, audit
//! log, settings), single sign-on against a mock OpenID provider, and whole
//! journeys in headless Chromium (driven through chromedriver).

mod admin_pages;
mod browser;
mod http;
mod pages;
mod sso;
mod visitor;
