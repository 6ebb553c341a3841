//! Admin refusals are JSON `{"error"}` with a 4xx status — unreadable bodies and queries too.

use serde_json::Value;

use crate::support::header;

async fn refused(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let ctype = header(&r, "content-type");
    let text = r.text().await.unwrap();
    assert!(
        ctype.starts_with("application/json"),
        "{status} {ctype}: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    (status, v)
}

#[tokio::test]
async fn onelink_admin_refusals_are_json() {
    let sb = cmcc_testkit::spawn_sandbox().await;
    let http = cmcc_testkit::http();
    let url = |path: &str| format!("{}{path}", sb.base_url);
    for (what, request, want) in [
        (
            "a card that is not JSON",
            http.post(url("/_sandbox/onelink/cards"))
                .header("content-type", "application/json")
                .body("{not json"),
            400,
        ),
        (
            "an appid that is a number",
            http.post(url("/_sandbox/onelink/cards/generate"))
                .json(&serde_json::json!({"appid": 1})),
            422,
        ),
        (
            "JSON without its content type",
            http.post(url("/_sandbox/onelink/cards/generate"))
                .body("{}"),
            415,
        ),
        (
            "a limit that is not a number",
            http.get(url("/_sandbox/onelink/cards?limit=many")),
            400,
        ),
        (
            "the journal's limit that is not a number",
            http.get(url("/_sandbox/journal?limit=many")),
            400,
        ),
        (
            "a card not in the inventory",
            http.get(url("/_sandbox/onelink/cards/1449999999999")),
            404,
        ),
    ] {
        let r = request.send().await.unwrap();
        assert_eq!(refused(r).await.0, want, "{what}");
    }
    sb.stop();
}
