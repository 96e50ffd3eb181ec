package io.kubeforge.worker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirLockTest {
  @TempDir
  Path tmp;

  @AfterEach
  void restoreTheMachineWideLockFolder() {
    DirLock.useLockFolder(DirLock.defaultLockFolder());
  }

  @Test
  void theDefaultLockFolderIsOneMachineWidePlaceNotTheWorkersHome() {
    Path folder = DirLock.defaultLockFolder();
    assertThat(folder.toString()).doesNotContain(System.getProperty("user.home") + "/.kubeforge");
    assertThat(folder).isIn(Path.of("/run/lock/kubeforge"),
        Path.of(System.getProperty("java.io.tmpdir"), "kubeforge-locks-" + System.getProperty("user.name")));
  }

  @Test
  void aSecondHolderWaitsAndTimesOutAsBusy() throws Exception {
    try (DirLock held = DirLock.acquire(tmp, 1000, "t", true)) {
      assertThat(held).isNotNull();
      CompletableFuture<Throwable> other = CompletableFuture.supplyAsync(() -> {
        try (DirLock second = DirLock.acquire(tmp, 0, "t", true)) {
          return second == null ? null : new AssertionError("second holder got the lock");
        } catch (WorkerException e) {
          return e;
        }
      });
      Throwable t = other.get(5, TimeUnit.SECONDS);
      assertThat(t).isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("t.busy"));
    }
    try (DirLock again = DirLock.acquire(tmp, 0, "t", true)) {
      assertThat(again).isNotNull();
    }
  }

  @Test
  void theFileLockLivesInThePrivateLockFolderAndLeavesTheLockedDirectoryAlone() throws Exception {
    Path work = Files.createDirectory(tmp.resolve("work"));
    DirLock.useLockFolder(tmp.resolve("locks"));
    try (DirLock file = DirLock.acquire(work, 1000, "t", true)) {
      assertThat(file).isNotNull();
    }
    Path lock = DirLock.lockFileFor(work);
    assertThat(lock.getParent()).isEqualTo(tmp.resolve("locks"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lock.getParent()))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lock))).isEqualTo("rw-------");
    assertThat(Files.size(lock)).isZero();
    try (var files = Files.list(work)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void theLockFileIsNotFollowedWhenItIsASymlink() throws Exception {
    Path work = Files.createDirectory(tmp.resolve("work"));
    DirLock.useLockFolder(tmp.resolve("locks"));
    Files.createDirectory(tmp.resolve("locks"));
    Path target = tmp.resolve("elsewhere");
    Files.createSymbolicLink(DirLock.lockFileFor(work), target);
    assertThatThrownBy(() -> DirLock.acquire(work, 1000, "t", true)).isInstanceOf(RuntimeException.class);
    try (DirLock again = DirLock.acquire(work, 0, "t", false)) {
      assertThat(again).as("a failed acquisition releases what it took").isNotNull();
    }
    assertThat(target).doesNotExist();
  }

  @Test
  void aSymlinkedLockFolderIsRefused() throws Exception {
    Path work = Files.createDirectory(tmp.resolve("work"));
    Path real = Files.createDirectory(tmp.resolve("real-locks"));
    DirLock.useLockFolder(Files.createSymbolicLink(tmp.resolve("locks"), real));
    assertThatThrownBy(() -> DirLock.acquire(work, 1000, "t", true)).isInstanceOf(RuntimeException.class);
    try (DirLock again = DirLock.acquire(work, 0, "t", false)) {
      assertThat(again).as("a failed acquisition releases what it took").isNotNull();
    }
  }

  @Test
  void twoSpellingsOfOneDirectoryShareALock() throws Exception {
    Path real = Files.createDirectory(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    assertThat(DirLock.realKey(link.resolve("pki"))).isEqualTo(DirLock.realKey(real.resolve("pki")));
    assertThat(DirLock.realKey(tmp.resolve("real/./x/../pki"))).isEqualTo(DirLock.realKey(real.resolve("pki")));
  }
}
