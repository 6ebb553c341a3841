//! `cmcc fleet status` against a real sandbox: a file of cards in, one CSV row per card out,
//! carrier refusals recorded with their code as final answers, and a second run asking only the
//! cards without one.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use cmcc_sandbox::onelink::config::{DEMO_APPID, DEMO_PASSWORD};
use cmcc_sandbox::{Running, SandboxConfig};

// Magic cards (crates/sandbox/MAGIC-ONELINK.md).
const FRESH: &str = "1440000000001";
const REGISTERED: &str = "1440000000002";
const OTHERS: &str = "1440000000005";

async fn fleet(dir: &Path, base: &str, extra: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_cmcc"));
    cmd.current_dir(dir)
        .args([
            "fleet",
            "status",
            "cards.txt",
            "-o",
            "out.csv",
            "--base",
            base,
        ])
        .args(["--appid", DEMO_APPID, "--password-file", "pw"])
        .args(extra)
        .env_remove("CMCC_ONELINK_PASSWORD");
    cmd.output().await.unwrap()
}

fn rows(dir: &Path) -> Vec<BTreeMap<String, String>> {
    csv::Reader::from_path(dir.join("out.csv"))
        .unwrap()
        .deserialize()
        .map(Result::unwrap)
        .collect()
}

/// How many 23A23 queries the sandbox has answered.
fn identity_queries(sb: &Running) -> usize {
    sb.sandbox
        .core
        .journal
        .recent(usize::MAX, Some("onelink"))
        .iter()
        .filter(|e| e.path.contains("sim-identity-registration-info"))
        .count()
}

