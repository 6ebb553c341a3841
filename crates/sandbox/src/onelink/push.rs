//! The result push (seed 000 §2.2): POST the envelope to the enterprise's callback; no answer
//! within the timeout, no JSON, or a status other than "0" means resend; at most 3 resends,
//! then log and give up. Every attempt is kept in the push's delivery log.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cmcc_proto::wire::onelink::PushAnswer;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Semaphore};

use super::config::PushConfig;
use super::OneLinkState;
use crate::core::Core;

/// Pushes kept for the delivery log; the oldest finished ones go first.
const KEEP: usize = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PushState {
    Queued,
    Delivering,
    Delivered,
    /// Every attempt of the last round failed.
    GaveUp,
    /// The enterprise has no callback URL.
    NoCallback,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    /// Delivery round: 1 for the automatic one, +1 for each manual redeliver.
    pub round: u32,
    /// 0 for the first send, 1..=3 for resends.
    pub resend: u32,
    pub at: DateTime<Utc>,
    pub latency_ms: u64,
    pub http_status: Option<u16>,
    /// Start of the answer body.
    pub answer: String,
    /// `ok`, `timeout`, `error`, `not_json`, `status_not_0`.
    pub outcome: std::borrow::Cow<'static, str>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushEntry {
    pub id: u64,
    pub appid: String,
    pub busi_seq: String,
    pub body: serde_json::Value,
    pub created: DateTime<Utc>,
    pub state: PushState,
    pub rounds: u32,
    pub attempts: Vec<Attempt>,
}

#[derive(Debug)]
pub struct Pushes {
    store: Mutex<BTreeMap<u64, PushEntry>>,
    next_id: Mutex<u64>,
    tx: mpsc::UnboundedSender<u64>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<u64>>>,
}

impl Default for Pushes {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            store: Mutex::new(BTreeMap::new()),
            next_id: Mutex::new(1),
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

impl Pushes {
    /// Record a push and queue it.
    pub fn create(
        &self,
        appid: &str,
        busi_seq: &str,
        body: serde_json::Value,
        now: DateTime<Utc>,
    ) -> u64 {
        let id = {
            let mut n = self.next_id.lock();
            let id = *n;
            *n += 1;
            id
        };
        let mut store = self.store.lock();
        if store.len() >= KEEP {
            let drop: Vec<u64> = store
                .values()
                .filter(|p| !matches!(p.state, PushState::Queued | PushState::Delivering))
                .take(store.len() + 1 - KEEP)
                .map(|p| p.id)
                .collect();
            for k in drop {
                store.remove(&k);
            }
        }
        store.insert(
            id,
            PushEntry {
                id,
                appid: appid.to_owned(),
                busi_seq: busi_seq.to_owned(),
                body,
                created: now,
                state: PushState::Queued,
                rounds: 0,
                attempts: Vec::new(),
            },
        );
        drop(store);
        let _ = self.tx.send(id);
        id
    }

    /// Every push and the next id (the OneLink state file).
    pub fn save(&self) -> SavedPushes {
        SavedPushes {
            pushes: self.store.lock().values().cloned().collect(),
            next_id: *self.next_id.lock(),
        }
    }

    /// Take saved pushes back; those that were queued or on the wire are queued again.
    pub fn restore(&self, saved: SavedPushes) {
        let mut again = Vec::new();
        {
            let mut store = self.store.lock();
            store.clear();
            for mut p in saved.pushes {
                if matches!(p.state, PushState::Queued | PushState::Delivering) {
                    p.state = PushState::Queued;
                    again.push(p.id);
                }
                store.insert(p.id, p);
            }
        }
        {
            let mut n = self.next_id.lock();
            *n = (*n).max(saved.next_id);
        }
        for id in again {
            let _ = self.tx.send(id);
        }
    }

    /// Forget every push (ids keep counting up, so none is reused).
    pub fn clear(&self) {
        self.store.lock().clear();
    }

    /// Queue another delivery round of a push. `false` if unknown or still in flight.
    pub fn redeliver(&self, id: u64) -> bool {
        let mut store = self.store.lock();
        let Some(p) = store.get_mut(&id) else {
            return false;
        };
        if matches!(p.state, PushState::Queued | PushState::Delivering) {
            return false;
        }
        p.state = PushState::Queued;
        drop(store);
        self.tx.send(id).is_ok()
    }

    pub fn get(&self, id: u64) -> Option<PushEntry> {
        self.store.lock().get(&id).cloned()
    }

