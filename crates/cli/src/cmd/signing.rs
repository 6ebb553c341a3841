//! `cmcc sign`, `cmcc verify` (with a 130018 diagnosis) and `cmcc md5-sign`.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use cmcc_proto::sign::{Md5SignInput, SignString};
use cmcc_proto::wire::passport::{ImeiValidateRequest, VerifyRequest};
use cmcc_proto::{PublicKey, SignAlg};
use serde_json::Value;

use crate::input;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Alg {
    Md5,
    Sha256,
}

impl From<Alg> for SignAlg {
    fn from(a: Alg) -> Self {
        match a {
            Alg::Md5 => SignAlg::Md5WithRsa,
            Alg::Sha256 => SignAlg::Sha256WithRsa,
        }
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["string", "request", "request_template"])))]
pub(crate) struct SignArgs {
    /// Customer private key: base64 PKCS#8 or PEM, inline, a file, or - for stdin (`cmcc keygen`
    /// makes one; `cmcc up` writes its demo app's to .cmcc/customer.key).
    #[arg(long, required_unless_present = "request_template")]
    pub key: Option<String>,
    /// Sign exactly this string (e.g. an H5 preSign).
    #[arg(long)]
    pub string: Option<String>,
    /// A verifyVmMobileApi or imeiTokenValidate request JSON file: its sign is computed and the
    /// completed request printed. `--request-template` prints one to fill in.
    #[arg(long)]
    pub request: Option<String>,
    /// Print the JSON shape of a request that `--request` takes (fields explained on stderr).
    #[arg(long, value_enum)]
    pub request_template: Option<super::template::Template>,
    #[arg(long, value_enum, default_value_t = Alg::Md5)]
    pub alg: Alg,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["string", "request"])))]
