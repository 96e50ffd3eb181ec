package io.kubeforge.worker.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * SafeFiles reads and writes files below one target directory (the root) without following
 * symbolic links, without opening anything that is not a regular file, and without ever leaving
 * a half-written file behind. It is the file-system half of {@link FileReconciler}; phases reach
 * it through a reconciler session, which holds the directory's lock.
 *
 * <p><b>Paths.</b> Every component from {@code /} down to the root is checked once, when the
 * object is made: a symbolic link anywhere there is the conflict {@code <area>.symlink_in_path}
 * (field: the request option that named the root), so files never land outside the folder the
 * user named. Below the root every component is checked again before each use. A target that
 * exists but is not a regular file (FIFO, device, socket, directory) is the conflict
 * {@code <area>.not_a_regular_file}; its type is read with {@code NOFOLLOW_LINKS} before any
 * open, so a FIFO never blocks a thread. Java has no {@code openat}, so a link swapped in between
 * the check and the use is a remaining, documented race; renames themselves never follow links.
 *
 * <p><b>Temporary files.</b> All of them are named {@code .kubeforge-tmp-<name>-<random>} and are
 * created with their final mode before any byte is written. They live in the root itself (not
 * in its sub-folders, which may be other targets' roots), except for roots made with
 * {@link #stagedOutside}: there they live in the sibling folder
 * {@code <parent>/.kubeforge-staging-<root name>} (same file system, so renames stay atomic) and
 * nothing temporary is ever created inside the root (the kubelet runs every file of the
 * manifest folder). {@link #sweep} removes what a crash left behind.
 *
 * <p><b>Fault injection.</b> Each mutating file-system step calls {@link #step}. When the system
 * property {@code kubeforge.fault.haltAfterSteps} is set to N &gt; 0, the JVM halts (as after
 * {@code kill -9}: no finally blocks, no shutdown hooks) right after the N-th step. It is read
 * once; unset (production) a step costs one counter increment.
 */
public final class SafeFiles {
  /** Mode of private keys (and kubeadm's {@code sa.pub}): 0600. */
  public static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
  /** Mode of certificates: 0644. */
  public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
  /** Mode of directories: 0755. */
  public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwxr-xr-x");
  /** Mode of private directories (manifests, encryption config): 0700. */
  public static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");
  /** Prefix of every temporary file. */
  public static final String TEMP_PREFIX = ".kubeforge-tmp-";
  /** Prefix of the sibling staging folder of roots staged outside. */
  public static final String STAGING_PREFIX = ".kubeforge-staging-";

  private static final Pattern LEGACY_TEMP = Pattern.compile("\\..+\\.tmp-[0-9a-f]{12}");
  private static final DateTimeFormatter BACKUP_STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int HALT_AFTER = Integer.getInteger("kubeforge.fault.haltAfterSteps", 0);
  private static final AtomicInteger STEPS = new AtomicInteger();

  private final Path root;
  private final String area;
  private final String field;
  private final Set<PosixFilePermission> rootMode;
  private final Path staging;

  private SafeFiles(Path root, String area, String field, Set<PosixFilePermission> rootMode, boolean stageOutside) {
    this.root = root;
    this.area = area;
    this.field = field;
    this.rootMode = rootMode;
    this.staging = stageOutside ? root.resolveSibling(STAGING_PREFIX + root.getFileName()) : null;
    checkAncestors();
  }

  /**
   * Binds to an absolute root directory; {@code area} prefixes error codes ({@code pki} gives
   * {@code pki.symlink_in_path}), {@code field} is the request option that named the root.
   * Missing directories are made 0755.
   */
  public static SafeFiles under(Path root, String area, String field) {
    return under(root, area, field, DIRECTORY);
  }

  /** Same as {@link #under(Path, String, String)}; a missing root is made with {@code rootMode}. */
  public static SafeFiles under(Path root, String area, String field, Set<PosixFilePermission> rootMode) {
    return new SafeFiles(absolute(root), area, field, rootMode, false);
  }

  /** Binds to a root whose temporary files are staged in a sibling folder (see the class comment). */
  public static SafeFiles stagedOutside(Path root, String area, String field, Set<PosixFilePermission> rootMode) {
    return new SafeFiles(absolute(root), area, field, rootMode, true);
  }

  /** Binds without naming a request field (tests and internal folders). */
  public static SafeFiles under(Path root, String area) {
    return under(root, area, null);
  }

  private static Path absolute(Path root) {
    if (!root.isAbsolute() || root.getParent() == null) {
      throw new IllegalArgumentException("root must be an absolute path below /: " + root);
    }
    return root.normalize();
  }

  /** Returns the root directory. */
  public Path root() {
    return root;
  }

  /** Returns the error-code prefix. */
  public String area() {
    return area;
  }

  /** Returns the folder temporary files of this root live in. */
  Path stagingDir() {
    return staging != null ? staging : root;
  }

  /** Resolves a relative name below the root, refusing anything that escapes it. */
  public Path resolve(String relative) {
    Path p = root.resolve(relative).normalize();
    if (Path.of(relative).isAbsolute() || !p.startsWith(root) || p.equals(root)) {
      throw conflict("outside_root", "refusing to touch '" + relative + "': it is not a file below " + root);
    }
    return p;
  }

  /**
   * An I/O failure the user can act on (no permission, a read-only or full file system) is a
   * conflict naming the option; any other stays an internal error.
   */
  private RuntimeException io(String what, IOException e) {
    String reason = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : "";
    if (e instanceof AccessDeniedException || reason.contains("Operation not permitted")) {
      return conflict("permission_denied", what + ": permission denied for the worker's user ("
          + System.getProperty("user.name") + ")");
    }
    if (reason.contains("Read-only file system")) {
      return conflict("read_only", what + ": the file system is read-only");
    }
    if (reason.contains("No space left")) {
      return conflict("no_space", what + ": no space left on the device");
    }
    return new UncheckedIOException(what, e);
  }

  private WorkerException conflict(String code, String message) {
    return WorkerException.conflict(area + "." + code, field, message);
  }

  /** Refuses a symbolic link at any component from {@code /} to the root (the root included). */
  private void checkAncestors() {
    Path current = root.getRoot();
    for (Path part : root) {
      current = current.resolve(part);
      checkNotLink(current);
      if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      if (!Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
        throw conflict("not_a_directory", current + " exists and is not a directory");
      }
    }
  }

  /**
   * Checks that no existing component between the root and {@code relative} (the file
   * included) is a symbolic link.
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
      throw conflict("symlink_in_path", "refusing to use " + p + ": it is a symbolic link; replace it with a real "
          + (p.equals(root) || root.startsWith(p) ? "directory" : "file or directory"));
    }
  }

  /**
   * Returns the attributes of an existing path without following links, empty when absent; a
   * target that exists and is not a regular file is the conflict {@code <area>.not_a_regular_file}.
   */
  private Optional<BasicFileAttributes> regularFile(Path p) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw io("couldn't stat " + p, e);
    }
    if (a.isSymbolicLink()) {
      checkNotLink(p);
    }
    if (!a.isRegularFile()) {
      throw conflict("not_a_regular_file", "refusing to use " + p + ": it is a "
          + (a.isDirectory() ? "directory" : "special file (FIFO, socket or device)")
          + ", not a regular file; remove it");
    }
    return Optional.of(a);
  }

  /** Tells whether the root exists as a real directory (symbolic links are refused). */
  public boolean rootExists() {
    checkNotLink(root);
    if (Files.exists(root, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw conflict("not_a_directory", root + " exists and is not a directory");
    }
    return Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS);
  }

  /** Tells whether a regular file exists below the root (other file types are refused). */
  public boolean exists(String relative) {
    checkNoSymlinks(relative);
    return regularFile(resolve(relative)).isPresent();
  }

  /**
   * Reads a file below the root without following links; empty when it (or the root) does not
   * exist. Files larger than {@code maxBytes} are refused with {@code <area>.file_too_large}.
   */
  public Optional<byte[]> read(String relative, int maxBytes) {
    checkNoSymlinks(relative);
    Path p = resolve(relative);
    Optional<BasicFileAttributes> attrs;
    try {
      attrs = regularFile(p);
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof java.nio.file.FileSystemException fse && fse.getReason() != null
          && fse.getReason().contains("Not a directory")) {
        throw conflict("not_a_directory", "a component of " + p + " exists and is not a directory");
      }
      throw e;
    }
    if (attrs.isEmpty()) {
      return Optional.empty();
    }
    if (attrs.get().size() > maxBytes) {
      throw conflict("file_too_large", p + " is larger than " + maxBytes + " bytes; refusing to parse it");
    }
    try (SeekableByteChannel ch = Files.newByteChannel(p, Set.of(StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)); InputStream in = Channels.newInputStream(ch)) {
      byte[] data = in.readNBytes(maxBytes + 1);
      if (data.length > maxBytes) {
        throw conflict("file_too_large", p + " is larger than " + maxBytes + " bytes; refusing to parse it");
      }
      return Optional.of(data);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (FileSystemLoopException e) {
      throw conflict("symlink_in_path", "refusing to read " + p + ": it is a symbolic link");
    } catch (IOException e) {
      throw io("couldn't read " + p, e);
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
      throw io("couldn't stat " + p, e);
    }
  }

  /**
   * Creates the root (with its mode) and the directories leading to {@code relative} (0755)
   * where they are missing; existing directories keep their mode.
   */
  public void ensureParents(String relative) {
    checkNoSymlinks(relative);
    Path target = resolve(relative);
    ensureDirectory(root, rootMode);
    Path current = root;
    for (Path part : root.relativize(target.getParent())) {
      current = current.resolve(part);
      ensureDirectory(current, DIRECTORY);
    }
  }

  private void ensureDirectory(Path dir, Set<PosixFilePermission> mode) {
    checkNotLink(dir);
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      if (dir.getParent() != null && !Files.isDirectory(dir.getParent(), LinkOption.NOFOLLOW_LINKS)) {
        ensureDirectory(dir.getParent(), DIRECTORY);
      }
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(mode));
      Files.setPosixFilePermissions(dir, mode);
      fsyncDirectory(dir.getParent());
      step();
    } catch (FileAlreadyExistsException e) {
      checkNotLink(dir);
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw conflict("not_a_directory", dir + " exists and is not a directory");
      }
    } catch (IOException e) {
      throw io("couldn't create directory " + dir, e);
    }
  }

  /**
   * Replaces (or creates) one file below the root atomically with the given content and mode:
   * {@link #stage}, then {@link #commit}. A crash leaves the old file or the new one.
   */
  public Path write(String relative, byte[] content, Set<PosixFilePermission> mode) {
    Path temp = stage(relative, content, mode);
    try {
      commit(temp, relative);
      return resolve(relative);
    } finally {
      deleteQuietly(temp);
    }
  }

  /**
   * Writes {@code content} to a new temporary file for {@code relative} (created with its final
   * mode, then fsync) and returns its path; the target itself is untouched. A target that
   * exists and is not a regular file is refused before anything is created.
   */
  public Path stage(String relative, byte[] content, Set<PosixFilePermission> mode) {
    ensureParents(relative);
    Path target = resolve(relative);
    regularFile(target);
    // temporary files live in the root (or the staging folder), never in sub-folders: a sweep
    // then only looks at one level, and never into a folder another target owns
    Path dir = stagingDir();
    if (staging != null) {
      ensureDirectory(staging, PRIVATE_DIRECTORY);
    }
    Path temp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + HexFormat.of().formatHex(randomBytes()));
    try {
      // createFile fails if anything (a link included) already has the name
      Files.createFile(temp, PosixFilePermissions.asFileAttribute(mode));
      // the umask may have narrowed the mode; set it exactly before any content exists
      Files.setPosixFilePermissions(temp, mode);
      step();
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      step();
      return temp;
    } catch (IOException e) {
      deleteQuietly(temp);
      throw io("couldn't write " + temp, e);
    }
  }

  /** Renames a staged file over its target atomically and makes the rename durable. */
  public void commit(Path temp, String relative) {
    checkNoSymlinks(relative);
    Path target = resolve(relative);
    regularFile(target);
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(target.getParent());
      step();
    } catch (IOException e) {
      throw io("couldn't move " + temp + " to " + target, e);
    }
  }

  /** Removes a regular file below the root (absent is fine) and makes the removal durable. */
  public void delete(String relative) {
    checkNoSymlinks(relative);
    Path p = resolve(relative);
    if (regularFile(p).isEmpty()) {
      return;
    }
    try {
      Files.delete(p);
      fsyncDirectory(p.getParent());
      step();
    } catch (NoSuchFileException e) {
      // gone already
    } catch (IOException e) {
      throw io("couldn't remove " + p, e);
    }
  }

  /**
   * Reads the symbolic link {@code relative} (a direct child of the root) without following it:
   * empty when absent, its target otherwise; anything else at that name is the conflict
   * {@code <area>.not_a_symlink} (as the kubelet's certificate store refuses a file where it keeps
   * its {@code -current.pem} link).
   */
  public Optional<Path> readLink(String relative) {
    Path p = resolve(relative);
    checkNotLink(root);
    if (!p.getParent().equals(root)) {
      throw conflict("outside_root", "refusing to use '" + relative + "' as a link: it is not directly in " + root);
    }
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    if (!Files.isSymbolicLink(p)) {
      throw conflict("not_a_symlink", "expected " + p + " to be a symbolic link but it is a "
          + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "directory" : "file") + "; move it away");
    }
    try {
      return Optional.of(Files.readSymbolicLink(p));
    } catch (IOException e) {
      throw io("couldn't read the link " + p, e);
    }
  }

  /**
   * Points the symbolic link {@code relative} (a direct child of the root) at {@code target}
   * atomically: a new link under a temporary name, then renamed over the old link, so a reader
   * sees the old target or the new one. What is there must be absent or a link.
   */
  public void link(String relative, Path target) {
    readLink(relative);
    ensureDirectory(root, rootMode);
    Path p = resolve(relative);
    Path temp = root.resolve(TEMP_PREFIX + p.getFileName() + "-" + HexFormat.of().formatHex(randomBytes()));
    try {
      Files.createSymbolicLink(temp, target);
      step();
      Files.move(temp, p, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(root);
      step();
    } catch (IOException e) {
      deleteQuietly(temp);
      throw io("couldn't link " + p + " to " + target, e);
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

  /** Returns the timestamp format of backup names. */
  public static String backupStamp(Instant when) {
    return BACKUP_STAMP.format(when);
  }

  /**
   * Lists the temporary files a crash may have left: in the root (one level, not following
   * links) and in the staging folder. Callers must hold the directory's lock.
   */
  List<Path> leftovers() {
    List<Path> out = new ArrayList<>();
    collect(root, out);
    if (staging != null) {
      collect(staging, out);
    }
    return out;
  }

  private static void collect(Path dir, List<Path> out) {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String n = p.getFileName().toString();
        boolean ours = n.startsWith(TEMP_PREFIX) || n.startsWith(FileReconciler.JOURNAL_PREFIX)
            || LEGACY_TEMP.matcher(n).matches();
        // a temporary link is ours too ({@link #link}); removing it never touches what it names
        if (ours && (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
            || (n.startsWith(TEMP_PREFIX) && Files.isSymbolicLink(p)))) {
          out.add(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("couldn't list " + dir, e);
    }
  }

  /** Removes the staging folder when it is empty (it is never left in the tree). */
  void removeStagingIfEmpty() {
    if (staging == null || !Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.delete(staging);
      step();
    } catch (java.nio.file.DirectoryNotEmptyException e) {
      // something of ours is still in flight; the next sweep removes it
    } catch (IOException e) {
      throw io("couldn't remove " + staging, e);
    }
  }

  static void deleteQuietly(Path p) {
    try {
      if (Files.deleteIfExists(p)) {
        step();
      }
    } catch (IOException ignored) {
      // best effort: the name is recognisable and the next sweep removes it
    }
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

  /** Counts one mutating file-system step; see the class comment for the fault-injection hook. */
  static void step() {
    int n = STEPS.incrementAndGet();
    if (HALT_AFTER > 0 && n >= HALT_AFTER) {
      Runtime.getRuntime().halt(137);
    }
  }

  /** Returns how many mutating steps this JVM has taken (the fault tests use it to find crash points). */
  public static int steps() {
    return STEPS.get();
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return b;
  }
}
