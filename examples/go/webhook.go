package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far webhook-timestamp may be from now (Standard Webhooks: 5 minutes).
const Tolerance = 5 * time.Minute

// WebhookError says why a webhook was refused.
type WebhookError struct{ Code, Message string }

func (e *WebhookError) Error() string { return e.Code + ": " + e.Message }

// WebhookKey is the HMAC key of a whsec_<base64> secret: the bytes after the prefix, decoded.
func WebhookKey(secret string) ([]byte, error) {
	if !strings.HasPrefix(secret, "whsec_") {
		return nil, errors.New("must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, errors.New("not base64 after whsec_")
	}
	return key, nil
}

// VerifyWebhook checks a Standard Webhooks signature: HMAC-SHA256 over
// id + "." + timestamp + "." + body, any of the space-separated "v1,<base64>" values.
func VerifyWebhook(key []byte, h http.Header, body []byte, now time.Time) *WebhookError {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return &WebhookError{"missing_headers", "webhook-id, webhook-timestamp and webhook-signature are required"}
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 || strings.Trim(ts, "0123456789") != "" {
		return &WebhookError{"bad_timestamp", "webhook-timestamp is not Unix seconds"}
	}
	if d := now.Sub(time.Unix(secs, 0)); d > Tolerance || d < -Tolerance {
		return &WebhookError{"stale_timestamp", "webhook-timestamp is more than 5 minutes away from now"}
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	expected := mac.Sum(nil)
	for _, sig := range strings.Split(sigs, " ") {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		given, err := base64.StdEncoding.DecodeString(value)
		if err == nil && hmac.Equal(given, expected) {
			return nil
		}
	}
	return &WebhookError{"bad_signature", "no webhook-signature matches the body"}
}
