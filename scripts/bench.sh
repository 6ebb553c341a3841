#!/usr/bin/env bash
# ./dev bench [--quick] [STEP...]: every benchmark of docs/BENCHMARKS.md, then the tables and
# charts regenerated from this run (`cmcc-bench report`, between the markers in the doc).
#   steps: rsa sdk sandbox gateway push peers memory (default: all of them)
#   --quick  short durations, few requests: a smoke run that proves every step works;
#            its tables say so. Never quote a --quick figure as a measurement.
# One step alone reproduces its figures, e.g. `./dev bench gateway`. Run on an otherwise idle
# machine: client and servers share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=""
steps=()
for a in "$@"; do
  case "$a" in
    --quick) quick="--quick" ;;
    rsa | sdk | sandbox | gateway | push | peers | memory) steps+=("$a") ;;
    -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown bench step: $a (see ./dev bench --help)" >&2; exit 2 ;;
  esac
done
((${#steps[@]})) || steps=(rsa sdk sandbox gateway push peers memory)
has() { [[ " ${steps[*]} " == *" $1 "* ]]; }

# Tools from Debian: wrk (load tool of push and peers), perf (the profile; optional),
# psql (a fresh schema for the PostgreSQL run).
pkgs=()
command -v wrk >/dev/null || pkgs+=(wrk)
command -v perf >/dev/null || pkgs+=(linux-perf)
command -v psql >/dev/null || pkgs+=(postgresql-client)
if ((${#pkgs[@]})); then
  echo "==> installing ${pkgs[*]} (apt)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${pkgs[@]}" || echo "(some bench tools missing; their steps will say so)"
fi
# The mock servers compared with the sandbox, from bench/peers/package-lock.json (npm only;
# WireMock's jar ships inside its npm package and runs on the system JDK).
if has peers && [ ! -d bench/peers/node_modules/wiremock ]; then
  echo "==> npm ci (bench/peers)"
  npm ci --prefix bench/peers --no-audit --no-fund
fi

echo "==> building (bench profile)"
# Two builds, not one: built together, the bench crate's dependency features would be unified
# into the `cmcc` binary under test (and rebuild it).
cargo build --profile bench --locked -q -p cmcc
cargo build --profile bench --locked -q -p cmcc-bench
out=bench/results
mkdir -p "$out"
bench_bin=target/release/cmcc-bench

header() {
  echo "# $(date -u '+%F %H:%M UTC'); $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average $(cut -d' ' -f1-3 /proc/loadavg)${quick:+; SMOKE RUN (--quick), not a measurement}"
}
# A component benchmark's stdout goes to bench/results/NAME.txt (stderr to NAME.err).
raw() {
  local name=$1
  shift
  echo "==> $name: $*"
  { header; "$@" 2>"$out/$name.err"; } | tee "$out/$name.txt"
}

if has rsa; then
  if [ -n "$quick" ]; then raw rsa cargo bench -q --locked -p cmcc-proto --bench crypto -- --seconds 0.2 --rounds 1
  else raw rsa cargo bench -q --locked -p cmcc-proto --bench crypto -- --seconds 2 --rounds 3; fi
fi
if has sdk; then
  if [ -n "$quick" ]; then CMCC_BENCH_SECS=0.3 CMCC_BENCH_ROUNDS=1 raw sdk cargo bench -q --locked -p cmcc-client --bench verify_cost
  else CMCC_BENCH_ROUNDS=5 raw sdk cargo bench -q --locked -p cmcc-client --bench verify_cost; fi
fi
if has sandbox; then
  if [ -n "$quick" ]; then
    BENCH_VERIFIES=2000 BENCH_TOKENS=100000 raw sandbox-auth cargo bench -q --locked -p cmcc-sandbox --bench auth_verify
    ONELINK_BENCH_SECS=1 ONELINK_BENCH_PUSHES=2000 raw sandbox-onelink cargo bench -q --locked -p cmcc-sandbox --bench onelink_load
  else
    raw sandbox-auth cargo bench -q --locked -p cmcc-sandbox --bench auth_verify
    raw sandbox-onelink cargo bench -q --locked -p cmcc-sandbox --bench onelink_load
  fi
fi
if has gateway; then echo "==> gateway"; "$bench_bin" $quick verify; fi
if has push; then echo "==> push"; "$bench_bin" $quick push; fi
if has peers; then echo "==> peers"; "$bench_bin" $quick peers; fi
if has memory; then echo "==> memory"; "$bench_bin" $quick memory; fi

echo "==> report"
"$bench_bin" report
