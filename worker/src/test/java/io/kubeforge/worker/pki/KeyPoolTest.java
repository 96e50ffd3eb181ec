package io.kubeforge.worker.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KeyPoolTest {
  private static final Duration WAIT = Duration.ofMinutes(1);
  private final List<KeyPool> pools = new ArrayList<>();
  /** Keys the generators made on a thread other than the filler's, i.e. on demand. */
  private final AtomicInteger onDemand = new AtomicInteger();

  @AfterEach
  void stopPools() throws InterruptedException {
    for (KeyPool pool : pools) {
      pool.stop();
    }
  }

  /** A pool of {@code pooled} keys whose generator counts the keys made outside the filler. */
  private KeyPool pool(KeyAlgorithm pooled, Function<KeyAlgorithm, KeyPair> generator) {
    KeyPool pool = new KeyPool(pooled, alg -> {
      if (!Thread.currentThread().getName().equals("key-pool")) {
        onDemand.incrementAndGet();
      }
      return generator.apply(alg);
    });
    pools.add(pool);
    return pool;
  }

  /** EC keys are cheap: the tests that are about the pool, not about RSA, pool P-256 keys. */
  private KeyPool filledEcPool(int capacity) throws InterruptedException {
    KeyPool pool = pool(KeyAlgorithm.ECDSA_P256, KeyPairs::generate);
    pool.startFilling(capacity, Duration.ZERO);
    assertThat(pool.awaitSize(capacity, WAIT)).isTrue();
    return pool;
  }

  @Test
  void aDrawnKeyIsNeverHandedOutTwiceEvenToConcurrentDraws() throws Exception {
    KeyPool pool = filledEcPool(24);
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      List<Future<List<KeyPair>>> draws = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      int asked = 0;
      for (int i = 0; i < 16; i++) {
        int count = 1 + i % 3;
        asked += count;
        draws.add(threads.submit(() -> {
          go.await();
          return pool.next(KeyAlgorithm.ECDSA_P256, count);
        }));
      }
      go.countDown();
      Set<KeyPair> seen = Collections.newSetFromMap(new IdentityHashMap<>());
      Set<Object> publicKeys = new java.util.HashSet<>();
      int drawn = 0;
      for (Future<List<KeyPair>> d : draws) {
        for (KeyPair kp : d.get(1, TimeUnit.MINUTES)) {
          drawn++;
          seen.add(kp);
          publicKeys.add(kp.getPublic());
        }
      }
      assertThat(asked).as("more than the pool holds").isEqualTo(31);
      assertThat(drawn).isEqualTo(asked);
      assertThat(seen).as("distinct key pairs").hasSize(drawn);
      assertThat(publicKeys).as("distinct public keys").hasSize(drawn);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void theSameKeyIsNotHandedOutAgainAfterTheFillerRefills() throws Exception {
    KeyPool pool = filledEcPool(4);
    List<KeyPair> first = pool.next(KeyAlgorithm.ECDSA_P256, 4);
    assertThat(pool.awaitSize(4, WAIT)).isTrue();
    List<KeyPair> second = pool.next(KeyAlgorithm.ECDSA_P256, 4);
    for (KeyPair kp : second) {
      assertThat(first).noneMatch(f -> f == kp || f.getPublic().equals(kp.getPublic()));
    }
  }

  @Test
  void thePoolRefillsAfterADrawAndKeepsNoMoreThanItsCapacity() throws Exception {
    KeyPool pool = filledEcPool(5);
    assertThat(pool.next(KeyAlgorithm.ECDSA_P256, 5)).hasSize(5);
    assertThat(onDemand).as("the whole draw came from the pool").hasValue(0);
    assertThat(pool.awaitSize(5, WAIT)).as("refilled").isTrue();
    Thread.sleep(200);
    assertThat(pool.size()).isEqualTo(5);
    assertThat(pool.made()).isEqualTo(10);
  }

  @Test
  void aDrawOfAnotherAlgorithmFallsBackToTheGeneratorAndLeavesThePoolAlone() throws Exception {
    AtomicInteger fixture = new AtomicInteger();
    KeyPool pool = pool(KeyAlgorithm.RSA_2048, alg -> alg == KeyAlgorithm.RSA_2048
        ? FixtureKeys.rsa2048(1 + fixture.getAndIncrement() % 12) : new FixtureKeys().next(alg));
    pool.startFilling(3, Duration.ZERO);
    assertThat(pool.awaitSize(3, WAIT)).isTrue();

    List<KeyPair> ec = pool.next(KeyAlgorithm.ECDSA_P256, 2);
    KeyPair rsa3072 = pool.next(KeyAlgorithm.RSA_3072);

    assertThat(ec).allSatisfy(kp -> assertThat(KeyAlgorithm.of(kp.getPublic())).contains(KeyAlgorithm.ECDSA_P256));
    assertThat(KeyAlgorithm.of(rsa3072.getPublic())).contains(KeyAlgorithm.RSA_3072);
    assertThat(onDemand).hasValue(3);
    assertThat(pool.size()).as("the pooled RSA-2048 keys stay").isEqualTo(3);
  }

  @Test
  void aDrawLargerThanThePoolTakesThePoolAndGeneratesTheRest() throws Exception {
    KeyPool pool = filledEcPool(3);
    List<KeyPair> keys = pool.next(KeyAlgorithm.ECDSA_P256, 5);
    assertThat(keys).hasSize(5).doesNotHaveDuplicates();
    assertThat(onDemand).hasValue(2);
  }

  @Test
  void anUnstartedPoolGeneratesEveryKey() {
    KeyPool pool = pool(KeyAlgorithm.ECDSA_P256, KeyPairs::generate);
    assertThat(pool.next(KeyAlgorithm.ECDSA_P256, 2)).hasSize(2);
    assertThat(onDemand).hasValue(2);
    assertThat(pool.size()).isZero();
  }

  @Test
  void theFillerWaitsWhileADrawRuns() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch drawing = new CountDownLatch(1);
    KeyPool pool = pool(KeyAlgorithm.ECDSA_P256, alg -> {
      if (!Thread.currentThread().getName().equals("key-pool")) {
        drawing.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      return KeyPairs.generate(alg);
    });
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      Future<KeyPair> draw = thread.submit(() -> pool.next(KeyAlgorithm.ECDSA_P256));
      assertThat(drawing.await(1, TimeUnit.MINUTES)).isTrue();
      pool.startFilling(2, Duration.ZERO);
      Thread.sleep(300);
      assertThat(pool.made()).as("keys made during the draw").isZero();
      release.countDown();
      assertThat(draw.get(1, TimeUnit.MINUTES)).isNotNull();
      assertThat(pool.awaitSize(2, WAIT)).as("filled once the draw ended").isTrue();
    } finally {
      release.countDown();
      thread.shutdownNow();
    }
  }

  @Test
  void theFillerWaitsWhileARequestRuns() throws Exception {
    KeyPool pool = pool(KeyAlgorithm.ECDSA_P256, KeyPairs::generate);
    KeyPool.Busy other = pool.busy();
    try (KeyPool.Busy request = pool.busy()) {
      pool.startFilling(2, Duration.ZERO);
      Thread.sleep(300);
      assertThat(pool.made()).as("keys made while two requests run").isZero();
      other.close();
      other.close(); // a second close does not end the request still running
      Thread.sleep(300);
      assertThat(pool.made()).as("keys made while one request runs").isZero();
    }
    assertThat(pool.awaitSize(2, WAIT)).as("filled once it ended").isTrue();
  }

  @Test
  void theFillerLeavesTheCoresToRequestsForItsDelayAfterADraw() throws Exception {
    KeyPool pool = pool(KeyAlgorithm.ECDSA_P256, KeyPairs::generate);
    pool.startFilling(2, Duration.ofSeconds(1));
    assertThat(pool.awaitSize(2, WAIT)).isTrue();
    pool.next(KeyAlgorithm.ECDSA_P256, 2);
    Thread.sleep(500);
    assertThat(pool.made()).as("keys made within the delay after the draw").isEqualTo(2);
    assertThat(pool.awaitSize(2, WAIT)).as("refilled after it").isTrue();
  }

  @Test
  void pooledRsaKeysAreValidRsa2048KeysWithExponent65537() throws Exception {
    KeyPool pool = pool(KeyAlgorithm.RSA_2048, KeyPairs::generate);
    pool.startFilling(2, Duration.ZERO);
    assertThat(pool.awaitSize(2, WAIT)).isTrue();
    for (KeyPair kp : pool.next(KeyAlgorithm.RSA_2048, 2)) {
      RSAPublicKey pub = (RSAPublicKey) kp.getPublic();
      RSAPrivateCrtKey priv = (RSAPrivateCrtKey) kp.getPrivate();
      assertThat(pub.getModulus().bitLength()).isEqualTo(2048);
      assertThat(pub.getPublicExponent().intValue()).isEqualTo(65537);
      assertThat(priv.getPrimeP().multiply(priv.getPrimeQ())).isEqualTo(pub.getModulus());
      assertThat(priv.getPrimeP().isProbablePrime(64)).isTrue();
      assertThat(priv.getPrimeQ().isProbablePrime(64)).isTrue();
      assertThat(KeyPairs.matches(kp.getPrivate(), kp.getPublic())).isTrue();
    }
    assertThat(onDemand).hasValue(0);
  }

  @Test
  void theCapacityIsBoundedAndTheFillerStartsOnce() {
    KeyPool pool = pool(KeyAlgorithm.ECDSA_P256, KeyPairs::generate);
    assertThatThrownBy(() -> pool.startFilling(KeyPool.MAX_CAPACITY + 1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pool.startFilling(-1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    pool.startFilling(1, Duration.ofMinutes(1));
    assertThatThrownBy(() -> pool.startFilling(1, Duration.ZERO)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theWorkersSourceIsTheSharedPool() {
    assertThat(KeyPairs.secure()).isSameAs(KeyPool.shared());
  }
}
