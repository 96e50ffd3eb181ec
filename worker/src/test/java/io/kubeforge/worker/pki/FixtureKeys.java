package io.kubeforge.worker.pki;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * FixtureKeys is a {@link KeyPairs.KeySource} over the pre-generated keys in
 * {@code src/test/resources/fixtures/keys} (RSA), cycling through them; EC keys are cheap and are
 * generated. Like kubeadm's {@code pkiutil/testing}, it keeps PKI tests fast.
 */
public final class FixtureKeys implements KeyPairs.KeySource {
  private static final Map<KeyAlgorithm, List<KeyPair>> POOL = new EnumMap<>(KeyAlgorithm.class);

  static {
    POOL.put(KeyAlgorithm.RSA_2048, load("rsa2048", 12));
    POOL.put(KeyAlgorithm.RSA_3072, load("rsa3072", 2));
    POOL.put(KeyAlgorithm.RSA_4096, load("rsa4096", 2));
  }

  private final AtomicInteger next;

  /** Starts at the first key of each pool. */
  public FixtureKeys() {
    this(0);
  }

  /** Starts at key {@code offset} of each pool, so two trees in one test get different keys. */
  public FixtureKeys(int offset) {
    this.next = new AtomicInteger(offset);
  }

  @Override
  public KeyPair next(KeyAlgorithm algorithm) {
    List<KeyPair> pool = POOL.get(algorithm);
    if (pool == null) {
      return KeyPairs.generate(algorithm);
    }
    return pool.get(Math.floorMod(next.getAndIncrement(), pool.size()));
  }

  /** Returns the n-th (1-based) RSA-2048 fixture key pair. */
  public static KeyPair rsa2048(int n) {
    return POOL.get(KeyAlgorithm.RSA_2048).get(n - 1);
  }

  /** Reads a fixture file from the test class path. */
  public static byte[] bytes(String name) {
    try (InputStream in = FixtureKeys.class.getResourceAsStream("/fixtures/keys/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<KeyPair> load(String prefix, int count) {
    List<KeyPair> out = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      PrivateKey key = Pem.parsePrivateKey(bytes(prefix + "-" + i + ".key"));
      out.add(new KeyPair(KeyPairs.publicKeyOf(key), key));
    }
    return List.copyOf(out);
  }
}
