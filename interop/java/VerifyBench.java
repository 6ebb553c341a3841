// Client-side cost of one number verification (verifyVmMobileApi) done with Java 17's standard
// library, the way China Mobile's RsaUtils-style helpers do it: encrypt phone + appKey +
// timestamp with the platform public key (Cipher "RSA/ECB/PKCS1Padding", java.util.Base64),
// sign the TreeMap-ordered field values with the customer private key (Signature
// "MD5withRSA"), and build the JSON request body by string concatenation. Written for this
// project; used by crates/client/benches/verify_cost.rs, which compiles and runs it:
//
//   javac -d <dir> interop/java/VerifyBench.java
//   java -cp <dir> VerifyBench <customerPrivateKeyB64> <platformPublicKeyB64> <warmupSecs> <secs> [threads]
//
// Two variants, each warmed up first, then measured on `threads` threads (default 1; the
// figure is the sum over the threads):
//   parsed  keys decoded with KeyFactory, Cipher and Signature obtained on every call (what most
//           published RsaUtils copies do: encrypt(data, publicKeyString) / sign(data, privateKeyString))
//   cached  keys created once, Cipher and Signature created once per thread and reused (the best
//           a careful caller can do; Cipher and Signature are not thread-safe)
// Output: one line per variant, "<variant> <operations per second> <checksum>".

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.Cipher;

public final class VerifyBench {
    static final String APP_ID = "300011800001";
    static final String APP_KEY = "5A3D7C1E9B2F4A6C8E0D1F3B5A7C9E1D";
    static final String PHONE = "13800138000";
    static final String TOKEN = "STsid0000001700000000000000000000000000000000000000000000000000";
    static final String USER_INFO = "fp-0123456789abcdef";
    static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyyMMddHHmmssSSS");

    interface Op {
        String run() throws Exception;
    }

    /** Makes the Op one thread runs (per-thread state for the cached variant). */
    interface OpFactory {
        Op make() throws Exception;
    }

    static String body(String msgId, String ts, String phoneNum, String sign) {
        return "{\"header\":{\"version\":\"1.0\",\"msgId\":\"" + msgId + "\",\"timestamp\":\"" + ts
                + "\",\"appId\":\"" + APP_ID + "\"},\"body\":{\"expandParams\":\"\",\"sign\":\"" + sign
                + "\",\"phoneNum\":\"" + phoneNum + "\",\"token\":\"" + TOKEN
                + "\",\"userInformation\":\"" + USER_INFO + "\"}}";
    }

    static String signString(String msgId, String ts, String phoneNum) {
        Map<String, String> m = new TreeMap<>();
        m.put("appId", APP_ID);
        m.put("msgId", msgId);
        m.put("phoneNum", phoneNum);
        m.put("timestamp", ts);
        m.put("token", TOKEN);
        m.put("version", "1.0");
        StringBuilder sb = new StringBuilder();
        for (String v : m.values()) sb.append(v);
        return sb.toString();
    }

    static double measure(Op op, double secs, long[] checksum) throws Exception {
        long n = 0;
        long sum = 0;
        long start = System.nanoTime();
        long end = start + (long) (secs * 1e9);
        long now;
        do {
            for (int i = 0; i < 16; i++) sum += op.run().length();
            n += 16;
            now = System.nanoTime();
        } while (now < end);
        checksum[0] += sum;
        return n / ((now - start) / 1e9);
    }

    /** Sum over `threads` threads, each running its own Op for `secs`. */
    static double measureThreads(OpFactory f, int threads, double secs, long[] checksum) throws Exception {
        if (threads == 1) return measure(f.make(), secs, checksum);
        double[] rates = new double[threads];
        long[] sums = new long[threads];
        Exception[] failed = new Exception[1];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int i = t;
            ts[t] = new Thread(() -> {
                try {
                    long[] cs = {0};
                    rates[i] = measure(f.make(), secs, cs);
                    sums[i] = cs[0];
                } catch (Exception e) {
                    failed[0] = e;
                }
            });
            ts[t].start();
        }
        double total = 0;
        for (int t = 0; t < threads; t++) {
            ts[t].join();
            total += rates[t];
            checksum[0] += sums[t];
        }
        if (failed[0] != null) throw failed[0];
        return total;
    }

    public static void main(String[] a) throws Exception {
        String privB64 = a[0];
        String pubB64 = a[1];
        double warm = Double.parseDouble(a[2]);
        double secs = Double.parseDouble(a[3]);
        int threads = a.length > 4 ? Integer.parseInt(a[4]) : 1;

        Op parsed = () -> {
            String ts = LocalDateTime.now().format(TS);
            String msgId = UUID.randomUUID().toString().replace("-", "");
            KeyFactory kf = KeyFactory.getInstance("RSA");
            PublicKey pub = kf.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pubB64)));
            Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            c.init(Cipher.ENCRYPT_MODE, pub);
            String phoneNum = Base64.getEncoder().encodeToString(
                    c.doFinal((PHONE + APP_KEY + ts).getBytes(StandardCharsets.UTF_8)));
            PrivateKey priv = KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(privB64)));
            Signature s = Signature.getInstance("MD5withRSA");
            s.initSign(priv);
            s.update(signString(msgId, ts, phoneNum).getBytes(StandardCharsets.UTF_8));
            String sign = Base64.getEncoder().encodeToString(s.sign());
            return body(msgId, ts, phoneNum, sign);
        };

        KeyFactory kf = KeyFactory.getInstance("RSA");
        PublicKey pub = kf.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pubB64)));
        PrivateKey priv = kf.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(privB64)));
        OpFactory cached = () -> {
            Cipher cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            Signature signer = Signature.getInstance("MD5withRSA");
            return () -> {
                String ts = LocalDateTime.now().format(TS);
                String msgId = UUID.randomUUID().toString().replace("-", "");
                cipher.init(Cipher.ENCRYPT_MODE, pub);
                String phoneNum = Base64.getEncoder().encodeToString(
                        cipher.doFinal((PHONE + APP_KEY + ts).getBytes(StandardCharsets.UTF_8)));
                signer.initSign(priv);
                signer.update(signString(msgId, ts, phoneNum).getBytes(StandardCharsets.UTF_8));
                String sign = Base64.getEncoder().encodeToString(signer.sign());
                return body(msgId, ts, phoneNum, sign);
            };
        };
        OpFactory parsedF = () -> parsed;

        long[] checksum = {0};
        measureThreads(parsedF, threads, warm, checksum);
        measureThreads(cached, threads, warm, checksum);
        double p = measureThreads(parsedF, threads, secs, checksum);
        double c = measureThreads(cached, threads, secs, checksum);
        System.out.printf("parsed %.1f %d%n", p, checksum[0] & 0xff);
        System.out.printf("cached %.1f %d%n", c, checksum[0] & 0xff);
    }
}
