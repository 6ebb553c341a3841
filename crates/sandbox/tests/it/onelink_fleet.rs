//! The OneLink fleet APIs over real HTTP: each one's answers and refusals, the change window,
//! batch jobs that finish later on the virtual clock, and the card life surviving a restart.

use cmcc_proto::endpoint::Endpoint;
use cmcc_proto::wire::onelink as wire;
use cmcc_sandbox::onelink::OneLinkConfig;
use cmcc_testkit::{Sandbox, DEMO_ENTERPRISE};
use serde_json::{json, Value};

use crate::support::onelink::{
    start, token, CANCELLED, DATA_OFF, FRESH as ACTIVE, FROZEN, OTHERS, PENDING, STOCK, STOPPED,
};

struct Fleet {
    sb: Sandbox,
    http: reqwest::Client,
    token: String,
}

impl Fleet {
    async fn start(cfg: OneLinkConfig) -> Self {
        let sb = start(cfg).await;
        let token = token(&sb).await;
        Self {
            sb,
            http: cmcc_testkit::http(),
            token,
        }
    }

    async fn raw(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.sb.base_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// Call `E` with token and transid added to `params`.
    async fn call<E: Endpoint>(&self, mut params: Value) -> Value {
        params["token"] = json!(self.token);
        params["transid"] = json!(transid());
        self.raw(E::METADATA.path, params).await
    }

    async fn card<E: Endpoint>(&self, msisdn: &str) -> Value {
        self.call::<E>(json!({ "msisdn": msisdn })).await
    }

    async fn advance(&self, seconds: i64) {
        let r = self
            .http
            .post(format!("{}/_sandbox/clock/advance", self.sb.base_url))
            .json(&json!({ "seconds": seconds }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    async fn change(&self, card: &str, oper: &str) -> Value {
        self.call::<wire::ChangeStatus>(json!({"msisdn": card, "operType": oper}))
            .await
    }

    async fn apn(&self, card: &str, oper: &str, name: &str) -> Value {
        self.call::<wire::SwitchApn>(json!({"msisdn": card, "operType": oper, "apnName": name}))
            .await
    }

    async fn state_of(&self, msisdn: &str) -> String {
        let v = self.card::<wire::QueryCardStatus>(msisdn).await;
        assert_eq!(v["status"], "0", "{v}");
        v["result"][0]["cardStatus"].as_str().unwrap().to_owned()
    }
}

fn transid() -> String {
    crate::support::onelink::transid(DEMO_ENTERPRISE)
}

fn status(v: &Value) -> &str {
    v["status"].as_str().unwrap_or("?")
}

#[tokio::test]
async fn queries_answer_from_the_card_life() {
    let f = Fleet::start(OneLinkConfig::default()).await;
    for (card, state) in [
        (ACTIVE, "2"),
        (STOPPED, "4"),
        (PENDING, "1"),
        (STOCK, "7"),
        (CANCELLED, "8"),
    ] {
        assert_eq!(f.state_of(card).await, state, "{card}");
    }
    let info = f.card::<wire::QueryBasicInfo>(ACTIVE).await;
    assert_eq!(info["result"][0]["iccid"], "89860424000000000001", "{info}");
    assert_ne!(info["result"][0]["activeDate"], " ");
    let never = f.card::<wire::QueryBasicInfo>(STOCK).await;
    assert_eq!(never["result"][0]["activeDate"], " ", "{never}");
    let imei = f.card::<wire::QueryImei>(ACTIVE).await;
    assert_eq!(
        imei["result"][0]["imei"].as_str().unwrap().len(),
        15,
        "{imei}"
    );
    assert_eq!(
        f.card::<wire::QueryImei>(STOCK).await["result"][0]["imei"],
        ""
    );

    // Usage grows with the virtual clock while the card is active with data on.
    let kb = |v: &Value| -> f64 {
        v["result"][0]["dataAmount"]
            .as_str()
            .unwrap()
            .trim()
            .parse()
            .unwrap_or(0.0)
    };
    let before = kb(&f.card::<wire::QueryDataUsage>(ACTIVE).await);
    f.advance(600).await;
    let after = kb(&f.card::<wire::QueryDataUsage>(ACTIVE).await);
    assert!(after > before + 50.0, "{before} → {after}");
    let off_before = kb(&f.card::<wire::QueryDataUsage>(DATA_OFF).await);
    let stopped = f.card::<wire::QueryDataUsage>(STOPPED).await;
    assert_eq!(stopped["result"][0]["dataAmount"], " ", "{stopped}");
    f.advance(600).await;
    assert_eq!(
        kb(&f.card::<wire::QueryDataUsage>(DATA_OFF).await),
        off_before
    );
    let margin = f.card::<wire::QueryDataMargin>(ACTIVE).await;
    let m = &margin["result"][0]["accmMarginList"][0];
    let (total, used, left): (f64, f64, f64) = (
        m["totalAmount"].as_str().unwrap().parse().unwrap(),
        m["useAmount"].as_str().unwrap().parse().unwrap(),
        m["remainAmount"].as_str().unwrap().parse().unwrap(),
    );
    assert!((total - used - left).abs() < 0.01 && used > 0.0, "{margin}");

    let online = f.card::<wire::QuerySessions>(ACTIVE).await;
    assert_eq!(
        online["result"][0]["simSessionList"][0]["status"], "01",
        "{online}"
    );
    let offline = f.card::<wire::QuerySessions>(DATA_OFF).await;
    assert_eq!(
        offline["result"][0]["simSessionList"],
        json!([]),
        "{offline}"
    );
    let functions = f.card::<wire::QueryFunctionStatus>(DATA_OFF).await;
    let list = functions["result"][0]["serviceTypeList"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(list.len(), 3, "{functions}");
    assert_eq!(list[2], json!({"serviceType": "11", "serviceStatus": "1"}));

    // Refusals shared by every card API.
    for (card, want) in [
        (OTHERS, "12011"),
        ("1440999999999", "12011"),
        ("14400000x0001", "12001"),
    ] {
        let v = f.card::<wire::QueryCardStatus>(card).await;
        assert_eq!(status(&v), want, "{card}: {v}");
    }
    let no_token = f
        .raw(
            wire::QueryCardStatus::METADATA.path,
            json!({"msisdn": ACTIVE, "token": "nope", "transid": transid()}),
        )
        .await;
    assert_eq!(status(&no_token), "12021");
}

#[tokio::test]
async fn status_changes_follow_transitions_and_the_window() {
    let f = Fleet::start(OneLinkConfig::default()).await;
    let stop = f.change(ACTIVE, "0").await;
    assert_eq!(status(&stop), "0", "{stop}");
    assert!(!stop["result"][0]["orderNum"].as_str().unwrap().is_empty());
    assert_eq!(f.state_of(ACTIVE).await, "4");
    assert_eq!(
        status(&f.change(ACTIVE, "1").await),
        "12015",
        "inside the window"
    );
    f.advance(181).await;
    for (what, card, oper, want) in [
        ("already stopped", ACTIVE, "0", "12048"),
        ("resume after the window", ACTIVE, "1", "0"),
        ("resume a stopped card", STOPPED, "1", "0"),
        ("resume a cancelled card", CANCELLED, "1", "12017"),
        ("stop a card in stock", STOCK, "0", "12017"),
        ("activate a card in stock", STOCK, "2", "0"),
        ("stop a frozen card", FROZEN, "0", "12015"),
        ("an unknown operType", PENDING, "7", "12001"),
        ("the other enterprise's card", OTHERS, "0", "12011"),
    ] {
        let v = f.change(card, oper).await;
        assert_eq!(status(&v), want, "{what}: {v}");
    }
    assert_eq!(f.state_of(ACTIVE).await, "2");
    assert_eq!(f.state_of(STOCK).await, "2");

    // Data on/off.
    for (what, oper, apn, want) in [
        ("data on while on", "1", "CMIOT", "12048"),
        ("another APN", "0", "OTHER", "12019"),
        ("no APN", "0", "", "12001"),
        ("data on", "0", "CMIOT", "0"),
        ("data on again", "0", "CMIOT", "12047"),
    ] {
        let v = f.apn(DATA_OFF, oper, apn).await;
        assert_eq!(status(&v), want, "{what}: {v}");
    }
    let online = f.card::<wire::QuerySessions>(DATA_OFF).await;
    assert_eq!(
        online["result"][0]["simSessionList"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // GPRS reset: a new session for an active card, 12017 without one.
    assert_eq!(status(&f.card::<wire::ResetGprs>(DATA_OFF).await), "0");
    assert_eq!(status(&f.card::<wire::ResetGprs>(PENDING).await), "12017");
}

#[tokio::test]
async fn batch_changes_are_jobs_that_finish_later_and_report_per_card() {
    let f = Fleet::start(OneLinkConfig {
        demo_generate_cards: 150,
        batch_job_delay_secs: 30,
        ..Default::default()
    })
    .await;
    let generated: Vec<String> = (1000..1101).map(|s| format!("1440{s:09}")).collect();
    let too_many = f
        .call::<wire::BatchChangeStatus>(json!({"msisdns": generated.join("_"), "operType": "1"}))
        .await;
    assert_eq!(status(&too_many), "12016", "{too_many}");
    let cards = [
        generated[0].as_str(),
        generated[1].as_str(),
        CANCELLED,
        OTHERS,
    ];
    // Batch operType 1 = 23S03's 0 (stop).
    let job = f
        .call::<wire::BatchChangeStatus>(json!({"msisdns": cards.join("_"), "operType": "1"}))
        .await;
    assert_eq!(status(&job), "0", "{job}");
    let job_id = job["result"][0]["jobId"].as_str().unwrap().to_owned();
    let running = f
        .call::<wire::QueryBatchJob>(json!({ "jobId": job_id }))
        .await;
    assert_eq!(running["result"][0]["jobStatus"], "1", "{running}");
    assert_eq!(f.state_of(&generated[0]).await, "2", "not yet");
    f.advance(31).await;
    // A card query settles the due job first: the change is visible before anyone asks for it.
    assert_eq!(f.state_of(&generated[0]).await, "4");
    let done = f
        .call::<wire::QueryBatchJob>(json!({ "jobId": job_id }))
        .await;
    assert_eq!(done["result"][0]["jobStatus"], "3", "some changed: {done}");
    let per_card: Vec<(String, String)> = done["result"][0]["resultList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["resultId"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect: Vec<(String, String)> = [
        (cards[0], "0"),
        (cards[1], "0"),
        (CANCELLED, "12017"),
        (OTHERS, "12011"),
    ]
    .iter()
    .map(|(c, s)| ((*c).to_owned(), (*s).to_owned()))
    .collect();
    assert_eq!(per_card, expect);
    assert_eq!(
        status(&f.call::<wire::QueryBatchJob>(json!({"jobId": "123"})).await),
        "12018"
    );
    assert_eq!(
        status(
            &f.call::<wire::BatchChangeStatus>(json!({"msisdns": ACTIVE, "operType": "0"}))
                .await
        ),
        "12001",
        "batch types are 23S03's + 1"
    );

    let info = f
        .call::<wire::QueryBatchCardInfo>(
            json!({"iccids": "89860424000000000001_89860424000000000005"}),
        )
        .await;
    let r = info["result"].as_array().unwrap();
    assert_eq!(
        (r[0]["status"].as_str(), r[0]["msisdn"].as_str()),
        (Some("0"), Some(ACTIVE)),
        "{info}"
    );
    assert_eq!(r[1]["status"], "12011");
    assert_eq!(r[1]["iccid"], "89860424000000000005");
}

#[tokio::test]
async fn calls_per_second_are_limited_when_configured() {
    let f = Fleet::start(OneLinkConfig {
        calls_per_sec: 3,
        ..Default::default()
    })
    .await;
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(status(&f.card::<wire::QueryCardStatus>(ACTIVE).await).to_owned());
    }
    // The virtual clock does not move between the calls unless a second passes.
    assert!(codes.iter().filter(|c| *c == "0").count() >= 3, "{codes:?}");
    assert!(codes.iter().any(|c| c == "12030"), "{codes:?}");
}

#[tokio::test]
async fn card_life_and_jobs_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = OneLinkConfig {
        state_file: Some(dir.path().join("onelink.json")),
        batch_job_delay_secs: 0,
        ..Default::default()
    };
    let f = Fleet::start(cfg.clone()).await;
    let stop = f
        .call::<wire::ChangeStatus>(json!({"msisdn": ACTIVE, "operType": "0"}))
        .await;
    assert_eq!(status(&stop), "0");
    let job = f
        .call::<wire::BatchChangeStatus>(json!({"msisdns": STOPPED, "operType": "2"}))
        .await;
    let job_id = job["result"][0]["jobId"].as_str().unwrap().to_owned();
    f.sb.stop();
    let g = Fleet::start(cfg).await;
    assert_eq!(g.state_of(ACTIVE).await, "4");
    assert_eq!(
        g.state_of(STOPPED).await,
        "2",
        "the job ran after the restart"
    );
    let done = g
        .call::<wire::QueryBatchJob>(json!({ "jobId": job_id }))
        .await;
    assert_eq!(done["result"][0]["jobStatus"], "2", "{done}");
}

#[tokio::test]
async fn the_console_shows_a_card_life() {
    let f = Fleet::start(OneLinkConfig::default()).await;
    let page = |card: &'static str| {
        let http = f.http.clone();
        let url = format!("{}/_sandbox/?card={card}", f.sb.base_url);
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let stopped = page(STOPPED).await;
    assert!(stopped.contains("id=\"card-life\""), "no life table");
    assert!(stopped.contains("4 停机 · stopped"), "status in words");
    assert!(stopped.contains("离线 · offline"));
    let active = page(ACTIVE).await;
    assert!(active.contains("2 已激活 · active"));
    assert!(active.contains("在线 · online 10."), "session with its IP");
    assert!(page(FROZEN).await.contains("12015"));
}
