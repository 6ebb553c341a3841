//! OneLink (seed 000): token, IoT-card real-name registration (23A12), the registration page the
//! card user sees, the result push with its resend contract, status queries 23A23 and 23A10.
//!
//! | module | what |
//! |---|---|
//! | [`config`] | the `[onelink]` TOML section and cmcc's defaults for what the seed leaves open |
//! | [`inventory`] | enterprises and cards (msisdn/iccid/imsi kept consistent), magic cards |
//! | [`tokens`] | tokens, ttl, the old-token policy |
//! | [`params`] | GET query / POST JSON / POST form in, the envelope out |
//! | [`api`] | the carrier endpoints, routed from their definitions; `serve` and `card_query` |
//! | [`registration`] | links, submissions, outcomes |
//! | [`page`] | the H5 registration page and the mini-program stand-in |
//! | [`push`] | the push dispatcher and its delivery log |
//! | [`persist`] | the optional state file: everything above survives a restart |
//! | [`admin`] | admin API under `/_sandbox/onelink/` |
//! | [`console`] | OneLink's part of the one console (`/_sandbox/`) and its forms |

pub mod admin;
pub mod api;
pub mod config;
pub mod console;
pub mod fleet;
pub mod inventory;
pub mod jobs;
pub mod life;
pub mod page;
pub mod params;
pub mod persist;
pub mod push;
pub mod registration;
pub mod tokens;

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use chrono::{DateTime, Utc};
use cmcc_proto::format::MiniParam;
use cmcc_proto::wire::onelink::{
    CardFields, Envelope, PushRecord, RealNameRegResult, REG_STATUS_FAILURE, REG_STATUS_SUCCESS,
};
use cmcc_proto::{PrivateKey, PublicKey, SignAlg};
use parking_lot::{Mutex, RwLock};

pub use config::OneLinkConfig;
use inventory::{CardRegistration, Inventory};
use registration::{Outcome, Registration, Registrations, Submission, SubmitError};

use crate::core::Core;

/// Where the registration pages live.
pub const H5_PREFIX: &str = "/onelink/h5/reg";
/// The mini-program stand-in: the carrier's mini-program path under `/onelink/mini/`.
pub const MINI_PATH: &str = "/onelink/mini/pages/sc-verify2/sc-verify";
/// Admin API and console.
pub const ADMIN_PREFIX: &str = "/_sandbox/onelink";

/// Everything OneLink keeps while the sandbox runs.
#[derive(Debug)]
pub struct OneLinkState {
    pub config: OneLinkConfig,
    pub inventory: RwLock<Inventory>,
    pub tokens: Mutex<tokens::Tokens>,
    pub registrations: Mutex<Registrations>,
    /// 23S06 batch jobs.
    pub jobs: Mutex<jobs::Jobs>,
    /// Calls this second per enterprise (`calls_per_sec`).
    calls: Mutex<std::collections::BTreeMap<String, (i64, u32)>>,
    pub pushes: push::Pushes,
    /// The platform key that signs urlType-3 `miniParam`s.
    signer: PrivateKey,
    verifier: PublicKey,
    /// The state-file text last written (nothing is written when it has not changed).
    last_saved: Mutex<Option<String>>,
}

impl OneLinkState {
    pub fn new(core: &Core, config: &OneLinkConfig) -> anyhow::Result<Self> {
        let restored = match config.state_file.as_deref().and_then(persist::load) {
            Some(r) => Some(r?),
            None => None,
        };
        let pushes = push::Pushes::default();
        let (signer, inventory, tokens, registrations, jobs) = match restored {
            Some(r) => {
                pushes.restore(r.pushes);
                (r.signer, r.inventory, r.tokens, r.registrations, r.jobs)
            }
            None => (
                PrivateKey::generate(1024)?,
                Inventory::from_config(config, core.clock.now())?,
                tokens::Tokens::default(),
                Registrations::default(),
                jobs::Jobs::default(),
            ),
        };
        let verifier = signer.public_key()?;
        let state = Self {
            config: config.clone(),
            inventory: RwLock::new(inventory),
            tokens: Mutex::new(tokens),
            registrations: Mutex::new(registrations),
            jobs: Mutex::new(jobs),
            calls: Mutex::default(),
            pushes,
            signer,
            verifier,
            last_saved: Mutex::new(None),
        };
        state.save_now();
        Ok(state)
    }

