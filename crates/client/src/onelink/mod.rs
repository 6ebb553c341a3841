//! [`OneLinkClient`]: IoT-card real-name registration links, status queries, the fleet APIs
//! (`fleet`: card status, usage, sessions, status changes single and batched), and the token
//! handling that public clients keep getting wrong.
//!
//! * One token per appid, cached in a [`TokenStore`], refreshed ahead of expiry by exactly one
//!   caller while the others keep using the still-valid token; when there is no valid token,
//!   callers wait for the single in-flight fetch instead of each fetching (no stampede).
//! * On 12021 the failing token is invalidated only if it is still the cached one, a token is
//!   fetched (once, whoever comes first), and the call is retried once. A second 12021 is
//!   returned to the caller: never a loop.
//! * `transid`s come from one atomic sequence per client: unique under concurrency.

mod fleet;
mod token;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cmcc_proto::codes::Platform;
use cmcc_proto::endpoint::Endpoint;
use cmcc_proto::format::{MiniParam, TransidGenerator};
use cmcc_proto::wire::onelink::{
    self as wire, Authenticated, CardFields, CardQuery, CardQueryRequest, Envelope, GetToken,
    IdentityRegistrationInfo, IssueRegistrationLink, QueryIdentityInfo, QueryRealNameStatus,
    RealNameRegRequest, RealNameRegResult, RealNameStatus, TokenRequest, TokenResult, UrlType,
};
use cmcc_proto::{CardId, Phone, Secret};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use fleet::{
    is_already_in_state, job_outcomes, outcome_unknown, BatchEvent, BatchHook, BatchOptions,
    CardOutcome, CardResult, Change, JobWait, ALREADY_OFF, ALREADY_ON,
};
pub use token::{CachedToken, MemoryTokenStore, TokenStore};

use crate::base::OneLinkBase;
use crate::error::{CarrierError, Error};
use crate::transport::{decode, Transport};
pub use crate::transport::{RequestStyle, RetryPolicy};

/// One OneLink account.
#[derive(Clone)]
pub struct OneLinkConfig {
    /// Where the platform is (production or a sandbox).
    pub base: OneLinkBase,
    /// The enterprise's application id (`appid`), the prefix of every transid.
    pub appid: String,
    /// The application's API password, sent only to get a token.
    pub password: Secret,
    /// Timeout of each HTTP request (default 10 s); connecting may take at most 5 s of it.
    pub timeout: Duration,
    /// Retries of calls that are safe to repeat.
    pub retry: RetryPolicy,
    /// Refresh a token when it has less than this left (the platform gives 3600 s).
    pub refresh_ahead: Duration,
    /// How requests are encoded (default POST with a JSON body).
    pub style: RequestStyle,
}

impl std::fmt::Debug for OneLinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneLinkConfig")
            .field("base", &self.base)
            .field("appid", &self.appid)
            .field("password", &self.password)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("refresh_ahead", &self.refresh_ahead)
            .field("style", &self.style)
            .finish()
    }
}

impl OneLinkConfig {
    /// The account with the defaults: 10 s timeout, [`RetryPolicy::default`], refresh 300 s
    /// before expiry, POST JSON.
    pub fn new(base: OneLinkBase, appid: &str, password: Secret) -> Self {
        Self {
            base,
            appid: appid.to_owned(),
            password,
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            refresh_ahead: Duration::from_secs(300),
            style: RequestStyle::PostJson,
        }
    }
}

/// What 23A12 hands back: where to send the card user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationLink {
    /// `busiSeq`: the registration's serial number; the result push carries the same.
    pub busi_seq: String,
    /// urlType 6: the H5 page; urlType 3: the query string form of `mini_param`.
    pub url: String,
    /// urlType 3: `extraData` for `wx.navigateToMiniProgram`.
    pub mini_param: Option<MiniParam>,
}

