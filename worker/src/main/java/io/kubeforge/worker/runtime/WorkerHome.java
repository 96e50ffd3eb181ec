package io.kubeforge.worker.runtime;

import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * WorkerHome is the worker's own folder: the shared secret ({@code token}, 0600), the
 * {@code endpoint} file that tells modules where the worker listens, and the single-instance
 * lock. It is chosen, in order, by {@code --home}, {@code $KUBEFORGE_HOME},
 * {@code /var/lib/kubeforge} for root and {@code ~/.kubeforge} otherwise — the same rule the
 * Ansible client applies.
 */
public final class WorkerHome {
  static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

  private final Path dir;
  private FileChannel lockChannel;
  private FileLock lock;

  private WorkerHome(Path dir) {
    this.dir = dir;
  }

  /** Resolves the home folder from an explicit value, the environment and the user. */
  public static Path resolve(String explicit, Map<String, String> env, String userName, String userHome) {
    if (explicit != null && !explicit.isEmpty()) {
      return Path.of(explicit).toAbsolutePath().normalize();
    }
    String fromEnv = env.get("KUBEFORGE_HOME");
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return Path.of(fromEnv).toAbsolutePath().normalize();
    }
    if ("root".equals(userName)) {
      return Path.of("/var/lib/kubeforge");
    }
    return Path.of(userHome, ".kubeforge");
  }

  /**
   * Opens (creating it 0700 if absent) the home folder and takes the single-instance lock;
   * fails when another worker already holds it.
   */
  public static WorkerHome open(Path dir) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      throw new IOException("worker home " + dir + " is a symbolic link; refusing to use it");
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
    }
    WorkerHome home = new WorkerHome(dir);
    home.lockChannel = FileChannel.open(dir.resolve("worker.lock"), Set.of(StandardOpenOption.CREATE,
        StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
    try {
      home.lock = home.lockChannel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      home.lock = null;
    }
    if (home.lock == null) {
      home.lockChannel.close();
      throw new IOException("another worker already runs with home " + dir);
    }
    return home;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Returns the shared secret, creating it (32 random bytes, hex, mode 0600) on first use.
   * A token file readable by anyone but its owner is tightened to 0600.
   */
  public String token() throws IOException {
    Path file = dir.resolve("token");
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      writeOwnerOnly(file, HexFormat.of().formatHex(raw) + "\n");
    }
    if (Files.isSymbolicLink(file)) {
      throw new IOException("token file " + file + " is a symbolic link; refusing to use it");
    }
    if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY_FILE)) {
      Files.setPosixFilePermissions(file, OWNER_ONLY_FILE);
    }
    String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
    if (token.length() < 32) {
      throw new IOException("token file " + file + " holds fewer than 32 characters; delete it to make a new one");
    }
    return token;
  }

  /** Publishes where this worker listens: {@code {"url": ..., "pid": ...}}, atomically, 0600. */
  public void publishEndpoint(String url, long pid) throws IOException {
    writeOwnerOnly(dir.resolve("endpoint"), "{\"url\":\"" + url + "\",\"pid\":" + pid + "}\n");
  }

  /** Removes the endpoint file and releases the lock; called when the worker stops. */
  public void close() {
    try {
      Files.deleteIfExists(dir.resolve("endpoint"));
      if (lock != null) {
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      // shutting down: nothing more to do
    }
  }

  private void writeOwnerOnly(Path file, String content) throws IOException {
    Path tmp = Files.createTempFile(dir, ".tmp-", "", PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII)));
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(tmp);
      throw WorkerException.conflict("worker.home", "cannot replace " + file + " atomically", e);
    }
  }
}
