package io.kubeforge.worker.pki;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kubeforge.worker.fuzz.Typed;
import java.security.PrivateKey;
import java.util.List;

/**
 * Fuzzes the DER inside PEM blocks: the input is wrapped, well armoured, in each block type the
 * readers know ({@code RSA PRIVATE KEY}, {@code EC PRIVATE KEY}, {@code PRIVATE KEY},
 * {@code CERTIFICATE}, {@code PUBLIC KEY}), so that every execution reaches the ASN.1 and key
 * parsers. Seeds are the DER of real keys and certificates. Only IllegalArgumentException may
 * escape.
 */
class PemDerFuzzTest {
  private static final List<String> TYPES = List.of(Pem.RSA_PRIVATE_KEY, Pem.EC_PRIVATE_KEY,
      Pem.PRIVATE_KEY, Pem.CERTIFICATE, Pem.PUBLIC_KEY);

  @FuzzTest(maxDuration = "20s")
  void derInEveryBlockTypeFailsOnlyWithIllegalArgument(byte[] der) {
    for (String type : TYPES) {
      byte[] pem = Pem.encode(type, der).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Typed.onlyIllegalArgument(() -> {
        PrivateKey key = Pem.parsePrivateKey(pem);
        KeyPairs.matches(key, KeyPairs.publicKeyOf(key));
      });
      Typed.onlyIllegalArgument(() -> CaCertHash.of(Pem.parseCertificates(pem).get(0)));
      Typed.onlyIllegalArgument(() -> CaCertHash.of(Pem.parsePublicKeys(pem).get(0)));
    }
  }
}
