package io.kubeforge.worker.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * SafeFiles reads and writes files below one root directory without following symbolic links
 * and without ever leaving a half-written file behind.
 *
 * <p>A write goes to a dot-named temporary file in the target's directory, created with its
 * final mode before any byte is written, then {@code fsync}, atomic rename over the target and
 * {@code fsync} of the directory. Any symbolic link on the way from the root to the target
 * (the root included) is refused with the conflict {@code <area>.symlink_in_path}, and paths
 * that leave the root with {@code <area>.outside_root}. Java has no {@code openat}, so a link
 * swapped in between the check and the rename is a remaining, documented race; the final
 * rename itself never follows a link.
 */
public final class SafeFiles {
  /** Mode of private keys (and kubeadm's {@code sa.pub}): 0600. */
  public static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
  /** Mode of certificates: 0644. */
  public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
  /** Mode of directories: 0755. */
  public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwxr-xr-x");

  private static final DateTimeFormatter BACKUP_STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path root;
  private final String area;

  private SafeFiles(Path root, String area) {
    this.root = root;
    this.area = area;
  }

  /**
   * Binds to an absolute root directory; {@code area} prefixes error codes ({@code pki} gives
   * {@code pki.symlink_in_path}).
   */
  public static SafeFiles under(Path root, String area) {
    if (!root.isAbsolute()) {
      throw new IllegalArgumentException("root must be absolute: " + root);
    }
    return new SafeFiles(root.normalize(), area);
  }

  /** Returns the root directory. */
  public Path root() {
    return root;
  }

  /** Resolves a relative name below the root, refusing anything that escapes it. */
  public Path resolve(String relative) {
    Path p = root.resolve(relative).normalize();
    if (Path.of(relative).isAbsolute() || !p.startsWith(root) || p.equals(root)) {
      throw WorkerException.conflict(area + ".outside_root",
          "refusing to touch '" + relative + "': it is not a file below " + root);
    }
    return p;
  }

  /**
   * Checks that neither the root nor any existing component between it and {@code relative}
   * (the file included) is a symbolic link.
   */
  public void checkNoSymlinks(String relative) {
    Path target = resolve(relative);
    checkNotLink(root);
    Path current = root;
    for (Path part : root.relativize(target)) {
      current = current.resolve(part);
      checkNotLink(current);
    }
  }

  private void checkNotLink(Path p) {
    if (Files.isSymbolicLink(p)) {
      throw WorkerException.conflict(area + ".symlink_in_path",
          "refusing to use " + p + ": it is a symbolic link; replace it with a real "
              + (p.equals(root) ? "directory" : "file or directory"));
    }
  }

  /** Tells whether the root exists as a real directory (symbolic links are refused). */
  public boolean rootExists() {
    checkNotLink(root);
    if (Files.exists(root, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw WorkerException.conflict(area + ".not_a_directory", root + " exists and is not a directory");
    }
    return Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Reads a file below the root without following links; empty when it does not exist.
   * Files larger than {@code maxBytes} are refused with {@code <area>.file_too_large}.
   */
  public Optional<byte[]> read(String relative, int maxBytes) {
    checkNoSymlinks(relative);
    Path p = resolve(relative);
    try (SeekableByteChannel ch = Files.newByteChannel(p, Set.of(StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS))) {
      if (ch.size() > maxBytes) {
        throw WorkerException.conflict(area + ".file_too_large",
            p + " is larger than " + maxBytes + " bytes; refusing to parse it");
      }
      try (InputStream in = Channels.newInputStream(ch)) {
        byte[] data = in.readNBytes(maxBytes + 1);
        if (data.length > maxBytes) {
          throw WorkerException.conflict(area + ".file_too_large",
              p + " is larger than " + maxBytes + " bytes; refusing to parse it");
        }
        return Optional.of(data);
      }
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (FileSystemLoopException e) {
      throw WorkerException.conflict(area + ".symlink_in_path", "refusing to read " + p
          + ": it is a symbolic link");
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().contains("symbolic link")) {
        throw WorkerException.conflict(area + ".symlink_in_path", "refusing to read " + p
            + ": it is a symbolic link");
      }
      throw new UncheckedIOException("couldn't read " + p, e);
    }
  }

  /** Returns the permissions of an existing file below the root, without following links. */
  public Optional<Set<PosixFilePermission>> mode(String relative) {
    Path p = resolve(relative);
    try {
      return Optional.of(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("couldn't stat " + p, e);
    }
  }

  /**
   * Creates the root and the directories leading to {@code relative} with mode 0755 where they
   * are missing; existing directories keep their mode.
   */
  public void ensureParents(String relative) {
    checkNoSymlinks(relative);
    Path target = resolve(relative);
    ensureDirectory(root);
    Path current = root;
    for (Path part : root.relativize(target.getParent() == null ? root : target.getParent())) {
      current = current.resolve(part);
      ensureDirectory(current);
    }
  }

  private void ensureDirectory(Path dir) {
    checkNotLink(dir);
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      if (dir.getParent() != null && !Files.isDirectory(dir.getParent())) {
        Files.createDirectories(dir.getParent());
      }
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
      Files.setPosixFilePermissions(dir, DIRECTORY);
      fsyncDirectory(dir.getParent());
    } catch (FileAlreadyExistsException e) {
      checkNotLink(dir);
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw WorkerException.conflict(area + ".not_a_directory", dir + " exists and is not a directory");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("couldn't create directory " + dir, e);
    }
  }

  /**
   * Replaces (or creates) a file below the root atomically with the given content and mode; the
   * mode is set on the temporary file before the content is written.
   */
  public Path write(String relative, byte[] content, Set<PosixFilePermission> mode) {
    ensureParents(relative);
    Path target = resolve(relative);
    Path dir = target.getParent();
    Path temp = dir.resolve("." + target.getFileName() + ".tmp-" + HexFormat.of().formatHex(randomBytes()));
    try {
      createWithMode(temp, mode);
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      checkNoSymlinks(relative);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(dir);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("couldn't write " + target, e);
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // best effort: the temp file is dot-named and holds at most a copy of the new content
      }
    }
  }

  /**
   * Copies an existing file to {@code <file>.<yyyyMMddTHHmmssZ>.bak} (a numeric suffix is added
   * if that name is taken) with the given mode; returns the backup path, or empty if the file
   * does not exist.
   */
  public Optional<Path> backup(String relative, Instant when, Set<PosixFilePermission> mode) {
    Optional<byte[]> content = read(relative, Integer.MAX_VALUE - 16);
    if (content.isEmpty()) {
      return Optional.empty();
    }
    String base = relative + "." + BACKUP_STAMP.format(when);
    String name = base + ".bak";
    for (int i = 1; Files.exists(resolve(name), LinkOption.NOFOLLOW_LINKS); i++) {
      name = base + "." + i + ".bak";
    }
    return Optional.of(write(name, content.get(), mode));
  }

  private static void createWithMode(Path temp, Set<PosixFilePermission> mode) throws IOException {
    // createFile fails if anything (a link included) already has the name
    Files.createFile(temp, PosixFilePermissions.asFileAttribute(mode));
    // the umask may have narrowed the mode; set it exactly before any content exists
    Files.setPosixFilePermissions(temp, mode);
  }

  /** Flushes a directory's entries to disk (rename is atomic but not durable without this). */
  public static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (AccessDeniedException e) {
      // some file systems refuse opening directories; the rename has still happened
    } catch (IOException e) {
      throw new UncheckedIOException("couldn't fsync directory " + dir, e);
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return b;
  }
}