    /// Write the state file now if there is one and the state changed since the last write.
    pub fn save_now(&self) {
        let Some(path) = self.config.state_file.as_deref() else {
            return;
        };
        let text = match persist::snapshot(self) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "could not snapshot the OneLink state");
                return;
            }
        };
        let mut last = self.last_saved.lock();
        if last.as_deref() == Some(text.as_str()) {
            return;
        }
        match crate::state_file::write_atomic(path, text.as_bytes()) {
            Ok(()) => *last = Some(text),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not write the OneLink state file");
            }
        }
    }

    /// Back to the configuration the sandbox started with: the inventory (cards, registration
    /// states, callback URLs set in the console), tokens, registrations and the push log. A push
    /// delivery already on the wire finishes, but nothing of it is kept.
    pub fn reset(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let inventory = Inventory::from_config(&self.config, now)?;
        *self.inventory.write() = inventory;
        *self.tokens.lock() = tokens::Tokens::default();
        *self.registrations.lock() = Registrations::default();
        *self.jobs.lock() = jobs::Jobs::default();
        self.calls.lock().clear();
        self.pushes.clear();
        Ok(())
    }

    /// The demo enterprises, magic cards and URLs (part of [`crate::Sandbox::describe`]).
    pub fn describe(&self, core: &Core) -> String {
        let base = &core.base_url;
        let mut out = String::from("\nOneLink (seed 000)\n");
        let _ = writeln!(
            out,
            "  API base:   {base}  (e.g. {base}{})",
            cmcc_proto::wire::onelink::TOKEN_PATH
        );
        let _ = writeln!(out, "  console:    {base}{ADMIN_PREFIX}/");
        let inv = self.inventory.read();
        for e in inv.enterprises.values() {
            let _ = writeln!(
                out,
                "  enterprise: appid {}  password {}  callback {}",
                e.appid,
                // Only the demo passwords are printed; configured ones stay secret.
                if [config::DEMO_APPID, config::OTHER_APPID].contains(&e.appid.as_str())
                    && self.config.demo
                    && [config::DEMO_PASSWORD, config::OTHER_PASSWORD]
                        .contains(&e.password.expose())
                {
                    e.password.expose()
                } else {
                    "(as configured)"
                },
                e.callback_url
                    .as_deref()
                    .unwrap_or("(none: set it in the console)")
            );
        }
        let _ = writeln!(out, "  cards:      {} in the inventory", inv.cards.len());
        if self.config.demo {
            let _ = writeln!(out, "  magic cards (msisdn / iccid / imsi):");
            for (c, what) in inventory::magic_table() {
                let _ = writeln!(out, "    {} / {} / {}  {what}", c.msisdn, c.iccid, c.imsi);
            }
        }
        out
    }

    /// Generate `count` cards for an enterprise (admin API, console, `cmcc up`): how many, the
    /// inventory's size, and the first new card.
    pub fn generate_cards(
        &self,
        appid: &str,
        count: u32,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Value, String> {
        if count > 1_000_000 {
            return Err("at most 1,000,000 cards at once".into());
        }
        let mut inv = self.inventory.write();
        let first = inv.generate(appid, count).map_err(|e| e.to_string())?;
        let sample = inv.cards.get(first).map(|c| c.view(now));
        Ok(serde_json::json!({ "generated": count, "total": inv.cards.len(), "first": sample }))
    }

    /// Set (or clear) an enterprise's push callback URL. `false`: no such enterprise.
    pub fn set_callback(&self, appid: &str, url: Option<&str>) -> bool {
        let mut inv = self.inventory.write();
        let Some(e) = inv.enterprises.get_mut(appid) else {
            return false;
        };
        e.callback_url = url.map(str::to_owned);
        true
    }

    pub fn callback_url(&self, appid: &str) -> Option<String> {
        self.inventory
            .read()
            .enterprises
            .get(appid)
            .and_then(|e| e.callback_url.clone())
            .filter(|u| !u.trim().is_empty())
    }

    /// 23A12 once every check passed: make the link.
    fn issue_link(
        &self,
        core: &Core,
        appid: &str,
        card: usize,
        fields: &CardFields,
        url_type: u32,
        now: DateTime<Utc>,
    ) -> anyhow::Result<RealNameRegResult> {
        let id = fields.card_id()?;
        let (card_field, card_value) = (id.field(), id.value().to_owned());
        let mut regs = self.registrations.lock();
        let (busi_seq, transaction_id) = regs.next_ids(now);
        let ticket = tokens::random_hex(16);
        let (url, mini_param) = if url_type == 3 {
            let mut m = MiniParam {
                param: tokens::random_hex(24),
                signature: String::new(),
                request_source: registration::REQUEST_SOURCE.into(),
                transaction_id,
            };
            m.signature = self
                .signer
                .sign(SignAlg::Md5WithRsa, m.signed_string().as_bytes())?;
            (m.to_url(), Some(m))
        } else {
            (format!("{}{H5_PREFIX}/{ticket}", core.base_url), None)
        };
        let ttl =
            chrono::Duration::seconds(i64::try_from(self.config.link_ttl_secs).unwrap_or(1800));
        regs.insert(Registration {
            busi_seq: busi_seq.clone(),
            appid: appid.to_owned(),
            card,
            card_field,
            card_value,
            url_type,
            ticket,
            url: url.clone(),
            mini_param: mini_param.clone(),
            created: now,
            expires: now + ttl,
            outcome: None,
            push_id: None,
        });
        Ok(RealNameRegResult {
            busi_seq,
            url,
            mini_param,
        })
    }

    /// The mini-program stand-in's check of `param`/`signature`/`transactionID`: the ticket of
    /// the registration they belong to.
    pub fn check_mini_param(&self, m: &MiniParam) -> Result<String, &'static str> {
        let ok = self
            .verifier
            .verify(
                SignAlg::Md5WithRsa,
                m.signed_string().as_bytes(),
                &m.signature,
            )
            .unwrap_or(false);
        if !ok {
            return Err("签名校验失败（signature）");
        }
        let regs = self.registrations.lock();
        let r = regs
            .by_transaction(&m.transaction_id)
            .ok_or("业务流水不存在（transactionID）")?;
        if r.mini_param.as_ref().is_none_or(|p| p.param != m.param) {
            return Err("业务参数不匹配（param）");
        }
        Ok(r.ticket.clone())
    }

    /// The card user submitted the page: check, decide, update the card, queue the push.
    pub fn submit(
        &self,
        core: &Core,
        ticket: &str,
        s: &Submission,
    ) -> Result<Registration, SubmitError> {
        let now = core.clock.now();
        let mut regs = self.registrations.lock();
        let busi_seq = regs
            .by_ticket(ticket)
            .ok_or(SubmitError::UnknownLink)?
            .busi_seq
            .clone();
        let r = regs.get_mut(&busi_seq).ok_or(SubmitError::UnknownLink)?;
        if r.outcome.is_some() {
            return Err(SubmitError::Done);
        }
        if now >= r.expires {
            return Err(SubmitError::Expired);
        }
        let (name, resident_id, liveness) = s.check()?;
        let extra = s.extra();
        let (success, reg_msg) = {
            let mut inv = self.inventory.write();
            let card = inv.cards.get_mut(r.card).ok_or(SubmitError::UnknownLink)?;
            if card.fail_registration {
                (false, "实名信息核验不通过")
            } else if !liveness {
                (false, "活体检测未通过")
            } else {
                let delay = chrono::Duration::seconds(
                    i64::try_from(self.config.archive_delay_secs).unwrap_or(0),
                );
                card.registration = Some(CardRegistration {
                    registration_type: "01".into(),
                    archive_time: now + delay,
                });
                (true, "实名登记成功")
            }
        };
        let (msisdn, iccid, imsi) = match r.card_field {
            "msisdn" => (Some(r.card_value.clone()), None, None),
            "iccid" => (None, Some(r.card_value.clone()), None),
            _ => (None, None, Some(r.card_value.clone())),
        };
        let record = PushRecord {
            reg_status: if success {
                REG_STATUS_SUCCESS
            } else {
                REG_STATUS_FAILURE
            }
            .into(),
            reg_msg: reg_msg.into(),
            busi_seq: r.busi_seq.clone(),
            card: CardFields {
                msisdn,
                iccid,
                imsi,
            },
            extra: extra
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        };
        let body = serde_json::to_value(Envelope::ok(vec![record])).unwrap_or_default();
        r.outcome = Some(Outcome {
            success,
            reg_msg: reg_msg.into(),
            at: now,
            name,
            resident_id,
            extra,
        });
        r.push_id = Some(self.pushes.create(&r.appid, &r.busi_seq, body, now));
        Ok(r.clone())
    }
}

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct Service {
    pub core: Core,
    pub state: Arc<OneLinkState>,
}

/// Every OneLink route: the carrier API, the registration pages, the admin API and console.
pub fn router(core: Core, state: Arc<OneLinkState>) -> Router {
    let app = Service { core, state };
    Router::new()
        .merge(api::routes())
        .merge(fleet::routes())
        .merge(page::routes())
        .merge(admin::routes())
        .with_state(app)
}

/// Background work: the push dispatcher and, with a state file, its saver. The handles stop them.
pub fn start_background(core: Core, state: Arc<OneLinkState>) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if state.config.state_file.is_some() {
        let s = state.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let s = s.clone();
                // Serialising a large inventory is blocking work; a large one is saved less
                // often (at least 20 times as long apart as a save takes), so saving never
                // takes more than a twentieth of the inventory lock's time.
                let took = tokio::task::spawn_blocking(move || {
                    let t = std::time::Instant::now();
                    s.save_now();
                    t.elapsed()
                })
                .await
                .unwrap_or_default();
                tokio::time::sleep(persist::SAVE_EVERY.max(took * 20)).await;
            }
        }));
    }
    tasks.extend(push::start(core, state));
    tasks
}
