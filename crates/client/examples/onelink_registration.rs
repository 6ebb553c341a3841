//! OneLink against `cmcc sandbox`: ask for a real-name registration link for an IoT card
//! (urlType 6: an H5 page; urlType 3: mini-program parameters), then query its state.
//!
//! ```sh
//! cargo run -p cmcc-client --example onelink_registration [SANDBOX_URL]
//! ```

#[path = "common/mod.rs"]
mod demo;

use std::sync::Arc;

use cmcc_client::{MemoryTokenStore, OneLinkBase, OneLinkClient, OneLinkConfig};
use cmcc_proto::wire::onelink::UrlType;
use cmcc_proto::{CardId, Secret};

pub(crate) async fn run(base: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let cfg = OneLinkConfig::new(
        OneLinkBase::sandbox(base),
        demo::ONELINK_APPID,
        Secret::new(demo::ONELINK_PASSWORD),
    );
    // One client per account, shared: it holds the token cache and the transid sequence.
    let client = OneLinkClient::new(cfg, Arc::new(MemoryTokenStore::new()))?;
    let mut out = Vec::new();
    // Magic card 1: unregistered (MAGIC-ONELINK.md).
    let card = CardId::from_fields(Some("1440000000001"), None, None)?;
    for url_type in [UrlType::H5JumpMiniProgram, UrlType::MiniProgram] {
        match client.registration_link(&card, url_type, None).await {
            Ok(link) => out.push(format!(
                "urlType {}: busiSeq {} → {}",
                url_type.code(),
                link.busi_seq,
                link.url
            )),
            // 12012 (one per card and urlType per minute) or 12013 (already registered) on a
            // second run: a typed carrier error with its meaning and hint, not a failure here.
            Err(e) if e.carrier_code().is_some() => {
                out.push(format!("urlType {}: {e}", url_type.code()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let info = client.identity_info(&card).await?;
    out.push(format!("{card}: registered = {}", info.status == "1"));
    let registered = CardId::from_fields(Some("1440000000002"), None, None)?;
    let info = client.identity_info(&registered).await?;
    out.push(format!(
        "{registered}: registered = {} (type {:?}, archived {:?})",
        info.status == "1",
        info.registration_type,
        info.archive_time
    ));
    let status = client.real_name_status(&registered).await?;
    out.push(format!(
        "{registered}: 23A10 realNameStatus = {}",
        status.real_name_status
    ));
    out.push(format!("token fetches: {}", client.token_fetches()));
    for line in &out {
        println!("{line}");
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(&demo::sandbox_url()).await.map(|_| ())
}
