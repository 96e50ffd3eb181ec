"""Makes the class-data archive of a worker jar (`make jar` runs it for worker/target/kubeforge-worker.jar).

    python worker/class_archive.py [JAR]       # prints the archive path, or says why there is none

Uses the client's own make_class_archive and JVM options (one definition for every launcher); the
archive is made for the jar at that path and ignored by the JVM if the jar changes.
"""

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def worker_client():
    """Loads module_utils/worker_client.py by path (it needs ansible-core, as in .venv)."""
    path = REPO / "ansible_collection" / "plugins" / "module_utils" / "worker_client.py"
    spec = importlib.util.spec_from_file_location("kubeforge_worker_client", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    client = worker_client()
    jar = str(Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "worker" / "target" / "kubeforge-worker.jar").resolve())
    archive = client.class_archive_of(jar)
    if client.class_archive_is_current(jar, archive) or client.make_class_archive("java", jar, archive):
        print(archive)
        return 0
    print("could not make a class-data archive for %s; the worker starts without one" % jar, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
