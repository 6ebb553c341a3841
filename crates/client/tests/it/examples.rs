//! Every example's logic, run against an in-process sandbox so the examples cannot rot.

// Each example includes the shared demo module, as it does when built alone.
#[allow(dead_code, reason = "main is for `cargo run --example`")]
#[allow(clippy::duplicate_mod, reason = "the demo module of each example")]
#[path = "../../examples/verify_number.rs"]
mod verify_number;

#[allow(dead_code, reason = "main is for `cargo run --example`")]
#[allow(clippy::duplicate_mod, reason = "the demo module of each example")]
#[path = "../../examples/uaid.rs"]
mod uaid;

#[allow(dead_code, reason = "main is for `cargo run --example`")]
#[allow(clippy::duplicate_mod, reason = "the demo module of each example")]
#[path = "../../examples/onelink_registration.rs"]
mod onelink_registration;

use cmcc_testkit::spawn_sandbox;

#[tokio::test]
async fn verify_number_example() {
    let sb = spawn_sandbox().await;
    let out = verify_number::run(&sb.base_url).await.unwrap();
    assert!(out[0].contains("is this device's number"), "{out:?}");
    assert!(out[1].contains("NOT this device's number"), "{out:?}");
    assert!(out[2].contains("120020"), "{out:?}");
}

#[tokio::test]
async fn uaid_example() {
    let sb = spawn_sandbox().await;
    let out = uaid::run(&sb.base_url).await.unwrap();
    assert_eq!(out[0].len(), "UAID: ".len() + 64, "{out:?}");
    assert!(out[1].ends_with("true"), "{out:?}");
    assert!(out[2].contains("120009"), "{out:?}");
}

#[tokio::test]
async fn onelink_registration_example() {
    let sb = spawn_sandbox().await;
    let out = onelink_registration::run(&sb.base_url).await.unwrap();
    assert!(out[0].contains("/onelink/h5/reg/"), "{out:?}");
    assert!(out[1].starts_with("urlType 3: busiSeq"), "{out:?}");
    assert!(out[3].contains("registered = true"), "{out:?}");
    assert!(
        out.last().unwrap().ends_with("1"),
        "one token for every call: {out:?}"
    );
    // Run again at once: the per-minute window answers 12012, reported, not failed.
    let again = onelink_registration::run(&sb.base_url).await.unwrap();
    assert!(again[0].contains("12012"), "{again:?}");
}
