# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""App tier arithmetic: worker counts, the connection budget, the env file."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re

MAX_WORKERS_PER_NODE = 64
RELEASE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Never part of a release's identity or payload.
RELEASE_EXCLUDES = frozenset(("node_modules", ".git", ".DS_Store"))


def _vcpus(hostvars):
    facts = hostvars.get("ansible_facts", {})
    return hostvars.get("ansible_processor_vcpus") or facts.get("processor_vcpus")


def workers_error(value, host, vcpus=None):
    """A message if ``app_workers`` is not an integer >= 1 or ``max``, else None."""
    if value == "max":
        return None
    if isinstance(value, bool):
        return "app_workers (host %s) must be an integer >= 1 or 'max', not %r" % (host, value)
    try:
        count = int(str(value).strip())
    except (TypeError, ValueError):
        return "app_workers (host %s) must be an integer >= 1 or 'max', not %r" % (host, value)
    if count < 1:
        return "app_workers (host %s) is %d; it must be at least 1" % (host, count)
    if count > MAX_WORKERS_PER_NODE:
        return "app_workers (host %s) is %d; more than %d workers on one node is not supported" % (
            host, count, MAX_WORKERS_PER_NODE)
    if vcpus and count > 4 * int(vcpus):
        return "app_workers (host %s) is %d on a host with %d vCPUs; use at most %d (or 'max')" % (
            host, count, int(vcpus), 4 * int(vcpus))
    return None


def workers(hostvars, host, default=1):
    """The number of PM2 workers ``host`` runs (``max`` resolved from facts)."""
    hv = hostvars[host]
    value = hv.get("app_workers", default)
    error = workers_error(value, host)
    if error:
        raise ValueError(error)
    if value == "max":
        vcpus = _vcpus(hv)
        if not vcpus:
            raise ValueError("app_workers (host %s) is 'max' but the host's facts (vCPUs) are not known; "
                             "gather facts for app hosts first" % host)
        return int(vcpus)
    return int(value)


def worker_errors(hostvars, hosts):
    errors = []
    for host in hosts:
        hv = hostvars[host]
        error = workers_error(hv.get("app_workers", 1), host, _vcpus(hv))
        if error:
            errors.append(error)
    return errors


def dotenv_quote(value):
    """Quote a value for the app's env file (double quotes, escaped)."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("$", "\\$")
    return '"%s"' % text


def release_id_error(release_id):
    if not RELEASE_ID_PATTERN.match(str(release_id or "")):
        return ("app_node_release_id %r must be 1-64 characters of letters, digits, '.', '_' or '-' "
                "and start with a letter or digit" % (release_id,))
    return None


def directory_digest(path):
    """A content hash of a release directory (paths and bytes, excluding node_modules and .git)."""
    digest = hashlib.sha256()
    root = os.path.abspath(path)
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in RELEASE_EXCLUDES)
        for name in sorted(files):
            if name in RELEASE_EXCLUDES:
                continue
            full = os.path.join(current, name)
            rel = os.path.relpath(full, root)
            digest.update(rel.encode("utf-8") + b"\0")
            if os.path.islink(full):
                digest.update(b"link:" + os.readlink(full).encode("utf-8"))
            else:
                with open(full, "rb") as handle:
                    for chunk in iter(lambda: handle.read(65536), b""):
                        digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


def release_id(path, length=12):
    """The release id of a directory or tarball on the controller: its content hash."""
    if os.path.isdir(path):
        return directory_digest(path)[:length]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()[:length]


APP_SECRETS = ("app_node_jwt_secret", "app_node_session_secret")
DEFAULT_POOL_SIZE = 5
DEFAULT_MAX_CONNECTIONS = 200
DEFAULT_CONNECTION_RESERVE = 10


def tier_errors(hostvars, groups, secret_error, require_facts=False):
    """Every problem of the app tier as a whole, one message each.

    ``secret_error`` is secrets.secret_error (passed in to keep this module
    free of imports Ansible would have to ship twice). Before facts are
    gathered (``require_facts`` false) the budget is skipped when a node's
    worker count depends on its vCPUs.
    """
    app_hosts = list(groups.get("app", []))
    errors = worker_errors(hostvars, app_hosts)
    for host in app_hosts:
        for name in APP_SECRETS:
            error = secret_error(hostvars[host].get(name), name, host)
            if error:
                errors.append(error)
    primaries = groups.get("postgres_primary", [])
    if app_hosts and len(primaries) == 1 and not errors:
        pg = hostvars[primaries[0]]
        try:
            total = sum(workers(hostvars, h) * int(hostvars[h].get("app_node_db_pool_size", DEFAULT_POOL_SIZE))
                        for h in app_hosts)
        except ValueError as exc:  # 'max' without facts
            return errors + [str(exc)] if require_facts else errors
        reserve = int(pg.get("postgresql_connection_reserve", DEFAULT_CONNECTION_RESERVE))
        max_conn = int(pg.get("postgresql_max_connections", DEFAULT_MAX_CONNECTIONS))
        if total + reserve > max_conn:
            errors.append(
                "the connection budget does not fit: the app workers' pools need %d connections "
                "(sum of app_workers x app_node_db_pool_size) + postgresql_connection_reserve %d = %d > "
                "postgresql_max_connections %d (host %s); lower the pool size or workers, or raise "
                "postgresql_max_connections" % (total, reserve, total + reserve, max_conn, primaries[0]))
    return errors
