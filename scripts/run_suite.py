#!/usr/bin/env python3
"""Run the scaleout.webstack test suite: `make test` calls this.

Stages, in order: virtualenv, collection path, container engine, base images,
yamllint, ansible-lint, syntax checks, ansible-test sanity, unit tests, the
reference app's tests, then every molecule scenario. Each stage prints its
time; the run ends with one line `N passed, N failed`.

Standard library only: it runs before the virtualenv exists.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BUILD = ROOT / "build"
COLLECTIONS = BUILD / "collections"
COLLECTION_LINK = COLLECTIONS / "ansible_collections" / "scaleout" / "webstack"
SANITY_TREE = BUILD / "sanity" / "ansible_collections" / "scaleout" / "webstack"

# Scenarios that run once per Debian release (MOLECULE_DEBIAN selects the image).
SCENARIO_RELEASES = {"postgresql": ["13", "12"]}
# Scenarios that need something only the user can supply: env var -> why.
SCENARIO_REQUIRES = {
    "minio": (("MINIO_BINARY", "MINIO_MC_BINARY"), "MinIO publishes no server binary on any registry "
              "reachable here; set MINIO_BINARY and MINIO_MC_BINARY to local files"),
}
# Scenarios that run on a parent scenario's containers: the parent is kept
# up after its own test, they run, then the parent is destroyed.
SCENARIO_FOLLOWERS = {"cluster": ["rolling_deploy"]}
SCENARIO_RUN_BY = {f: parent for parent, fs in SCENARIO_FOLLOWERS.items() for f in fs}
# Not part of the shipped collection (galaxy.yml build_ignore), so not sanity checked.
NOT_SANITY_CHECKED = ("scripts/", "images/", "molecule/", "bench/", "examples/", ".ci/", ".config/")
# Quick mode (make test-quick) runs only static checks and unit tests.
QUICK_STAGES = {"venv", "collection", "yamllint", "ansible-lint", "syntax", "unit"}


class Suite:
    def __init__(self) -> None:
        self.results: list[tuple[str, bool, float, str]] = []
        self.env = dict(os.environ)

    def stage(self, name: str, func) -> bool:
        print(f"\n=== {name} ===", flush=True)
        start = time.monotonic()
        try:
            ok, note = func()
        except Exception as exc:  # a stage that crashes is a failed stage
            ok, note = False, f"{type(exc).__name__}: {exc}"
        took = time.monotonic() - start
        self.results.append((name, ok, took, note or ""))
        status = "passed" if ok else "FAILED"
        print(f"--- {name}: {status} in {took:.0f} s {note or ''}", flush=True)
        return ok

    def run(self, *cmd: str, cwd: Path = ROOT, env: dict | None = None) -> bool:
        print("$ " + " ".join(cmd), flush=True)
        return subprocess.run(cmd, cwd=cwd, env=env or self.env, check=False).returncode == 0

    def bin(self, name: str) -> str:
        return str(VENV / "bin" / name)

    # -- stages ---------------------------------------------------------------
    def venv(self):
        req = (ROOT / "requirements.txt").read_bytes()
        stamp = VENV / ".requirements.sha256"
        digest = hashlib.sha256(req).hexdigest()
        if stamp.exists() and stamp.read_text() == digest:
            return True, "(cached)"
        if not (VENV / "bin" / "python").exists():
            if not self.run(sys.executable, "-m", "venv", str(VENV)):
                return False, "could not create the virtualenv"
        ok = self.run(self.bin("python"), "-m", "pip", "install", "-q", "--upgrade", "pip") and \
            self.run(self.bin("python"), "-m", "pip", "install", "-q", "-r", "requirements.txt")
        if ok:
            stamp.write_text(digest)
        return ok, ""

    def collection(self):
        COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
        if COLLECTION_LINK.is_symlink() and COLLECTION_LINK.resolve() != ROOT:
            COLLECTION_LINK.unlink()
        if not COLLECTION_LINK.exists():
            COLLECTION_LINK.symlink_to(ROOT)
        # A copy installed in the user's collections dir would shadow this checkout.
        stale = Path.home() / ".ansible/collections/ansible_collections/scaleout/webstack"
        if stale.exists():
            shutil.rmtree(stale)
        return True, ""

    def engine(self):
        out = subprocess.run(["bash", "scripts/container_engine.sh"], cwd=ROOT,
                             capture_output=True, text=True, check=False)
        sys.stderr.write(out.stderr)
        if out.returncode != 0:
            return False, "no container engine"
        host = out.stdout.strip().splitlines()[-1]
        self.env["DOCKER_HOST"] = host
        self.env["WEBSTACK_ENGINE"] = "podman" if "podman" in host else "docker"
        return True, f"({host})"

    def images(self):
        return self.run("bash", "scripts/build_images.sh"), ""

    def yamllint(self):
        return self.run(self.bin("yamllint"), "-s", "."), ""

    def ansible_lint(self):
        return self.run(self.bin("ansible-lint"), "--offline", "-q"), ""

    def syntax(self):
        ok = True
        for playbook in sorted((ROOT / "playbooks").glob("*.yml")):
            ok &= self.run(self.bin("ansible-playbook"), "--syntax-check", "-i",
                           "inventories/lab/hosts.yml", str(playbook.relative_to(ROOT)))
        return ok, ""

    def sanity(self):
        # ansible-test wants the collection at ansible_collections/NS/NAME.
        # Copy what the collection ships (and its unit tests), not the
        # harness, scenarios, benches or the example app.
        if SANITY_TREE.exists():
            shutil.rmtree(SANITY_TREE)
        files = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
            capture_output=True, text=True, check=True).stdout.split()
        for rel in files:
            src = ROOT / rel
            if not src.is_file() or rel.startswith(NOT_SANITY_CHECKED):
                continue
            dst = SANITY_TREE / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        # Its own git repository, or ansible-test asks the checkout's git,
        # which ignores build/ and so would list no files at all.
        subprocess.run(["git", "init", "-q"], cwd=SANITY_TREE, check=True)
        subprocess.run(["git", "add", "-A"], cwd=SANITY_TREE, check=True)
        if not self.run(self.bin("python"), "scripts/ansible_test_offline.py"):
            return False, "could not provide ansible-test's pip bootstrap"
        py = f"{sys.version_info.major}.{sys.version_info.minor}"
        env = dict(self.env, PATH=f"{VENV / 'bin'}:{self.env['PATH']}")
        return self.run(self.bin("ansible-test"), "sanity", "--local", "--python", py,
                        "--color", "no", cwd=SANITY_TREE, env=env), ""

    def unit(self):
        return self.run(self.bin("pytest"), "-q", "tests/unit"), ""

    def app_tests(self):
        script = ROOT / "examples/app/scripts/test-in-container.sh"
        if not script.exists():
            return True, "(no reference app yet)"
        return self.run("bash", str(script)), ""

    def scenario(self, name: str, release: str | None, *extra: str):
        env = dict(self.env)
        if release:
            env["MOLECULE_DEBIAN"] = release
        return self.run(self.bin("molecule"), "test", "-s", name, *extra, env=env), ""

    def scenario_family(self, name: str, release: str | None, label: str):
        """A parent scenario, the scenarios that run on its containers, then its destroy."""
        followers = SCENARIO_FOLLOWERS.get(name, [])
        if not followers:
            self.stage(label, lambda: self.scenario(name, release))
            return
        parent_ok = self.stage(label, lambda: self.scenario(name, release, "--destroy", "never"))
        for follower in followers:
            if parent_ok:
                self.stage(f"molecule {follower}", lambda f=follower: self.scenario(f, release))
            else:
                self.results.append((f"molecule {follower}", False, 0.0, f"(not run: {name} failed)"))
        self.run(self.bin("molecule"), "destroy", "-s", name)

    # -- plan -----------------------------------------------------------------
    def scenarios(self, only: str | None):
        # Single-role scenarios first, the whole-stack family last: a broken
        # role shows up before the long cluster run.
        names = sorted((p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml")),
                       key=lambda n: (n in SCENARIO_FOLLOWERS, n))
        if only:
            if only not in names:
                raise SystemExit(f"no molecule scenario named {only!r}; have: {', '.join(names)}")
            names = [only]
        for name in names:
            if name in SCENARIO_RUN_BY:
                if only:  # run the follower with its parent's containers
                    yield SCENARIO_RUN_BY[name], None
                    return
                continue
            for release in SCENARIO_RELEASES.get(name, [None]):
                yield name, release


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="static checks and unit tests only")
    parser.add_argument("--scenario", help="run only this molecule scenario (after setup)")
    parser.add_argument("--setup-only", action="store_true", help="venv, engine and images only")
    args = parser.parse_args()

    suite = Suite()
    stages = [
        ("venv", suite.venv),
        ("collection", suite.collection),
        ("engine", suite.engine),
        ("images", suite.images),
        ("yamllint", suite.yamllint),
        ("ansible-lint", suite.ansible_lint),
        ("syntax", suite.syntax),
        ("sanity", suite.sanity),
        ("unit", suite.unit),
        ("app tests", suite.app_tests),
    ]
    setup = {"venv", "collection", "engine", "images"}
    suite.env["ANSIBLE_COLLECTIONS_PATH"] = f"{COLLECTIONS}"
    suite.env["PATH"] = f"{VENV / 'bin'}:{suite.env['PATH']}"
    suite.env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    total_start = time.monotonic()

    for name, func in stages:
        if args.quick and name not in QUICK_STAGES:
            continue
        if (args.setup_only or args.scenario) and name not in setup:
            continue
        if not suite.stage(name, func) and name in setup:
            break  # nothing after setup can run without it
    else:
        if not args.quick and not args.setup_only:
            for name, release in suite.scenarios(args.scenario):
                label = f"molecule {name}" + (f" (Debian {release})" if release else "")
                need = SCENARIO_REQUIRES.get(name)
                if need and not all(os.environ.get(var) for var in need[0]):
                    print(f"\n=== {label} === NOT RUN: {need[1]}", flush=True)
                    continue
                suite.scenario_family(name, release, label)

    print("\n=== summary ===")
    for name, ok, took, note in suite.results:
        print(f"{'ok  ' if ok else 'FAIL'} {took:7.0f} s  {name} {note}")
    passed = sum(1 for r in suite.results if r[1])
    failed = len(suite.results) - passed
    print(f"total {time.monotonic() - total_start:.0f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
