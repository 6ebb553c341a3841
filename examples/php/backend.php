<?php
// A business backend in PHP (8.1+, the curl extension, PHP's built-in web server) that
// integrates the cmcc gateway.
//
//   php -S 127.0.0.1:8090 examples/php/backend.php
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
// (the port is the one given to php -S).
//
// The built-in server runs one request at a time and is for development; in production the same
// file runs under PHP-FPM behind your web server, with every path routed to it.

declare(strict_types=1);

require __DIR__ . '/webhook.php';

const MAX_BODY = 64 * 1024;

// Never log phone numbers, tokens, keys or secrets: ids and codes are enough.
function log_line(string $line): void
{
    file_put_contents('php://stderr', $line . "\n");
}

// A bug of ours is logged by its kind and answered in the one error shape, never as a page.
ini_set('display_errors', '0');
set_exception_handler(function (Throwable $e): void {
    log_line('backend failed: ' . get_class($e));
    if (!headers_sent()) {
        reply(500, error_body('internal', 'the backend failed'));
    }
});

function reply(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
}

function error_body(string $code, string $message): array
{
    return ['error' => ['code' => $code, 'message' => $message]];
}

/** The value of $name, else the content of the file {$name}_FILE (or $default_file if it exists). */
function secret_from_env(string $name, ?string $default_file = null): ?string
{
    $value = trim((string) getenv($name));
    if ($value !== '') {
        return $value;
    }
    $path = getenv($name . '_FILE') ?: null;
    if ($path === null && $default_file !== null && is_file($default_file)) {
        $path = $default_file;
    }
    if ($path === null) {
        return null;
    }
    $text = @file_get_contents($path);
    if ($text === false) {
        log_line("cannot read $path ({$name}_FILE)");
        return null;
    }
    return trim($text);
}

/** POST JSON to the gateway: [status, answer]. Errors keep the gateway's status and body. */
function call_gateway(string $gateway, string $path, array $body, ?string $api_key = null): array
{
    $headers = ['Content-Type: application/json'];
    if ($api_key !== null) {
        $headers[] = 'Authorization: Bearer ' . $api_key;
    }
    $ch = curl_init($gateway . $path);
    curl_setopt_array($ch, [
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => json_encode($body),
        CURLOPT_HTTPHEADER => $headers,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 10,
    ]);
    $text = curl_exec($ch);
    $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    $failure = curl_error($ch);
    curl_close($ch);
    if ($text === false) {
        log_line("gateway $path: cannot reach $gateway: $failure");
        return [502, error_body('gateway_unreachable', "cannot reach the gateway at $gateway")];
    }
    $answer = json_decode($text, true);
    if (!is_array($answer)) {
        return [502, error_body('bad_gateway_answer', "the gateway answered HTTP $status without JSON")];
    }
    if ($status !== 200) {
        $e = $answer['error'] ?? [];
        $hint = isset($e['hint']) ? " (hint: {$e['hint']})" : '';
        log_line("gateway $path: HTTP $status " . ($e['code'] ?? '') . ': ' . ($e['message'] ?? '') . $hint);
    }
    return [$status, $answer];
}

/** The page sends the number the user typed and the JSSDK's token; only the gateway's answer counts. */
function verify_number(string $gateway, array $in): array
{
    $fields = [];
    foreach (['phone', 'token', 'userInformation'] as $k) {
        if (!isset($in[$k]) || !is_string($in[$k]) || $in[$k] === '') {
            return [400, error_body('bad_request', 'phone, token and userInformation are required strings')];
        }
        $fields[$k] = $in[$k];
    }
    [$status, $a] = call_gateway($gateway, '/v1/verify', $fields);
    if ($status !== 200) {
        return [$status, $a];
    }
    // Here a real backend logs the user in when $a['verified'] is true.
    log_line('verify: verified=' . json_encode($a['verified']) . " code={$a['code']} taskId={$a['taskId']}");
    return [200, ['verified' => $a['verified'], 'code' => $a['code']]];
}

