// A business backend in Go (1.19+, standard library only) that integrates the cmcc gateway.
//
//	cd examples/go && go run .
//
// Routes (the same in every language of examples/):
//
//	POST /api/verify         {"phone", "token", "userInformation"} -> the gateway's POST /v1/verify
//	POST /api/registrations  {"msisdn" | "iccid" | "imsi"}         -> the gateway's POST /v1/registrations
//	POST /webhooks/cmcc      the gateway's signed webhook (Standard Webhooks), verified with HMAC
//
// Configuration (environment):
//
//	CMCC_GATEWAY_URL      default http://127.0.0.1:8702 (what `cmcc up` prints)
//	CMCC_API_KEY          the gateway's server API key, or CMCC_API_KEY_FILE (default
//	                      .cmcc/gateway-api-key, which `cmcc up` writes)
//	CMCC_WEBHOOK_SECRET   whsec_... secret the gateway signs webhooks with, or CMCC_WEBHOOK_SECRET_FILE
//	                      (default .cmcc/webhook-secret, which `cmcc up --webhook-url` writes)
//	PORT                  default 8090 (listens on 127.0.0.1)
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

const maxBody = 64 * 1024

type backend struct {
	gateway    string
	apiKey     string
	webhookKey []byte // nil: no secret configured
	http       *http.Client
}

// apiError is the one error shape of the gateway, and of this backend.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Hint    string `json:"hint,omitempty"`
	} `json:"error"`
}

func errorBody(code, message string) apiError {
	var e apiError
	e.Error.Code, e.Error.Message = code, message
	return e
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// callGateway POSTs JSON to the gateway and decodes a 200 answer into out. On an error it returns
// the gateway's status and error body, for the caller to pass on.
func (b *backend) callGateway(path string, body any, withKey bool, out any) (int, *apiError) {
	payload, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, b.gateway+path, bytes.NewReader(payload))
	if err != nil {
		e := errorBody("gateway_unreachable", "bad CMCC_GATEWAY_URL")
		return http.StatusBadGateway, &e
	}
	req.Header.Set("Content-Type", "application/json")
	if withKey {
		req.Header.Set("Authorization", "Bearer "+b.apiKey)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		log.Printf("gateway %s: cannot reach %s: %v", path, b.gateway, errors.Unwrap(err))
		e := errorBody("gateway_unreachable", "cannot reach the gateway at "+b.gateway)
		return http.StatusBadGateway, &e
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK {
		if err := dec.Decode(out); err != nil {
			e := errorBody("bad_gateway_answer", "the gateway's answer is not the expected JSON")
			return http.StatusBadGateway, &e
		}
		return http.StatusOK, nil
	}
	var e apiError
	if err := dec.Decode(&e); err != nil || e.Error.Code == "" {
		e = errorBody("bad_gateway_answer", fmt.Sprintf("the gateway answered HTTP %d without JSON", resp.StatusCode))
		return http.StatusBadGateway, &e
	}
	hint := ""
	if e.Error.Hint != "" {
		hint = " (hint: " + e.Error.Hint + ")"
	}
	log.Printf("gateway %s: HTTP %d %s: %s%s", path, resp.StatusCode, e.Error.Code, e.Error.Message, hint)
	return resp.StatusCode, &e
}

// readJSON decodes the request's JSON object into v, or answers 400/413 and returns false.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, ok := readBody(w, r)
	if !ok {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		reply(w, http.StatusBadRequest, errorBody("bad_json", "the body must be a JSON object"))
		return false
	}
	return true
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		reply(w, http.StatusRequestEntityTooLarge, errorBody("too_large", fmt.Sprintf("the body must be at most %d bytes", maxBody)))
		return nil, false
	}
	return raw, true
}

