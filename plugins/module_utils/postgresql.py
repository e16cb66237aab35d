# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""PostgreSQL tier arithmetic: tuning, slot names, inventory checks, app URLs.

Pure functions over ``hostvars``/``groups`` shaped mappings so they are unit
tested without hosts and reused by the whole-stack preflight playbook.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 controllers are not supported
    from urllib import quote  # type: ignore

from ansible_collections.scaleout.webstack.plugins.module_utils import secrets, topology

PRIMARY_GROUP = "postgres_primary"
REPLICA_GROUP = "postgres_replicas"
APP_GROUP = "app"

# Major version Debian packages, per Debian major release (keep equal to
# roles/postgresql/vars/Debian-*.yml; a unit test checks).
DEBIAN_PACKAGED_VERSIONS = {"12": "15", "13": "17"}
# Versions the role supports from the upstream PGDG repository.
PGDG_VERSIONS = ("14", "15", "16", "17", "18")

# Role defaults other tiers need when the inventory does not set them (keep
# equal to roles/postgresql/defaults/main.yml; a unit test checks).
DEFAULTS = {
    "postgresql_app_database": "webstack",
    "postgresql_app_user": "webstack",
    "postgresql_replication_user": "replicator",
    "postgresql_port": 5432,
    "postgresql_max_connections": 200,
    "postgresql_connection_reserve": 10,
    "postgresql_use_pgdg": False,
}
SECRETS = ("postgresql_app_password", "postgresql_replication_password")

SLOT_NAME_MAX = 63
MB = 1
GB = 1024 * MB


def _hv(hostvars, host):
    try:
        return hostvars[host]
    except KeyError:
        return {}


def _get(hostvars, host, name):
    hv = _hv(hostvars, host)
    value = hv.get(name) if hasattr(hv, "get") else None
    return DEFAULTS.get(name) if value is None else value


def _group(groups, name):
    return list((groups or {}).get(name) or [])


def primary_host(groups):
    """The single primary, or None if the inventory does not have exactly one."""
    primaries = _group(groups, PRIMARY_GROUP)
    return primaries[0] if len(primaries) == 1 else None


def replica_hosts(groups):
    primaries = set(_group(groups, PRIMARY_GROUP))
    return [h for h in _group(groups, REPLICA_GROUP) if h not in primaries]


# -- replication slots ---------------------------------------------------------

def replication_slot(host):
    """Physical replication slot name for a replica: the inventory name made a
    valid slot name (lower case, [a-z0-9_], at most 63 characters)."""
    name = re.sub(r"[^a-z0-9_]", "_", str(host).lower())
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = "r_" + name
    if len(name) > SLOT_NAME_MAX:
        # Keep names distinct when truncating: a stable suffix from the full name.
        suffix = "_%08x" % (sum(ord(c) * (i + 1) for i, c in enumerate(str(host))) & 0xFFFFFFFF)
        name = name[:SLOT_NAME_MAX - len(suffix)] + suffix
    return name


# -- tuning --------------------------------------------------------------------

def _facts(hostvars, host):
    hv = _hv(hostvars, host)
    facts = hv.get("ansible_facts") or {} if hasattr(hv, "get") else {}
    memtotal = hv.get("ansible_memtotal_mb") or facts.get("memtotal_mb")
    vcpus = hv.get("ansible_processor_vcpus") or facts.get("processor_vcpus")
    return (int(memtotal) if memtotal else None, int(vcpus) if vcpus else None)


def _mb(value):
    return "%dMB" % max(1, int(value))


