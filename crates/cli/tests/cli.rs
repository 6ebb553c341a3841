//! The `cmcc` binary, run as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

fn cmcc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cmcc"))
        .current_dir(dir)
        .args(args)
        .env_remove("CMCC_APP_KEY")
        .output()
        .expect("run cmcc")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn keygen(dir: &Path, name: &str) -> String {
    let o = cmcc(dir, &["keygen", "-o", name]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    stdout(&o).trim().to_owned()
}

#[test]
fn keygen_writes_0600_key_and_prints_the_public_key() {
    let d = tempfile::tempdir().unwrap();
    let public = keygen(d.path(), "k.key");
    let key_text = std::fs::read_to_string(d.path().join("k.key")).unwrap();
    let private = cmcc_proto::PrivateKey::parse(&key_text).unwrap();
    assert_eq!(private.bits(), 1024);
    assert_eq!(private.public_key().unwrap().to_base64().unwrap(), public);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.path().join("k.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Never silently overwrite a key.
    let again = cmcc(d.path(), &["keygen", "-o", "k.key"]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(d.path().join("k.key")).unwrap(),
        key_text
    );
    let bad = cmcc(d.path(), &["keygen", "--bits", "512", "-o", "x.key"]);
    assert!(!bad.status.success());
}

#[test]
fn codes_explains_and_unknown_fails() {
    let d = tempfile::tempdir().unwrap();
    let o = cmcc(d.path(), &["codes", "170001"]);
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(s.contains("referer") && s.contains("fix:"), "{s}");
    let o = cmcc(d.path(), &["codes", "12021"]);
    assert!(stdout(&o).contains("TOKEN不存在或已过期"));
    assert_eq!(cmcc(d.path(), &["codes", "424242"]).status.code(), Some(1));
    let all = stdout(&cmcc(d.path(), &["codes", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert!(v.as_array().unwrap().len() > 30);
}

fn write_request(dir: &Path, phone_num: &str) {
    let req = serde_json::json!({
        "header": {"version": "1.0", "msgId": "61237890345", "timestamp": "20160628180001165", "appId": "0008"},
        "body": {"expandParams": "", "phoneNum": phone_num, "token": "VM_12c9519d8614", "sign": "", "userInformation": "CB04EE"}
    });
    std::fs::write(dir.join("req.json"), req.to_string()).expect("write request");
}

#[test]
fn sign_verify_and_diagnose_130018() {
    let d = tempfile::tempdir().unwrap();
    keygen(d.path(), "cust.key");
    keygen(d.path(), "plat.key");
    let enc = cmcc(
        d.path(),
        &[
            "encrypt-phone",
            "--platform-key",
            "plat.pub",
            "--phone",
            "13999994444",
            "--app-key",
            "KEY123",
            "--timestamp",
            "20160628180001165",
        ],
    );
    assert!(enc.status.success());
    let phone_num = stdout(&enc).trim().to_owned();
    write_request(d.path(), &phone_num);

    let signed = cmcc(
        d.path(),
        &["sign", "--key", "cust.key", "--request", "req.json"],
    );
    assert!(signed.status.success());
    std::fs::write(d.path().join("signed.json"), &signed.stdout).unwrap();
    let ok = cmcc(
        d.path(),
        &["verify", "--pubkey", "cust.pub", "--request", "signed.json"],
    );
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).contains(&format!(
        "000861237890345{phone_num}20160628180001165VM_12c9519d86141.0"
    )));

    // Signed in document order instead of TreeMap order: the diagnosis finds the order.
    let wrong = format!("{phone_num}000861237890345VM_12c9519d8614201606281800011651.0");
    let sig = stdout(&cmcc(
        d.path(),
        &["sign", "--key", "cust.key", "--string", &wrong],
    ))
    .trim()
    .to_owned();
    let mut v: serde_json::Value = serde_json::from_slice(&signed.stdout).unwrap();
    v["body"]["sign"] = sig.into();
    std::fs::write(d.path().join("bad.json"), v.to_string()).unwrap();
    let bad = cmcc(
        d.path(),
        &["verify", "--pubkey", "cust.pub", "--request", "bad.json"],
    );
    assert_eq!(bad.status.code(), Some(1));
    let s = stdout(&bad);
    assert!(
        s.contains("130018") && s.contains("key pair is right"),
        "{s}"
    );
    assert!(
        s.contains("phoneNum(") && s.contains("in this order: phoneNum"),
        "{s}"
    );

    // Registered the wrong public key: said plainly.
    let mism = cmcc(
        d.path(),
        &["verify", "--pubkey", "plat.pub", "--request", "signed.json"],
    );
    assert_eq!(mism.status.code(), Some(1));
    assert!(stdout(&mism).contains("not a pair"), "{}", stdout(&mism));
    let mism = cmcc(
        d.path(),
        &[
            "verify",
            "--pubkey",
            "plat.pub",
            "--request",
            "signed.json",
            "--private-key",
            "cust.key",
        ],
    );
    assert!(stdout(&mism).contains("KEY MISMATCH"));

    // SHA256withRSA instead of MD5withRSA.
    let ss = format!("000861237890345{phone_num}20160628180001165VM_12c9519d86141.0");
    let sig = stdout(&cmcc(
        d.path(),
        &[
            "sign", "--key", "cust.key", "--alg", "sha256", "--string", &ss,
        ],
    ))
    .trim()
    .to_owned();
    let o = cmcc(
        d.path(),
        &[
            "verify",
            "--pubkey",
            "cust.pub",
            "--string",
            &ss,
            "--signature",
            &sig,
        ],
    );
    assert!(stdout(&o).contains("SHA256withRSA"), "{}", stdout(&o));

    // The platform side: decrypt phoneNum and split it.
    let dec = cmcc(
        d.path(),
        &[
            "decrypt",
            "--key",
            "plat.key",
            "--data",
            &phone_num,
            "--app-key",
            "KEY123",
        ],
    );
    assert!(stdout(&dec).contains("13999994444") && stdout(&dec).contains("20160628180001165"));
    let dec = cmcc(
        d.path(),
        &[
            "decrypt",
            "--key",
            "plat.key",
            "--data",
            &phone_num,
            "--app-key",
            "OTHER",
        ],
    );
    assert_eq!(dec.status.code(), Some(1));
}

#[test]
fn md5_sign_matches_the_formula_and_explains_mismatch() {
    let d = tempfile::tempdir().unwrap();
    let args = [
        "md5-sign",
        "--app-id",
        "300011580392",
        "--business-type",
        "3",
        "--trace-id",
        "abc",
        "--timestamp",
        "20201125101540980",
        "--app-key",
        "K",
    ];
    let o = cmcc(d.path(), &args);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o).trim(),
        cmcc_proto::crypto::md5_hex("3000115803923abc20201125101540980abc1.0K")
    );
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("1.0K"),
        "appKey must not be echoed"
    );
    let without_key = cmcc_proto::crypto::md5_hex("3000115803923abc20201125101540980abc1.0");
    let mut a = args.to_vec();
    a.extend(["--expect", &without_key]);
    let o = cmcc(d.path(), &a);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("appKey was left out"));
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("junk.json"), "{not json").unwrap();
    keygen(d.path(), "k.key");
    for args in [
        vec![
            "verify",
            "--pubkey",
            "k.key",
            "--string",
            "a",
            "--signature",
            "b",
        ],
        vec!["verify", "--pubkey", "k.pub", "--request", "junk.json"],
        vec!["decrypt", "--key", "k.key", "--data", "AAAA"],
        vec![
            "encrypt-phone",
            "--platform-key",
            "k.pub",
            "--phone",
            "123",
            "--app-key",
            "x",
        ],
        vec!["sign", "--key", "k.pub", "--string", "x"],
    ] {
        let o = cmcc(d.path(), &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}