/** A registration link (urlType 6, an H5 page) for one IoT card; needs the server API key. */
function issue_registration_link(string $gateway, ?string $api_key, array $in): array
{
    $card = array_filter(
        array_intersect_key($in, ['msisdn' => 1, 'iccid' => 1, 'imsi' => 1]),
        'is_string'
    );
    if (count($card) !== 1) {
        return [400, error_body('bad_request', 'exactly one of msisdn, iccid, imsi is required')];
    }
    if ($api_key === null) {
        return [503, error_body('no_api_key', 'set CMCC_API_KEY or CMCC_API_KEY_FILE')];
    }
    [$status, $a] = call_gateway($gateway, '/v1/registrations', $card + ['urlType' => 6], $api_key);
    if ($status !== 200) {
        return [$status, $a];
    }
    log_line("registration: link issued, busiSeq={$a['busiSeq']}");
    return [200, ['busiSeq' => $a['busiSeq'], 'url' => $a['url']]];
}

/** Verify before parsing: the raw bytes are what was signed. */
function receive_webhook(?string $secret, string $raw): array
{
    if ($secret === null) {
        return [503, error_body('no_webhook_secret', 'set CMCC_WEBHOOK_SECRET or CMCC_WEBHOOK_SECRET_FILE')];
    }
    $key = webhook_key($secret);
    if ($key === null) {
        return [503, error_body('bad_webhook_secret', 'CMCC_WEBHOOK_SECRET must be whsec_ and base64')];
    }
    $id = $_SERVER['HTTP_WEBHOOK_ID'] ?? '';
    $refused = verify_webhook(
        $key,
        $id,
        $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? '',
        $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? '',
        $raw,
        time()
    );
    if ($refused !== null) {
        log_line("webhook refused: {$refused[0]}");
        return [401, error_body(...$refused)];
    }
    $event = json_decode($raw, true);
    if (!is_array($event)) {
        return [400, error_body('bad_json', 'the signed body is not a JSON object')];
    }
    $data = is_array($event['data'] ?? null) ? $event['data'] : [];
    // webhook-id stays the same on every retry: store it with your update to skip duplicates.
    log_line("webhook $id: " . ($event['type'] ?? '') . ' busiSeq=' . ($data['busiSeq'] ?? '')
        . ' state=' . ($data['state'] ?? ''));
    return [200, ['received' => $id]];
}

$gateway = rtrim(getenv('CMCC_GATEWAY_URL') ?: 'http://127.0.0.1:8702', '/');
$route = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ((int) ($_SERVER['CONTENT_LENGTH'] ?? 0) > MAX_BODY) {
    reply(413, error_body('too_large', 'the body must be at most ' . MAX_BODY . ' bytes'));
    return;
}
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    reply(404, error_body('not_found', 'POST /api/verify, /api/registrations or /webhooks/cmcc'));
    return;
}
$raw = (string) file_get_contents('php://input', false, null, 0, MAX_BODY + 1);
if (strlen($raw) > MAX_BODY) {
    reply(413, error_body('too_large', 'the body must be at most ' . MAX_BODY . ' bytes'));
    return;
}
if ($route === '/webhooks/cmcc') {
    [$status, $body] = receive_webhook(secret_from_env('CMCC_WEBHOOK_SECRET', '.cmcc/webhook-secret'), $raw);
} elseif ($route === '/api/verify' || $route === '/api/registrations') {
    $in = json_decode($raw, true);
    if (!is_array($in) || array_is_list($in) && $in !== []) {
        [$status, $body] = [400, error_body('bad_json', 'the body must be a JSON object')];
    } elseif ($route === '/api/verify') {
        [$status, $body] = verify_number($gateway, $in);
    } else {
        $key = secret_from_env('CMCC_API_KEY', '.cmcc/gateway-api-key');
        [$status, $body] = issue_registration_link($gateway, $key, $in);
    }
} else {
    [$status, $body] = [404, error_body('not_found', 'no such route')];
}
reply($status, $body);
