//! Oversized bodies get the platform's envelope and `Connection: close`, and a keep-alive client's
//! next request on the same pool still works.

use std::time::Duration;

use crate::support::auth::Sbx;
use cmcc_proto::wire::{onelink, passport};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    let conn = r
        .headers()
        .get("connection")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = r.text().await.unwrap();
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, conn, v)
}

#[tokio::test]
async fn oversized_bodies_get_the_envelope_and_a_clean_close() {
    let s = Sbx::demo().await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let after = |what: String| {
        let (http, base) = (http.clone(), s.base.clone());
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
            post_big(&http, &s.base, passport::VERIFY_VM_MOBILE_PATH, size).await;
        assert_eq!(status, 200, "{size}: {v}");
        assert_eq!(conn, "close", "{size}");
        assert_eq!(v["header"]["resultCode"], "130032", "{size}: {v}");
        assert_eq!(v["body"]["resultCode"], "130032", "{size}: {v}");
        after(format!("auth {size}")).await;

        let (status, conn, v) = post_big(&http, &s.base, onelink::TOKEN_PATH, size).await;
        assert_eq!(status, 200, "{size}: {v}");
        assert_eq!(conn, "close", "{size}");
        assert_eq!(v["status"], "12001", "{size}: {v}");
        assert!(v["result"].as_array().unwrap().is_empty(), "{size}: {v}");
        after(format!("onelink {size}")).await;

        let (status, conn, v) = post_big(&http, &s.base, "/_sandbox/faults", size).await;
        assert_eq!(status, 413, "{size}: {v}");
        assert_eq!(conn, "close", "{size}");
        assert!(v["error"].is_string(), "{size}: {v}");
        after(format!("admin {size}")).await;
    }
    // Under the limit the endpoint itself answers (with its taskId), connection kept.
    let (status, conn, v) =
        post_big(&http, &s.base, passport::VERIFY_VM_MOBILE_PATH, 1_000_000).await;
    assert_eq!(status, 200, "{v}");
    assert_ne!(conn, "close");
    assert!(v["body"]["taskId"].is_string(), "{v}");
}

/// A chunked body (no declared length) that grows past the limit: the same envelope, then the
/// server closes the connection after its answer.
#[tokio::test]
async fn an_oversized_chunked_body_is_answered_then_closed() {
    let s = Sbx::demo().await;
    let mut tcp = tokio::net::TcpStream::connect(s.run.addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        passport::VERIFY_VM_MOBILE_PATH,
        s.run.addr
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
    tokio::time::timeout(Duration::from_secs(30), rd.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes within 30 s")
        .unwrap();
    writer.abort();
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert!(text.contains("130032"), "{text}");
}
