// A business backend in Java (JDK 17, no framework, no dependencies: java.net.http.HttpClient,
// the JDK's com.sun.net.httpserver and javax.crypto.Mac) that integrates the cmcc gateway.
//
//   java examples/java/CmccBackend.java
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
//
// The JDK has no JSON library: a real backend uses its own (Jackson, Gson, ...); Json below is a
// small reader and writer just big enough for these bodies.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class CmccBackend {
    static final int MAX_BODY = 64 * 1024;
    static final long TOLERANCE_SECS = 5 * 60;

    final String gateway;
    final String apiKey; // null: not configured
    final byte[] webhookKey; // null: not configured
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    CmccBackend(String gateway, String apiKey, byte[] webhookKey) {
        this.gateway = gateway;
        this.apiKey = apiKey;
        this.webhookKey = webhookKey;
    }

    // Never log phone numbers, tokens, keys or secrets: ids and codes are enough.
    static void log(String line) {
        System.err.println(line);
    }

    /** An HTTP status and a JSON body. */
    record Reply(int status, Map<String, Object> body) {}

    static Reply error(int status, String code, String message) {
        return new Reply(status, Map.of("error", Map.of("code", code, "message", message)));
    }

    /** The value of name, else the content of the file name_FILE (or defaultFile if it exists). */
    static String secretFromEnv(String name, String defaultFile) throws IOException {
        String value = System.getenv(name);
        if (value != null && !value.isBlank()) return value.trim();
        String path = System.getenv(name + "_FILE");
        if (path == null && defaultFile != null && Files.exists(Path.of(defaultFile))) path = defaultFile;
        if (path == null) return null;
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException e) {
            throw new IOException("cannot read " + path + " (" + name + "_FILE): " + e.getClass().getSimpleName());
        }
    }

    /** The HMAC key of a whsec_<base64> secret: the bytes after the prefix, base64-decoded. */
    static byte[] webhookKey(String secret) {
        if (!secret.startsWith("whsec_")) throw new IllegalArgumentException("CMCC_WEBHOOK_SECRET must start with whsec_");
        try {
            return Base64.getDecoder().decode(secret.substring("whsec_".length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("CMCC_WEBHOOK_SECRET: not base64 after whsec_");
        }
    }

    /** POST JSON to the gateway. Errors keep the gateway's status and body. */
    Reply callGateway(String path, Map<String, Object> body, boolean withKey) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(gateway + path))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
        if (withKey) req.header("Authorization", "Bearer " + apiKey);
        HttpResponse<String> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            log("gateway " + path + ": cannot reach " + gateway + ": " + e.getClass().getSimpleName());
            return error(502, "gateway_unreachable", "cannot reach the gateway at " + gateway);
        }
        Map<String, Object> answer;
        try {
            answer = Json.readObject(resp.body());
        } catch (IllegalArgumentException e) {
            return error(502, "bad_gateway_answer", "the gateway answered HTTP " + resp.statusCode() + " without JSON");
        }
        if (resp.statusCode() != 200 && answer.get("error") instanceof Map<?, ?> err) {
            String hint = err.get("hint") != null ? " (hint: " + err.get("hint") + ")" : "";
            log("gateway " + path + ": HTTP " + resp.statusCode() + " " + err.get("code") + ": " + err.get("message") + hint);
        }
        return new Reply(resp.statusCode(), answer);
    }

    /** The page sends the number the user typed and the JSSDK's token; only the gateway's answer counts. */
    Reply verifyNumber(Map<String, Object> in) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (String k : List.of("phone", "token", "userInformation")) {
            if (!(in.get(k) instanceof String s) || s.isEmpty()) {
                return error(400, "bad_request", "phone, token and userInformation are required strings");
            }
            fields.put(k, in.get(k));
        }
        Reply r = callGateway("/v1/verify", fields, false);
        if (r.status() != 200) return r;
        Map<String, Object> a = r.body();
        // Here a real backend logs the user in when a.get("verified") is true.
        log("verify: verified=" + a.get("verified") + " code=" + a.get("code") + " taskId=" + a.get("taskId"));
        return new Reply(200, Map.of("verified", a.get("verified"), "code", a.get("code")));
    }

    /** A registration link (urlType 6, an H5 page) for one IoT card; needs the server API key. */
    Reply issueRegistrationLink(Map<String, Object> in) {
        Map<String, Object> req = new LinkedHashMap<>();
        for (String k : List.of("msisdn", "iccid", "imsi")) {
            if (in.get(k) instanceof String s) req.put(k, s);
        }
        if (req.size() != 1) return error(400, "bad_request", "exactly one of msisdn, iccid, imsi is required");
        if (apiKey == null) return error(503, "no_api_key", "set CMCC_API_KEY or CMCC_API_KEY_FILE");
        req.put("urlType", 6);
        Reply r = callGateway("/v1/registrations", req, true);
        if (r.status() != 200) return r;
        log("registration: link issued, busiSeq=" + r.body().get("busiSeq"));
        return new Reply(200, Map.of("busiSeq", r.body().get("busiSeq"), "url", r.body().get("url")));
    }

    /** null if the Standard Webhooks signature holds, else {code, message}. */
    static String[] verifyWebhook(byte[] key, String id, String timestamp, String signatures, byte[] body, long now) {
        if (id == null || timestamp == null || signatures == null || id.isEmpty() || timestamp.isEmpty()) {
            return new String[] {"missing_headers", "webhook-id, webhook-timestamp and webhook-signature are required"};
        }
        if (!timestamp.matches("[0-9]{1,12}")) {
            return new String[] {"bad_timestamp", "webhook-timestamp is not Unix seconds"};
        }
        if (Math.abs(now - Long.parseLong(timestamp)) > TOLERANCE_SECS) {
            return new String[] {"stale_timestamp", "webhook-timestamp is more than 5 minutes away from now"};
        }
        byte[] expected;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            expected = mac.doFinal(body);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
        for (String sig : signatures.split(" ")) {
            String[] parts = sig.split(",", 2);
            if (parts.length != 2 || !parts[0].equals("v1")) continue;
            byte[] given;
            try {
                given = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (MessageDigest.isEqual(given, expected)) return null; // constant time
        }
        return new String[] {"bad_signature", "no webhook-signature matches the body"};
    }

    /** Verify before parsing: the raw bytes are what was signed. */
    Reply receiveWebhook(HttpExchange ex, byte[] raw) {
        if (webhookKey == null) return error(503, "no_webhook_secret", "set CMCC_WEBHOOK_SECRET or CMCC_WEBHOOK_SECRET_FILE");
        var h = ex.getRequestHeaders();
        String id = h.getFirst("webhook-id");
        String[] refused = verifyWebhook(webhookKey, id, h.getFirst("webhook-timestamp"),
                h.getFirst("webhook-signature"), raw, System.currentTimeMillis() / 1000);
        if (refused != null) {
            log("webhook refused: " + refused[0]);
            return error(401, refused[0], refused[1]);
        }
        Map<String, Object> event;
        try {
            event = Json.readObject(new String(raw, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return error(400, "bad_json", "the signed body is not a JSON object");
        }
        Map<?, ?> data = event.get("data") instanceof Map<?, ?> d ? d : Map.of();
        // webhook-id stays the same on every retry: store it with your update to skip duplicates.
        log("webhook " + id + ": " + event.get("type") + " busiSeq=" + data.get("busiSeq") + " state=" + data.get("state"));
        return new Reply(200, Map.of("received", id));
    }

    Reply route(HttpExchange ex, byte[] raw) {
        String path = ex.getRequestURI().getPath();
        if (!ex.getRequestMethod().equals("POST")) {
            return error(404, "not_found", "POST /api/verify, /api/registrations or /webhooks/cmcc");
        }
        if (path.equals("/webhooks/cmcc")) return receiveWebhook(ex, raw);
        if (!path.equals("/api/verify") && !path.equals("/api/registrations")) {
            return error(404, "not_found", "no such route");
        }
        Map<String, Object> in;
        try {
            in = Json.readObject(new String(raw, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return error(400, "bad_json", "the body must be a JSON object");
        }
        return path.equals("/api/verify") ? verifyNumber(in) : issueRegistrationLink(in);
    }

    void handle(HttpExchange ex) throws IOException {
        Reply r;
        try (InputStream in = ex.getRequestBody()) {
            byte[] raw = in.readNBytes(MAX_BODY + 1);
            r = raw.length > MAX_BODY ? error(413, "too_large", "the body must be at most " + MAX_BODY + " bytes")
                    : route(ex, raw);
        } catch (RuntimeException e) {
            log(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + ": " + e.getClass().getSimpleName());
            r = error(500, "internal", "the backend failed");
        }
        byte[] out = Json.write(r.body()).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(r.status(), out.length);
        ex.getResponseBody().write(out);
        ex.close();
        log(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " -> " + r.status());
    }

    public static void main(String[] args) throws IOException {
        String gateway = System.getenv().getOrDefault("CMCC_GATEWAY_URL", "http://127.0.0.1:8702").replaceAll("/+$", "");
        String secret;
        CmccBackend b;
        try {
            secret = secretFromEnv("CMCC_WEBHOOK_SECRET", ".cmcc/webhook-secret");
            b = new CmccBackend(gateway, secretFromEnv("CMCC_API_KEY", ".cmcc/gateway-api-key"),
                    secret == null ? null : webhookKey(secret));
        } catch (IOException | IllegalArgumentException e) {
            log(e.getMessage());
            System.exit(2);
            return;
        }
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8090"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", b::handle);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        log("listening on http://127.0.0.1:" + server.getAddress().getPort() + " (gateway " + gateway + ")");
        if (b.apiKey == null) log("no API key: /api/registrations answers 503 (set CMCC_API_KEY or CMCC_API_KEY_FILE)");
        if (b.webhookKey == null) log("no webhook secret: /webhooks/cmcc answers 503 (set CMCC_WEBHOOK_SECRET)");
    }
}

/** A minimal JSON reader and writer (objects, arrays, strings, numbers, booleans, null). */
final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    /** A JSON object; IllegalArgumentException for anything else. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> readObject(String text) {
        Json p = new Json(text);
        p.space();
        if (p.i >= text.length() || text.charAt(p.i) != '{') throw new IllegalArgumentException("not a JSON object");
        Object v = p.value(0);
        p.space();
        if (p.i != text.length()) throw new IllegalArgumentException("trailing characters");
        return (Map<String, Object>) v;
    }

    private void space() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) i++;
    }

    private char next() {
        if (i >= s.length()) throw new IllegalArgumentException("unexpected end");
        return s.charAt(i++);
    }

    private void expect(char c) {
        space();
        if (next() != c) throw new IllegalArgumentException("expected " + c);
    }

    private Object value(int depth) {
        if (depth > 32) throw new IllegalArgumentException("too deep");
        space();
        char c = next();
        switch (c) {
            case '{' -> {
                Map<String, Object> m = new LinkedHashMap<>();
                space();
                if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
                while (true) {
                    expect('"');
                    String k = string();
                    expect(':');
                    m.put(k, value(depth + 1));
                    if (separator('}')) return m;
                }
            }
            case '[' -> {
                List<Object> l = new java.util.ArrayList<>();
                space();
                if (i < s.length() && s.charAt(i) == ']') { i++; return l; }
                while (true) {
                    l.add(value(depth + 1));
                    if (separator(']')) return l;
                }
            }
            case '"' -> { return string(); }
            default -> {
                int start = --i;
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || "+-.".indexOf(s.charAt(i)) >= 0)) i++;
                String word = s.substring(start, i);
                switch (word) {
                    case "true": return Boolean.TRUE;
                    case "false": return Boolean.FALSE;
                    case "null": return null;
                    default:
                        if (!word.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) throw new IllegalArgumentException("bad value");
                        return word.matches("-?[0-9]{1,18}") ? (Object) Long.parseLong(word) : (Object) Double.parseDouble(word);
                }
            }
        }
    }

    /** After a member: true at the closing character, false at a comma. */
    private boolean separator(char close) {
        space();
        char c = next();
        if (c == close) return true;
        if (c != ',') throw new IllegalArgumentException("expected , or " + close);
        return false;
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        for (char c = next(); c != '"'; c = next()) {
            if (c < 0x20) throw new IllegalArgumentException("control character in a string");
            if (c != '\\') { b.append(c); continue; }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) throw new IllegalArgumentException("bad \\u escape");
                    try {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    } catch (NumberFormatException x) {
                        throw new IllegalArgumentException("bad \\u escape");
                    }
                    i += 4;
                }
                default -> throw new IllegalArgumentException("bad escape");
            }
        }
        return b.toString();
    }

    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(sep);
                sep = ",";
                write(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int k = 0; k < l.size(); k++) {
                if (k > 0) b.append(',');
                write(b, l.get(k));
            }
            b.append(']');
        } else if (v instanceof String str) {
            b.append('"');
            for (char c : str.toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                    }
                }
            }
            b.append('"');
        } else {
            b.append(v); // Number, Boolean
        }
    }
}
