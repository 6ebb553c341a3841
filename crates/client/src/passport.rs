//! [`PassportClient`]: the business server's side of the auth platform.

use std::time::Duration;

use chrono::{DateTime, Utc};
use cmcc_proto::codes::Platform;
use cmcc_proto::endpoint::{sign_string, Endpoint, Host};
use cmcc_proto::format::{ExpandParams, PreSign};
use cmcc_proto::sign::Md5SignInput;
use cmcc_proto::wire::passport::{
    self as wire, GetTokenRequest, GetTokenResponse, H5GetToken, H5Image, H5ImageQuery,
    H5TokenBody, H5TokenEnvelope, H5TokenHeader, ImeiTokenValidate, ImeiValidateRequest,
    MiniGetTokenInfo, UaidGetMobile, VerifyInput, VerifyRequest, VerifyVmMobile,
};
use cmcc_proto::{Phone, PrivateKey, PublicKey, Secret, Timestamp17};

use crate::base::PassportBase;
use crate::error::{CarrierError, Error};
use crate::transport::{decode, random_id, RequestStyle, RetryPolicy, Transport};

/// Everything the business server holds for one app.
#[derive(Clone)]
pub struct PassportConfig {
    /// Where the platform is (production, the test environment or a sandbox).
    pub base: PassportBase,
    /// The app's `appId` on the open platform.
    pub app_id: String,
    /// The app's appKey: in the MD5 signs and the `phoneNum` plaintext, never sent itself.
    pub app_key: Secret,
    /// The customer private key whose public half is registered on the open platform.
    pub customer_key: PrivateKey,
    /// The platform public key shown on the open platform (encrypts `phoneNum`).
    pub platform_key: PublicKey,
    /// Timeout of each HTTP request (default 5 s); connecting may take at most 5 s of it.
    pub timeout: Duration,
    /// Extra headers on every request (the sandbox's device header in tests, a proxy's auth).
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for PassportConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassportConfig")
            .field("base", &self.base)
            .field("app_id", &self.app_id)
            .field("app_key", &self.app_key)
            .field("customer_key", &self.customer_key)
            .field("platform_key", &self.platform_key)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PassportConfig {
    /// The app with the defaults: 5 s timeout, no extra headers.
    pub fn new(
        base: PassportBase,
        app_id: &str,
        app_key: Secret,
        customer_key: PrivateKey,
        platform_key: PublicKey,
    ) -> Self {
        Self {
            base,
            app_id: app_id.to_owned(),
            app_key,
            customer_key,
            platform_key,
            timeout: Duration::from_secs(5),
            headers: Vec::new(),
        }
    }
}

/// The answer to "is this the device's own number?". Both are billed by the carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// `000`: the number is the device's.
    Match,
    /// `001`: it is not.
    NoMatch,
}

/// A verification result with the ids needed to find it in the carrier's logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOutcome {
    /// Whether the number is the device's.
    pub result: Verification,
    /// The header's `resultCode` as sent: `000` or `001`.
    pub code: String,
    /// The body's `taskId`: the platform's serial number of the check.
    pub task_id: String,
    /// The request's `msgId` (32 lowercase hex digits made by the client).
    pub msg_id: String,
}

/// A token from the getToken family.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The token, to verify on the server (a credential; `Debug` hides it).
    pub token: String,
    /// The fingerprint bound to the token, when the answer (or the H5 image request) carried
    /// one; verification needs it.
    pub user_information: Option<String>,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenGrant { token: ***, .. }")
    }
}

