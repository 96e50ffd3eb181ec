package io.kubeforge.worker.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * FileReconciler is the one write path of every phase: render → compare → back up → atomic
 * write, under the cross-process lock of each target directory ({@link DirLock}).
 *
 * <p>Use: {@code try (FileReconciler r = FileReconciler.open(area, dryRun, targets...))} takes
 * the locks of the targets' directories (in a fixed order; a dry run only the in-JVM ones), then
 * heals what a crash left: interrupted commits are completed from their journal (roll forward),
 * other temporary files are removed. The phase then reads through {@link #compare} or the
 * {@link SafeFiles} of a target, decides, and calls {@link #commit} with its {@link Desired}
 * files. {@link #finish} adds what was healed to the phase's warnings and marks it changed.
 *
 * <p><b>Units.</b> Files that share a {@code unit} (a private key and its certificate,
 * {@code sa.key} and {@code sa.pub}) are committed together: all are staged (written and
 * fsynced under temporary names), then a journal naming every staged file and its target is
 * written atomically, then each file is renamed over its target, then the journal is removed. A
 * crash before the journal exists leaves the old unit (the next open removes the staged files);
 * a crash after it leaves the new unit once the next open rolls the journal forward. So a unit
 * is never half old, half new on disk as seen by any locked reader.
 */
public final class FileReconciler implements AutoCloseable {
  /** Prefix of commit journals (they live where the target's temporary files live). */
  public static final String JOURNAL_PREFIX = ".kubeforge-journal-";
  /** Default bound on the wait for a directory's lock. */
  public static final long LOCK_TIMEOUT_MILLIS = Long.getLong("kubeforge.lockTimeoutMillis", 120_000);

  /**
   * Desired is one file a phase wants on disk.
   *
   * @param name path relative to the target's root
   * @param content the rendered bytes
   * @param mode the file's mode (set before any byte is written)
   * @param unit files with the same unit are committed together; null means the file alone
   */
  public record Desired(String name, byte[] content, Set<PosixFilePermission> mode, String unit) {
    /** A file committed on its own. */
    public Desired(String name, byte[] content, Set<PosixFilePermission> mode) {
      this(name, content, mode, null);
    }
  }

  /** Change is the outcome of comparing one desired file with disk. */
  public enum Change {
    CREATED, KEPT, UPDATED;

    /** Returns the lower-case name used in results. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * Compared is one file's comparison.
   *
   * @param change created (absent), kept (equal) or updated (different)
   * @param existing the bytes on disk, or null when absent
   */
  public record Compared(Change change, byte[] existing) {}

  private final boolean dryRun;
  private final DirLock lock;
  private final List<String> healed = new ArrayList<>();

  private FileReconciler(boolean dryRun, DirLock lock) {
    this.dryRun = dryRun;
    this.lock = lock;
  }

  /**
   * Locks the directories of {@code targets} (bounded by {@link #LOCK_TIMEOUT_MILLIS}) and,
   * unless {@code dryRun}, heals what a crash left in them.
   */
  public static FileReconciler open(String area, boolean dryRun, SafeFiles... targets) {
    List<Path> dirs = new ArrayList<>();
    for (SafeFiles t : targets) {
      dirs.add(t.root());
    }
    FileReconciler r = new FileReconciler(dryRun, DirLock.acquire(dirs, LOCK_TIMEOUT_MILLIS, area, !dryRun));
    try {
      if (!dryRun) {
        for (SafeFiles t : targets) {
          r.heal(t);
        }
      }
      return r;
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
  }

  /** Returns what opening healed (completed commits, removed temporary files), one line each. */
  public List<String> healed() {
    return List.copyOf(healed);
  }

  private void heal(SafeFiles t) {
    List<Path> leftovers = t.leftovers();
    for (Path p : leftovers) {
      if (p.getFileName().toString().startsWith(JOURNAL_PREFIX)) {
        rollForward(t, p);
      }
    }
    for (Path p : t.leftovers()) {
      SafeFiles.deleteQuietly(p);
      healed.add("removed " + p + ", a temporary file left by an interrupted write");
    }
    t.removeStagingIfEmpty();
  }

  private void rollForward(SafeFiles t, Path journal) {
    List<String> done = new ArrayList<>();
    String text;
    try {
      text = new String(Files.readAllBytes(journal), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("couldn't read " + journal, e);
    }
    for (String line : text.split("\n")) {
      String[] parts = line.split("\t", 2);
      if (parts.length != 2) {
        continue;
      }
      Path temp = t.stagingDir().resolve(parts[0]).normalize();
      if (temp.startsWith(t.stagingDir()) && Files.isRegularFile(temp, LinkOption.NOFOLLOW_LINKS)) {
        t.commit(temp, parts[1]);
        done.add(parts[1]);
      }
    }
    SafeFiles.deleteQuietly(journal);
    if (!done.isEmpty()) {
      healed.add("completed an interrupted write of " + String.join(", ", done) + " in " + t.root());
    }
  }

  /**
   * Compares a rendered file with disk: absent → created, {@code same} → kept, otherwise updated.
   * {@code same} gets (existing, rendered); {@link Arrays#equals(byte[], byte[])} compares bytes.
   */
  public static Compared compare(SafeFiles t, String name, byte[] rendered, int maxBytes,
                                 BiPredicate<byte[], byte[]> same) {
    byte[] existing = t.rootExists() ? t.read(name, maxBytes).orElse(null) : null;
    if (existing == null) {
      return new Compared(Change.CREATED, null);
    }
    return new Compared(same.test(existing, rendered) ? Change.KEPT : Change.UPDATED, existing);
  }

  /**
   * Backs up (when {@code backup}) the existing files among {@code files}, then commits them
   * unit by unit (see the class comment); returns the backup paths. Nothing happens in a dry run.
   */
  public List<Path> commit(SafeFiles t, List<Desired> files, boolean backup, Instant when) {
    return commit(t, files, backup ? t : null, when);
  }

  /**
   * Same as {@link #commit(SafeFiles, List, boolean, Instant)}, backing up into {@code backups}
   * (a different folder, e.g. for manifests, whose folder the kubelet reads) when not null.
   */
  public List<Path> commit(SafeFiles t, List<Desired> files, SafeFiles backups, Instant when) {
    if (dryRun || files.isEmpty()) {
      return List.of();
    }
    List<Path> saved = new ArrayList<>();
    if (backups != null) {
      for (Desired d : files) {
        Optional<byte[]> old = t.read(d.name(), Integer.MAX_VALUE - 16);
        if (old.isPresent()) {
          saved.add(backups == t ? t.backup(d.name(), when, d.mode()).orElseThrow()
              : backupInto(backups, Path.of(d.name()).getFileName().toString(), old.get(), d.mode(), when));
        }
      }
    }
    Map<String, List<Desired>> units = new LinkedHashMap<>();
    for (Desired d : files) {
      units.computeIfAbsent(d.unit() == null ? "\0" + d.name() : d.unit(), k -> new ArrayList<>()).add(d);
    }
    for (List<Desired> unit : units.values()) {
      commitUnit(t, unit);
    }
    t.removeStagingIfEmpty();
    return saved;
  }

  /**
   * Points the symbolic link {@code name} (directly in the target's root) at {@code target}
   * atomically ({@link SafeFiles#link}); nothing happens in a dry run. The caller compares first
   * ({@link SafeFiles#readLink}); the old target file is left in place, as the kubelet's
   * certificate store leaves its previous certificate.
   */
  public void link(SafeFiles t, String name, Path target) {
    if (!dryRun) {
      t.link(name, target);
    }
  }

  /** Removes a file the phase kept only for a while (a key cached until its certificate came); not in a dry run. */
  public void remove(SafeFiles t, String name) {
    if (!dryRun) {
      t.delete(name);
    }
  }

  private static Path backupInto(SafeFiles backups, String name, byte[] content, Set<PosixFilePermission> mode,
                                 Instant when) {
    String base = name + "." + SafeFiles.backupStamp(when);
    String candidate = base + ".bak";
    for (int i = 1; backups.exists(candidate); i++) {
      candidate = base + "." + i + ".bak";
    }
    return backups.write(candidate, content, mode);
  }

  private static void commitUnit(SafeFiles t, List<Desired> unit) {
    if (unit.size() == 1) {
      Desired d = unit.get(0);
      t.write(d.name(), d.content(), d.mode());
      return;
    }
    List<Path> staged = new ArrayList<>();
    try {
      StringBuilder journal = new StringBuilder();
      for (Desired d : unit) {
        Path temp = t.stage(d.name(), d.content(), d.mode());
        staged.add(temp);
        journal.append(t.stagingDir().relativize(temp)).append('\t').append(d.name()).append('\n');
      }
      String name = JOURNAL_PREFIX + Long.toHexString(System.nanoTime());
      Path journalPath = t.stagingDir().resolve(name);
      SafeFiles journals = SafeFiles.under(t.stagingDir(), t.area());
      journals.write(name, journal.toString().getBytes(StandardCharsets.UTF_8), SafeFiles.PRIVATE);
      for (int i = 0; i < unit.size(); i++) {
        t.commit(staged.get(i), unit.get(i).name());
      }
      SafeFiles.deleteQuietly(journalPath);
    } finally {
      staged.forEach(SafeFiles::deleteQuietly);
    }
  }

  /**
   * Returns {@code r} with what opening healed added to its warnings; the result is changed
   * when anything was healed (files were written).
   */
  public PhaseResult finish(PhaseResult r) {
    if (healed.isEmpty()) {
      return r;
    }
    List<String> warnings = new ArrayList<>(healed);
    warnings.addAll(r.warnings());
    return new PhaseResult(true, warnings, r.result(), r.diff());
  }

  @Override
  public void close() {
    lock.close();
  }
}
