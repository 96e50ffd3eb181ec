package io.kubeforge.worker;

import io.kubeforge.worker.api.Capabilities;
import io.kubeforge.worker.api.ExpiryMetrics;
import io.kubeforge.worker.http.WorkerServer;
import io.kubeforge.worker.pki.KeyPool;
import io.kubeforge.worker.runtime.WorkerHome;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Main starts one worker: resolves and locks its home, reads (or creates) the token, binds the
 * HTTP server on loopback, publishes the endpoint file and starts the key pool's filler. Usage:
 * {@code java -jar kubeforge-worker.jar [--home DIR] [--host 127.0.0.1] [--port 0]}.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    // Netty's allocator reports to Flight Recorder when it can; registering its event classes costs
    // the first request about a tenth of a second and the worker records nothing
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
    Logger log = Logger.getLogger("io.kubeforge.worker");
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
      log.warning("listening on non-loopback address " + host + "; only do this behind a firewall");
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
    Vertx vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(4));
    io.kubeforge.worker.kube.KubeClient.useVertx(vertx);
    ExpiryMetrics metrics = new ExpiryMetrics(dir.resolve(ExpiryMetrics.CONFIG_FILE));
    WorkerServer server = new WorkerServer(vertx, workerHome.token(), Capabilities.all(), version(), metrics);
    int actualPort = server.listen(host, port).await().actualPort();
    String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + actualPort;
    workerHome.publishEndpoint(url, ProcessHandle.current().pid());
    log.info("kubeforge worker " + version() + " listening on " + url + ", home " + dir);
    // key generation leaves BigInteger garbage that grows the heap; a full collection once the
    // pool is full lets the serial collector give the heap back (idle RSS)
    KeyPool.shared().whenFull(System::gc);
    KeyPool.shared().startFilling(poolCapacity, KeyPool.DEFAULT_DELAY);
    // opt-in: the first cluster call's one-time set-up (TLS, HTTP client, Jackson) done in idle
    // time; it halves that call's CPU time but adds about 7 MB to the idle RSS (docs/jvm.md)
    if ("1".equals(System.getenv("KUBEFORGE_CLIENT_WARM_UP"))) {
      io.kubeforge.worker.kube.WarmUp.startWhenIdle(KeyPool.DEFAULT_DELAY);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      workerHome.close();
      vertx.close();
    }, "shutdown"));
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
