"""Stand-in for ansible-test's pip bootstrap script (get-pip.py), which is only served from
ci-files.testing.ansible.com: pip comes from the interpreter's own ensurepip, then pip installs
the version ansible-test asked for from the package index (pip's own configuration applies).

`make ansible-test-pip` copies it to ~/.ansible/test/cache/get_pip_<version>.py, where
ansible-test looks before it tries to download the real script.
"""
import os
import subprocess
import sys

# ensurepip points PIP_CONFIG_FILE at /dev/null in its own process: keep it in a child.
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
# get-pip.py's own switches; pip itself does not know them.
ARGS = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '-q', *ARGS], env=dict(os.environ)))
