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
 * {@link FileLock} on {@code <dir>/.kubeforge.lock} (mode 0600, left in place; it never holds
 * data). A dry run takes only the in-JVM lock so it creates nothing on disk.
 */
public final class DirLock implements AutoCloseable {
  /** Name of the lock file kept in a locked directory. */
  public static final String LOCK_FILE = ".kubeforge.lock";

  private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

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
   * Adds the cross-process file lock to an in-JVM lock; {@code dir} must exist. Returns a new
   * handle that releases both.
   */
  public DirLock withFileLock(Path dir) {
    Path file = dir.resolve(LOCK_FILE);
    try {
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
