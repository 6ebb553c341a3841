//! Helpers of the auth-platform HTTP tests: a running sandbox and requests built the way a
//! real client builds them.

use chrono::Utc;
use cmcc_proto::format::ExpandParams;
use cmcc_proto::ids::{Phone, Secret};
use cmcc_proto::wire::passport::{
    self as wire, GetTokenRequest, H5GetTokenRequest, ImeiValidateRequest, VerifyInput,
    VerifyRequest,
};
use cmcc_proto::{PrivateKey, PublicKey, Timestamp17};
use cmcc_sandbox::auth::tenant::{AppConfig, DEMO_APP_ID};
use cmcc_testkit::{Sandbox, SandboxConfig, DEVICE_HEADER};
use serde_json::{json, Value};

/// A running sandbox, a client and its base URL.
pub(crate) struct Sbx {
    pub(crate) run: Sandbox,
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
}

/// An app as a client knows it.
#[derive(Clone)]
pub(crate) struct Creds {
    pub(crate) app_id: String,
    pub(crate) app_key: String,
    pub(crate) customer: PrivateKey,
    pub(crate) platform: PublicKey,
}

pub(crate) fn now17() -> String {
    Timestamp17::from_utc(Utc::now()).to_string()
}

pub(crate) fn hex32() -> String {
    let b: [u8; 16] = rand::random();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Sbx {
    pub(crate) async fn start(config: SandboxConfig) -> Self {
        let run = cmcc_testkit::spawn_sandbox_with(config).await;
        let base = run.base_url.clone();
        Self {
            run,
            http: cmcc_testkit::http(),
            base,
        }
    }

    pub(crate) async fn demo() -> Self {
        Self::start(SandboxConfig::default()).await
    }

    /// Credentials of an app that exists in the sandbox (customer private key from its config).
    pub(crate) fn creds(&self, app_id: &str) -> Creds {
        let app = self.run.sandbox.auth.app(app_id).unwrap();
        Creds {
            app_id: app.cfg.app_id.clone(),
            app_key: app.cfg.app_key.clone(),
            customer: PrivateKey::parse(&app.cfg.customer_private_key).unwrap(),
            platform: PublicKey::parse(&app.platform_public_b64).unwrap(),
        }
    }

    pub(crate) fn demo_creds(&self) -> Creds {
        self.creds(DEMO_APP_ID)
    }

    /// Register an app through the admin API with a fresh customer key pair.
    pub(crate) async fn add_app(&self, edit: impl FnOnce(&mut AppConfig)) -> Creds {
        let customer = PrivateKey::generate(1024).unwrap();
        let mut cfg = AppConfig::new(&format!("3000{}", &hex32()[..8]), &hex32().to_uppercase());
        cfg.customer_public_key = customer.public_key().unwrap().to_base64().unwrap();
        cfg.customer_private_key = customer.to_base64().unwrap();
        cfg.referers = vec![format!("{}/", self.base)];
        cfg.origins = vec![self.base.clone()];
        edit(&mut cfg);
        let (status, v) = self.post_json("/_sandbox/auth/apps", &json!(cfg)).await;
        assert_eq!(status, 200, "{v}");
        Creds {
            app_id: cfg.app_id,
            app_key: cfg.app_key,
            customer,
            platform: PublicKey::parse(v["platform_public_key"].as_str().unwrap()).unwrap(),
        }
    }

    pub(crate) async fn post_raw(
        &self,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut rb = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) async fn post(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Value {
        let (status, v) = self.post_raw(path, &body.to_string(), headers).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    /// Headers a page on the sandbox's own origin sends (registered for the demo app).
    pub(crate) fn page_headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("referer", format!("{}/demo/page.html", self.base)),
            ("origin", self.base.clone()),
        ]
    }

    pub(crate) async fn get_json(&self, path: &str) -> Value {
        cmcc_testkit::get_json(&self.http, &format!("{}{path}", self.base))
            .await
            .1
    }

    /// `POST path` with a JSON body: status and answer.
    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        cmcc_testkit::post_json(&self.http, &format!("{}{path}", self.base), body).await
    }

    /// `method path` with an optional JSON body: the status.
    pub(crate) async fn status(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> u16 {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            rb = rb.json(&body);
        }
        rb.send().await.unwrap().status().as_u16()
    }

    /// An admin call that must succeed: its answer (a JSON string when it is not JSON).
    pub(crate) async fn admin(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.post_json(path, &body).await;
        assert!((200..300).contains(&status), "{path}: {status} {v}");
        v
    }

    /// The newest journal entry with this code.
    pub(crate) async fn journal_entry(&self, code: &str) -> Value {
        let v = self
            .get_json(&format!(
                "/_sandbox/journal?platform=auth&code={code}&limit=1"
            ))
            .await;
        v["entries"][0].clone()
    }
}

