//! Snapshots of what the `cmcc` binary prints for a person to read or a script to parse: every
//! `--help` text, of `cmcc` and of each subcommand at every depth, and `cmcc codes --json`
//! (`tests/it/snapshots/it__snapshots__*.snap`). The subcommands are found by reading the help
//! itself ("Commands:"), so a new one is covered without touching this file. Under `CI=true` a
//! mismatch fails; locally `cargo insta review` (or `INSTA_UPDATE=always`) accepts a change.

use std::process::Command;

use crate::support::{output_within, CMCC, COMMAND_DEADLINE};

/// Run `cmcc ARGS` with an empty environment: clap prints the values of `env`-backed options,
/// and none of the caller's variables may reach a snapshot.
fn cmcc(args: &[&str]) -> String {
    let mut cmd = Command::new(CMCC);
    cmd.args(args).env_clear();
    let out =
        output_within(&mut cmd, &format!("cmcc {args:?}"), COMMAND_DEADLINE).expect("run cmcc");
    assert!(
        out.status.success(),
        "cmcc {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "cmcc {args:?} wrote to stderr");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The subcommands a help text lists under "Commands:" (clap's own `help` left out).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A command's line is indented by two spaces; wrapped descriptions are indented deeper.
        .filter(|l| l.starts_with("  ") && !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_help_text_is_snapshotted() {
    let mut pending: Vec<Vec<String>> = vec![Vec::new()];
    let mut seen = Vec::new();
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = cmcc(&args);
        let name = std::iter::once("cmcc")
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("_")
            .replace('-', "_");
        insta::assert_snapshot!(format!("help_{name}"), help);
        for sub in subcommands(&help) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
        seen.push(path.join(" "));
    }
    // The discovery itself works: the top-level commands and a nested one were all visited.
    for want in [
        "keygen",
        "sign",
        "verify",
        "md5-sign",
        "encrypt-phone",
        "decrypt",
        "codes",
        "sandbox",
        "gateway",
        "up",
        "fleet",
        "fleet status",
    ] {
        assert!(
            seen.iter().any(|s| s == want),
            "{want} not reached: {seen:?}"
        );
    }
}

#[test]
fn codes_json_is_snapshotted() {
    let out = cmcc(&["codes", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert!(v.as_array().is_some_and(|a| !a.is_empty()));
    insta::assert_snapshot!("codes_json", out);
}
