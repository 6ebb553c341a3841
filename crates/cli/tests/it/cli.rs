//! The `cmcc` binary, run as a user runs it.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::{
    output_within, repo_root, wait_for, words, CMCC, COMMAND_DEADLINE, UP_ON_FREE_PORTS,
};

fn cmcc(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(CMCC);
    cmd.current_dir(dir).args(args).env_remove("CMCC_APP_KEY");
    output_within(&mut cmd, &format!("cmcc {args:?}"), COMMAND_DEADLINE).expect("run cmcc")
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
    let again = cmcc(d.path(), &words("keygen -o k.key"));
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(d.path().join("k.key")).unwrap(),
        key_text
    );
    let bad = cmcc(d.path(), &words("keygen --bits 512 -o x.key"));
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
        &words("encrypt-phone --platform-key plat.pub --phone 13999994444 --app-key KEY123 --timestamp 20160628180001165"),
    );
    assert!(enc.status.success());
    let phone_num = stdout(&enc).trim().to_owned();
    write_request(d.path(), &phone_num);

    let signed = cmcc(d.path(), &words("sign --key cust.key --request req.json"));
    assert!(signed.status.success());
    std::fs::write(d.path().join("signed.json"), &signed.stdout).unwrap();
    let ok = cmcc(
        d.path(),
        &words("verify --pubkey cust.pub --request signed.json"),
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
        &words("verify --pubkey cust.pub --request bad.json"),
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
        &words("verify --pubkey plat.pub --request signed.json"),
    );
    assert_eq!(mism.status.code(), Some(1));
    assert!(stdout(&mism).contains("not a pair"), "{}", stdout(&mism));
    let mism = cmcc(
        d.path(),
        &words("verify --pubkey plat.pub --request signed.json --private-key cust.key"),
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
    let args = words("md5-sign --app-id 300011580392 --business-type 3 --trace-id abc --timestamp 20201125101540980 --app-key K");
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
    for line in [
        "verify --pubkey k.key --string a --signature b",
        "verify --pubkey k.pub --request junk.json",
        "decrypt --key k.key --data AAAA",
        "encrypt-phone --platform-key k.pub --phone 123 --app-key x",
        "sign --key k.pub --string x",
    ] {
        let args = words(line);
        let o = cmcc(d.path(), &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn missing_files_are_reported_as_unreadable_not_as_bad_content() {
    let d = tempfile::tempdir().unwrap();
    keygen(d.path(), "k.key");
    for (line, path) in [
        ("sign --key nope.key --string x", "nope.key"),
        ("sign --key k.key --request missing.json", "missing.json"),
        ("verify --pubkey k.pub --request @gone", "gone"),
        (
            "verify --pubkey nope.pub --string a --signature b",
            "nope.pub",
        ),
        ("decrypt --key k.key --data @none.txt", "none.txt"),
        (
            "encrypt-phone --platform-key k.pub --phone 13800000000 --app-key @no-key",
            "no-key",
        ),
    ] {
        let args = words(line);
        let o = cmcc(d.path(), &args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.trim(),
            format!("error: cannot read {path}: No such file or directory"),
            "{args:?}"
        );
    }
    // Bad content in a file that exists is still called bad content.
    std::fs::write(d.path().join("junk.json"), "{not json").unwrap();
    let o = cmcc(d.path(), &words("sign --key k.key --request junk.json"));
    assert!(
        stderr(&o).contains("junk.json is not valid JSON (the platform answers 130032)"),
        "{}",
        stderr(&o)
    );
}

/// Run with stdout a pipe whose reader is already gone, as in `cmcc codes --json | head -c 0`:
/// a shell holds cmcc back until the reading end is closed, then execs it.
fn with_closed_stdout(dir: &Path, args: &[&str]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new("bash")
        .current_dir(dir)
        .arg("-c")
        .arg("read -r _; exec \"$0\" \"$@\"")
        .arg(CMCC)
        .args(args)
        .env_remove("CMCC_APP_KEY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run cmcc");
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"go\n").unwrap();
    drop(stdin);
    // Its stderr is short (a message at most): it fits the pipe while the child runs.
    wait_for(&mut child, &format!("{args:?}"), Duration::from_secs(60));
    child.wait_with_output().unwrap()
}

#[test]
fn every_command_ends_quietly_on_a_closed_pipe() {
    let d = tempfile::tempdir().unwrap();
    keygen(d.path(), "k.key");
    for args in [
        words("codes --json"),
        words("codes"),
        words("codes 130018"),
        words("keygen -o other.key"),
        words("sign --request-template verify"),
        // The servers too: they print their banner, then would run until stopped.
        words("sandbox --listen 127.0.0.1:0"),
        UP_ON_FREE_PORTS.to_vec(),
        words("sign --key k.key --string x"),
        words("md5-sign --app-id 1 --business-type 5 --trace-id t --app-key K"),
    ] {
        let o = with_closed_stdout(d.path(), &args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(141), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("backtrace"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn decrypt_shows_phone_and_timestamp_never_the_app_key() {
    let d = tempfile::tempdir().unwrap();
    keygen(d.path(), "plat.key");
    let enc = cmcc(
        d.path(),
        &words("encrypt-phone --platform-key plat.pub --phone 13999994444 --app-key SECRETAPPKEY0001 --timestamp 20160628180001165"),
    );
    assert!(enc.status.success(), "{}", stderr(&enc));
    let phone_num = stdout(&enc).trim().to_owned();
    let plain = cmcc(
        d.path(),
        &["decrypt", "--key", "plat.key", "--data", &phone_num],
    );
    assert!(plain.status.success(), "{}", stderr(&plain));
    let (out, err) = (stdout(&plain), stderr(&plain));
    assert!(out.contains("phone:     13999994444"), "{out}");
    assert!(out.contains("timestamp: 20160628180001165"), "{out}");
    assert!(
        err.contains("16 characters between them are the sender's appKey"),
        "{err}"
    );
    assert!(!out.contains("SECRETAPPKEY") && !err.contains("SECRETAPPKEY"));

    let wrong = cmcc(
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
    assert_eq!(wrong.status.code(), Some(1));
    let out = stdout(&wrong);
    assert!(
        out.contains(
            "WRONG: the 16 characters between phone and timestamp are the appKey the sender used"
        ) && out.contains("not the 5-character appKey given here")
            && out.contains("130016"),
        "{out}"
    );
    assert!(
        !out.contains("SECRETAPPKEY") && !out.contains("length"),
        "{out}"
    );
}

#[test]
fn md5_sign_refuses_what_the_platform_refuses() {
    let d = tempfile::tempdir().unwrap();
    let base = [
        "md5-sign",
        "--app-id",
        "300011580392",
        "--trace-id",
        "abc",
        "--app-key",
        "K",
    ];
    let mut bt9 = base.to_vec();
    bt9.extend(["--business-type", "9"]);
    let o = cmcc(d.path(), &bt9);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty(), "no sign is printed");
    let err = stderr(&o);
    assert!(
        err.contains("--business-type 9: the platform answers 110024"),
        "{err}"
    );
    assert!(
        err.contains("hint: use 5 for the mini-program getTokenInfo, 3 for UAID"),
        "{err}"
    );

    let mut ts = base.to_vec();
    ts.extend(["--business-type", "5", "--timestamp", "2026"]);
    let o = cmcc(d.path(), &ts);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("--timestamp 2026: the platform answers 105112"),
        "{err}"
    );
    assert!(err.contains("hint: 17 digits yyyyMMddHHmmssSSS"), "{err}");
}

#[test]
fn codes_read_like_answers() {
    let d = tempfile::tempdir().unwrap();
    for code in ["000", "103000", "000000", "0"] {
        let s = stdout(&cmcc(d.path(), &["codes", code]));
        assert!(s.contains("result:   success"), "{code}: {s}");
        assert!(!s.contains("fix the cause"), "{code}: {s}");
    }
    let s = stdout(&cmcc(d.path(), &["codes", "001"]));
    assert!(
        s.contains("success: the call worked and this is its answer"),
        "{s}"
    );
    let s = stdout(&cmcc(d.path(), &["codes", "12021"]));
    assert!(s.contains("may succeed later"), "{s}");

    // One code, both meanings.
    let s = stdout(&cmcc(d.path(), &["codes", "110022"]));
    assert_eq!(s.matches("110022 (auth platform)").count(), 1, "{s}");
    assert!(
        s.contains("1. 应用ID不存在") && s.contains("2. 权益已失效"),
        "{s}"
    );
    let all = stdout(&cmcc(d.path(), &["codes"]));
    let lines: Vec<&str> = all.lines().filter(|l| l.starts_with("110022 ")).collect();
    assert_eq!(lines.len(), 1, "{all}");
    assert!(
        lines[0].contains("应用ID不存在 / 权益已失效"),
        "{}",
        lines[0]
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&cmcc(d.path(), &["codes", "--json"]))).unwrap();
    let entry: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["code"] == "110022")
        .collect();
    assert_eq!(entry.len(), 1);
    assert_eq!(entry[0]["meanings"].as_array().unwrap().len(), 2);

    // Source lines say it once.
    let s = stdout(&cmcc(d.path(), &["codes", "12011"]));
    let src = s.lines().find(|l| l.contains("source:")).unwrap();
    assert_eq!(src.matches("assumption").count(), 1, "{src}");
    assert!(!src.contains(") ("), "{src}");

    // Unknown: what to do, and the near ones.
    let o = cmcc(d.path(), &["codes", "130019"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("Known codes close to it: 130010, 130016, 130018"),
        "{err}"
    );
    assert!(err.contains("treat it as a failure"), "{err}");
    assert!(!err.contains("still parse"), "{err}");
}

#[test]
fn request_templates_sign_and_verify() {
    let d = tempfile::tempdir().unwrap();
    keygen(d.path(), "k.key");
    let t = cmcc(d.path(), &words("sign --request-template verify"));
    assert!(t.status.success());
    assert!(stderr(&t).contains("verifyVmMobileApi"), "{}", stderr(&t));
    let v: serde_json::Value = serde_json::from_slice(&t.stdout).unwrap();
    for f in [
        "/header/version",
        "/header/msgId",
        "/header/timestamp",
        "/header/appId",
        "/body/token",
        "/body/phoneNum",
        "/body/userInformation",
        "/body/sign",
    ] {
        assert!(v.pointer(f).is_some(), "{f}: {v}");
    }
    assert_eq!(v["header"]["timestamp"].as_str().unwrap().len(), 17);
    std::fs::write(d.path().join("t.json"), &t.stdout).unwrap();
    let signed = cmcc(d.path(), &words("sign --key k.key --request t.json"));
    assert!(signed.status.success(), "{}", stderr(&signed));
    std::fs::write(d.path().join("s.json"), &signed.stdout).unwrap();
    let ok = cmcc(d.path(), &words("verify --pubkey k.pub --request s.json"));
    assert!(ok.status.success(), "{}", stdout(&ok));

    let u = cmcc(d.path(), &words("sign --request-template uaid"));
    let v: serde_json::Value = serde_json::from_slice(&u.stdout).unwrap();
    assert_eq!(v["header"]["version"], "2.0");
    assert!(v.pointer("/body/phoneNum").is_none());
}

/// A `cmcc up` child with a fresh folder as working directory (its data in `.cmcc/` there),
/// stdout and stderr into one file; killed when dropped.
struct Up {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl Up {
    fn start() -> (Self, String) {
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("up.log")).unwrap();
        let child = Command::new(CMCC)
            .current_dir(dir.path())
            .args(UP_ON_FREE_PORTS)
            .env_remove("CMCC_DATA_DIR")
            .env_remove("RUST_LOG")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let up = Self { child, dir };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(up.dir.path().join("up.log")).unwrap();
            if text.contains("ready in") {
                return (up, text);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "cmcc up not ready: {text}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first ```sh block after `heading` in the README.
fn readme_block(heading: &str) -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = &readme[readme.find(heading).unwrap()..];
    let start = section.find("```sh\n").unwrap() + 6;
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_owned()
}

fn bash(dir: &Path, script: &str) -> Output {
    let bin = Path::new(CMCC).parent().unwrap().to_owned();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.current_dir(dir)
        .args(["-c", &format!("set -euo pipefail\n{script}")])
        .env("PATH", path)
        .env_remove("CMCC_APP_KEY")
        .env_remove("CMCC_ONELINK_BASE");
    // The fleet blocks run several `cmcc fleet` commands over the network.
    output_within(&mut cmd, "a README block", Duration::from_secs(300)).unwrap()
}

#[test]
fn up_prints_its_banner_first_without_colour_and_the_readme_commands_run_as_written() {
    let (up, log) = Up::start();
    assert!(log.starts_with("cmcc up: "), "{log}");
    assert!(!log.contains('\u{1b}'), "no ANSI codes in a file: {log}");
    let data = up.dir.path().join(".cmcc");
    for f in [
        "app-key",
        "customer.key",
        "customer.pub",
        "platform.key",
        "platform.pub",
    ] {
        assert!(data.join(f).is_file(), "{f}");
        assert!(log.contains(f), "the banner names {f}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["app-key", "customer.key", "platform.key"] {
            let mode = std::fs::metadata(data.join(f))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
    }

    let cli = readme_block("## The CLI");
    let o = bash(up.dir.path(), &cli);
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "README CLI block failed:\n{out}\n{err}");
    assert!(out.contains("result: OK"), "{out}");
    assert!(out.contains("phone:     13800000000"), "{out}");
    assert!(out.contains("130018 (auth platform)"), "{out}");
    let app_key = std::fs::read_to_string(data.join("app-key")).unwrap();
    assert!(!out.contains(app_key.trim()) && !err.contains(app_key.trim()));

    let urls: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("up.json")).unwrap()).unwrap();
    let fleet = readme_block("## Fleet operations")
        .replace("http://127.0.0.1:8700", urls["sandbox"].as_str().unwrap());
    let o = bash(up.dir.path(), &fleet);
    assert!(
        o.status.success(),
        "README fleet block failed:\n{}",
        stderr(&o)
    );
    let csv = std::fs::read_to_string(up.dir.path().join("status.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert_eq!((rows[0][0], rows[0][2]), ("1440000000001", "no"), "{csv}");
    assert_eq!((rows[1][0], rows[1][2]), ("1440000000002", "yes"), "{csv}");
    assert_eq!(
        (rows[2][0], rows[2][6]),
        ("1440000000005", "12011"),
        "{csv}"
    );
    assert_eq!(
        (rows[3][0], rows[3][6]),
        ("14400000000xx", "invalid"),
        "{csv}"
    );
    // The rest of a card's life, after the block above (its exports).
    let life = readme_block("### The rest of a card's life")
        .replace("http://127.0.0.1:8700", urls["sandbox"].as_str().unwrap());
    let o = bash(up.dir.path(), &format!("{fleet}\n{life}"));
    assert!(
        o.status.success(),
        "README card-life block failed:\n{}",
        stderr(&o)
    );
    let read = |f: &str| std::fs::read_to_string(up.dir.path().join(f)).unwrap();
    for (file, outcome) in [
        ("stop.csv", ",stop,changed,23S03,"),
        ("resume.csv", ",resume,changed,23S06,"),
    ] {
        let text = read(file);
        assert_eq!(text.matches(outcome).count(), 20, "{file}: {text}");
    }
    assert_eq!(read("stop-plan.csv").matches("would-change").count(), 20);
    let qr = std::fs::read_dir(up.dir.path().join("links-qr"))
        .unwrap()
        .count();
    assert_eq!(qr, 20, "a QR code per link");
    assert!(read("usage.html").contains("usage-histogram"));
    assert!(read("status.html").contains("<title>active: 20</title>"));
}

/// `./dev up` with the system's tools replaced by recorders: it installs no JDK (only
/// `./dev test` does, for the interop tests).
#[cfg(unix)]
#[test]
fn dev_up_installs_no_jdk() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let bin = d.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = d.path().join("calls");
    let stub = |name: &str, body: &str| {
        let p = bin.join(name);
        std::fs::write(
            &p,
            format!(
                "#!/bin/sh\necho \"{name} $*\" >> {}\n{body}\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    stub("dpkg-query", "echo 'install ok installed'");
    stub("apt-get", "exit 0");
    stub("sudo", "exit 0");
    stub("cargo", "exit 0");
    stub("npm", "exit 0");
    // Everything else the script uses, from the system; `java` is not among them.
    for tool in ["bash", "dirname", "grep", "id", "sed", "sh", "ls", "head"] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|b| Path::new(b).join(tool))
            .find(|p| p.exists());
        std::os::unix::fs::symlink(found.unwrap(), bin.join(tool)).unwrap();
    }
    let dev = repo_root().join("dev");
    let run = |cmd: &str| {
        let _ = std::fs::remove_file(&log);
        let mut dev_cmd = Command::new(bin.join("bash"));
        dev_cmd.arg(&dev).arg(cmd).env("PATH", &bin);
        let o = output_within(&mut dev_cmd, &format!("./dev {cmd}"), COMMAND_DEADLINE).unwrap();
        (o, std::fs::read_to_string(&log).unwrap_or_default())
    };
    let (o, calls) = run("up");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        calls.contains("cargo run --release --locked -q -p cmcc -- up"),
        "{calls}"
    );
    assert!(!calls.contains("jdk"), "{calls}");
    let (_, calls) = run("test");
    assert!(
        calls.contains("openjdk-17-jdk-headless"),
        "./dev test installs it: {calls}"
    );
}
