//! OneLink (seed 000). Placeholder until the OneLink emulator lands.

use std::sync::Arc;

use axum::Router;
use serde::{Deserialize, Serialize};

use crate::core::Core;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OneLinkConfig {}

#[derive(Debug)]
pub struct OneLinkState {}

impl OneLinkState {
    pub fn new(_core: &Core, _config: &OneLinkConfig) -> anyhow::Result<Self> {
        Ok(Self {})
    }

    /// The demo tenants and how to call them (part of [`crate::Sandbox::describe`]).
    pub fn describe(&self, _core: &Core) -> String {
        String::new()
    }
}

pub fn router(_core: Core, _state: Arc<OneLinkState>) -> Router {
    Router::new()
}

/// Background work (the push dispatcher).
pub fn start_background(_core: Core, _state: Arc<OneLinkState>) {}
