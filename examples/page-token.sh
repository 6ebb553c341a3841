#!/usr/bin/env bash
# What a page's JSSDK does to get a verification token, with curl, against `cmcc up`'s sandbox
# only (a real token needs a phone on China Mobile's cellular network). Prints the JSON body a
# page sends its backend, for the examples' POST /api/verify:
#
#   examples/page-token.sh 13800138000 | curl -s -H 'content-type: application/json' \
#       -d @- http://127.0.0.1:8090/api/verify
#
# Steps (the mini-program JSSDK's, seed 001): the gateway makes the MD5 sign (POST /v1/token-sign,
# businessType 5; the appKey stays in the gateway), then getTokenInfo on the sandbox, whose
# X-Cmcc-Sandbox-Device header stands for the cellular network telling the platform the number.
# Environment: CMCC_SANDBOX_URL (default http://127.0.0.1:8700), CMCC_GATEWAY_URL (default
# http://127.0.0.1:8702). The token is valid for one minute and one verification.
set -euo pipefail
phone="${1:?usage: $0 <phone number of the sandbox device> [number the user typed]}"
typed="${2:-$phone}"
sandbox="${CMCC_SANDBOX_URL:-http://127.0.0.1:8700}"
gateway="${CMCC_GATEWAY_URL:-http://127.0.0.1:8702}"

field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

trace=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
ts=$(TZ=Asia/Shanghai date +%Y%m%d%H%M%S%3N) # 17 digits, China time
signed=$(curl -sS --max-time 10 -X POST "$gateway/v1/token-sign" -H 'content-type: application/json' \
  -d "{\"businessType\":\"5\",\"traceId\":\"$trace\",\"timestamp\":\"$ts\"}")
app_id=$(field appId <<<"$signed")
sign=$(field sign <<<"$signed")
[ -n "$sign" ] || { echo "the gateway did not sign: $signed" >&2; exit 1; }

answer=$(curl -sS --max-time 10 -X POST "$sandbox/NumberAbility/jssdkVlm_MiniProg/getTokenInfo.htm" \
  -H 'content-type: application/json' -H "X-Cmcc-Sandbox-Device: $phone" \
  -d "{\"version\":\"1.0\",\"appId\":\"$app_id\",\"businessType\":\"5\",\"traceId\":\"$trace\",\"msgId\":\"$trace\",\"timestamp\":\"$ts\",\"openType\":\"1\",\"sign\":\"$sign\"}")
token=$(field token <<<"$answer")
info=$(field userInformation <<<"$answer")
[ -n "$token" ] || { echo "no token: $answer" >&2; exit 1; }
printf '{"phone":"%s","token":"%s","userInformation":"%s"}\n' "$typed" "$token" "$info"