pub(crate) struct VerifyArgs {
    /// The customer public key registered on the open platform (base64 SPKI or PEM, inline or file).
    #[arg(long)]
    pub pubkey: String,
    /// The signed string (with --signature).
    #[arg(long, requires = "signature")]
    pub string: Option<String>,
    /// The base64 signature (with --string).
    #[arg(long)]
    pub signature: Option<String>,
    /// A verifyVmMobileApi or imeiTokenValidate request JSON file, checked as the platform does.
    #[arg(long)]
    pub request: Option<String>,
    /// Your private key, to check that it is the pair of the registered public key.
    #[arg(long)]
    pub private_key: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct Md5Args {
    #[arg(long)]
    pub app_id: String,
    /// 3 for UAID getMobile, 5 for the mini-program getTokenInfo (anything else: 110024).
    #[arg(long)]
    pub business_type: String,
    /// msgId; defaults to --trace-id (the seeds require them equal).
    #[arg(long)]
    pub msg_id: Option<String>,
    /// 17-digit China-time timestamp yyyyMMddHHmmssSSS (anything else: 105112); defaults to now.
    #[arg(long)]
    pub timestamp: Option<String>,
    #[arg(long)]
    pub trace_id: String,
    #[arg(long, default_value = "1.0")]
    pub version: String,
    /// The appKey: inline, @file, or - for stdin. Prefer the env var or a file over the command
    /// line; `cmcc up` writes its demo app's to .cmcc/app-key (`--app-key @.cmcc/app-key`).
    #[arg(long, env = "CMCC_APP_KEY", hide_env_values = true)]
    pub app_key: String,
    /// A sign you received or sent: report whether it matches and, if not, which mistake explains it.
    #[arg(long)]
    pub expect: Option<String>,
}

enum Request {
    Verify(VerifyRequest),
    Imei(ImeiValidateRequest),
}

fn load_request(path: &str) -> Result<(Request, Value)> {
    let text = input::read_json_text(path)?;
    let value: Value = serde_json::from_str(&text).with_context(|| {
        format!("{path} is not valid JSON (the platform answers 130032); `cmcc sign --request-template verify` prints the shape")
    })?;
    let has_phone =
        value.pointer("/body/phoneNum").is_some() || value.pointer("/body/phoneNum ").is_some();
    let req = if has_phone {
        Request::Verify(
            serde_json::from_value(value.clone()).context("not a verifyVmMobileApi request")?,
        )
    } else {
        Request::Imei(
            serde_json::from_value(value.clone()).context("not an imeiTokenValidate request")?,
        )
    };
    Ok((req, value))
}

impl Request {
    fn sign_string(&self) -> SignString {
        match self {
            Request::Verify(r) => r.sign_string(),
            Request::Imei(r) => r.sign_string(),
        }
    }
    fn sign(&self) -> &str {
        match self {
            Request::Verify(r) => &r.body.sign,
            Request::Imei(r) => &r.body.sign,
        }
    }
    /// The signed fields by name, for guessing which order was used.
    fn fields(&self) -> Vec<(&'static str, String)> {
        match self {
            Request::Verify(r) => vec![
                ("appId", r.header.app_id.clone()),
                ("msgId", r.header.msg_id.clone()),
                ("phoneNum", r.body.phone_num.clone()),
                ("timestamp", r.header.timestamp.clone()),
                ("token", r.body.token.clone()),
                ("version", r.header.version.clone()),
            ],
            Request::Imei(r) => vec![
                ("appId", r.header.app_id.clone()),
                ("msgId", r.header.msg_id.clone()),
                ("timestamp", r.header.timestamp.clone()),
                ("token", r.body.token.clone()),
                ("version", r.header.version.clone()),
            ],
        }
    }
    fn extra_fields(&self) -> Vec<(&'static str, String)> {
        match self {
            Request::Verify(r) => vec![
                ("userInformation", r.body.user_information.clone()),
                ("expandParams", r.body.expand_params.clone()),
            ],
            Request::Imei(r) => vec![("expandParams", r.body.expand_params.clone())],
        }
    }
}

pub(crate) fn sign(a: &SignArgs) -> Result<ExitCode> {
    if let Some(t) = a.request_template {
        let (value, about) = super::template::template(t);
        eprintln!("{about}");
        outln!("{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let key = input::private_key(a.key.as_deref().unwrap_or_default())?;
    if let Some(s) = &a.string {
        eprintln!("sign string: {s}");
        outln!("{}", key.sign(a.alg.into(), s.as_bytes())?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = a.request.as_deref().unwrap_or_default();
    let (req, mut value) = load_request(path)?;
    let ss = req.sign_string();
    let sig = key.sign(a.alg.into(), ss.as_str().as_bytes())?;
    eprintln!("sign string: {ss}");
    if let Some(body) = value.get_mut("body").and_then(Value::as_object_mut) {
        body.insert("sign".into(), Value::String(sig));
    }
    outln!("{}", serde_json::to_string_pretty(&value)?)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn verify(a: &VerifyArgs) -> Result<ExitCode> {
    let public = input::public_key(&a.pubkey)?;
    if let Some(pk) = &a.private_key {
        let private = input::private_key(pk)?;
        if private.public_key()? != public {
            outln!("KEY MISMATCH: the private key is not the pair of this public key.")?;
            outln!("fix: register the public key printed by `cmcc keygen` for this private key (130018 until you do).")?;
            return Ok(ExitCode::from(1));
        }
        outln!("key pair: the private key matches the public key")?;
    }
    let (expected, signature, fields, extra) = match (&a.string, &a.request) {
        (Some(s), _) => (
            s.clone(),
            a.signature.clone().unwrap_or_default(),
            Vec::new(),
            Vec::new(),
        ),
        (None, Some(path)) => {
            let (req, _) = load_request(path)?;
            (
                req.sign_string().into_string(),
                req.sign().to_owned(),
                req.fields(),
                req.extra_fields(),
            )
        }
        (None, None) => bail!("give --string with --signature, or --request"),
    };
    outln!("sign string checked (appId+msgId+…+version, names in TreeMap order):\n  {expected}")?;
    let ok = public
        .verify(SignAlg::Md5WithRsa, expected.as_bytes(), &signature)
        .unwrap_or(false);
    if ok {
        outln!("result: OK — MD5withRSA signature verifies")?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("result: FAIL — the platform answers 130018 (验证签名失败)")?;
    for line in diagnose(&public, &expected, &signature, &fields, &extra) {
        if line.starts_with("fix:") {
            outln!("{line}")?;
        } else {
            outln!("why: {line}")?;
        }
    }
    Ok(ExitCode::from(1))
}

/// Explain a failing signature with the diagnosis the sandbox's journal gives too.
fn diagnose(
    public: &PublicKey,
    expected: &str,
    signature: &str,
    fields: &[(&'static str, String)],
    extra: &[(&'static str, String)],
) -> Vec<String> {
    let c = cmcc_proto::diagnose::Candidates {
        fields: fields.to_vec(),
        extra: extra.to_vec(),
        other: Vec::new(),
    };
    cmcc_proto::diagnose::diagnose(public, expected, signature, &c).lines()
}

/// The checks the platform makes before the sign, so a wrong value is not signed silently.
fn check_md5_inputs(a: &Md5Args) -> Result<()> {
    if !matches!(a.business_type.trim(), "3" | "5") {
        bail!(
            "--business-type {}: the platform answers 110024 (businessType 配置错误)\nhint: use 5 for the mini-program getTokenInfo, 3 for UAID getMobile",
            a.business_type
        );
    }
    if let Some(t) = &a.timestamp {
        if cmcc_proto::Timestamp17::parse(t.trim()).is_err() {
            bail!(
                "--timestamp {t}: the platform answers 105112 (时间戳非法)\nhint: 17 digits yyyyMMddHHmmssSSS in China time (UTC+8), e.g. {}; leave --timestamp out for now",
                input::now17()
            );
        }
    }
    Ok(())
}

pub(crate) fn md5_sign(a: &Md5Args) -> Result<ExitCode> {
    check_md5_inputs(a)?;
    let app_key = input::app_key(&a.app_key)?;
    let timestamp = a.timestamp.clone().unwrap_or_else(input::now17);
    let msg_id = a.msg_id.clone().unwrap_or_else(|| a.trace_id.clone());
    let inp = Md5SignInput {
        app_id: &a.app_id,
        business_type: &a.business_type,
        msg_id: &msg_id,
        timestamp: &timestamp,
        trace_id: &a.trace_id,
        version: &a.version,
        app_key: app_key.expose(),
    };
    eprintln!("md5 of: {}", inp.redacted());
    if msg_id != a.trace_id {
        eprintln!("warning: msgId differs from traceId; the platform requires them equal (103101)");
    }
    let sign = inp.sign();
    outln!("{sign}")?;
    let Some(expect) = a.expect.as_deref() else {
        return Ok(ExitCode::SUCCESS);
    };
    if inp.matches(expect) {
        eprintln!("matches --expect");
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("does NOT match --expect (the platform answers 103101)");
    let joined =
        |bt: &str, ver: &str| format!("{}{bt}{msg_id}{timestamp}{}{ver}", a.app_id, a.trace_id);
    let other_bt = if a.business_type == "3" { "5" } else { "3" };
    let other_ver = if a.version == "1.0" { "2.0" } else { "1.0" };
    let key = app_key.expose();
    let guesses = [
        (
            "the appKey was left out",
            joined(&a.business_type, &a.version),
        ),
        (
            "the appKey was put first instead of last",
            format!("{key}{}", joined(&a.business_type, &a.version)),
        ),
        (
            "the other businessType was used (3 is UAID, 5 is the mini-program)",
            format!("{}{key}", joined(other_bt, &a.version)),
        ),
        (
            "the other version was used",
            format!("{}{key}", joined(&a.business_type, other_ver)),
        ),
    ];
    for (what, pre) in guesses {
        if cmcc_proto::crypto::md5_hex(&pre).eq_ignore_ascii_case(expect.trim()) {
            eprintln!("why: {what}");
            return Ok(ExitCode::from(1));
        }
    }
    eprintln!("why: a different field value or appKey was used; compare each field with what the page sent");
    Ok(ExitCode::from(1))
}
