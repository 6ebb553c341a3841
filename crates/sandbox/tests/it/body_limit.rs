//! Oversized bodies get the platform's envelope and `Connection: close`, and a keep-alive client's
//! next request on the same pool still works.

use cmcc_proto::wire::{onelink, passport};
use cmcc_testkit::{within, DEADLINE};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::header;

fn big_json(size: usize) -> String {
    format!("{{\"pad\":\"{}\"}}", "x".repeat(size))
}

/// POST `size` bytes of JSON to `path`; status, `Connection` header, JSON answer.
async fn post_big(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    size: usize,
) -> (u16, String, Value) {
    let r = http
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(big_json(size))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let conn = header(&r, "connection");
    let body = r.text().await.unwrap();
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, conn, v)
}

#[tokio::test]
async fn oversized_bodies_get_the_envelope_and_a_clean_close() {
    let sb = cmcc_testkit::spawn_sandbox().await;
    let http = reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .unwrap();
    let after = |what: String| {
        let (http, base) = (http.clone(), sb.base_url.clone());
        async move {
            let ok = http
                .get(format!("{base}/_sandbox/journal?limit=1"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{what}: the next request failed: {e}"));
            assert_eq!(ok.status(), 200, "{what}: the next request");
        }
    };
    for size in [2_500_000, 3_500_000] {
        let (status, conn, v) =
            post_big(&http, &sb.base_url, passport::VERIFY_VM_MOBILE_PATH, size).await;
        assert_eq!(status, 200, "{size}: {v}");
        assert_eq!(conn, "close", "{size}");
        assert_eq!(v["header"]["resultCode"], "130032", "{size}: {v}");
        assert_eq!(v["body"]["resultCode"], "130032", "{size}: {v}");
        after(format!("auth {size}")).await;

        let (status, conn, v) = post_big(&http, &sb.base_url, onelink::TOKEN_PATH, size).await;
        assert_eq!(status, 200, "{size}: {v}");
        assert_eq!(conn, "close", "{size}");
        assert_eq!(v["status"], "12001", "{size}: {v}");
        assert!(v["result"].as_array().unwrap().is_empty(), "{size}: {v}");
        after(format!("onelink {size}")).await;

        let (status, conn, v) = post_big(&http, &sb.base_url, "/_sandbox/faults", size).await;
        assert_eq!(status, 413, "{size}: {v}");
        assert_eq!(conn, "close", "{size}");
        assert!(v["error"].is_string(), "{size}: {v}");
        after(format!("admin {size}")).await;
    }
    // Under the limit the endpoint itself answers (with its taskId), connection kept.
    let (status, conn, v) = post_big(
        &http,
        &sb.base_url,
        passport::VERIFY_VM_MOBILE_PATH,
        1_000_000,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_ne!(conn, "close");
    assert!(v["body"]["taskId"].is_string(), "{v}");
}

/// A chunked body (no declared length) that grows past the limit: the same envelope, then the
/// server closes the connection after its answer.
#[tokio::test]
async fn an_oversized_chunked_body_is_answered_then_closed() {
    let sb = cmcc_testkit::spawn_sandbox().await;
    let mut tcp = tokio::net::TcpStream::connect(sb.addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        passport::VERIFY_VM_MOBILE_PATH,
        sb.addr
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let body = big_json(3_000_000).into_bytes();
    let (mut rd, mut wr) = tcp.into_split();
    let writer = tokio::spawn(async move {
        for c in body.chunks(64 * 1024) {
            let frame = [format!("{:x}\r\n", c.len()).as_bytes(), c, b"\r\n"].concat();
            if wr.write_all(&frame).await.is_err() {
                return;
            }
        }
        let _ = wr.write_all(b"0\r\n\r\n").await;
    });
    let mut answer = Vec::new();
    within(
        "the server to answer and close",
        DEADLINE,
        rd.read_to_end(&mut answer),
    )
    .await
    .unwrap();
    writer.abort();
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert!(text.contains("130032"), "{text}");
}