def tuning(memtotal_mb, vcpus, max_connections=200, cluster_vcpus=None, overrides=None):
    """Memory and CPU settings derived from the host's RAM and vCPUs.

    - shared_buffers: 25 % of RAM; effective_cache_size: 75 %;
    - work_mem: RAM left after shared_buffers, over 3 x max_connections
      (a query may use several sorts/hashes), between 4 MB and 256 MB;
    - maintenance_work_mem: RAM / 16, between 64 MB and 2 GB;
    - max_worker_processes: one per vCPU, at least 8; it is computed over
      ``cluster_vcpus`` (the largest host) because a standby refuses to start
      with fewer worker processes than its primary;
    - max_parallel_workers: one per vCPU (<= max_worker_processes);
      per gather and per maintenance: half the vCPUs, 1..4.

    ``overrides`` (name -> value, None meaning derived) win.
    """
    memtotal_mb = int(memtotal_mb or 1024)
    vcpus = max(1, int(vcpus or 1))
    cluster_vcpus = max(vcpus, int(cluster_vcpus or vcpus))
    max_connections = max(1, int(max_connections))
    shared = memtotal_mb // 4
    settings = {
        "shared_buffers": _mb(max(128, shared)),
        "effective_cache_size": _mb(max(256, memtotal_mb * 3 // 4)),
        "work_mem": _mb(min(256, max(4, (memtotal_mb - shared) // (3 * max_connections)))),
        "maintenance_work_mem": _mb(min(2 * GB, max(64, memtotal_mb // 16))),
        "max_worker_processes": str(max(8, cluster_vcpus)),
        "max_parallel_workers": str(vcpus),
        "max_parallel_workers_per_gather": str(min(4, max(1, vcpus // 2))),
        "max_parallel_maintenance_workers": str(min(4, max(1, vcpus // 2))),
    }
    for name, value in (overrides or {}).items():
        if value not in (None, ""):
            settings[name] = str(value)
    if int(settings["max_parallel_workers"]) > int(settings["max_worker_processes"]):
        settings["max_parallel_workers"] = settings["max_worker_processes"]
    return settings


def host_tuning(host, hostvars, groups, overrides=None, max_connections=None):
    """``tuning`` for an inventory host from its facts; worker processes sized
    for the largest database host whose facts are known."""
    memtotal, vcpus = _facts(hostvars, host)
    cluster = _group(groups, PRIMARY_GROUP) + _group(groups, REPLICA_GROUP)
    known = [_facts(hostvars, h)[1] for h in cluster]
    cluster_vcpus = max([v for v in known if v] + [vcpus or 1])
    if max_connections is None:
        max_connections = _get(hostvars, host, "postgresql_max_connections")
    return tuning(memtotal, vcpus, max_connections, cluster_vcpus, overrides)


def replication_settings(replica_count):
    """WAL settings for streaming replication, sized for the replica count."""
    replica_count = max(0, int(replica_count))
    return {
        "wal_level": "replica",
        "max_wal_senders": str(max(10, 2 * replica_count + 2)),
        "max_replication_slots": str(max(10, replica_count + 4)),
        "wal_keep_size": "512MB",
        "hot_standby": "on",
    }


# -- inventory checks ----------------------------------------------------------

def _version_of(hostvars, host):
    """The major version a host runs (explicit, else its Debian's), or None."""
    hv = _hv(hostvars, host)
    explicit = hv.get("postgresql_version") if hasattr(hv, "get") else None
    if explicit not in (None, ""):
        return str(explicit)
    release = str(hv.get("ansible_distribution_major_version") or
                  (hv.get("ansible_facts") or {}).get("distribution_major_version") or "")
    if release in DEBIAN_PACKAGED_VERSIONS:
        return DEBIAN_PACKAGED_VERSIONS[release]
    return None


def _is_ip(value):
    try:
        ipaddress.ip_network(str(value), strict=False)
        return True
    except ValueError:
        return False


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def hosts_missing_facts(hostvars, groups):
    """Database and app hosts whose address or size is not known yet (not in
    the play, or facts not gathered): the role gathers their facts first."""
    wanted = list(dict.fromkeys(_group(groups, PRIMARY_GROUP) + _group(groups, REPLICA_GROUP) +
                                _group(groups, APP_GROUP)))
    missing = []
    for host in wanted:
        hv = _hv(hostvars, host)
        facts = (hv.get("ansible_facts") or {}) if hasattr(hv, "get") else {}
        known = hv.get("ansible_default_ipv4") or facts.get("default_ipv4") if hasattr(hv, "get") else None
        if not known and not (hasattr(hv, "get") and hv.get("webstack_private_address")):
            missing.append(host)
    return missing


def inventory_errors(hostvars, groups):
    """Everything wrong with the inventory for the PostgreSQL tier: one message
    per problem, naming the host and the variable or group. Empty if fine."""
    errors = []
    primaries = _group(groups, PRIMARY_GROUP)
    replicas = _group(groups, REPLICA_GROUP)

    if not primaries:
        errors.append("group %s is empty or missing; it needs exactly one host" % PRIMARY_GROUP)
    elif len(primaries) > 1:
        errors.append("group %s has %d hosts (%s); it needs exactly one" %
                      (PRIMARY_GROUP, len(primaries), ", ".join(primaries)))
    for host in replicas:
        if host in primaries:
            errors.append("host %s is in both %s and %s; a host is the primary or a replica" %
                          (host, PRIMARY_GROUP, REPLICA_GROUP))

    primary = primary_host(groups)
    if primary:
        for name in SECRETS:
            error = secrets.secret_error(_hv(hostvars, primary).get(name), name, primary)
            if error:
                errors.append(error)
        wanted = _hv(hostvars, primary).get("postgresql_replication_password")
        for host in replicas:
            if host == primary:
                continue
            value = _hv(hostvars, host).get("postgresql_replication_password")
            if value != wanted:
                error = secrets.secret_error(value, "postgresql_replication_password", host)
                errors.append(error or "postgresql_replication_password (host %s) differs from the primary's (%s)"
                              % (host, primary))

    cluster = list(dict.fromkeys(primaries + replicas))
    versions = {}
    for host in cluster:
        hv = _hv(hostvars, host)
        distro = hv.get("ansible_distribution") if hasattr(hv, "get") else None
        release = str(hv.get("ansible_distribution_major_version") or "") if hasattr(hv, "get") else ""
        if distro and (distro != "Debian" or release not in DEBIAN_PACKAGED_VERSIONS):
            errors.append("host %s runs %s %s; the postgresql role supports Debian %s"
                          % (host, distro, release, " and ".join(sorted(DEBIAN_PACKAGED_VERSIONS))))
            continue
        version = _version_of(hostvars, host)
        if version is None:
            continue
        versions[host] = version
        pgdg = bool(_get(hostvars, host, "postgresql_use_pgdg"))
        packaged = DEBIAN_PACKAGED_VERSIONS.get(release)
        if pgdg:
            if version not in PGDG_VERSIONS:
                errors.append("postgresql_version (host %s) is %s; with postgresql_use_pgdg the role supports %s"
                              % (host, version, ", ".join(PGDG_VERSIONS)))
        elif packaged is not None and version != packaged:
            errors.append("postgresql_version (host %s) is %s; Debian %s packages PostgreSQL %s "
                          "(set postgresql_use_pgdg: true for %s)"
                          % (host, version, release, packaged, ", ".join(PGDG_VERSIONS)))
        elif packaged is None and version not in set(DEBIAN_PACKAGED_VERSIONS.values()):
            errors.append("postgresql_version (host %s) is %s; supported: %s from Debian, %s from PGDG"
                          % (host, version, ", ".join(sorted(set(DEBIAN_PACKAGED_VERSIONS.values()))),
                             ", ".join(PGDG_VERSIONS)))
    if primary in versions:
        for host in replicas:
            if host in versions and host != primary and versions[host] != versions[primary]:
                errors.append("postgresql_version (host %s) is %s but the primary %s runs %s; "
                              "streaming replicas need the same major version"
                              % (host, versions[host], primary, versions[primary]))

    for host in cluster:
        max_conn = _as_int(_get(hostvars, host, "postgresql_max_connections"))
        reserve = _as_int(_get(hostvars, host, "postgresql_connection_reserve"))
        if max_conn is None or max_conn < 1:
            errors.append("postgresql_max_connections (host %s) must be a positive integer" % host)
        elif reserve is None or reserve < 0 or reserve >= max_conn:
            errors.append("postgresql_connection_reserve (host %s) must be an integer from 0 to "
                          "postgresql_max_connections - 1 (%d)" % (host, max_conn - 1))
    if primary:
        primary_max = _as_int(_get(hostvars, primary, "postgresql_max_connections"))
        for host in replicas:
            mine = _as_int(_get(hostvars, host, "postgresql_max_connections"))
            if primary_max and mine and host != primary and mine < primary_max:
                errors.append("postgresql_max_connections (host %s) is %d, below the primary's %d; "
                              "a standby refuses to start with fewer" % (host, mine, primary_max))

    slots = {}
    for host in replicas:
        slot = replication_slot(host)
        if slot in slots:
            errors.append("hosts %s and %s share the replication slot name %s; rename one" %
                          (slots[slot], host, slot))
        slots.setdefault(slot, host)

    for host in list(dict.fromkeys(_group(groups, APP_GROUP) + replicas)):
        address = topology.private_address(hostvars, host)
        if not _is_ip(address):
            errors.append("host %s has no private IP address for pg_hba.conf (got %r); gather its facts "
                          "or set webstack_private_address" % (host, address))
    return errors


# -- what the app needs --------------------------------------------------------

def _url(hostvars, primary, address):
    user = _get(hostvars, primary, "postgresql_app_user")
    password = _hv(hostvars, primary).get("postgresql_app_password") or ""
    return "postgres://%s:%s@%s:%s/%s" % (
        quote(str(user), safe=""), quote(str(password), safe=""),
        ("[%s]" % address) if ":" in address else address,
        _get(hostvars, primary, "postgresql_port"),
        quote(str(_get(hostvars, primary, "postgresql_app_database")), safe=""))


def app_env(hostvars, groups):
    """The app's database environment: DATABASE_URL (the primary) and
    DATABASE_REPLICA_URLS (comma-separated, one per replica, same credentials;
    empty without replicas). Settings are read from the primary's hostvars,
    falling back to the role's defaults."""
    primary = primary_host(groups)
    if primary is None:
        raise ValueError("group %s must have exactly one host" % PRIMARY_GROUP)
    return {
        "DATABASE_URL": _url(hostvars, primary, topology.private_address(hostvars, primary)),
        "DATABASE_REPLICA_URLS": ",".join(
            _url(hostvars, primary, topology.private_address(hostvars, h)) for h in replica_hosts(groups)),
    }


def usable_connections(hostvars, groups):
    """Connections the app tier may open on the primary: max_connections minus reserve."""
    primary = primary_host(groups)
    if primary is None:
        return None
    return int(_get(hostvars, primary, "postgresql_max_connections")) - \
        int(_get(hostvars, primary, "postgresql_connection_reserve"))


# -- which settings differ -------------------------------------------------------

_MEMORY_UNITS = {"B": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}
_TIME_UNITS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}
_TRUE = ("on", "true", "yes", "1", "t", "y")
_FALSE = ("off", "false", "no", "0", "f", "n")


def _base_unit(unit):
    """(factor of pg_settings.unit, unit table) e.g. '8kB' -> (8192, memory)."""
    if not unit:
        return 1, None
    match = re.match(r"^(\d*)([a-zA-Z]+)$", unit)
    if not match:
        raise ValueError(unit)
    count, name = int(match.group(1) or 1), match.group(2)
    for table in (_MEMORY_UNITS, _TIME_UNITS):
        if name in table:
            return count * table[name], table
    raise ValueError(unit)


def _number(value, unit):
    factor, table = _base_unit(unit)
    match = re.match(r"^\s*(-?[0-9.]+)\s*([a-zA-Z]*)\s*$", str(value))
    if not match:
        raise ValueError(value)
    number, given = float(match.group(1)), match.group(2)
    if number == -1:
        return -1.0
    if not given:
        return number * factor
    if table is None or given not in table:
        raise ValueError(value)
    return number * table[given]


def _normalized(value, unit, vartype):
    text = str(value).strip()
    if vartype == "bool":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(value)
    if vartype in ("integer", "real"):
        return _number(text, unit)
    if vartype == "enum":
        return text.lower()
    return ",".join(part.strip().strip('"') for part in text.split(","))


def settings_to_change(desired, current):
    """Names of ``desired`` settings (name -> value) whose value differs from
    ``current`` (rows of pg_settings: name, setting, unit, vartype).

    Only a pre-filter so that ALTER SYSTEM runs for what differs: a value it
    cannot compare, or a name PostgreSQL does not know, counts as different
    (the module then decides, or reports the unknown name).
    """
    rows = {row["name"]: row for row in current or []}
    changed = []
    for name in sorted(desired):
        row = rows.get(name)
        if row is None:
            changed.append(name)
            continue
        try:
            same = _normalized(desired[name], row.get("unit"), row.get("vartype")) == \
                _normalized(row.get("setting"), row.get("unit"), row.get("vartype"))
        except (ValueError, TypeError):
            same = False
        if not same:
            changed.append(name)
    return changed