/// Client of OneLink for one account. Share one instance (it holds the transid sequence and
/// the refresh lock).
///
/// ```no_run
/// # async fn demo() -> Result<(), cmcc_client::Error> {
/// use std::sync::Arc;
/// use cmcc_client::{MemoryTokenStore, OneLinkBase, OneLinkClient, OneLinkConfig};
/// use cmcc_proto::wire::onelink::UrlType;
/// use cmcc_proto::{CardId, Secret};
///
/// let cfg = OneLinkConfig::new(OneLinkBase::sandbox("http://127.0.0.1:8700"), "100059999270000006", Secret::new("password"));
/// let client = OneLinkClient::new(cfg, Arc::new(MemoryTokenStore::new()))?;
/// let card = CardId::from_fields(Some("1440292201313"), None, None).map_err(|e| cmcc_client::Error::Input(e.to_string()))?;
/// let link = client.registration_link(&card, UrlType::H5JumpMiniProgram, None).await?;
/// println!("send the card user to {} (busiSeq {})", link.url, link.busi_seq);
/// let state = client.identity_info(&card).await?;
/// println!("registered: {}", state.status == "1");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct OneLinkClient {
    cfg: OneLinkConfig,
    transport: Transport,
    store: Arc<dyn TokenStore>,
    refresh_lock: tokio::sync::Mutex<()>,
    transids: TransidGenerator,
    token_fetches: AtomicU64,
}

impl OneLinkClient {
    /// A client of `cfg`'s account keeping its token in `store`.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the HTTP client cannot be built (e.g. the TLS backend fails to
    /// initialise).
    pub fn new(cfg: OneLinkConfig, store: Arc<dyn TokenStore>) -> Result<Self, Error> {
        let transport = Transport::new(cfg.timeout, cfg.retry.clone(), Vec::new())?;
        let transids = TransidGenerator::new(cfg.appid.clone(), rand::random::<u64>());
        Ok(Self {
            cfg,
            transport,
            store,
            refresh_lock: tokio::sync::Mutex::new(()),
            transids,
            token_fetches: AtomicU64::new(0),
        })
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &OneLinkConfig {
        &self.cfg
    }

    /// How many times this client asked the platform for a token (for metrics and tests).
    pub fn token_fetches(&self) -> u64 {
        self.token_fetches.load(Ordering::Relaxed)
    }

    /// A fresh transid.
    pub fn next_transid(&self) -> String {
        self.transids.next(Utc::now())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.cfg.base.0, path)
    }

    /// A valid token: the cached one, or one fetched by a single caller.
    ///
    /// # Errors
    ///
    /// When a token has to be fetched and the fetch fails (after the retries):
    /// [`Error::Carrier`] when the platform refuses (e.g. a wrong appid or password),
    /// [`Error::Network`], [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when it
    /// gives no usable answer. A failed early refresh is not an error: the still-valid token
    /// is returned.
    pub async fn token(&self) -> Result<String, Error> {
        let now = Utc::now();
        if let Some(t) = self.store.get(&self.cfg.appid).await {
            if t.is_fresh(now, self.cfg.refresh_ahead) {
                return Ok(t.token.expose().to_owned());
            }
            if t.is_valid(now) {
                // Near expiry: one caller refreshes, everyone else keeps using this one.
                let Ok(_guard) = self.refresh_lock.try_lock() else {
                    return Ok(t.token.expose().to_owned());
                };
                return match self.refresh_if_stale().await {
                    Ok(tok) => Ok(tok),
                    Err(e) => {
                        tracing::warn!(appid = %self.cfg.appid, error = %e, "early token refresh failed; using the current token");
                        Ok(t.token.expose().to_owned())
                    }
                };
            }
        }
        let _guard = self.refresh_lock.lock().await;
        self.refresh_if_stale().await
    }