/// Client of the auth platform for one app. Cheap to clone; share one per app.
///
/// ```no_run
/// # async fn demo() -> Result<(), cmcc_client::Error> {
/// use cmcc_client::{PassportBase, PassportClient, PassportConfig, Verification};
/// use cmcc_proto::{Phone, PrivateKey, PublicKey, Secret};
///
/// let config = PassportConfig::new(
///     PassportBase::single("http://127.0.0.1:8700"), // `cmcc sandbox`; PassportBase::production() for real
///     "300011580392",
///     Secret::new(std::env::var("CMCC_APP_KEY").unwrap_or_default()),
///     PrivateKey::parse(&std::fs::read_to_string("cmcc-private.key").unwrap_or_default())?,
///     PublicKey::parse(&std::fs::read_to_string("platform.pub").unwrap_or_default())?,
/// );
/// let client = PassportClient::new(config)?;
/// // token and userInformation come from the page's JSSDK getToken.
/// let phone = Phone::parse("13800000000").map_err(|e| cmcc_client::Error::Input(e.to_string()))?;
/// match client.verify_number(&phone, "token-from-page", "userInformation-from-page").await?.result {
///     Verification::Match => println!("logged in"),
///     Verification::NoMatch => println!("not this device's number: offer another login method"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PassportClient {
    cfg: PassportConfig,
    transport: Transport,
}

