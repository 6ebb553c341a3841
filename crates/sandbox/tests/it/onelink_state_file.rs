//! OneLink state survives a restart on the same state file: the inventory (a card registered
//! before the stop), tokens, a registration left pending (completed after the restart), and a
//! push that was on the wire when the sandbox stopped (delivered after the restart).
//!
//! Real time: the state saver and the push dispatcher both run on tokio timers while the
//! sandboxes and the receiver answer over loopback, so a paused clock would fire the push's
//! timeout while the receiver is still answering.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cmcc_proto::wire::onelink::{IDENTITY_INFO_PATH, REAL_NAME_REG_PATH};
use cmcc_sandbox::onelink::config::PushConfig;
use cmcc_sandbox::onelink::OneLinkConfig;
use cmcc_testkit::{Sandbox, DEMO_ENTERPRISE};
use serde_json::json;

use crate::support::onelink::{
    complete, get, link, post, token, transid, wait_push, Answer, Receiver, FRESH, GENERATED,
};

async fn start(file: &Path, callback: Option<String>) -> Sandbox {
    crate::support::onelink::start(OneLinkConfig {
        demo_callback_url: callback,
        demo_generate_cards: 3,
        state_file: Some(file.to_owned()),
        push: PushConfig {
            timeout_ms: 30_000,
            resend_interval_ms: 20,
            ..Default::default()
        },
        ..Default::default()
    })
    .await
}

/// The busiSeq of a urlType-6 link for `msisdn`.
async fn busi_seq(sb: &Sandbox, tok: &str, msisdn: &str) -> String {
    link(sb, tok, msisdn, "6").await["busiSeq"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_the_same_state_file_continues_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("onelink.json");
    let hang = Arc::new(AtomicBool::new(true));
    let receiver = Receiver::start(Answer::HangWhile(hang.clone())).await;

    let a = start(&file, Some(receiver.url.clone())).await;
    let tok = token(&a).await;
    // Registered before the stop; its push hangs at the receiver (on the wire at the stop).
    let done = busi_seq(&a, &tok, FRESH).await;
    complete(&a, &done, "pass").await;
    wait_push(&a, &done, "delivering").await;
    // Left pending: the link is issued, the user has not submitted yet.
    let pending = busi_seq(&a, &tok, GENERATED).await;
    a.stop();
    assert!(file.exists(), "the state file is written");
    assert_eq!(receiver.acked(), 0);

    hang.store(false, Ordering::SeqCst);
    // The configured callback is gone: the one saved in the state file is used.
    let b = start(&file, None).await;
    // The token of the first run still works, and the card registered there is registered.
    let identity = format!(
        "{IDENTITY_INFO_PATH}?transid={}&token={tok}&msisdn={FRESH}",
        transid(DEMO_ENTERPRISE)
    );
    let v = get(&b, &identity).await;
    assert_eq!(v["status"], "0", "{v}");
    let v = post(
        &b,
        REAL_NAME_REG_PATH,
        &json!({"transid": transid(DEMO_ENTERPRISE), "token": tok, "msisdn": FRESH, "urlType": "6"}),
    )
    .await;
    assert_eq!(
        v["status"], "12013",
        "already registered after the restart: {v}"
    );
    // The push that was on the wire is delivered again.
    wait_push(&b, &done, "delivered").await;
    assert_eq!(receiver.acked(), 1);
    // The pending registration completes in the second run, and its push goes out.
    complete(&b, &pending, "pass").await;
    wait_push(&b, &pending, "delivered").await;
    let card = get(&b, &format!("/_sandbox/onelink/cards/{GENERATED}")).await;
    assert_eq!(card["registered"], true, "{card}");
    b.stop();

    // Without the file the sandbox starts clean.
    std::fs::remove_file(&file).unwrap();
    let c = start(&file, None).await;
    let card = get(&c, &format!("/_sandbox/onelink/cards/{GENERATED}")).await;
    assert_eq!(card["registered"], false, "{card}");
    let v = get(&c, &identity).await;
    assert_eq!(v["status"], "12021", "the old token is unknown: {v}");
    c.stop();
}