    /// Newest first.
    pub fn recent(&self, limit: usize, appid: Option<&str>) -> Vec<PushEntry> {
        self.store
            .lock()
            .values()
            .rev()
            .filter(|p| appid.is_none_or(|a| a == p.appid))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Counts per state.
    pub fn summary(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for p in self.store.lock().values() {
            let k = match p.state {
                PushState::Queued => "queued",
                PushState::Delivering => "delivering",
                PushState::Delivered => "delivered",
                PushState::GaveUp => "gave_up",
                PushState::NoCallback => "no_callback",
            };
            *m.entry(k).or_insert(0) += 1;
        }
        m
    }

    fn begin(&self, id: u64) -> Option<Begun> {
        let mut store = self.store.lock();
        let p = store.get_mut(&id)?;
        p.state = PushState::Delivering;
        p.rounds += 1;
        Some(Begun {
            appid: p.appid.clone(),
            busi_seq: p.busi_seq.clone(),
            body: p.body.clone(),
            round: p.rounds,
        })
    }

    fn record(&self, id: u64, attempt: Attempt) {
        if let Some(p) = self.store.lock().get_mut(&id) {
            p.attempts.push(attempt);
        }
    }

    fn finish(&self, id: u64, state: PushState) {
        if let Some(p) = self.store.lock().get_mut(&id) {
            p.state = state;
        }
    }
}

/// The pushes as the state file keeps them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedPushes {
    pub pushes: Vec<PushEntry>,
    pub next_id: u64,
}

/// A delivery round that has begun.
struct Begun {
    appid: String,
    busi_seq: String,
    body: serde_json::Value,
    round: u32,
}

/// The card a push is about, masked for the log (`msisdn`, `iccid` or `imsi` of its record).
fn masked_card(body: &serde_json::Value) -> String {
    let rec = &body["result"][0];
    ["msisdn", "iccid", "imsi"]
        .iter()
        .find_map(|k| rec[*k].as_str().filter(|v| !v.is_empty()))
        .map_or_else(String::new, cmcc_proto::ids::mask_number)
}

/// Start the dispatcher: one task reading the queue, deliveries in parallel up to the
/// configured concurrency. Aborting the returned task stops it and every delivery in flight.
pub fn start(core: Core, state: Arc<OneLinkState>) -> Option<tokio::task::JoinHandle<()>> {
    let Some(mut rx) = state.pushes.rx.lock().take() else {
        tracing::warn!("the OneLink push dispatcher is already running");
        return None;
    };
    let cfg = state.config.push.clone();
    let http = match reqwest::Client::builder()
        .pool_max_idle_per_host(cfg.concurrency.max(1))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the push HTTP client; pushes stay queued");
            return None;
        }
    };
    let permits = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    Some(tokio::spawn(async move {
        // Dropped with this task: every delivery in flight is aborted with it.
        let mut deliveries = tokio::task::JoinSet::new();
        while let Some(id) = rx.recv().await {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            while deliveries.try_join_next().is_some() {}
            let (core, state, http, cfg) = (core.clone(), state.clone(), http.clone(), cfg.clone());
            deliveries.spawn(async move {
                deliver(&core, &state, &http, &cfg, id).await;
                drop(permit);
            });
        }
    }))
}

async fn deliver(
    core: &Core,
    state: &OneLinkState,
    http: &reqwest::Client,
    cfg: &PushConfig,
    id: u64,
) {
    let Some(Begun {
        appid,
        busi_seq,
        body,
        round,
    }) = state.pushes.begin(id)
    else {
        return;
    };
    let Some(url) = state.callback_url(&appid) else {
        state.pushes.finish(id, PushState::NoCallback);
        return;
    };
    let bytes = body.to_string();
    let timeout = Duration::from_millis(cfg.timeout_ms);
    for resend in 0..=cfg.max_resends {
        if resend > 0 {
            tokio::time::sleep(Duration::from_millis(cfg.resend_interval_ms)).await;
        }
        let at = core.clock.now();
        let started = Instant::now();
        let sent = tokio::time::timeout(timeout, async {
            let resp = http
                .post(&url)
                .header("content-type", "application/json;charset=UTF-8")
                .body(bytes.clone())
                .send()
                .await?;
            let status = resp.status().as_u16();
            let text = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, text))
        })
        .await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (http_status, answer, outcome) = match sent {
            Err(_) => (None, String::new(), "timeout"),
            Ok(Err(e)) => (None, e.to_string(), "error"),
            Ok(Ok((status, text))) => {
                let answer: String = String::from_utf8_lossy(&text).chars().take(200).collect();
                let outcome = match serde_json::from_slice::<PushAnswer>(&text) {
                    Ok(a) if a.is_ok() => "ok",
                    Ok(_) => "status_not_0",
                    Err(_) => "not_json",
                };
                (Some(status), answer, outcome)
            }
        };
        state.pushes.record(
            id,
            Attempt {
                round,
                resend,
                at,
                latency_ms,
                http_status,
                answer,
                outcome: outcome.into(),
            },
        );
        if outcome == "ok" {
            state.pushes.finish(id, PushState::Delivered);
            return;
        }
    }
    // Seed 000: after the last resend the platform records an error log.
    tracing::error!(
        push = id,
        appid = %appid,
        busi_seq = %busi_seq,
        card = %masked_card(&body),
        resends = cfg.max_resends,
        "result push not acknowledged after the last resend; giving up"
    );
    state.pushes.finish(id, PushState::GaveUp);
}
