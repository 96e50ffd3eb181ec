package io.kubeforge.worker.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * DirLock serialises all work on target directories, inside this JVM and across processes: two
 * requests to one worker, two workers with different homes, or two playbook runs on one
 * {@code cert_dir} never interleave. One lock stands for one directory's real path.
 *
 * <p><b>Where the lock lives.</b> An exclusive {@link FileLock} on
 * {@code <lock folder>/<sha256 of the directory's real path>.lock}. The lock folder is one
 * machine-wide place every worker finds without sharing a home: {@code /run/lock/kubeforge}
 * when {@code /run/lock} is writable (root, as on a node), otherwise
 * {@code <java.io.tmpdir>/kubeforge-locks-<user>} (the system property {@code kubeforge.lockDir}
 * overrides both). Not beside or inside the directory: kubeadm's tree must hold exactly
 * kubeadm's files (the conformance diff compares it file by file and folder by folder), and a
 * lock file under {@code /etc/kubernetes} would be a difference. Not in the worker's home: two
 * homes would mean two locks for one directory. The lock is released by the kernel when the
 * process dies, so a crash never leaves it held. The folder is made 0700 when missing; a
 * symbolic link there is refused.
 *
 * <p><b>Order and bounds.</b> Several directories are taken in the order of their real paths, so
 * two calls that need overlapping sets cannot deadlock. Each wait is bounded: a timeout is the
 * conflict {@code <area>.busy} naming the directory, never a hang. A dry run takes only the
 * in-JVM lock (it creates nothing, not even a lock file).
 */
public final class DirLock implements AutoCloseable {
  private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();
  private static final long POLL_MILLIS = 20;
  private static volatile Path lockFolder = defaultLockFolder();

  private final Deque<Runnable> releases;

  private DirLock(Deque<Runnable> releases) {
    this.releases = releases;
  }

  static Path defaultLockFolder() {
    String configured = System.getProperty("kubeforge.lockDir");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    Path run = Path.of("/run/lock");
    if (Files.isDirectory(run, LinkOption.NOFOLLOW_LINKS) && Files.isWritable(run)
        && "root".equals(System.getProperty("user.name"))) {
      return run.resolve("kubeforge");
    }
    return Path.of(System.getProperty("java.io.tmpdir"), "kubeforge-locks-" + System.getProperty("user.name"));
  }

  /** Sets the folder that holds the lock files (tests; every process on one directory must agree). */
  public static void useLockFolder(Path folder) {
    lockFolder = folder.toAbsolutePath().normalize();
  }

  /** Returns the folder that holds the lock files. */
  public static Path lockFolder() {
    return lockFolder;
  }

  /** Returns the lock file that stands for {@code dir}. */
  static Path lockFileFor(Path dir) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(realKey(dir).toString().getBytes(StandardCharsets.UTF_8));
      return lockFolder.resolve(HexFormat.of().formatHex(digest) + ".lock");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JVM", e);
    }
  }

  /**
   * Takes the locks of {@code dirs} (absolute paths, in the order of their real paths), waiting
   * at most {@code timeoutMillis} in all; {@code crossProcess} adds the file lock to the in-JVM
   * lock. A timeout is the conflict {@code <area>.busy}.
   */
  public static DirLock acquire(Collection<Path> dirs, long timeoutMillis, String area, boolean crossProcess) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    TreeSet<Path> keys = new TreeSet<>();
    dirs.forEach(d -> keys.add(realKey(d)));
    DirLock held = new DirLock(new ArrayDeque<>());
    try {
      for (Path key : keys) {
        held.lockInJvm(key, deadline, area);
        if (crossProcess) {
          held.lockFile(key, deadline, area);
        }
      }
      return held;
    } catch (RuntimeException e) {
      held.close();
      throw e;
    }
  }

  /** Takes the lock of one directory; see {@link #acquire}. */
  public static DirLock acquire(Path dir, long timeoutMillis, String area, boolean crossProcess) {
    return acquire(Set.of(dir), timeoutMillis, area, crossProcess);
  }

  private void lockInJvm(Path key, long deadline, String area) {
    ReentrantLock lock = LOCKS.computeIfAbsent(key, k -> new ReentrantLock());
    try {
      if (!lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        throw busy(area, key);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw busy(area, key);
    }
    releases.push(lock::unlock);
  }

  private void lockFile(Path key, long deadline, String area) {
    Path file = lockFileFor(key);
    FileChannel ch = null;
    try {
      Path folder = file.getParent();
      if (Files.isSymbolicLink(folder)) {
        throw new IOException("lock folder " + folder + " is a symbolic link");
      }
      if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(SafeFiles.PRIVATE));
      while (true) {
        FileLock lock = ch.tryLock();
        if (lock != null) {
          FileChannel channel = ch;
          releases.push(() -> {
            try {
              lock.release();
              channel.close();
            } catch (IOException e) {
              throw new UncheckedIOException("couldn't release " + file, e);
            }
          });
          return;
        }
        if (System.nanoTime() >= deadline) {
          throw busy(area, key);
        }
        Thread.sleep(POLL_MILLIS);
      }
    } catch (IOException e) {
      closeQuietly(ch);
      throw new UncheckedIOException("couldn't lock " + file, e);
    } catch (InterruptedException e) {
      closeQuietly(ch);
      Thread.currentThread().interrupt();
      throw busy(area, key);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing held
      }
    }
  }

  private static WorkerException busy(String area, Path dir) {
    return WorkerException.conflict(area + ".busy", "another request or process is still working on " + dir
        + " (lock " + lockFileFor(dir) + "); retry later");
  }

  /**
   * Returns the real path of {@code dir}, or of its deepest existing ancestor followed by the
   * rest, so two spellings of one directory share a lock.
   */
  static Path realKey(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return abs;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
    } catch (IOException e) {
      return abs;
    }
  }

  @Override
  public void close() {
    RuntimeException first = null;
    while (!releases.isEmpty()) {
      try {
        releases.pop().run();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