#[tokio::test]
async fn status_of_a_fleet_to_csv_and_resume() {
    let sb = Running::start(&SandboxConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("pw"), format!("{DEMO_PASSWORD}\n")).unwrap();

    // 300 generated cards of the demo enterprise, registered or not as the sandbox says.
    let now = sb.sandbox.core.clock.now();
    let generated: Vec<(String, bool)> = {
        let mut inv = sb.sandbox.onelink.inventory.write();
        let first = inv.generate(DEMO_APPID, 300).unwrap();
        inv.cards[first..]
            .iter()
            .map(|c| (c.msisdn.clone(), c.registered_at(now).is_some()))
            .collect()
    };
    assert_eq!(generated.len(), 300);
    let mut input = String::from("msisdn\n# magic cards\n");
    for c in [FRESH, REGISTERED, OTHERS, "12ab", FRESH] {
        input.push_str(c);
        input.push('\n');
    }
    input.push('\n');
    for (m, _) in &generated {
        input.push_str(m);
        input.push_str(",some other column\n");
    }
    std::fs::write(d.path().join("cards.txt"), &input).unwrap();

    let first = fleet(d.path(), &sb.base_url, &[]).await;
    let err = String::from_utf8_lossy(&first.stderr);
    // A foreign card (12011) and a malformed number are final answers: every card has one.
    assert_eq!(first.status.code(), Some(0), "{err}");
    assert!(
        err.contains("304 cards (msisdn), 0 with a final answer"),
        "{err}"
    );
    assert!(
        err.contains("2 refused (12011: 1, invalid: 1), 0 without an answer"),
        "{err}"
    );
    assert!(!err.contains("run the same command again"), "{err}");
    assert!(err.contains("1 token fetch"), "{err}");
    assert!(
        !err.contains(DEMO_PASSWORD),
        "the password never reaches the output"
    );

    let out = rows(d.path());
    assert_eq!(out.len(), 304, "one row per distinct card");
    let order: Vec<&str> = out.iter().map(|r| r["card"].as_str()).collect();
    assert_eq!(
        &order[..4],
        &[FRESH, REGISTERED, OTHERS, "12ab"],
        "input order"
    );
    let by_card: BTreeMap<&str, &BTreeMap<String, String>> =
        out.iter().map(|r| (r["card"].as_str(), r)).collect();
    assert_eq!(by_card[FRESH]["registered"], "no");
    assert_eq!(by_card[FRESH]["code"], "");
    assert_eq!(by_card[REGISTERED]["registered"], "yes");
    assert_eq!(by_card[REGISTERED]["registration_type"], "01");
    assert_eq!(by_card[REGISTERED]["archive_time"], "2024-10-21 09:30:00");
    assert_eq!(by_card[OTHERS]["code"], "12011");
    assert!(!by_card[OTHERS]["message"].is_empty());
    assert_eq!(by_card["12ab"]["code"], "invalid");
    for (m, registered) in &generated {
        let row = by_card[m.as_str()];
        assert_eq!(row["code"], "", "{m}");
        assert_eq!(
            row["registered"],
            if *registered { "yes" } else { "no" },
            "{m}"
        );
    }
    let asked = identity_queries(&sb);
    assert_eq!(
        asked, 303,
        "every valid card once; the malformed one is never sent"
    );

    // A run cut short: one answered row lost, the last line half written. The next run asks
    // the lost one, nothing else: the refusals are final.
    let text = std::fs::read_to_string(d.path().join("out.csv")).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(&format!("{},", generated[7].0)))
        .collect();
    std::fs::write(
        d.path().join("out.csv"),
        format!("{}\n{},msisdn,ye", kept.join("\n"), generated[8].0),
    )
    .unwrap();
    let second = fleet(d.path(), &sb.base_url, &["--concurrency", "2"]).await;
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(0), "{err}");
    assert!(err.contains("303 with a final answer"), "{err}");
    assert!(err.contains(", 1 to ask"), "{err}");
    assert!(err.contains("2 refused (12011: 1, invalid: 1)"), "{err}");
    assert_eq!(identity_queries(&sb), asked + 1, "only the lost card");
    let out = rows(d.path());
    assert_eq!(out.len(), 304);
    assert!(out.iter().any(|r| r["card"] == generated[7].0));

    // A retryable refusal is no answer: OneLink says 12021 twice (the client's own retry with a
    // new token included) for the first card asked. Exit 1; the rerun asks that card only.
    std::fs::remove_file(d.path().join("out.csv")).unwrap();
    sb.sandbox.core.faults.push(cmcc_sandbox::core::Fault {
        endpoint: cmcc_proto::wire::onelink::IDENTITY_INFO_PATH.into(),
        code: Some("12021".into()),
        delay_ms: 0,
        remaining: 2,
    });
    let third = fleet(d.path(), &sb.base_url, &["--concurrency", "1"]).await;
    let err = String::from_utf8_lossy(&third.stderr);
    assert_eq!(third.status.code(), Some(1), "{err}");
    assert!(err.contains("1 without an answer (12021: 1)"), "{err}");
    assert!(err.contains("run the same command again"), "{err}");
    assert_eq!(rows(d.path())[0]["code"], "12021");
    let before = identity_queries(&sb);
    let fourth = fleet(d.path(), &sb.base_url, &[]).await;
    let err = String::from_utf8_lossy(&fourth.stderr);
    assert_eq!(fourth.status.code(), Some(0), "{err}");
    assert!(err.contains(", 1 to ask"), "{err}");
    assert_eq!(identity_queries(&sb), before + 1);
    assert_eq!(rows(d.path())[0]["registered"], "no");

    // Nothing listens there: said so, not blamed on the credentials.
    let nowhere = fleet(d.path(), "http://127.0.0.1:9", &[]).await;
    let err = String::from_utf8_lossy(&nowhere.stderr);
    std::fs::remove_file(d.path().join("out.csv")).unwrap();
    let nowhere2 = fleet(d.path(), "http://127.0.0.1:9", &[]).await;
    let err2 = String::from_utf8_lossy(&nowhere2.stderr);
    assert_eq!(
        nowhere.status.code(),
        Some(0),
        "all answered already: {err}"
    );
    assert_eq!(nowhere2.status.code(), Some(2), "{err2}");
    assert!(
        err2.contains("cannot reach OneLink at http://127.0.0.1:9")
            && err2.contains("no card was asked"),
        "{err2}"
    );
    assert!(!err2.contains("password"), "{err2}");

    // Wrong password: one token request, refused with the carrier's code; no card is asked and
    // the output is untouched.
    std::fs::write(d.path().join("pw"), "not-the-password").unwrap();
    assert!(!d.path().join("out.csv").exists());
    let before = identity_queries(&sb);
    let wrong = fleet(d.path(), &sb.base_url, &[]).await;
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no card was asked") && err.contains("12002"),
        "{err}"
    );
    assert!(!err.contains("not-the-password"), "{err}");
    assert_eq!(identity_queries(&sb), before);
    assert!(!d.path().join("out.csv").exists(), "nothing written");

    // Missing password: a clear error, nothing asked.
    std::fs::remove_file(d.path().join("pw")).unwrap();
    let third = fleet(d.path(), &sb.base_url, &[]).await;
    assert_eq!(third.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&third.stderr).contains("password"));

    // A missing input file is reported as unreadable.
    std::fs::remove_file(d.path().join("cards.txt")).unwrap();
    let none = fleet(d.path(), &sb.base_url, &[]).await;
    let err = String::from_utf8_lossy(&none.stderr);
    assert_eq!(none.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim(),
        "error: cannot read cards.txt: No such file or directory"
    );
}