    /// Under the refresh lock: look again (someone may have just stored a token), else fetch.
    async fn refresh_if_stale(&self) -> Result<String, Error> {
        if let Some(t) = self.store.get(&self.cfg.appid).await {
            if t.is_fresh(Utc::now(), self.cfg.refresh_ahead) {
                return Ok(t.token.expose().to_owned());
            }
        }
        // Across instances: one holds the store's lock and fetches; the others wait for it.
        let lock_ttl = self.cfg.timeout * 2;
        if !self.store.lock_refresh(&self.cfg.appid, lock_ttl).await {
            let deadline = tokio::time::Instant::now() + lock_ttl;
            while tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(25)).await;
                if let Some(t) = self.store.get(&self.cfg.appid).await {
                    if t.is_fresh(Utc::now(), self.cfg.refresh_ahead) {
                        return Ok(t.token.expose().to_owned());
                    }
                }
            }
            // The holder died or is slow: fetch ourselves rather than fail the call.
        }
        let result = self.fetch_token().await;
        self.store.unlock_refresh(&self.cfg.appid).await;
        let t = result?;
        let token = t.token.expose().to_owned();
        self.store.put(&self.cfg.appid, t).await;
        Ok(token)
    }

    async fn fetch_token(&self) -> Result<CachedToken, Error> {
        let meta = GetToken::METADATA;
        let url = self.url(meta.path);
        let result: Vec<TokenResult> = self
            .transport
            .retrying(meta.retry_safe, meta.name, || {
                // refresh=0: if the platform already has a valid token for us (another instance
                // fetched it), take that one instead of invalidating it.
                let req = TokenRequest {
                    appid: self.cfg.appid.clone(),
                    password: self.cfg.password.expose().to_owned(),
                    transid: self.next_transid(),
                    refresh: Some("0".into()),
                };
                self.token_fetches.fetch_add(1, Ordering::Relaxed);
                let url = url.clone();
                async move { self.send_envelope::<_, TokenResult>(&url, &req).await }
            })
            .await?;
        let t = result.into_iter().next().ok_or_else(|| Error::Decode {
            url: url.clone(),
            detail: "status 0 but no token in result".into(),
            snippet: String::new(),
        })?;
        tracing::info!(appid = %self.cfg.appid, ttl = t.ttl, "fetched a OneLink token");
        let ttl = chrono::Duration::seconds(i64::try_from(t.ttl).unwrap_or(3600));
        Ok(CachedToken {
            token: Secret::new(t.token),
            expires_at: Utc::now() + ttl,
        })
    }

    async fn send_envelope<Q: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        url: &str,
        req: &Q,
    ) -> Result<Vec<R>, Error> {
        let body = self.transport.send(url, self.cfg.style, req).await?;
        let env: Envelope<R> = decode(url, &body)?;
        if env.is_ok() {
            Ok(env.result)
        } else {
            Err(Error::Carrier(CarrierError::new(
                Platform::OneLink,
                &env.status,
                &env.message,
            )))
        }
    }

    /// Call the OneLink API `E` with a token, by the 12021 rule: when the platform says the
    /// token is unknown or expired, invalidate it if it is still the cached one, get a token,
    /// and retry once. Transient failures are retried only when the definition says the call
    /// is [`retry_safe`](cmcc_proto::endpoint::Metadata::retry_safe). Every attempt gets a
    /// fresh transid. `Ok` holds the answer's records (status 0).
    ///
    /// # Errors
    ///
    /// The errors of [`token`](Self::token); [`Error::Carrier`] for any status but 0 (a 12021
    /// after the one retry included); [`Error::Network`], [`Error::Timeout`], [`Error::Http`]
    /// or [`Error::Decode`] when the last attempt got no usable answer.
    pub async fn call<E, R>(&self, request: E::Request) -> Result<Vec<R>, Error>
    where
        E: Endpoint<Response = Envelope<R>>,
        E::Request: Authenticated + Clone,
        R: DeserializeOwned,
    {
        let meta = E::METADATA;
        let url = self.url(meta.path);
        let call = |token: String| {
            let url = url.clone();
            let request = &request;
            async move {
                self.transport
                    .retrying(meta.retry_safe, meta.name, || {
                        let mut req = request.clone();
                        req.authenticate(token.clone(), self.next_transid());
                        let url = url.clone();
                        async move { self.send_envelope::<E::Request, R>(&url, &req).await }
                    })
                    .await
            }
        };
        let token = self.token().await?;
        match call(token.clone()).await {
            Err(Error::Carrier(c)) if c.code.as_str() == wire::TOKEN_EXPIRED_STATUS => {
                let removed = self.store.invalidate(&self.cfg.appid, &token).await;
                tracing::info!(appid = %self.cfg.appid, removed, "token rejected with 12021; getting another and retrying once");
                let fresh = self.token().await?;
                call(fresh).await
            }
            other => other,
        }
    }

    /// A card query `E` for one card: its single record.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), and [`Error::Decode`] when status 0 comes with no record.
    pub async fn query<E: CardQuery>(&self, card: &CardId) -> Result<E::Record, Error> {
        let request = CardQueryRequest {
            transid: String::new(),
            token: String::new(),
            card: CardFields::from(card),
        };
        let mut records = self.call::<E, E::Record>(request).await?;
        records.pop().ok_or_else(|| Error::Decode {
            url: self.url(E::METADATA.path),
            detail: "status 0 but empty result".into(),
            snippet: String::new(),
        })
    }

    /// 23A12: a registration link for `card`. urlType 3 (inside a WeChat mini-program) or 6
    /// (H5 that opens the mini-program); 2 is accepted and answered like 6. Never retried on
    /// transient failures (one request per card per urlType per minute).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for urlType 1, 4 or an unknown one (nothing is sent); otherwise as
    /// [`query`](Self::query) (12012 when a link for the card and urlType was asked for less
    /// than a minute ago).
    pub async fn registration_link(
        &self,
        card: &CardId,
        url_type: UrlType,
        user_phone: Option<&Phone>,
    ) -> Result<RegistrationLink, Error> {
        if !matches!(
            url_type,
            UrlType::MiniProgram | UrlType::H5JumpMiniProgram | UrlType::MiniProgramH5
        ) {
            return Err(Error::Input(format!(
                "urlType {} is withdrawn or unknown: use 3 (mini-program) or 6 (H5)",
                url_type.code()
            )));
        }
        let request = RealNameRegRequest {
            transid: String::new(),
            token: String::new(),
            card: CardFields::from(card),
            user_phone: user_phone.map(|p| p.as_str().to_owned()),
            url_type: Some(url_type.code().to_string()),
        };
        let results = self
            .call::<IssueRegistrationLink, RealNameRegResult>(request)
            .await?;
        let r = results.into_iter().next().ok_or_else(|| Error::Decode {
            url: self.url(IssueRegistrationLink::METADATA.path),
            detail: "status 0 but empty result".into(),
            snippet: String::new(),
        })?;
        let mini_param = match (r.mini_param, url_type) {
            (Some(m), _) => Some(m),
            // Some answers carry only the url form: derive the parameters from it.
            (None, UrlType::MiniProgram) => MiniParam::from_url(&r.url).ok(),
            (None, _) => None,
        };
        tracing::info!(card = %card, busi_seq = %r.busi_seq, url_type = url_type.code(), "registration link issued");
        Ok(RegistrationLink {
            busi_seq: r.busi_seq,
            url: r.url,
            mini_param,
        })
    }

    /// 23A23: the card user's real-name registration state.
    ///
    /// # Errors
    ///
    /// As [`query`](Self::query).
    pub async fn identity_info(&self, card: &CardId) -> Result<IdentityRegistrationInfo, Error> {
        self.query::<QueryIdentityInfo>(card).await
    }

    /// 23A10: the older real-name status query.
    ///
    /// # Errors
    ///
    /// As [`query`](Self::query).
    pub async fn real_name_status(&self, card: &CardId) -> Result<RealNameStatus, Error> {
        self.query::<QueryRealNameStatus>(card).await
    }
}
