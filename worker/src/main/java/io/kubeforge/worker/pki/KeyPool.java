package io.kubeforge.worker.pki;

import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.IntStream;

/**
 * KeyPool is the worker's {@link KeyPairs.KeySource}: key pairs of one algorithm (kubeadm's
 * default, RSA-2048) made ahead in idle time by one background thread, handed out once each.
 *
 * <p>A draw takes what the pool holds of the asked algorithm and generates the rest on every core
 * at once; a draw of another algorithm (or of more keys than the pool holds) is served by the
 * generator as before. A key leaves the pool when it is drawn and is never handed out again. The
 * pool lives in memory only: nothing is written, logged or kept across restarts, and a worker
 * that stops loses its pool.
 *
 * <p>The filler is one daemon thread (never an event loop), started by {@link #startFilling}
 * after the server listens. It keeps at most {@code capacity} keys, makes one key at a time, and
 * waits while a draw or a request ({@link #busy}) runs and for a short quiet time after it, so
 * that it does not compete with requests for the cores (Java thread priorities are only a hint
 * on Linux; the wait is what keeps requests first). Until it is started the pool is empty and
 * every draw generates, as a worker without a pool would.
 */
public final class KeyPool implements KeyPairs.KeySource {
  /** Keys of one control-plane tree: 10 certificates and the sa key, and 5 kubeconfig clients. */
  public static final int DEFAULT_CAPACITY = 16;
  /** The most keys a pool may be asked to keep (each RSA-2048 pair is a few KB of heap). */
  public static final int MAX_CAPACITY = 64;
  /**
   * Time from the start of the filler to its first key, and from the end of every request to the
   * next key: start-up, and the requests that follow one another in a play, keep the cores.
   */
  public static final Duration DEFAULT_DELAY = Duration.ofMillis(500);

  private static final Logger LOG = Logger.getLogger(KeyPool.class.getName());
  private static final KeyPool SHARED = new KeyPool(KeyAlgorithm.DEFAULT, KeyPairs::generate);

  private final KeyAlgorithm pooled;
  private final Function<KeyAlgorithm, KeyPair> generator;
  private final ArrayDeque<KeyPair> keys = new ArrayDeque<>();
  private int capacity;
  private int busy;
  private long lastBusyEnd;
  private long quietNanos;
  private long made;
  private Thread filler;
  private Runnable whenFull = () -> { };
  private boolean filledSinceIdle;

  /** Creates an empty pool of {@code pooled} keys made by {@code generator} (tests inject one). */
  public KeyPool(KeyAlgorithm pooled, Function<KeyAlgorithm, KeyPair> generator) {
    this.pooled = Objects.requireNonNull(pooled);
    this.generator = Objects.requireNonNull(generator);
  }

  /** Returns the worker's one pool of RSA-2048 keys, the source {@link KeyPairs#secure()} gives. */
  public static KeyPool shared() {
    return SHARED;
  }

  @Override
  public KeyPair next(KeyAlgorithm algorithm) {
    return next(algorithm, 1).get(0);
  }

  @Override
  public List<KeyPair> next(KeyAlgorithm algorithm, int count) {
    List<KeyPair> out = new ArrayList<>(count);
    synchronized (this) {
      busy++;
      while (algorithm == pooled && out.size() < count && !keys.isEmpty()) {
        out.add(keys.poll());
      }
    }
    try {
      int missing = count - out.size();
      if (missing == 1) {
        out.add(generator.apply(algorithm));
      } else if (missing > 1) {
        out.addAll(IntStream.range(0, missing).parallel().mapToObj(i -> generator.apply(algorithm)).toList());
      }
      return out;
    } finally {
      release();
    }
  }

