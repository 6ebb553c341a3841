//! The auth platform (seeds 001, 002, 004). Placeholder until the auth emulator lands.

use std::sync::Arc;

use axum::Router;
use serde::{Deserialize, Serialize};

use crate::core::Core;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {}

#[derive(Debug)]
pub struct AuthState {}

impl AuthState {
    pub fn new(_core: &Core, _config: &AuthConfig) -> anyhow::Result<Self> {
        Ok(Self {})
    }

    /// The demo tenants and how to call them (part of [`crate::Sandbox::describe`]).
    pub fn describe(&self, _core: &Core) -> String {
        String::new()
    }
}

pub fn router(_core: Core, _state: Arc<AuthState>) -> Router {
    Router::new()
}
