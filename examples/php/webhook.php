<?php
// Standard Webhooks verification with PHP's own hash_hmac and hash_equals.

declare(strict_types=1);

/** How far webhook-timestamp may be from now (Standard Webhooks: 5 minutes). */
const WEBHOOK_TOLERANCE_SECS = 300;

/** The HMAC key of a whsec_<base64> secret: the bytes after the prefix, decoded (null if malformed). */
function webhook_key(string $secret): ?string
{
    if (!str_starts_with($secret, 'whsec_')) {
        return null;
    }
    $key = base64_decode(substr($secret, strlen('whsec_')), true);
    return $key === false || $key === '' ? null : $key;
}

/**
 * null if the signature holds, else [code, message]: HMAC-SHA256 over
 * id . "." . timestamp . "." . body, any of the space-separated "v1,<base64>" values.
 */
function verify_webhook(string $key, string $id, string $timestamp, string $signatures, string $body, int $now): ?array
{
    if ($id === '' || $timestamp === '' || $signatures === '') {
        return ['missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required'];
    }
    if (preg_match('/^[0-9]{1,12}$/', $timestamp) !== 1) {
        return ['bad_timestamp', 'webhook-timestamp is not Unix seconds'];
    }
    if (abs($now - (int) $timestamp) > WEBHOOK_TOLERANCE_SECS) {
        return ['stale_timestamp', 'webhook-timestamp is more than 5 minutes away from now'];
    }
    $expected = hash_hmac('sha256', "$id.$timestamp.$body", $key, true);
    foreach (explode(' ', $signatures) as $sig) {
        $parts = explode(',', $sig, 2);
        if (count($parts) !== 2 || $parts[0] !== 'v1') {
            continue;
        }
        $given = base64_decode($parts[1], true);
        if ($given !== false && hash_equals($expected, $given)) {
            return null;
        }
    }
    return ['bad_signature', 'no webhook-signature matches the body'];
}
