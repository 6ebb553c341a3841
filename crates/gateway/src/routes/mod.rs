//! HTTP routes: [`browser`] (pages, behind CORS and per-IP limits), [`server`] (the business's
//! backend, behind API keys), [`push`] (OneLink's result push), [`ops`] (health, metrics,
//! OpenAPI), [`index`] (the page at `/` and the icon).

pub mod browser;
pub mod events;
pub mod index;
pub mod ops;
pub mod push;
pub mod server;