  /**
   * Busy marks the worker busy with a request until it is closed: the filler makes no key
   * meanwhile, nor for its delay after.
   */
  @FunctionalInterface
  public interface Busy extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Marks the worker busy (a request runs) until the returned handle is closed (closing it again
   * does nothing); a draw does too.
   */
  public Busy busy() {
    synchronized (this) {
      busy++;
    }
    java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);
    return () -> {
      if (open.getAndSet(false)) {
        release();
      }
    };
  }

  private synchronized void release() {
    busy--;
    lastBusyEnd = System.nanoTime();
    notifyAll();
  }

  /**
   * Waits until no draw or request ({@link #busy}) has run for {@code quiet} (other idle-time work
   * uses the same notion of idle as the filler).
   */
  public synchronized void awaitIdle(Duration quiet) throws InterruptedException {
    while (true) {
      long left = lastBusyEnd + quiet.toNanos() - System.nanoTime();
      if (busy == 0 && left <= 0) {
        return;
      }
      wait(busy > 0 ? 0 : Math.max(1, left / 1_000_000));
    }
  }

  /** Returns how many keys the pool holds now. */
  public synchronized int size() {
    return keys.size();
  }

  /** Returns how many keys the filler has made since it started (drawn or not). */
  public synchronized long made() {
    return made;
  }

  /**
   * Starts the filler, which keeps up to {@code capacity} keys, its first key {@code delay}
   * after this call and after the end of every draw or request ({@link #busy}). Once per pool; a capacity of 0 starts
   * nothing (every draw generates).
   *
   * @throws IllegalArgumentException if capacity is outside 0..{@value #MAX_CAPACITY}
   * @throws IllegalStateException if the filler was started before
   */
  public synchronized void startFilling(int capacity, Duration delay) {
    if (capacity < 0 || capacity > MAX_CAPACITY) {
      throw new IllegalArgumentException("key pool capacity must be 0.." + MAX_CAPACITY + ", got " + capacity);
    }
    if (filler != null || this.capacity > 0) {
      throw new IllegalStateException("the key pool is already filling");
    }
    this.capacity = capacity;
    this.quietNanos = delay.toNanos();
    this.lastBusyEnd = System.nanoTime();
    if (capacity == 0) {
      return;
    }
    filler = new Thread(this::fill, "key-pool");
    filler.setDaemon(true);
    filler.setPriority(Thread.MIN_PRIORITY);
    filler.start();
  }

  /**
   * Sets what the filler runs, on its own thread, each time it has made keys and the pool is full
   * again (the worker returns the heap the key generation grew to the system); it must not throw.
   */
  public synchronized void whenFull(Runnable action) {
    this.whenFull = Objects.requireNonNull(action);
  }

  /** Stops the filler and drops every key the pool holds (tests; the worker's pool lives as long as it). */
  public void stop() throws InterruptedException {
    Thread t;
    synchronized (this) {
      t = filler;
      capacity = 0;
      keys.clear();
      notifyAll();
    }
    if (t != null) {
      t.interrupt();
      t.join();
    }
  }

  /** Waits until the pool holds {@code count} keys; false if it did not within {@code timeout}. */
  public synchronized boolean awaitSize(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (keys.size() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  private void fill() {
    try {
      while (true) {
        Runnable idle = null;
        synchronized (this) {
          while (true) {
            if (capacity == 0) {
              return;
            }
            long quietLeft = lastBusyEnd + quietNanos - System.nanoTime();
            if (keys.size() >= capacity && filledSinceIdle && busy == 0) {
              filledSinceIdle = false;
              idle = whenFull;
              break;
            } else if (keys.size() >= capacity || busy > 0) {
              wait();
            } else if (quietLeft > 0) {
              wait(Math.max(1, quietLeft / 1_000_000));
            } else {
              break;
            }
          }
        }
        if (idle != null) {
          idle.run();
          continue;
        }
        KeyPair kp = generator.apply(pooled);
        synchronized (this) {
          made++;
          filledSinceIdle = true;
          if (keys.size() < capacity) {
            keys.add(kp);
          }
          notifyAll();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // Never the key: only that the pool stopped; every draw then generates, as without a pool.
      LOG.log(Level.WARNING, "the key pool stopped filling: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }
  }
}
