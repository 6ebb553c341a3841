// Interop oracle for cmcc-proto's RSA code: the same JDK primitives China Mobile's `RsaUtils`
// is built on (KeyPairGenerator("RSA"), Signature("MD5withRSA" / "SHA256withRSA"),
// Cipher("RSA/ECB/PKCS1Padding") over (key bytes - 11)-byte chunks, java.util.Base64 standard
// encoder, keys as bare base64 of X.509 SPKI / PKCS#8 DER). Written for this project; it only
// uses java.* APIs, so it runs anywhere a JDK 11+ does, as a single-file source program:
//
//   java interop/java/Interop.java gen <outdir>                    writes <outdir>/java_interop.json
//   java interop/java/Interop.java decrypt <privateKeyB64> <ciphertextB64>
//   java interop/java/Interop.java verify <publicKeyB64> <alg> <messageB64> <signatureB64>
//   java interop/java/Interop.java sign <privateKeyB64> <alg> <messageB64>
//   java interop/java/Interop.java batch <jobfile|->                one JVM for many jobs
//
// <alg> is a JCA name (MD5withRSA, SHA256withRSA). Messages travel base64-encoded so any bytes
// survive the command line. A batch job file has one job per line, fields separated by TAB:
//
//   decrypt  <privateKeyB64> <ciphertextB64>         -> base64 of the plaintext bytes
//   verify   <publicKeyB64> <alg> <messageB64> <sigB64> -> true | false
//   sign     <privateKeyB64> <alg> <messageB64>       -> base64 signature
//   encrypt  <publicKeyB64> <plaintextB64>            -> base64 ciphertext
//   pub      <publicKeyB64>                           -> base64 of getEncoded() after a KeyFactory round trip
//   priv     <privateKeyB64>                          -> same for the private key
//   urldecode <textB64>                               -> base64 of URLDecoder.decode(text, UTF-8)
//
// and the output has one line per job, in order: the result, or "ERROR <exception>".
// Empty lines and lines starting with '#' are skipped (and produce no output line).

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.net.URLEncoder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Cipher;

public final class Interop {
    private static final String[] ALGS = {"MD5withRSA", "SHA256withRSA"};
    private static final int[] KEY_SIZES = {1024, 2048};

    // Fixed inputs of the fixture. The phone, appKey and timestamp are the placeholder values of
    // the carrier's own example (seed 004 §3.2.1.1), not anybody's number.
    private static final String APP_ID = "300011580392";
    private static final String MSG_ID = "6f1c0b2a9d8e4f7a8b3c2d1e0f9a8b7c";
    private static final String PHONE = "13999994444";
    private static final String APP_KEY = "AA03E6C60D0B0D14320B9A3F0B5AAD99";
    private static final String TIMESTAMP = "20121227180001165";
    private static final String TOKEN = "VM_12c9519d861454f17c4f1439448c9295";
    private static final String VERSION = "1.0";

