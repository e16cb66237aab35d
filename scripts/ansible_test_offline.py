#!/usr/bin/env python3
"""Let `ansible-test sanity --local` run without reaching ci-files.testing.ansible.com.

ansible-test bootstraps pip in each virtualenv it builds with a get-pip script
it downloads once and caches under ~/.ansible/test/cache/get_pip_<ver>.py.
That site is unreachable here, so put a stand-in at that path: it runs
`ensurepip`, then installs what ansible-test asked for (pip==<ver>) with pip.
"""
import re
import sys
from pathlib import Path

import ansible_test

STAND_IN = '''\
"""Stand-in for get-pip.py written by scaleout.webstack (no download needed)."""
import subprocess
import sys

# get-pip.py's own switches are not pip options.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
'''


def main() -> int:
    source = Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    match = re.search(r"pip='([0-9.]+)'", source.read_text())
    if not match:
        print(f"cannot find ansible-test's pip version in {source}", file=sys.stderr)
        return 1
    version = match.group(1)
    target = Path.home() / ".ansible/test/cache" / f"get_pip_{version.replace('.', '_')}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text() != STAND_IN:
        target.write_text(STAND_IN)
    print(f"pip {version} bootstrap stand-in: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