// verifyNumber: the page sends the number the user typed and the JSSDK's token; only the
// gateway's answer counts.
func (b *backend) verifyNumber(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Phone           *string `json:"phone"`
		Token           *string `json:"token"`
		UserInformation *string `json:"userInformation"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.Phone == nil || in.Token == nil || in.UserInformation == nil || *in.Phone == "" || *in.Token == "" || *in.UserInformation == "" {
		reply(w, http.StatusBadRequest, errorBody("bad_request", "phone, token and userInformation are required strings"))
		return
	}
	var out struct {
		Verified bool   `json:"verified"`
		Code     string `json:"code"`
		TaskID   string `json:"taskId"`
	}
	status, e := b.callGateway("/v1/verify", in, false, &out)
	if e != nil {
		reply(w, status, e)
		return
	}
	// Here a real backend logs the user in when out.Verified is true.
	log.Printf("verify: verified=%t code=%s taskId=%s", out.Verified, out.Code, out.TaskID)
	reply(w, http.StatusOK, map[string]any{"verified": out.Verified, "code": out.Code})
}

// issueRegistrationLink: a registration link (urlType 6, an H5 page) for one IoT card; needs the
// server API key.
func (b *backend) issueRegistrationLink(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if !readJSON(w, r, &in) {
		return
	}
	req := map[string]any{"urlType": 6}
	for _, field := range []string{"msisdn", "iccid", "imsi"} {
		if v, ok := in[field].(string); ok {
			req[field] = v
		}
	}
	if len(req) != 2 {
		reply(w, http.StatusBadRequest, errorBody("bad_request", "exactly one of msisdn, iccid, imsi is required"))
		return
	}
	if b.apiKey == "" {
		reply(w, http.StatusServiceUnavailable, errorBody("no_api_key", "set CMCC_API_KEY or CMCC_API_KEY_FILE"))
		return
	}
	var out struct {
		BusiSeq string `json:"busiSeq"`
		URL     string `json:"url"`
	}
	status, e := b.callGateway("/v1/registrations", req, true, &out)
	if e != nil {
		reply(w, status, e)
		return
	}
	log.Printf("registration: link issued, busiSeq=%s", out.BusiSeq)
	reply(w, http.StatusOK, out)
}

// receiveWebhook verifies before parsing: the raw bytes are what was signed.
func (b *backend) receiveWebhook(w http.ResponseWriter, r *http.Request) {
	raw, ok := readBody(w, r)
	if !ok {
		return
	}
	if b.webhookKey == nil {
		reply(w, http.StatusServiceUnavailable, errorBody("no_webhook_secret", "set CMCC_WEBHOOK_SECRET or CMCC_WEBHOOK_SECRET_FILE"))
		return
	}
	if err := VerifyWebhook(b.webhookKey, r.Header, raw, time.Now()); err != nil {
		log.Printf("webhook refused: %s", err.Code)
		reply(w, http.StatusUnauthorized, errorBody(err.Code, err.Message))
		return
	}
	var event struct {
		Type string `json:"type"`
		Data struct {
			BusiSeq string `json:"busiSeq"`
			State   string `json:"state"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &event); err != nil {
		reply(w, http.StatusBadRequest, errorBody("bad_json", "the signed body is not a JSON object"))
		return
	}
	// webhook-id stays the same on every retry: store it with your update to skip duplicates.
	id := r.Header.Get("webhook-id")
	log.Printf("webhook %s: %s busiSeq=%s state=%s", id, event.Type, event.Data.BusiSeq, event.Data.State)
	reply(w, http.StatusOK, map[string]string{"received": id})
}

// statusRecorder remembers the status for the access log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (b *backend) routes() http.Handler {
	mux := http.NewServeMux()
	post := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				reply(w, http.StatusMethodNotAllowed, errorBody("method_not_allowed", "use POST"))
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("/api/verify", post(b.verifyNumber))
	mux.HandleFunc("/api/registrations", post(b.issueRegistrationLink))
	mux.HandleFunc("/webhooks/cmcc", post(b.receiveWebhook))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusNotFound, errorBody("not_found", "POST /api/verify, /api/registrations or /webhooks/cmcc"))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		log.Printf("%s %s -> %d", r.Method, r.URL.Path, rec.status)
	})
}

func main() {
	// Never log phone numbers, tokens, keys or secrets: ids and codes are enough.
	log.SetFlags(0)
	b := &backend{
		gateway: strings.TrimRight(envOr("CMCC_GATEWAY_URL", "http://127.0.0.1:8702"), "/"),
		apiKey:  secretFromEnv("CMCC_API_KEY", ".cmcc/gateway-api-key"),
		http:    &http.Client{Timeout: 10 * time.Second},
	}
	if secret := secretFromEnv("CMCC_WEBHOOK_SECRET", ".cmcc/webhook-secret"); secret != "" {
		key, err := WebhookKey(secret)
		if err != nil {
			log.Fatalf("CMCC_WEBHOOK_SECRET: %v", err)
		}
		b.webhookKey = key
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+envOr("PORT", "8090"))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	log.Printf("listening on http://%s (gateway %s)", ln.Addr(), b.gateway)
	if b.apiKey == "" {
		log.Print("no API key: /api/registrations answers 503 (set CMCC_API_KEY or CMCC_API_KEY_FILE)")
	}
	if b.webhookKey == nil {
		log.Print("no webhook secret: /webhooks/cmcc answers 503 (set CMCC_WEBHOOK_SECRET)")
	}
	srv := &http.Server{Handler: b.routes(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// secretFromEnv: the value of name, else the content of the file name_FILE (or defaultFile if
// it exists).
func secretFromEnv(name, defaultFile string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	path := os.Getenv(name + "_FILE")
	if path == "" && defaultFile != "" {
		if _, err := os.Stat(defaultFile); err == nil {
			path = defaultFile
		}
	}
	if path == "" {
		return ""
	}
	text, err := os.ReadFile(path)
	if err != nil {
		log.Fatalf("cannot read %s (%s_FILE): %v", path, name, errors.Unwrap(err))
	}
	return strings.TrimSpace(string(text))
}
