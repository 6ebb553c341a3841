// A business backend in Node.js (20+, no npm packages: built-in fetch, http and crypto) that
// integrates the cmcc gateway.
//
//   node examples/node/backend.mjs
//
// Routes (the same in every language of examples/):
//   POST /api/verify         {"phone", "token", "userInformation"} -> the gateway's POST /v1/verify
//   POST /api/registrations  {"msisdn" | "iccid" | "imsi"}         -> the gateway's POST /v1/registrations
//   POST /webhooks/cmcc      the gateway's signed webhook (Standard Webhooks), verified with HMAC
//
// Configuration (environment):
//   CMCC_GATEWAY_URL      default http://127.0.0.1:8702 (what `cmcc up` prints)
//   CMCC_API_KEY          the gateway's server API key, or CMCC_API_KEY_FILE (default
//                         .cmcc/gateway-api-key, which `cmcc up` writes)
//   CMCC_WEBHOOK_SECRET   whsec_... secret the gateway signs webhooks with, or CMCC_WEBHOOK_SECRET_FILE
//                         (default .cmcc/webhook-secret, which `cmcc up --webhook-url` writes)
//   PORT                  default 8090 (listens on 127.0.0.1)

import { createHmac, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";

const MAX_BODY = 64 * 1024;
const TOLERANCE_SECS = 5 * 60;

// Never log phone numbers, tokens, keys or secrets: ids and codes are enough.
const log = (line) => console.error(line);

function fail(message) {
  console.error(message);
  process.exit(2);
}

/** The value of NAME, else the content of the file NAME_FILE (or defaultFile if it exists). */
function secretFromEnv(name, defaultFile) {
  const value = (process.env[name] ?? "").trim();
  if (value) return value;
  let path = process.env[`${name}_FILE`];
  if (!path && defaultFile && existsSync(defaultFile)) path = defaultFile;
  if (!path) return null;
  try {
    return readFileSync(path, "utf8").trim();
  } catch (e) {
    fail(`cannot read ${path} (${name}_FILE): ${e.code}`);
  }
}

/** The HMAC key of a whsec_<base64> secret: the bytes after the prefix, base64-decoded. */
function webhookKey(secret) {
  if (!secret.startsWith("whsec_")) fail("CMCC_WEBHOOK_SECRET must start with whsec_");
  const b64 = secret.slice("whsec_".length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) fail("CMCC_WEBHOOK_SECRET: not base64 after whsec_");
  return Buffer.from(b64, "base64");
}

const GATEWAY = (process.env.CMCC_GATEWAY_URL ?? "http://127.0.0.1:8702").replace(/\/+$/, "");
const API_KEY = secretFromEnv("CMCC_API_KEY", ".cmcc/gateway-api-key");
const secret = secretFromEnv("CMCC_WEBHOOK_SECRET", ".cmcc/webhook-secret");
const WEBHOOK_KEY = secret ? webhookKey(secret) : null;

const error = (code, message) => ({ error: { code, message } });

/** POST JSON to the gateway: [status, answer]. Errors keep the gateway's status and body. */
async function callGateway(path, body, apiKey) {
  const headers = { "content-type": "application/json" };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  let resp;
  try {
    resp = await fetch(GATEWAY + path, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    log(`gateway ${path}: cannot reach ${GATEWAY}: ${e.cause?.code ?? e.name}`);
    return [502, error("gateway_unreachable", `cannot reach the gateway at ${GATEWAY}`)];
  }
  let answer;
  try {
    answer = await resp.json();
  } catch {
    answer = error("bad_gateway_answer", `the gateway answered HTTP ${resp.status} without JSON`);
    return [502, answer];
  }
  if (!resp.ok) {
    const err = answer.error ?? {};
    const hint = err.hint ? ` (hint: ${err.hint})` : "";
    log(`gateway ${path}: HTTP ${resp.status} ${err.code}: ${err.message}${hint}`);
  }
  return [resp.status, answer];
}

/** null if the Standard Webhooks signature holds, else [code, message]. */
export function verifyWebhook(key, headers, body, now) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) {
    return ["missing_headers", "webhook-id, webhook-timestamp and webhook-signature are required"];
  }
  if (!/^[0-9]{1,12}$/.test(timestamp)) {
    return ["bad_timestamp", "webhook-timestamp is not Unix seconds"];
  }
  if (Math.abs(now - Number(timestamp)) > TOLERANCE_SECS) {
    return ["stale_timestamp", "webhook-timestamp is more than 5 minutes away from now"];
  }
  const expected = createHmac("sha256", key)
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest();
  for (const sig of signatures.split(" ")) {
    const [version, value] = sig.split(",", 2);
    if (version !== "v1" || value === undefined) continue;
    const given = Buffer.from(value, "base64");
    // timingSafeEqual needs equal lengths; the length of an HMAC-SHA256 is no secret.
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
  }
  return ["bad_signature", "no webhook-signature matches the body"];
}

