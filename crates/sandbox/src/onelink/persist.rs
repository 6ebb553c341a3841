//! The optional OneLink state file (`[onelink] state_file`): enterprises (with the callback URLs
//! set in the console), the card inventory and its registration states, tokens, registrations,
//! the push log with pending pushes, and the key that signs urlType-3 `miniParam`s — so a restart
//! on the same file continues where the last run stopped. Pushes that were queued or on the wire
//! are queued again on start.
//!
//! Saving is cheap to ask for and bounded: a background task writes the snapshot every
//! [`SAVE_EVERY`] when it differs from the last one written, and once more when the sandbox stops.

use std::path::Path;
use std::time::Duration;

use cmcc_proto::{PrivateKey, Secret};
use serde::{Deserialize, Serialize};

use super::inventory::{Card, Enterprise, Inventory};
use super::jobs::Jobs;
use super::push::SavedPushes;
use super::registration::{Registrations, SavedRegistrations};
use super::tokens::Tokens;
use super::OneLinkState;

/// How often the background task looks for changes to write.
pub const SAVE_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedEnterprise {
    appid: String,
    password: String,
    callback_url: Option<String>,
}

/// Everything in the file (written by [`snapshot`] in the same shape).
#[derive(Debug, Deserialize)]
pub struct Snapshot {
    /// PKCS#8 base64 of the miniParam signing key.
    signer: String,
    enterprises: Vec<SavedEnterprise>,
    cards: Vec<Card>,
    next_serial: u64,
    tokens: Tokens,
    registrations: SavedRegistrations,
    /// Batch jobs (files written before the fleet APIs have none).
    #[serde(default)]
    jobs: Jobs,
    pushes: SavedPushes,
}

/// What a saved file gives back to [`OneLinkState::new`].
#[derive(Debug)]
pub struct Restored {
    pub signer: PrivateKey,
    pub inventory: Inventory,
    pub tokens: Tokens,
    pub registrations: Registrations,
    pub jobs: Jobs,
    pub pushes: SavedPushes,
}

/// Read the state file; `None` when there is none yet.
pub fn load(path: &Path) -> Option<anyhow::Result<Restored>> {
    let text = crate::state_file::read(path)?;
    Some(text.and_then(|t| {
        let s: Snapshot = serde_json::from_str(&t)
            .map_err(|e| anyhow::anyhow!("parsing OneLink state file {}: {e}", path.display()))?;
        let enterprises = s
            .enterprises
            .into_iter()
            .map(|e| Enterprise {
                appid: e.appid,
                password: Secret::new(e.password),
                callback_url: e.callback_url,
            })
            .collect();
        Ok(Restored {
            signer: PrivateKey::parse(&s.signer)?,
            inventory: Inventory::restore(enterprises, s.cards, s.next_serial)?,
            tokens: s.tokens,
            registrations: Registrations::restore(s.registrations),
            jobs: s.jobs,
            pushes: s.pushes,
        })
    }))
}

/// The state as JSON text. Each part is read under its own lock, never two at once, and
/// serialised straight from it (a large inventory is neither cloned nor built as a tree).
pub fn snapshot(state: &OneLinkState) -> anyhow::Result<String> {
    let (enterprises, cards, next_serial) = {
        let inv = state.inventory.read();
        let enterprises: Vec<SavedEnterprise> = inv
            .enterprises
            .values()
            .map(|e| SavedEnterprise {
                appid: e.appid.clone(),
                password: e.password.expose().to_owned(),
                callback_url: e.callback_url.clone(),
            })
            .collect();
        (
            serde_json::to_string(&enterprises)?,
            serde_json::to_string(&inv.cards)?,
            inv.next_serial(),
        )
    };
    let tokens = serde_json::to_string(&*state.tokens.lock())?;
    let registrations = serde_json::to_string(&state.registrations.lock().save())?;
    let jobs = serde_json::to_string(&*state.jobs.lock())?;
    let pushes = serde_json::to_string(&state.pushes.save())?;
    let signer = serde_json::to_string(&state.signer.to_base64()?)?;
    Ok(format!(
        "{{\"signer\":{signer},\"enterprises\":{enterprises},\"cards\":{cards},\"next_serial\":{next_serial},\"tokens\":{tokens},\"registrations\":{registrations},\"jobs\":{jobs},\"pushes\":{pushes}}}"
    ))
}
