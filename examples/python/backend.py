#!/usr/bin/env python3
"""A business backend in Python (3.8+, standard library only) that integrates the cmcc gateway.

    python3 examples/python/backend.py

Routes (the same in every language of examples/):
  POST /api/verify         {"phone", "token", "userInformation"} -> the gateway's POST /v1/verify
  POST /api/registrations  {"msisdn" | "iccid" | "imsi"}         -> the gateway's POST /v1/registrations
  POST /webhooks/cmcc      the gateway's signed webhook (Standard Webhooks), verified with HMAC

Configuration (environment):
  CMCC_GATEWAY_URL          default http://127.0.0.1:8702 (what `cmcc up` prints)
  CMCC_API_KEY              the gateway's server API key, or CMCC_API_KEY_FILE (default
                            .cmcc/gateway-api-key, which `cmcc up` writes)
  CMCC_WEBHOOK_SECRET       whsec_... secret the gateway signs webhooks with, or CMCC_WEBHOOK_SECRET_FILE
                            (default .cmcc/webhook-secret, which `cmcc up --webhook-url` writes)
  PORT                      default 8090 (listens on 127.0.0.1)
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 64 * 1024
TOLERANCE_SECS = 5 * 60


def log(line):
    # Never log phone numbers, tokens, keys or secrets: ids and codes are enough.
    print(line, file=sys.stderr, flush=True)


def secret_from_env(name, default_file=None):
    """The value of NAME, else the content of the file NAME_FILE (or default_file if it exists)."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = os.environ.get(name + "_FILE")
    if not path and default_file and os.path.exists(default_file):
        path = default_file
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
        except OSError as e:
            sys.exit(f"cannot read {path} ({name}_FILE): {e.strerror}")
    return None


def webhook_key(secret):
    """The HMAC key of a whsec_<base64> secret: the bytes after the prefix, base64-decoded."""
    if not secret.startswith("whsec_"):
        sys.exit("CMCC_WEBHOOK_SECRET must start with whsec_")
    try:
        return base64.b64decode(secret[len("whsec_"):], validate=True)
    except binascii.Error:
        sys.exit("CMCC_WEBHOOK_SECRET: not base64 after whsec_")


GATEWAY = os.environ.get("CMCC_GATEWAY_URL", "http://127.0.0.1:8702").rstrip("/")
API_KEY = secret_from_env("CMCC_API_KEY", ".cmcc/gateway-api-key")
_secret = secret_from_env("CMCC_WEBHOOK_SECRET", ".cmcc/webhook-secret")
WEBHOOK_KEY = webhook_key(_secret) if _secret else None


def error(code, message):
    return {"error": {"code": code, "message": message}}