function answer(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(data),
  });
  res.end(data);
}

/** The raw body, or null after answering 413 (a body up to 1 MiB is read first and dropped,
 * so the client sees the answer rather than a reset). */
async function readBody(req, res) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
    else if (size > 1 << 20) break;
  }
  if (size > MAX_BODY) {
    res.setHeader("connection", "close");
    answer(res, 413, error("too_large", `the body must be at most ${MAX_BODY} bytes`));
    return null;
  }
  return Buffer.concat(chunks);
}

function parseObject(raw) {
  try {
    const v = JSON.parse(raw.toString("utf8"));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** The page sends the number the user typed and the JSSDK's token; only the gateway's answer counts. */
async function verifyNumber(body) {
  const fields = { phone: body.phone, token: body.token, userInformation: body.userInformation };
  if (!Object.values(fields).every((v) => typeof v === "string" && v)) {
    return [400, error("bad_request", "phone, token and userInformation are required strings")];
  }
  const [status, a] = await callGateway("/v1/verify", fields);
  if (status !== 200) return [status, a];
  // Here a real backend logs the user in when a.verified is true.
  log(`verify: verified=${a.verified} code=${a.code} taskId=${a.taskId}`);
  return [200, { verified: a.verified, code: a.code }];
}

/** A registration link (urlType 6, an H5 page) for one IoT card; needs the server API key. */
async function issueRegistrationLink(body) {
  const cards = Object.fromEntries(
    ["msisdn", "iccid", "imsi"].filter((k) => typeof body[k] === "string").map((k) => [k, body[k]]),
  );
  if (Object.keys(cards).length !== 1) {
    return [400, error("bad_request", "exactly one of msisdn, iccid, imsi is required")];
  }
  if (!API_KEY) return [503, error("no_api_key", "set CMCC_API_KEY or CMCC_API_KEY_FILE")];
  const [status, a] = await callGateway("/v1/registrations", { ...cards, urlType: 6 }, API_KEY);
  if (status !== 200) return [status, a];
  log(`registration: link issued, busiSeq=${a.busiSeq}`);
  return [200, { busiSeq: a.busiSeq, url: a.url }];
}

/** Verify before parsing: the raw bytes are what was signed. */
function receiveWebhook(headers, raw) {
  if (!WEBHOOK_KEY) {
    return [503, error("no_webhook_secret", "set CMCC_WEBHOOK_SECRET or CMCC_WEBHOOK_SECRET_FILE")];
  }
  const refused = verifyWebhook(WEBHOOK_KEY, headers, raw, Math.floor(Date.now() / 1000));
  if (refused) {
    log(`webhook refused: ${refused[0]}`);
    return [401, error(...refused)];
  }
  const event = parseObject(raw);
  if (!event) return [400, error("bad_json", "the signed body is not a JSON object")];
  const data = event.data ?? {};
  // webhook-id stays the same on every retry: store it with your update to skip duplicates.
  const id = headers["webhook-id"];
  log(`webhook ${id}: ${event.type} busiSeq=${data.busiSeq} state=${data.state}`);
  return [200, { received: id }];
}

async function route(req, res) {
  const path = req.url.split("?")[0];
  const raw = await readBody(req, res);
  if (raw === null) return 413;
  let out;
  if (req.method !== "POST") {
    out = [404, error("not_found", "POST /api/verify, /api/registrations or /webhooks/cmcc")];
  } else if (path === "/webhooks/cmcc") {
    out = receiveWebhook(req.headers, raw);
  } else if (path === "/api/verify" || path === "/api/registrations") {
    const body = parseObject(raw);
    if (!body) out = [400, error("bad_json", "the body must be a JSON object")];
    else if (path === "/api/verify") out = await verifyNumber(body);
    else out = await issueRegistrationLink(body);
  } else {
    out = [404, error("not_found", "no such route")];
  }
  answer(res, ...out);
  return out[0];
}

const server = createServer((req, res) => {
  route(req, res)
    .then((status) => log(`${req.method} ${req.url.split("?")[0]} -> ${status}`))
    .catch((e) => {
      log(`${req.method} ${req.url.split("?")[0]}: ${e.name}`);
      if (!res.headersSent) answer(res, 500, error("internal", "the backend failed"));
    });
});
const port = Number(process.env.PORT ?? 8090);
server.listen(port, "127.0.0.1", () => {
  log(`listening on http://127.0.0.1:${server.address().port} (gateway ${GATEWAY})`);
  if (!API_KEY) log("no API key: /api/registrations answers 503 (set CMCC_API_KEY or CMCC_API_KEY_FILE)");
  if (!WEBHOOK_KEY) log("no webhook secret: /webhooks/cmcc answers 503 (set CMCC_WEBHOOK_SECRET)");
});
