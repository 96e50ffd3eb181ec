package io.kubeforge.worker.preflight;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Host is what the preflight checks may read: the {@code /proc} tree (a folder in tests), the
 * environment (PATH and the {@code *_proxy} variables), name resolution and the time limits of
 * everything that could block. Every read is bounded: only regular files are opened (never a
 * FIFO or a device), at most {@link #MAX_READ} bytes are read, and name lookups, sockets, HTTP
 * and child processes have timeouts.
 */
public final class Host {
  /** The most bytes read from any file. */
  public static final int MAX_READ = 64 * 1024;

  /** Resolves a host name to its addresses, as Go's {@code net.LookupHost}. */
  @FunctionalInterface
  public interface Resolver {
    List<String> lookup(String name) throws UnknownHostException;
  }

  private final Path proc;
  private final Map<String, String> env;
  private final Resolver resolver;
  private final Duration timeout;
  private final Duration etcdRetryInterval;

  /**
   * @param proc the folder read as {@code /proc}
   * @param env the environment
   * @param resolver name resolution
   * @param timeout the bound of each blocking operation (kubeadm's 10 s for external etcd)
   * @param etcdRetryInterval the pause between external etcd attempts (kubeadm's 5 s)
   */
  public Host(Path proc, Map<String, String> env, Resolver resolver, Duration timeout, Duration etcdRetryInterval) {
    this.proc = proc;
    this.env = Map.copyOf(env);
    this.resolver = resolver;
    this.timeout = timeout;
    this.etcdRetryInterval = etcdRetryInterval;
  }

  /** The real host: {@code /proc}, the worker's environment, the system resolver, kubeadm's timings. */
  public static Host system() {
    return new Host(Path.of("/proc"), new TreeMap<>(System.getenv()), Host::systemLookup,
        Duration.ofSeconds(10), Duration.ofSeconds(5));
  }

  private static List<String> systemLookup(String name) throws UnknownHostException {
    List<String> out = new ArrayList<>();
    for (InetAddress a : InetAddress.getAllByName(name)) {
      out.add(a.getHostAddress());
    }
    return out;
  }

  /** Returns this host with another {@code /proc} folder. */
  public Host withProc(Path procRoot) {
    return new Host(procRoot, env, resolver, timeout, etcdRetryInterval);
  }

  /** Returns this host with another environment. */
  public Host withEnv(Map<String, String> environment) {
    return new Host(proc, environment, resolver, timeout, etcdRetryInterval);
  }

  /** Returns this host with other time limits. */
  public Host withTimings(Duration blockingTimeout, Duration retryInterval) {
    return new Host(proc, env, resolver, blockingTimeout, retryInterval);
  }

  /** Returns the path of a file below {@code /proc}, e.g. {@code proc("sys/net/ipv4/ip_forward")}. */
  public Path proc(String relative) {
    return proc.resolve(relative);
  }

  /** Returns the environment. */
  public Map<String, String> env() {
    return env;
  }

  /** Returns the bound of one blocking operation. */
  public Duration timeout() {
    return timeout;
  }

  /** Returns the pause between external etcd attempts. */
  public Duration etcdRetryInterval() {
    return etcdRetryInterval;
  }

  /**
   * Reads at most {@code max} bytes of a regular file (following links, as {@code /proc/self}
   * is one); empty when it is missing, unreadable or not a regular file.
   */
  public static Optional<byte[]> readBounded(Path file, int max) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try (InputStream in = Files.newInputStream(file)) {
      return Optional.of(in.readNBytes(Math.min(max, MAX_READ)));
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
  }

  /** Reads a small text file below {@code /proc}, bounded; empty when it is not there. */
  public Optional<String> procText(String relative) {
    return readBounded(proc(relative), MAX_READ).map(b -> new String(b, StandardCharsets.UTF_8));
  }

  /**
   * Finds an executable as Go's {@code exec.LookPath}: a name with a slash is checked as is,
   * anything else is searched in {@code $PATH} (an empty entry means the current folder); a
   * match is a non-folder with an execute bit.
   */
  public Optional<Path> lookPath(String name) {
    if (name.indexOf('/') >= 0) {
      return executable(Path.of(name)) ? Optional.of(Path.of(name)) : Optional.empty();
    }
    String path = env.getOrDefault("PATH", "");
    for (String dir : path.split(":", -1)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir).resolve(name);
      if (executable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static boolean executable(Path p) {
    try {
      return Files.exists(p) && !Files.isDirectory(p) && Files.getPosixFilePermissions(p).stream()
          .anyMatch(x -> x.name().endsWith("_EXECUTE"));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  /** Looks a host name up within {@link #timeout()}; the failure says why. */
  public List<String> lookupHost(String name) throws UnknownHostException {
    CompletableFuture<List<String>> f = CompletableFuture.supplyAsync(() -> {
      try {
        return resolver.lookup(name);
      } catch (UnknownHostException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new UnknownHostException("lookup " + name + ": i/o timeout");
    } catch (ExecutionException e) {
      throw new UnknownHostException("lookup " + name + ": no such host");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnknownHostException("lookup " + name + ": interrupted");
    }
  }

  /**
   * Runs a command (read-only, such as {@code kubelet --version}) and returns its standard output,
   * at most {@link #MAX_READ} bytes; fails after {@link #timeout()}.
   */
  public String output(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(false)
        .redirectError(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
      try (InputStream in = p.getInputStream()) {
        byte[] b = in.readNBytes(MAX_READ);
        in.transferTo(OutputSink.INSTANCE);
        return b;
      } catch (IOException e) {
        return new byte[0];
      }
    });
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out after " + timeout.toSeconds() + "s");
      }
      if (p.exitValue() != 0) {
        throw new IOException("exit status " + p.exitValue());
      }
      return new String(out.get(timeout.toMillis(), TimeUnit.MILLISECONDS), StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      p.destroyForcibly();
      throw new IOException("could not read its output", e);
    }
  }

  /** Discards what a child prints beyond the bound, so it never blocks on a full pipe. */
  private static final class OutputSink extends java.io.OutputStream {
    static final OutputSink INSTANCE = new OutputSink();

    @Override
    public void write(int b) {
      // discarded
    }

    @Override
    public void write(byte[] b, int off, int len) {
      // discarded
    }
  }
}
