"""The production-shaped example inventory is refused by preflight until its
vault placeholders are replaced, with one message per secret, naming it."""
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"


def run_preflight(*extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    # Every host "answers" from this machine (connection local), so only the
    # inventory itself is judged; nothing is changed by preflight anyway.
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(EXAMPLE),
         str(ROOT / "playbooks" / "preflight.yml"), "-e", "ansible_connection=local",
         "-e", "ansible_python_interpreter=%s" % sys.executable, *extra],
        capture_output=True, text=True, cwd=ROOT, env=env, check=False, timeout=300)


def test_example_inventory_is_refused_naming_every_placeholder():
    result = run_preflight()
    assert result.returncode != 0
    vault = yaml.safe_load((EXAMPLE / "group_vars/all/vault.yml").read_text())
    secrets = [name[len("vault_"):] for name in vault]
    assert len(secrets) == 10
    for name in secrets:
        assert "%s (host" % name in result.stdout and "is a placeholder" in result.stdout, name
    assert "The inventory has" in result.stdout
