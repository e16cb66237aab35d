"""Every role's meta/argument_specs.yml names exactly the variables in its defaults."""
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.parent.parent for p in ROOT.glob("roles/*/meta/main.yml"))


def _load(path: Path):
    return yaml.safe_load(path.read_text()) if path.exists() else None


def test_collection_has_roles_or_none_yet():
    # Guards the parametrised tests below from silently testing nothing when
    # roles exist but their meta/main.yml is missing.
    role_dirs = sorted(p for p in (ROOT / "roles").glob("*") if p.is_dir())
    assert [r.name for r in role_dirs] == [r.name for r in ROLES]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.name)
def test_argument_specs_match_defaults(role: Path):
    defaults = _load(role / "defaults/main.yml") or {}
    specs = _load(role / "meta/argument_specs.yml")
    assert specs, f"{role.name}: meta/argument_specs.yml is missing"
    options = specs["argument_specs"]["main"]["options"]
    public_defaults = {k for k in defaults if not k.startswith("_")}
    assert sorted(public_defaults - set(options)) == [], "defaults without an argument spec"
    # An option with no default must be required, or a secret (secrets never
    # have defaults; they are marked no_log in the spec).
    undefaulted = {k for k, v in options.items() if k not in defaults and not (v.get("required") or v.get("no_log"))}
    assert sorted(undefaulted) == [], "argument specs without a default"
    assert sorted(k for k in options if not k.startswith(role.name + "_")) == [], "options must be prefixed with the role name"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.name)
def test_main_tasks_only_dispatch(role: Path):
    tasks = _load(role / "tasks/main.yml") or []
    modules = set()
    for task in tasks:
        modules |= {k for k in task if k not in {"name", "when", "tags", "vars", "become", "delegate_to", "run_once"}}
    assert modules <= {"ansible.builtin.include_tasks", "ansible.builtin.import_tasks"}, modules
