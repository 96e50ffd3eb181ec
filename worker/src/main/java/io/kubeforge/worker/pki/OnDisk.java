package io.kubeforge.worker.pki;

import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * OnDisk is what was found for one base name below the certificate directory: the certificate
 * chain (leaf first), the private key and its public half. Missing or empty files are gaps.
 *
 * @param chain the certificates of the .crt file, empty when missing or empty
 * @param key the private key, or null
 * @param publicKey the public half of {@code key}, or null
 * @param gaps what is missing, e.g. {@code certificate missing}, {@code ca.key is empty}
 * @param absent true when neither file exists
 */
record OnDisk(List<X509Certificate> chain, PrivateKey key, PublicKey publicKey, List<String> gaps,
              boolean absent) {
  /** The gap recorded when the key does not match the certificate. */
  static final String MISMATCH = "key does not match certificate";

  /** Tells whether the key and the certificate are both present and do not match. */
  boolean mismatch() {
    return gaps.contains(MISMATCH);
  }

  /** Returns the leaf certificate, or null. */
  X509Certificate cert() {
    return chain.isEmpty() ? null : chain.get(0);
  }

  /**
   * Loads the certificate chain and key of {@code spec}. Missing or empty files and a key that
   * does not match the certificate ({@link #MISMATCH}) become gaps; unreadable files are conflicts.
   */
  static OnDisk load(SafeFiles files, CertSpec spec) {
    List<String> gaps = new ArrayList<>();
    List<X509Certificate> chain = List.of();
    Optional<byte[]> crt = files.read(spec.certFile(), PkiPhase.MAX_FILE);
    if (crt.isEmpty()) {
      gaps.add("certificate missing");
    } else if (crt.get().length == 0) {
      gaps.add(spec.certFile() + " is empty");
    } else {
      try {
        chain = Pem.parseCertificates(crt.get());
      } catch (IllegalArgumentException e) {
        throw WorkerException.conflict("pki.unreadable_file", "couldn't load certificate "
            + files.resolve(spec.certFile()) + ": " + e.getMessage() + "; fix or remove the file");
      }
    }
    OnDisk key = loadKey(files, spec.keyFile());
    gaps.addAll(key.gaps());
    if (!chain.isEmpty() && key.key() != null && !KeyPairs.matches(key.key(), chain.get(0).getPublicKey())) {
      // half of an interrupted reissue (or a stray file): repaired by the phase
      gaps.add(MISMATCH);
    }
    return new OnDisk(chain, key.key(), key.publicKey(), gaps, crt.isEmpty() && key.absent());
  }

  /** Loads a private key alone (sa.key, or the key half of a pair); unreadable keys are conflicts. */
  static OnDisk loadKey(SafeFiles files, String keyFile) {
    Optional<byte[]> bytes = files.read(keyFile, PkiPhase.MAX_FILE);
    if (bytes.isEmpty()) {
      return new OnDisk(List.of(), null, null, List.of("key missing"), true);
    }
    if (bytes.get().length == 0) {
      return new OnDisk(List.of(), null, null, List.of(keyFile + " is empty"), false);
    }
    try {
      PrivateKey key = Pem.parsePrivateKey(bytes.get());
      return new OnDisk(List.of(), key, KeyPairs.publicKeyOf(key), List.of(), false);
    } catch (IllegalArgumentException e) {
      throw WorkerException.conflict("pki.unreadable_file", "couldn't load private key "
          + files.resolve(keyFile) + ": " + e.getMessage() + "; fix or remove the file");
    }
  }
}
