package io.kubeforge.worker;

import io.kubeforge.worker.api.Capabilities;
import io.kubeforge.worker.api.ExpiryMetrics;
import io.kubeforge.worker.http.WorkerServer;
import io.kubeforge.worker.pki.KeyPool;
import io.kubeforge.worker.runtime.WorkerHome;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Main starts one worker: resolves and locks its home, reads (or creates) the token, binds the
 * HTTP server on loopback, publishes the endpoint file and starts the key pool's filler. Usage:
 * {@code java -jar kubeforge-worker.jar [--home DIR] [--host 127.0.0.1] [--port 0]}.
 */
public final class Main {
  private static final String LOGGER = "io.kubeforge.worker";

  private Main() {}

  public static void main(String[] args) throws Exception {
    // Netty's allocator reports to Flight Recorder when it can; registering its event classes costs
    // the first request about a tenth of a second and the worker records nothing
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    // the JDK's resolver (nsswitch, /etc/hosts, the host's DNS settings, as kubectl's Go resolver
    // reads them) instead of Netty's own DNS client, whose 50 classes and resolv.conf parsing cost
    // every start about 30 ms; the worker resolves at most an API server's name per call
    if (System.getProperty("vertx.disableDnsResolver") == null) {
      System.setProperty("vertx.disableDnsResolver", "true");
    }
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
    warmUpInParallel();
    String home = null;
    String host = "127.0.0.1";
    int port = 0;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--home" -> home = require(args[i], value);
        case "--host" -> host = require(args[i], value);
        case "--port" -> port = Integer.parseInt(require(args[i], value));
        case "--version" -> {
          System.out.println(version());
          return;
        }
        default -> usage("unknown argument " + args[i]);
      }
      i++;
    }
    int poolCapacity = keyPoolCapacity(System.getenv("KUBEFORGE_KEY_POOL"));
    if (!InetAddress.getByName(host).isLoopbackAddress()) {
      Logger.getLogger(LOGGER).warning("listening on non-loopback address " + host + "; only do this behind a firewall");
    }
    Path dir = WorkerHome.resolve(home, System.getenv(), System.getProperty("user.name"), System.getProperty("user.home"));
    WorkerHome workerHome;
    try {
      workerHome = WorkerHome.open(dir);
    } catch (java.io.IOException e) {
      System.err.println("kubeforge-worker: " + e.getMessage());
      System.exit(1);
      return;
    }
    // the worker serves no files: no class-path file resolving and no file cache (a temporary
    // folder per start, removed by a shutdown hook)
    Vertx vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(4).setFileSystemOptions(
        new FileSystemOptions().setClassPathResolvingEnabled(false).setFileCachingEnabled(false)));
    io.kubeforge.worker.kube.KubeClient.useVertx(vertx);
    ExpiryMetrics metrics = new ExpiryMetrics(dir.resolve(ExpiryMetrics.CONFIG_FILE));
    WorkerServer server = new WorkerServer(vertx, workerHome.token(), Capabilities.all(), version(), metrics);
    int actualPort = server.listen(host, port).await().actualPort();
    String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + actualPort;
    workerHome.publishEndpoint(url, ProcessHandle.current().pid());
    Logger.getLogger(LOGGER).info("kubeforge worker " + version() + " listening on " + url + ", home " + dir);
    // key generation leaves BigInteger garbage that grows the heap; a full collection once the
    // pool is full lets the serial collector give the heap back (idle RSS)
    KeyPool.shared().whenFull(System::gc);
    KeyPool.shared().startFilling(poolCapacity, KeyPool.DEFAULT_DELAY);
    // opt-in: the first cluster call's one-time set-up (TLS, HTTP client, Jackson) done in idle
    // time; it halves that call's CPU time but adds about 7 MB to the idle RSS (bench/cluster_calls.py)
    if ("1".equals(System.getenv("KUBEFORGE_CLIENT_WARM_UP"))) {
      io.kubeforge.worker.kube.WarmUp.startWhenIdle(KeyPool.DEFAULT_DELAY);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      workerHome.close();
      vertx.close();
    }, "shutdown"));
  }

  /**
   * Loads, on the second core while this thread opens the home and starts Vert.x, what start-up
   * and the first answer would otherwise load on their critical path: the JDK's random source,
   * Netty's platform probe, the log manager, Jackson (Vert.x's codec and the worker's own mapper,
   * with the locale data their date formats read) and the log formatter. Nothing here has an
   * effect beyond loading and initialising classes (the worker's start measured 0.6 s of CPU on
   * its main and event-loop threads before, 0.4 s after).
   */
  private static void warmUpInParallel() {
    Thread warmUp = new Thread(() -> {
      // in the order the main thread needs them: the token's random source, Netty's platform
      // probe, the log manager
      new SecureRandom().nextBytes(new byte[1]);
      io.netty.util.internal.PlatformDependent.isUnaligned();
      Logger.getLogger(LOGGER);
      io.vertx.core.json.Json.encodeToBuffer(Map.of("status", "ok", "version", version()));
      io.kubeforge.worker.http.Json.encode(io.kubeforge.worker.http.Json.decodeObject("{\"warm\":[1,\"up\"]}"));
      new SimpleFormatter().format(new LogRecord(Level.INFO, "warm-up"));
    }, "warm-up");
    warmUp.setDaemon(true);
    warmUp.start();
  }

  /**
   * Returns how many RSA-2048 keys the worker makes ahead in idle time: {@code $KUBEFORGE_KEY_POOL}
   * (0 turns the pool off), else one control-plane tree's worth.
   */
  static int keyPoolCapacity(String fromEnv) {
    if (fromEnv == null || fromEnv.isBlank()) {
      return KeyPool.DEFAULT_CAPACITY;
    }
    try {
      int n = Integer.parseInt(fromEnv.trim());
      if (n >= 0 && n <= KeyPool.MAX_CAPACITY) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    usage("KUBEFORGE_KEY_POOL must be a number of keys from 0 to " + KeyPool.MAX_CAPACITY);
    return 0;
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  private static String require(String flag, String value) {
    if (value == null) {
      usage(flag + " needs a value");
    }
    return value;
  }

  private static void usage(String problem) {
    System.err.println("kubeforge-worker: " + problem);
    System.err.println("usage: java -jar kubeforge-worker.jar [--home DIR] [--host 127.0.0.1] [--port 0] [--version]");
    System.exit(2);
  }
}
