//! The usage count (111075) and the daily cap (121011) hold under simultaneous verifications:
//! at a limit of 1, exactly one of many requests arriving together is billed, and a request that
//! is not billed gives its unit back.

use std::sync::Arc;

use cmcc_sandbox::auth::tenant::AppConfig;
use cmcc_testkit::{within, DEADLINE};
use serde_json::json;

use crate::support::auth::{verify_request, Creds, Sbx};

const ROUNDS: usize = 8;
const AT_ONCE: usize = 8;

/// Send the verifications of `tokens` at the same moment; the codes answered.
async fn verify_together(
    s: &Arc<Sbx>,
    c: &Creds,
    tokens: Vec<(String, String, String)>,
) -> Vec<String> {
    let reqs: Vec<_> = tokens
        .into_iter()
        .map(|(phone, t, u)| verify_request(c, &phone, &t, &u))
        .collect();
    let barrier = Arc::new(tokio::sync::Barrier::new(reqs.len()));
    let tasks: Vec<_> = reqs
        .into_iter()
        .map(|req| {
            let (s, barrier) = (s.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                s.verify_code(&req).await
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        let code = within("a verification to answer", DEADLINE, t)
            .await
            .expect("the verification task ran");
        codes.push(code);
    }
    codes.sort();
    codes
}

fn billed(codes: &[String]) -> usize {
    codes.iter().filter(|c| *c == "000" || *c == "001").count()
}

/// `ROUNDS` times: a fresh app with a limit of 1 (set by `limit`), `AT_ONCE` tokens of the
/// numbers `phone(round, i)` verified together; exactly one is billed, the others answer
/// `refusal`; `then` checks more after each round.
async fn one_of_many(
    limit: impl Fn(&mut AppConfig),
    phone: impl Fn(usize, usize) -> String,
    refusal: &str,
    mut then: impl FnMut(&Sbx, &Creds, usize),
) {
    let s = Arc::new(Sbx::demo().await);
    for round in 0..ROUNDS {
        let c = s.add_app(&limit).await;
        let mut tokens = Vec::new();
        for i in 0..AT_ONCE {
            let phone = phone(round, i);
            let (_, t, u) = s.h5_token(&c, &phone).await;
            assert!(!t.is_empty(), "a token for {phone}");
            tokens.push((phone, t, u));
        }
        let codes = verify_together(&s, &c, tokens).await;
        assert_eq!(billed(&codes), 1, "round {round}: {codes:?}");
        assert_eq!(
            codes.iter().filter(|c| *c == refusal).count(),
            AT_ONCE - 1,
            "round {round}: {codes:?}"
        );
        then(&s, &c, round);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn usage_limit_of_one_bills_one_of_many_simultaneous_verifications() {
    one_of_many(
        |a| a.usage_limit = Some(1),
        |round, i| format!("1380013{:04}", round * AT_ONCE + i),
        "111075",
        |s, c, round| assert_eq!(s.run.sandbox.auth.usage(&c.app_id), 1, "round {round}"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn daily_cap_of_one_passes_one_of_many_simultaneous_verifications() {
    one_of_many(
        |a| a.daily_cap = 1,
        |round, _| format!("1390013{round:04}"),
        "121011",
        |_, _, _| {},
    )
    .await;
}

#[tokio::test]
async fn an_answer_that_is_not_billed_gives_its_unit_back() {
    let s = Sbx::demo().await;
    let c = s
        .add_app(|a| {
            a.usage_limit = Some(1);
            a.daily_cap = 1;
        })
        .await;
    let phone = "13800138000";
    // A spent token: 120020 after the limits were passed, not billed.
    let (_, t, u) = s.h5_token(&c, phone).await;
    assert_eq!(s.verify(&c, phone, "not-a-token", &u).await, "120020");
    assert_eq!(s.run.sandbox.auth.usage(&c.app_id), 0);
    // The unit and the number's daily verification are still there.
    assert_eq!(s.verify(&c, phone, &t, &u).await, "000");
    assert_eq!(s.run.sandbox.auth.usage(&c.app_id), 1);
    let (_, t, u) = s.h5_token(&c, phone).await;
    assert_eq!(s.verify(&c, phone, &t, &u).await, "111075");
    let usage = s.get_json("/_sandbox/auth/apps").await;
    let app = usage["apps"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["app_id"] == json!(c.app_id)).cloned())
        .unwrap_or_default();
    assert_eq!(app["usage_used"], 1, "{usage}");
}