impl PassportClient {
    /// A client of `cfg`'s app. Its calls are never retried (they consume single-use tokens).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the HTTP client cannot be built (e.g. the TLS backend fails to
    /// initialise).
    pub fn new(cfg: PassportConfig) -> Result<Self, Error> {
        // Verify and validate consume single-use tokens: never retried.
        let transport = Transport::new(cfg.timeout, RetryPolicy::never(), cfg.headers.clone())?;
        Ok(Self { cfg, transport })
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &PassportConfig {
        &self.cfg
    }

    /// The URL of `E` on this client's hosts.
    fn url<E: Endpoint>(&self) -> String {
        let base = match E::METADATA.host {
            Host::PassportVerify => &self.cfg.base.verify,
            _ => &self.cfg.base.www,
        };
        format!("{base}{}", E::METADATA.path)
    }

    /// One call of `E` (never retried: the auth platform's calls consume single-use tokens).
    async fn send<E: Endpoint>(&self, req: &E::Request) -> Result<E::Response, Error> {
        let url = self.url::<E>();
        let body = self
            .transport
            .send(&url, RequestStyle::PostJson, req)
            .await?;
        decode(&url, &body)
    }

    fn now17() -> String {
        Timestamp17::from_utc(Utc::now()).to_string()
    }

    /// verifyVmMobileApi: is `phone` the number of the device that got `token`?
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an empty token (nothing is sent); [`Error::Crypto`] when encrypting
    /// `phoneNum` or signing fails; [`Error::Carrier`] for any code but `000`/`001` (e.g.
    /// 120020, the token did not check out); [`Error::Network`], [`Error::Timeout`],
    /// [`Error::Http`] or [`Error::Decode`] when there is no usable answer.
    pub async fn verify_number(
        &self,
        phone: &Phone,
        token: &str,
        user_information: &str,
    ) -> Result<VerifyOutcome, Error> {
        if token.trim().is_empty() {
            return Err(Error::Input(
                "token is empty: the page's getToken did not succeed".into(),
            ));
        }
        let timestamp = Self::now17();
        let msg_id = random_id();
        let req = VerifyRequest::build(
            VerifyInput {
                app_id: &self.cfg.app_id,
                app_key: &self.cfg.app_key,
                msg_id: &msg_id,
                timestamp: &timestamp,
                version: "1.0",
                phone,
                token,
                user_information,
            },
            &self.cfg.platform_key,
            &self.cfg.customer_key,
        )?;
        let resp = self.send::<VerifyVmMobile>(&req).await?;
        let code = resp.header.result_code;
        let result = match code.as_str() {
            "000" => Verification::Match,
            "001" => Verification::NoMatch,
            _ => {
                tracing::info!(phone = %phone, code = %code, "verification rejected");
                return Err(carrier(&code, &resp.body.result_desc));
            }
        };
        tracing::debug!(phone = %phone, code = %code, "verification answered");
        Ok(VerifyOutcome {
            result,
            code,
            task_id: resp.body.task_id,
            msg_id,
        })
    }

    /// imeiTokenValidate: the UAID of the device that got `token`.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an empty token (nothing is sent); [`Error::Crypto`] when signing
    /// fails; [`Error::Carrier`] unless the answer is `000000` with a UAID (e.g. 120009 for a
    /// used or expired token); [`Error::Network`], [`Error::Timeout`], [`Error::Http`] or
    /// [`Error::Decode`] when there is no usable answer.
    pub async fn validate_uaid(&self, token: &str) -> Result<String, Error> {
        if token.trim().is_empty() {
            return Err(Error::Input("token is empty".into()));
        }
        let req = ImeiValidateRequest::build(
            &self.cfg.app_id,
            &random_id(),
            &Self::now17(),
            token,
            &self.cfg.customer_key,
        )?;
        let resp = self.send::<ImeiTokenValidate>(&req).await?;
        match (resp.body.result_code.as_str(), resp.body.uaid) {
            ("000000", Some(uaid)) if !uaid.is_empty() => Ok(uaid),
            (code, _) => Err(carrier(code, &resp.body.result_desc)),
        }
    }

    fn get_token_request(&self, business_type: &str, expand: &ExpandParams) -> GetTokenRequest {
        let trace_id = random_id();
        let timestamp = Self::now17();
        let mut req = GetTokenRequest {
            trace_id: trace_id.clone(),
            app_id: self.cfg.app_id.clone(),
            sign: String::new(),
            msg_id: trace_id,
            expand_params: (!expand.is_empty()).then(|| expand.encode()),
            business_type: business_type.to_owned(),
            version: "1.0".into(),
            timestamp,
            open_type: None,
            is_test: None,
            user_information: None,
        };
        req.sign = req.md5_input(self.cfg.app_key.expose()).sign();
        req
    }

    /// The getToken family's answer: a token on 103000, the carrier's code otherwise.
    async fn get_token<E>(&self, req: &GetTokenRequest) -> Result<TokenGrant, Error>
    where
        E: Endpoint<Request = GetTokenRequest, Response = GetTokenResponse>,
    {
        let resp = self.send::<E>(req).await?;
        if resp.body.result_code == "103000" && !resp.body.token.is_empty() {
            Ok(TokenGrant {
                token: resp.body.token,
                user_information: resp.body.user_information,
            })
        } else {
            Err(carrier(&resp.body.result_code, &resp.body.result_desc))
        }
    }

    /// UAID getMobile (businessType 3). Normally the page calls it; servers and tests may too.
    ///
    /// # Errors
    ///
    /// [`Error::Carrier`] unless the answer is `103000` with a token; [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when there is no usable answer.
    pub async fn uaid_get_token(&self, expand: &ExpandParams) -> Result<TokenGrant, Error> {
        let req = self.get_token_request(wire::BUSINESS_TYPE_UAID, expand);
        self.get_token::<UaidGetMobile>(&req).await
    }

    /// Mini-program getTokenInfo (businessType 5), as the mini-program JSSDK sends it.
    ///
    /// # Errors
    ///
    /// As [`uaid_get_token`](Self::uaid_get_token).
    pub async fn mini_get_token_info(&self, expand: &ExpandParams) -> Result<TokenGrant, Error> {
        let mut req = self.get_token_request(wire::BUSINESS_TYPE_MINI, expand);
        req.open_type = Some("1".into());
        self.get_token::<MiniGetTokenInfo>(&req).await
    }

    /// The H5 JSSDK's getToken, done server-side (for tests and tools) on the carrier JSSDK's
    /// wire: the image request carrying the fingerprint, then the `{header, body}` POST with
    /// the preSign signed by the customer key. On the real platform only a device on the
    /// cellular network gets a token this way.
    ///
    /// # Errors
    ///
    /// [`Error::Crypto`] when signing the preSign fails; otherwise as
    /// [`uaid_get_token`](Self::uaid_get_token), for the getToken POST (a failed image request
    /// is only logged).
    pub async fn h5_get_token(
        &self,
        expand: &ExpandParams,
        user_information: &str,
    ) -> Result<TokenGrant, Error> {
        let header = H5TokenHeader {
            version: "1.0".into(),
            msg_id: random_id(),
            timestamp: Self::now17(),
            app_id: self.cfg.app_id.clone(),
        };
        let mut env = H5TokenEnvelope {
            body: H5TokenBody {
                expand_params: if expand.is_empty() {
                    String::new()
                } else {
                    expand.encode()
                },
                sign: String::new(),
                uuid: random_id(),
            },
            header,
        };
        env.body.sign = sign_string::<H5GetToken>(&env).sign(&self.cfg.customer_key)?;
        let image = H5ImageQuery {
            version: env.header.version.clone(),
            app_id: env.header.app_id.clone(),
            open_type: "1".into(),
            expand_params: env.body.expand_params.clone(),
            msg_id: env.header.msg_id.clone(),
            timestamp: env.header.timestamp.clone(),
            uuid: env.body.uuid.clone(),
            user_information: user_information.to_owned(),
        };
        // The image only tells the platform who is asking; whether it loaded shows in the
        // getToken answer, which is the one to report.
        if let Err(e) = self
            .transport
            .send(&self.url::<H5Image>(), RequestStyle::GetQuery, &image)
            .await
        {
            tracing::debug!(error = %e, "the H5 image request failed; asking for the token anyway");
        }
        let resp = self.send::<H5GetToken>(&env).await?;
        if resp.header.result_code == "103000" && !resp.body.token.is_empty() {
            Ok(TokenGrant {
                token: resp.body.token,
                user_information: Some(user_information.to_owned()),
            })
        } else {
            Err(carrier(&resp.header.result_code, &resp.body.result_desc))
        }
    }

    /// Sign the page's preSign — only if it is a well-formed preSign for this appId whose
    /// timestamp is within `max_age` of `now`, so the business server never signs arbitrary
    /// bytes for a caller.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when it is not a preSign for this appId (see [`PreSign::parse`]) or its
    /// timestamp is more than `max_age` before or after `now`; [`Error::Crypto`] when signing
    /// fails.
    pub fn sign_pre_sign(
        &self,
        pre_sign: &str,
        now: DateTime<Utc>,
        max_age: Duration,
    ) -> Result<String, Error> {
        let p =
            PreSign::parse(pre_sign, &self.cfg.app_id).map_err(|e| Error::Input(e.to_string()))?;
        let age = (now - p.timestamp.instant())
            .num_milliseconds()
            .unsigned_abs();
        if age > max_age.as_millis() as u64 {
            return Err(Error::Input(format!(
                "preSign timestamp is {} s away from now (limit {} s): stale or replayed",
                age / 1000,
                max_age.as_secs()
            )));
        }
        Ok(cmcc_proto::sign::pre_sign(
            &p.app_id,
            &p.msg_id,
            &p.timestamp.to_string(),
            &p.uuid,
            &p.version,
        )
        .sign(&self.cfg.customer_key)?)
    }

    /// The MD5 `sign` of getToken / getTokenInfo for a page (msgId = traceId).
    pub fn md5_sign(
        &self,
        business_type: &str,
        trace_id: &str,
        timestamp: &str,
        version: &str,
    ) -> String {
        Md5SignInput {
            app_id: &self.cfg.app_id,
            business_type,
            msg_id: trace_id,
            timestamp,
            trace_id,
            version,
            app_key: self.cfg.app_key.expose(),
        }
        .sign()
    }
}

/// A refusal of the auth platform.
fn carrier(code: &str, desc: &str) -> Error {
    Error::Carrier(CarrierError::new(Platform::Passport, code, desc))
}