// ------------------------------------------------------------------ request builders

pub(crate) fn h5_request(c: &Creds, expand: &str) -> H5GetTokenRequest {
    let mut req = H5GetTokenRequest {
        app_id: c.app_id.clone(),
        msg_id: hex32(),
        timestamp: now17(),
        uuid: hex32(),
        version: "1.0".into(),
        sign: String::new(),
        expand_params: (!expand.is_empty()).then(|| expand.to_owned()),
        user_information: Some("fp-h5-test".into()),
    };
    req.sign = req.pre_sign().sign(&c.customer).unwrap();
    req
}

pub(crate) fn md5_request(c: &Creds, business_type: &str, expand: &str) -> GetTokenRequest {
    let trace = hex32();
    let mut req = GetTokenRequest {
        trace_id: trace.clone(),
        app_id: c.app_id.clone(),
        sign: String::new(),
        msg_id: trace,
        expand_params: (!expand.is_empty()).then(|| expand.to_owned()),
        business_type: business_type.into(),
        version: "1.0".into(),
        timestamp: now17(),
        open_type: None,
        is_test: None,
        user_information: None,
    };
    req.sign = req.md5_input(&c.app_key).sign();
    req
}

pub(crate) fn verify_request(c: &Creds, phone: &str, token: &str, ui: &str) -> VerifyRequest {
    let key = Secret::new(c.app_key.clone());
    VerifyRequest::build(
        VerifyInput {
            app_id: &c.app_id,
            app_key: &key,
            msg_id: &hex32(),
            timestamp: &now17(),
            version: "1.0",
            phone: &Phone::parse(phone).unwrap(),
            token,
            user_information: ui,
        },
        &c.platform,
        &c.customer,
    )
    .unwrap()
}

pub(crate) fn imei_request(c: &Creds, token: &str) -> ImeiValidateRequest {
    ImeiValidateRequest::build(&c.app_id, &hex32(), &now17(), token, &c.customer).unwrap()
}

pub(crate) fn phone_expand(phone: &str) -> String {
    ExpandParams::new().with("phoneNum", phone).encode()
}

/// The getToken family's result code, token and userInformation.
pub(crate) fn token_of(v: &Value) -> (String, String, String) {
    let b = &v["body"];
    (
        b["resultCode"].as_str().unwrap_or("").to_owned(),
        b["token"].as_str().unwrap_or("").to_owned(),
        b["userInformation"].as_str().unwrap_or("").to_owned(),
    )
}

impl Sbx {
    /// H5 getToken from the registered page for `device` (header spec).
    pub(crate) async fn h5_token(&self, c: &Creds, device: &str) -> (String, String, String) {
        let req = h5_request(c, "");
        let h = self.page_headers();
        let mut headers: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if !device.is_empty() {
            headers.push((DEVICE_HEADER, device));
        }
        token_of(
            &self
                .post(wire::H5_GET_TOKEN_PATH, &json!(req), &headers)
                .await,
        )
    }

    pub(crate) async fn mini_token(&self, c: &Creds, device: &str) -> (String, String, String) {
        let req = md5_request(c, wire::BUSINESS_TYPE_MINI, "");
        token_of(
            &self
                .post(
                    wire::MINI_GET_TOKEN_INFO_PATH,
                    &json!(req),
                    &[(DEVICE_HEADER, device)],
                )
                .await,
        )
    }

    pub(crate) async fn uaid_token(&self, c: &Creds, device: &str) -> (String, String, String) {
        let req = md5_request(c, wire::BUSINESS_TYPE_UAID, "");
        let h = self.page_headers();
        let mut headers: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        headers.push((DEVICE_HEADER, device));
        token_of(
            &self
                .post(wire::UAID_GET_MOBILE_PATH, &json!(req), &headers)
                .await,
        )
    }

    /// verifyVmMobileApi's `header.resultCode`.
    pub(crate) async fn verify_code(&self, req: &VerifyRequest) -> String {
        let v = self
            .post(wire::VERIFY_VM_MOBILE_PATH, &json!(req), &[])
            .await;
        v["header"]["resultCode"].as_str().unwrap_or("").to_owned()
    }

    pub(crate) async fn verify(&self, c: &Creds, phone: &str, token: &str, ui: &str) -> String {
        self.verify_code(&verify_request(c, phone, token, ui)).await
    }

    /// imeiTokenValidate's code and UAID.
    pub(crate) async fn imei(&self, req: &ImeiValidateRequest) -> (String, Option<String>) {
        let v = self
            .post(wire::IMEI_TOKEN_VALIDATE_PATH, &json!(req), &[])
            .await;
        (
            v["body"]["resultCode"].as_str().unwrap_or("").to_owned(),
            v["body"]["UAID"].as_str().map(str::to_owned),
        )
    }
}
