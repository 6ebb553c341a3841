//! What the modules of this binary share: the `cmcc` binary, programs run and waited for with
//! deadlines, children stopped however a test ends, free ports, the repository's root, and a
//! skip that fails under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The `cmcc` binary under test (Cargo builds it for the integration tests).
pub(crate) const CMCC: &str = env!("CARGO_BIN_EXE_cmcc");

/// `cmcc up` with every listener on a free port.
pub(crate) const UP_ON_FREE_PORTS: [&str; 7] = [
    "up",
    "--sandbox-listen",
    "127.0.0.1:0",
    "--demo-listen",
    "127.0.0.1:0",
    "--gateway-listen",
    "127.0.0.1:0",
];

/// How long a command that answers and exits may take on a loaded machine.
pub(crate) const COMMAND_DEADLINE: Duration = Duration::from_secs(120);

/// `line` split at its spaces: a command's arguments written as one types them.
pub(crate) fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The workspace's root (the README, `examples/`, `e2e/`, `dev`).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// A free local port (bound and released: the child binds it next).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `Command::output` with a deadline: stdin closed, both pipes read while the child runs (so a
/// child that writes more than a pipe holds never blocks), the child killed and the test failed
/// with `what` once `limit` has passed. `Err` only when the program cannot be started.
pub(crate) fn output_within(
    cmd: &mut Command,
    what: &str,
    limit: Duration,
) -> std::io::Result<Output> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = read_all(child.stdout.take().unwrap());
    let stderr = read_all(child.stderr.take().unwrap());
    let status = wait_for(&mut child, what, limit);
    Ok(Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    })
}

/// Everything `pipe` gives until its end, read on a thread of its own.
fn read_all(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Wait for `child` at most `limit`; past it, kill the child and fail with `what`.
pub(crate) fn wait_for(child: &mut Child, what: &str, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGTERM (a graceful stop), then up to `grace` for the child to end; SIGKILL after that.
/// The exit status when the child ended by itself, `None` when it had to be killed.
pub(crate) fn terminate(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    if let Ok(Some(s)) = child.try_wait() {
        return Some(s);
    }
    let mut kill = Command::new("kill");
    kill.args(["-TERM", &child.id().to_string()]);
    let _ = output_within(&mut kill, "kill -TERM", Duration::from_secs(10));
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// A child that is killed (SIGKILL) and reaped when this is dropped, however the test ends.
#[derive(Debug)]
pub(crate) struct KillOnDrop(pub(crate) Child);

impl KillOnDrop {
    /// SIGKILL now and reap the child: a process killed in the middle of its work.
    pub(crate) fn kill(mut self) {
        self.0.kill().unwrap();
        wait_for(
            &mut self.0,
            "a child after SIGKILL",
            Duration::from_secs(10),
        );
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `cmcc ARGS` in `dir`, quiet (output discarded, `RUST_LOG=warn`), without a gateway
/// configuration from the caller's environment.
pub(crate) fn spawn_quiet(dir: &Path, args: &[&str]) -> KillOnDrop {
    let child = Command::new(CMCC)
        .current_dir(dir)
        .args(args)
        .env_remove("CMCC_GATEWAY_CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    KillOnDrop(child)
}

/// Wait until `GET url` answers 2xx (a server starting), or fail naming `url`.
pub(crate) async fn wait_ok(http: &reqwest::Client, url: &str, within: Duration) {
    cmcc_testkit::eventually_true(&format!("{url} to answer 2xx"), within, || async {
        http.get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
}

/// Skip a test whose tools are missing here, with a notice; under `CI=true`, fail instead,
/// so CI never passes by skipping.
pub(crate) fn skip(what: &str, why: &str) {
    assert!(
        !cmcc_testkit::backends::in_ci(),
        "CI=true but {what} cannot run: {why}"
    );
    eprintln!("SKIPPED: {what}: {why}; `./dev test` installs what it needs");
}