    private Interop() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (args.length == 0) {
            usage();
        }
        switch (args[0]) {
            case "gen":
                need(args, 2);
                gen(Path.of(args[1]), out);
                break;
            case "decrypt":
                need(args, 3);
                out.println(new String(decrypt(privateKey(args[1]), b64d(args[2])), StandardCharsets.UTF_8));
                break;
            case "verify":
                need(args, 5);
                out.println(verify(publicKey(args[1]), args[2], b64d(args[3]), b64d(args[4])));
                break;
            case "sign":
                need(args, 4);
                out.println(b64e(sign(privateKey(args[1]), args[2], b64d(args[3]))));
                break;
            case "batch":
                need(args, 2);
                batch(args[1], out);
                break;
            default:
                usage();
        }
    }

    private static void need(String[] args, int n) {
        if (args.length != n) {
            usage();
        }
    }

    private static void usage() {
        System.err.println("usage: java Interop.java gen <outdir> | decrypt <priv> <ct> | "
                + "verify <pub> <alg> <msgB64> <sigB64> | sign <priv> <alg> <msgB64> | batch <file|->");
        System.exit(2);
    }

    // ------------------------------------------------------------------ primitives

    static String b64e(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static byte[] b64d(String s) {
        return Base64.getDecoder().decode(s);
    }

    static PublicKey publicKey(String b64) throws Exception {
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(b64d(b64)));
    }

    static PrivateKey privateKey(String b64) throws Exception {
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(b64d(b64)));
    }

    static int keyBytes(java.security.Key key) {
        return (((RSAKey) key).getModulus().bitLength() + 7) / 8;
    }

    static byte[] sign(PrivateKey key, String alg, byte[] msg) throws Exception {
        Signature s = Signature.getInstance(alg);
        s.initSign(key);
        s.update(msg);
        return s.sign();
    }

    static boolean verify(PublicKey key, String alg, byte[] msg, byte[] sig) throws Exception {
        Signature s = Signature.getInstance(alg);
        s.initVerify(key);
        s.update(msg);
        try {
            return s.verify(sig);
        } catch (java.security.SignatureException e) {
            return false;
        }
    }

    /** RSA/ECB/PKCS1Padding over (key bytes - 11)-byte chunks, ciphertext blocks concatenated. */
    static byte[] encrypt(PublicKey key, byte[] plain) throws Exception {
        Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        c.init(Cipher.ENCRYPT_MODE, key);
        return chunked(c, plain, keyBytes(key) - 11);
    }

    /** The inverse: key-size ciphertext blocks, plaintexts concatenated. */
    static byte[] decrypt(PrivateKey key, byte[] ct) throws Exception {
        Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        c.init(Cipher.DECRYPT_MODE, key);
        return chunked(c, ct, keyBytes(key));
    }

    private static byte[] chunked(Cipher c, byte[] in, int chunk) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int off = 0; off < in.length; off += chunk) {
            out.write(c.doFinal(in, off, Math.min(chunk, in.length - off)));
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ batch

    private static void batch(String file, PrintStream out) throws Exception {
        BufferedReader r = file.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
        String line;
        while ((line = r.readLine()) != null) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            String result;
            try {
                result = job(f);
            } catch (Exception e) {
                result = "ERROR " + e.toString().replace('\n', ' ');
            }
            out.println(result);
        }
    }

    private static String job(String[] f) throws Exception {
        switch (f[0]) {
            case "decrypt":
                return b64e(decrypt(privateKey(f[1]), b64d(f[2])));
            case "verify":
                return String.valueOf(verify(publicKey(f[1]), f[2], b64d(f[3]), b64d(f[4])));
            case "sign":
                return b64e(sign(privateKey(f[1]), f[2], b64d(f[3])));
            case "encrypt":
                return b64e(encrypt(publicKey(f[1]), b64d(f[2])));
            case "pub":
                return b64e(publicKey(f[1]).getEncoded());
            case "priv":
                return b64e(privateKey(f[1]).getEncoded());
            case "urldecode":
                String text = new String(b64d(f[1]), StandardCharsets.UTF_8);
                return b64e(java.net.URLDecoder.decode(text, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
            default:
                throw new IllegalArgumentException("unknown job " + f[0]);
        }
    }

    // ------------------------------------------------------------------ gen

    private static void gen(Path outdir, PrintStream out) throws Exception {
        StringBuilder j = new StringBuilder();
        j.append("{\n");
        j.append("  \"generator\": \"interop/java/Interop.java gen (regenerate with scripts/regen-java-fixtures.sh)\",\n");
        j.append("  \"jdk\": ").append(str(System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version"))).append(",\n");
        j.append("  \"java_version\": ").append(str(System.getProperty("java.version"))).append(",\n");
        j.append("  \"verify_vm_mobile_parts\": {")
                .append("\"appId\": ").append(str(APP_ID))
                .append(", \"msgId\": ").append(str(MSG_ID))
                .append(", \"timestamp\": ").append(str(TIMESTAMP))
                .append(", \"token\": ").append(str(TOKEN))
                .append(", \"version\": ").append(str(VERSION))
                .append(", \"phone\": ").append(str(PHONE))
                .append(", \"appKey\": ").append(str(APP_KEY))
                .append("},\n");
        j.append("  \"keys\": [\n");
        for (int k = 0; k < KEY_SIZES.length; k++) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(KEY_SIZES[k]);
            KeyPair kp = g.generateKeyPair();
            keyEntry(j, KEY_SIZES[k], kp);
            j.append(k + 1 < KEY_SIZES.length ? ",\n" : "\n");
        }
        j.append("  ],\n");
        expandParams(j);
        j.append("}\n");
        Files.createDirectories(outdir);
        Path file = outdir.resolve("java_interop.json");
        Files.writeString(file, j.toString(), StandardCharsets.UTF_8);
        out.println("wrote " + file);
    }

    private static void keyEntry(StringBuilder j, int bits, KeyPair kp) throws Exception {
        PublicKey pub = kp.getPublic();
        PrivateKey priv = kp.getPrivate();

        // Plaintexts: the verifyVmMobileApi phoneNum plaintext (phone + appKey + timestamp, 60
        // bytes), a 300-byte string (3 blocks at RSA-1024, 2 at RSA-2048), and Chinese text whose
        // UTF-8 characters straddle the 117-byte chunk boundary.
        StringBuilder long300 = new StringBuilder();
        for (int i = 0; long300.length() < 300; i++) {
            long300.append((char) ('a' + i % 26));
            if (i % 10 == 9) {
                long300.append(i % 100 == 99 ? '\n' : ' ');
            }
        }
        long300.setLength(300);
        String chinese = "UAID " + "中国移动本机号码校验，物联卡实名登记。".repeat(3);
        String[][] plains = {
            {"phone_plaintext", PHONE + APP_KEY + TIMESTAMP},
            {"ascii_300", long300.toString()},
            {"chinese", chinese},
        };
        List<String> cts = new ArrayList<>();
        for (String[] p : plains) {
            byte[] ct = encrypt(pub, p[1].getBytes(StandardCharsets.UTF_8));
            // Self-check before writing anything.
            if (!new String(decrypt(priv, ct), StandardCharsets.UTF_8).equals(p[1])) {
                throw new IllegalStateException("self-check failed for " + p[0]);
            }
            cts.add(b64e(ct));
        }

        // Messages to sign. The last is a real verifyVmMobileApi sign string: the TreeMap order
        // appId + msgId + phoneNum + timestamp + token + version, phoneNum being this key's
        // ciphertext of the phone plaintext as it would be sent.
        String phoneNum = cts.get(0);
        String signString = APP_ID + MSG_ID + phoneNum + TIMESTAMP + TOKEN + VERSION;
        String[][] msgs = {
            {"ascii", "hello, China Mobile! 0123456789"},
            {"chinese", "中国移动认证：本机号码校验 UAID 物联卡"},
            {"empty", ""},
            {"verify_vm_mobile", signString},
        };

        j.append("    {\n");
        j.append("      \"bits\": ").append(bits).append(",\n");
        j.append("      \"public\": ").append(str(b64e(pub.getEncoded()))).append(",\n");
        j.append("      \"public_format\": ").append(str(pub.getFormat())).append(",\n");
        j.append("      \"private\": ").append(str(b64e(priv.getEncoded()))).append(",\n");
        j.append("      \"private_format\": ").append(str(priv.getFormat())).append(",\n");
        j.append("      \"phone_num\": ").append(str(phoneNum)).append(",\n");
        j.append("      \"signatures\": [\n");
        int n = 0;
        for (String[] m : msgs) {
            byte[] bytes = m[1].getBytes(StandardCharsets.UTF_8);
            for (String alg : ALGS) {
                byte[] sig = sign(priv, alg, bytes);
                if (!verify(pub, alg, bytes, sig)) {
                    throw new IllegalStateException("self-check failed for " + m[0] + " " + alg);
                }
                j.append(n++ == 0 ? "" : ",\n");
                j.append("        {\"name\": ").append(str(m[0]))
                        .append(", \"alg\": ").append(str(alg))
                        .append(", \"message\": ").append(str(m[1]))
                        .append(", \"message_b64\": ").append(str(b64e(bytes)))
                        .append(", \"signature\": ").append(str(b64e(sig)))
                        .append("}");
            }
        }
        j.append("\n      ],\n");
        j.append("      \"ciphertexts\": [\n");
        for (int i = 0; i < plains.length; i++) {
            byte[] bytes = plains[i][1].getBytes(StandardCharsets.UTF_8);
            j.append("        {\"name\": ").append(str(plains[i][0]))
                    .append(", \"plaintext\": ").append(str(plains[i][1]))
                    .append(", \"plaintext_b64\": ").append(str(b64e(bytes)))
                    .append(", \"plaintext_len\": ").append(bytes.length)
                    .append(", \"ciphertext\": ").append(str(cts.get(i)))
                    .append("}").append(i + 1 < plains.length ? ",\n" : "\n");
        }
        j.append("      ]\n");
        j.append("    }");
    }

    /**
     * expandParams as Java code writes them with java.net.URLEncoder (form encoding: a space
     * becomes '+'): each name and value encoded ("per_item"), or the raw k=v|k=v string encoded
     * once ("whole"; only where no value holds a separator).
     */
    private static void expandParams(StringBuilder j) {
        String[][][] cases = {
            {{"phoneNum", PHONE}},
            {{"phoneNum", PHONE}, {"city", "广州"}, {"channel", "h5"}},
            {{"redirect", "https://example.invalid/a?b=c&d=e|f"}, {"pct", "100%"}},
            {{"name", "a b"}, {"sig", "Vlr+8sw/pfz0=="}},
        };
        String[] names = {"phone", "chinese", "reserved", "space_and_plus"};
        j.append("  \"expand_params\": [\n");
        for (int c = 0; c < cases.length; c++) {
            StringBuilder raw = new StringBuilder();
            StringBuilder perItem = new StringBuilder();
            StringBuilder items = new StringBuilder();
            boolean separators = false;
            for (int i = 0; i < cases[c].length; i++) {
                String k = cases[c][i][0];
                String v = cases[c][i][1];
                String sep = i == 0 ? "" : "|";
                raw.append(sep).append(k).append('=').append(v);
                perItem.append(sep).append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
                items.append(i == 0 ? "" : ", ").append(str(k)).append(": ").append(str(v));
                separators |= v.contains("|") || v.contains("=");
            }
            j.append("    {\"name\": ").append(str(names[c]))
                    .append(", \"items\": {").append(items).append("}")
                    .append(", \"per_item\": ").append(str(perItem.toString()))
                    .append(", \"whole\": ")
                    .append(separators ? "null" : str(URLEncoder.encode(raw.toString(), StandardCharsets.UTF_8)))
                    .append("}").append(c + 1 < cases.length ? ",\n" : "\n");
        }
        j.append("  ]\n");
    }

    /** A JSON string literal: UTF-8 text kept as is, quotes, backslashes and controls escaped. */
    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }
}
