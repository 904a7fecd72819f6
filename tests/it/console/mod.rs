//! The console: security headers, sessions and CSRF over plain HTTP, and
//! whole journeys in headless Chromium (driven through chromedriver).

mod browser;
mod http;
mod pages;
