package io.kubeforge.worker.pki;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kubeforge.worker.fuzz.Typed;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Fuzzes the PEM readers with whole files (seeds: real certificates, RSA, EC and PKCS#8 keys, a
 * PKIX public key, bundles): every reader, and what the PKI phase does next with what they
 * return (the public half of a key, key-certificate match, the CA hash), may only fail with
 * IllegalArgumentException.
 */
class PemFuzzTest {
  @FuzzTest(maxDuration = "20s")
  void pemFilesFailOnlyWithIllegalArgument(byte[] file) {
    Typed.onlyIllegalArgument(() -> Pem.decode(file));
    PrivateKey[] key = new PrivateKey[1];
    Typed.onlyIllegalArgument(() -> {
      key[0] = Pem.parsePrivateKey(file);
      KeyPairs.publicKeyOf(key[0]);
    });
    Typed.onlyIllegalArgument(() -> {
      List<X509Certificate> chain = Pem.parseCertificates(file);
      CaCertHash.of(chain.get(0));
      if (key[0] != null) {
        KeyPairs.matches(key[0], chain.get(0).getPublicKey());
      }
    });
    Typed.onlyIllegalArgument(() -> {
      for (PublicKey k : Pem.parsePublicKeys(file)) {
        CaCertHash.of(k);
      }
    });
  }
}
