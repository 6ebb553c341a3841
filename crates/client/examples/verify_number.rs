//! Number verification against `cmcc sandbox`: get a token the way the page's JSSDK does, then
//! ask the platform whether a typed number is the device's own.
//!
//! ```sh
//! cmcc sandbox &            # http://127.0.0.1:8700
//! cargo run -p cmcc-client --example verify_number [SANDBOX_URL]
//! ```

#[path = "common/mod.rs"]
mod demo;

use cmcc_client::{PassportBase, PassportClient, PassportConfig, Verification};
use cmcc_proto::format::ExpandParams;
use cmcc_proto::{Phone, PrivateKey, PublicKey, Secret};

/// The example's work; returns what it printed (the tests run it against an in-process sandbox).
pub(crate) async fn run(base: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut cfg = PassportConfig::new(
        PassportBase::single(base),
        demo::APP_ID,
        Secret::new(demo::APP_KEY),
        PrivateKey::parse(&demo::demo_key("customer_private_key"))?,
        PublicKey::parse(&demo::demo_key("platform_public_key"))?,
    );
    // In the sandbox, the "device" is named by a header; the page's origin is the sandbox's.
    cfg.headers = vec![
        (demo::DEVICE_HEADER.into(), "13800138000".into()),
        ("referer".into(), format!("{base}/login.html")),
        ("origin".into(), base.to_owned()),
    ];
    let client = PassportClient::new(cfg)?;
    let mut out = Vec::new();
    for typed in ["13800138000", "13900139000"] {
        // 1. The page: YDRZ.getTokenInfo → token + userInformation (done here server-side).
        let grant = client
            .h5_get_token(&ExpandParams::new(), "example-fingerprint")
            .await?;
        let user_information = grant.user_information.clone().unwrap_or_default();
        // 2. The business server: verifyVmMobileApi with the number the user typed.
        let phone = Phone::parse(typed)?;
        let outcome = client
            .verify_number(&phone, &grant.token, &user_information)
            .await?;
        let line = match outcome.result {
            Verification::Match => {
                format!("{phone}: is this device's number (code {})", outcome.code)
            }
            Verification::NoMatch => {
                format!("{phone}: NOT this device's number (code {})", outcome.code)
            }
        };
        println!("{line}");
        out.push(line);
    }
    // A rejection arrives typed, with the carrier's meaning and a fix hint.
    let phone = Phone::parse("13800138000")?;
    if let Err(e) = client.verify_number(&phone, "spent-or-unknown", "x").await {
        let line = format!("a bad token: {e}");
        println!("{line}");
        out.push(line);
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(&demo::sandbox_url()).await.map(|_| ())
}
