package io.kubeforge.worker.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * DirLock serialises work on one directory: inside this JVM with a lock per directory path,
 * and, when the caller is going to write, across processes with an exclusive
 * {@link FileLock} on a file in the worker's own lock folder, named by the SHA-256 of the
 * directory's real path. The locked directory itself gets no extra file, so a tree holds
 * exactly what kubeadm would write. A dry run takes only the in-JVM lock.
 */
public final class DirLock implements AutoCloseable {
  private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();
  private static volatile Path lockFolder = Path.of(System.getProperty("java.io.tmpdir"),
      "kubeforge-locks-" + System.getProperty("user.name"));

  /** Sets the folder that holds the lock files (the worker uses {@code <home>/locks}). */
  public static void useLockFolder(Path folder) {
    lockFolder = folder.toAbsolutePath().normalize();
  }

  /** Returns the lock file that stands for {@code dir}. */
  static Path lockFileFor(Path dir) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(realKey(dir).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return lockFolder.resolve(java.util.HexFormat.of().formatHex(digest) + ".lock");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JVM", e);
    }
  }

  private final ReentrantLock jvmLock;
  private final FileChannel channel;
  private final FileLock fileLock;

  private DirLock(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
    this.jvmLock = jvmLock;
    this.channel = channel;
    this.fileLock = fileLock;
  }

  /**
   * Takes the in-JVM lock for {@code dir} (an absolute, normalised path), waiting at most
   * {@code timeoutSeconds}; a timeout is the conflict {@code <area>.busy}.
   */
  public static DirLock inJvm(Path dir, long timeoutSeconds, String area) {
    ReentrantLock lock = LOCKS.computeIfAbsent(realKey(dir), k -> new ReentrantLock());
    try {
      if (!lock.tryLock(timeoutSeconds, TimeUnit.SECONDS)) {
        throw WorkerException.conflict(area + ".busy",
            "another request is still working on " + dir + "; retry later");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw WorkerException.conflict(area + ".busy", "interrupted while waiting for " + dir);
    }
    return new DirLock(lock, null, null);
  }

  /**
   * Returns the real path of {@code dir}, or of its deepest existing ancestor followed by the
   * rest, so two spellings of one directory share a lock.
   */
  static Path realKey(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !java.nio.file.Files.exists(existing)) {
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

  /**
   * Adds the cross-process file lock to an in-JVM lock. Returns a new handle that releases both.
   * The lock folder is created 0700 if absent and refused if it is a symbolic link.
   */
  public DirLock withFileLock(Path dir) {
    Path file = lockFileFor(dir);
    try {
      Path folder = file.getParent();
      if (java.nio.file.Files.isSymbolicLink(folder)) {
        throw new IOException("lock folder " + folder + " is a symbolic link");
      }
      if (!java.nio.file.Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
        java.nio.file.Files.createDirectories(folder,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(SafeFiles.PRIVATE));
      try {
        return new DirLock(jvmLock, ch, ch.lock());
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("couldn't lock " + file, e);
    }
  }

  @Override
  public void close() {
    try {
      if (fileLock != null) {
        fileLock.release();
      }
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("couldn't release lock", e);
    } finally {
      if (jvmLock.isHeldByCurrentThread()) {
        jvmLock.unlock();
      }
    }
  }
}
