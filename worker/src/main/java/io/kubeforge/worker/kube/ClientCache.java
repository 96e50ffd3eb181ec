package io.kubeforge.worker.kube;

import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ClientCache keeps the HTTP client of the last few kubeconfig files, so that the calls of a play
 * share one TLS set-up and one kept-alive connection per API server instead of reading the
 * kubeconfig, its PEM keys and key stores and shaking hands again on every call.
 *
 * <p>An entry is keyed by the kubeconfig's path and is valid while every file it was read from
 * (the kubeconfig and the files it names) has the same content (SHA-256); a change makes the next
 * call read the kubeconfig afresh and replace the entry. At most {@value #MAX_ENTRIES} entries,
 * the least recently used evicted first. An evicted or replaced client is closed once the last
 * call using it has closed its lease. Anonymous clients (discovery, downloads) are never cached.
 */
final class ClientCache {
  /** The most kubeconfigs kept (a host uses a handful: admin.conf, super-admin.conf, a bootstrap one). */
  static final int MAX_ENTRIES = 8;

  private static final Map<Path, Entry> ENTRIES = new LinkedHashMap<>(16, 0.75f, true);

  private ClientCache() {}

  /** One cached client: the kubeconfig as read, its WebClient, and the leases open on it. */
  static final class Entry {
    final Kubeconfig config;
    final WebClient web;
    private int leases;
    private boolean retired;

    Entry(Kubeconfig config, WebClient web) {
      this.config = config;
      this.web = web;
    }

    /** Ends one lease; closes the client when it is retired and this was the last lease. */
    void release() {
      boolean close;
      synchronized (ClientCache.class) {
        leases--;
        close = retired && leases == 0;
      }
      if (close) {
        web.close();
      }
    }
  }

  /**
   * Leases the cached entry for {@code kubeconfig} while its files are unchanged, else reads it
   * (a 400 when it cannot be used), makes the client with {@code make} and caches it.
   */
  static Entry lease(Path kubeconfig, java.util.function.Function<Kubeconfig, WebClient> make) {
    Path key = kubeconfig.toAbsolutePath().normalize();
    Entry cached;
    synchronized (ClientCache.class) {
      cached = ENTRIES.get(key);
    }
    if (cached != null && cached.config.unchangedOnDisk()) {
      synchronized (ClientCache.class) {
        if (ENTRIES.get(key) == cached) {
          cached.leases++;
          return cached;
        }
      }
    }
    Kubeconfig config = Kubeconfig.read(kubeconfig);
    Entry fresh = new Entry(config, make.apply(config));
    java.util.List<Entry> toClose = new java.util.ArrayList<>();
    synchronized (ClientCache.class) {
      fresh.leases++;
      Entry old = ENTRIES.put(key, fresh);
      if (old != null) {
        retire(old, toClose);
      }
      for (Iterator<Map.Entry<Path, Entry>> it = ENTRIES.entrySet().iterator(); ENTRIES.size() > MAX_ENTRIES;) {
        retire(it.next().getValue(), toClose);
        it.remove();
      }
    }
    toClose.forEach(e -> e.web.close());
    return fresh;
  }

  /** How many clients are cached (tests). */
  static synchronized int size() {
    return ENTRIES.size();
  }

  private static void retire(Entry e, java.util.List<Entry> toClose) {
    e.retired = true;
    if (e.leases == 0) {
      toClose.add(e);
    }
  }
}