def call_gateway(path, body, api_key=None):
    """POST JSON to the gateway: (status, answer). Errors keep the gateway's status and body."""
    req = urllib.request.Request(GATEWAY + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if api_key:
        req.add_header("Authorization", "Bearer " + api_key)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, text = resp.status, resp.read()
        try:
            return status, json.loads(text)
        except ValueError:
            return 502, error("bad_gateway_answer", f"the gateway answered HTTP {status} without JSON")
    except urllib.error.HTTPError as e:
        try:
            answer = json.load(e)
        except ValueError:
            answer = error("bad_gateway_answer", f"the gateway answered HTTP {e.code} without JSON")
        err = answer.get("error", {})
        hint = f" (hint: {err['hint']})" if err.get("hint") else ""
        log(f"gateway {path}: HTTP {e.code} {err.get('code')}: {err.get('message')}{hint}")
        return e.code, answer
    except (urllib.error.URLError, OSError, ValueError) as e:
        log(f"gateway {path}: cannot reach {GATEWAY}: {e}")
        return 502, error("gateway_unreachable", f"cannot reach the gateway at {GATEWAY}")


def verify_webhook(key, headers, body, now):
    """None if the Standard Webhooks signature holds, else (code, message)."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        return "missing_headers", "webhook-id, webhook-timestamp and webhook-signature are required"
    if not re.fullmatch(r"[0-9]{1,12}", timestamp):
        return "bad_timestamp", "webhook-timestamp is not Unix seconds"
    if abs(now - int(timestamp)) > TOLERANCE_SECS:
        return "stale_timestamp", "webhook-timestamp is more than 5 minutes away from now"
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    for sig in signatures.split(" "):
        version, _, value = sig.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(given, expected):
            return None
    return "bad_signature", "no webhook-signature matches the body"


class Backend(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request(self, code="-", size="-"):
        log(f"{self.command} {self.path.split('?')[0]} -> {code}")

    def log_message(self, fmt, *args):
        log(fmt % args)

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            # Say so: a keep-alive client would otherwise send its next request into the close.
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            # Read (and drop) a body up to 1 MiB so the client sees the answer, not a reset.
            if 0 < length <= 1 << 20:
                self.rfile.read(length)
            self.close_connection = True
            self.answer(413, error("too_large", f"the body must be at most {MAX_BODY} bytes"))
            return None
        return self.rfile.read(length)

    def read_json(self):
        raw = self.read_body()
        if raw is None:
            return None
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.answer(400, error("bad_json", "the body must be a JSON object"))
            return None
        return body

    def do_POST(self):
        try:
            self.route()
        except Exception as e:  # a bug of ours: log its kind, answer in the one error shape
            log(f"POST {self.path.split('?')[0]}: {type(e).__name__}")
            self.close_connection = True
            self.answer(500, error("internal", "the backend failed"))

    def route(self):
        route = self.path.split("?")[0]
        if route == "/api/verify":
            self.verify_number()
        elif route == "/api/registrations":
            self.issue_registration_link()
        elif route == "/webhooks/cmcc":
            self.receive_webhook()
        else:
            self.read_body()
            self.answer(404, error("not_found", "no such route"))

    def do_GET(self):
        self.answer(404, error("not_found", "POST /api/verify, /api/registrations or /webhooks/cmcc"))

    def verify_number(self):
        """The page sends the number the user typed and the JSSDK's token; only the gateway's answer counts."""
        body = self.read_json()
        if body is None:
            return
        fields = {k: body.get(k) for k in ("phone", "token", "userInformation")}
        if not all(isinstance(v, str) and v for v in fields.values()):
            self.answer(400, error("bad_request", "phone, token and userInformation are required strings"))
            return
        status, answer = call_gateway("/v1/verify", fields)
        if status == 200:
            # Here a real backend logs the user in when answer["verified"] is true.
            log(f"verify: verified={answer['verified']} code={answer['code']} taskId={answer.get('taskId')}")
            answer = {"verified": answer["verified"], "code": answer["code"]}
        self.answer(status, answer)

    def issue_registration_link(self):
        """A registration link (urlType 6, an H5 page) for one IoT card; needs the server API key."""
        body = self.read_json()
        if body is None:
            return
        cards = {k: body[k] for k in ("msisdn", "iccid", "imsi") if isinstance(body.get(k), str)}
        if len(cards) != 1:
            self.answer(400, error("bad_request", "exactly one of msisdn, iccid, imsi is required"))
            return
        if not API_KEY:
            self.answer(503, error("no_api_key", "set CMCC_API_KEY or CMCC_API_KEY_FILE"))
            return
        status, answer = call_gateway("/v1/registrations", {**cards, "urlType": 6}, API_KEY)
        if status == 200:
            log(f"registration: link issued, busiSeq={answer['busiSeq']}")
            answer = {"busiSeq": answer["busiSeq"], "url": answer["url"]}
        self.answer(status, answer)

    def receive_webhook(self):
        """Verify before parsing: the raw bytes are what was signed."""
        raw = self.read_body()
        if raw is None:
            return
        if WEBHOOK_KEY is None:
            self.answer(503, error("no_webhook_secret", "set CMCC_WEBHOOK_SECRET or CMCC_WEBHOOK_SECRET_FILE"))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        refused = verify_webhook(WEBHOOK_KEY, headers, raw, int(time.time()))
        if refused:
            log(f"webhook refused: {refused[0]}")
            self.answer(401, error(*refused))
            return
        try:
            event = json.loads(raw)
            data = event.get("data") or {}
        except (ValueError, AttributeError):
            self.answer(400, error("bad_json", "the signed body is not a JSON object"))
            return
        # webhook-id stays the same on every retry: store it with your update to skip duplicates.
        msg_id = headers["webhook-id"]
        log(f"webhook {msg_id}: {event.get('type')} busiSeq={data.get('busiSeq')} state={data.get('state')}")
        self.answer(200, {"received": msg_id})


def main():
    port = int(os.environ.get("PORT", "8090"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Backend)
    log(f"listening on http://127.0.0.1:{server.server_address[1]} (gateway {GATEWAY})")
    if not API_KEY:
        log("no API key: /api/registrations answers 503 (set CMCC_API_KEY or CMCC_API_KEY_FILE)")
    if WEBHOOK_KEY is None:
        log("no webhook secret: /webhooks/cmcc answers 503 (set CMCC_WEBHOOK_SECRET)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
