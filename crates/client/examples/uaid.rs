//! UAID against `cmcc sandbox`: getMobile (businessType 3) gives a token, imeiTokenValidate
//! turns it into the device's stable UAID.
//!
//! ```sh
//! cargo run -p cmcc-client --example uaid [SANDBOX_URL]
//! ```

#[path = "common/mod.rs"]
mod demo;

use cmcc_client::{PassportBase, PassportClient, PassportConfig};
use cmcc_proto::format::ExpandParams;
use cmcc_proto::{PrivateKey, PublicKey, Secret};

pub(crate) async fn run(base: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut cfg = PassportConfig::new(
        PassportBase::single(base),
        demo::APP_ID,
        Secret::new(demo::APP_KEY),
        PrivateKey::parse(&demo::demo_key("customer_private_key"))?,
        PublicKey::parse(&demo::demo_key("platform_public_key"))?,
    );
    cfg.headers = vec![
        (demo::DEVICE_HEADER.into(), "19812345678; 5g".into()),
        ("referer".into(), format!("{base}/app.html")),
        ("origin".into(), base.to_owned()),
    ];
    let client = PassportClient::new(cfg)?;
    let mut out = Vec::new();
    let first = client.uaid_get_token(&ExpandParams::new()).await?;
    let uaid = client.validate_uaid(&first.token).await?;
    out.push(format!("UAID: {uaid}"));
    let again = client.uaid_get_token(&ExpandParams::new()).await?;
    let same = client.validate_uaid(&again.token).await? == uaid;
    out.push(format!("same UAID on the next login: {same}"));
    // Tokens are single use.
    if let Err(e) = client.validate_uaid(&first.token).await {
        out.push(format!("reusing a token: {e}"));
    }
    for line in &out {
        println!("{line}");
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(&demo::sandbox_url()).await.map(|_| ())
}
