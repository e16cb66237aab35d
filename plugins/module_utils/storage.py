# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Shared uploads: what the app tier is told, and what preflight checks.

The stack-wide inventory variables are ``storage_backend`` (``nfs``, ``s3`` or
``local``) and, for ``s3``, ``s3_engine`` (``seaweedfs``, ``minio`` or
``external``). Role defaults are not visible in other hosts' hostvars, so the
defaults the app needs (bucket names, ports, mount point) are repeated here;
a unit test keeps them equal to the roles' defaults.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scaleout.webstack.plugins.module_utils import secrets, topology

BACKENDS = ("nfs", "s3", "local")
S3_ENGINES = ("seaweedfs", "minio", "external")
DEFAULT_S3_ENGINE = "seaweedfs"
DEFAULT_BACKEND = "local"
STORAGE_GROUP = "storage"
APP_GROUP = "app"

# Equal to the roles' defaults (tests/unit/plugins/test_storage.py checks).
DEFAULTS = {
    "seaweedfs_bucket": "webstack-uploads",
    "seaweedfs_s3_port": 8333,
    "minio_bucket": "webstack-uploads",
    "minio_api_port": 9000,
    "minio_drives": ["/srv/minio/data"],
    "minio_tls_cert": "",
    "nfs_client_mount_point": "/srv/webstack/uploads",
}
# Stack-wide defaults (not owned by a role).
STACK_DEFAULTS = {
    "storage_s3_region": "us-east-1",
    "storage_local_uploads_dir": "/srv/webstack/uploads",
    "storage_s3_endpoint": "",
}
MINIO_MIN_DRIVES = 4

ENGINE_SECRETS = {
    "seaweedfs": ("seaweedfs_admin_access_key", "seaweedfs_admin_secret_key",
                  "seaweedfs_app_access_key", "seaweedfs_app_secret_key"),
    "minio": ("minio_root_user", "minio_root_password",
              "minio_app_access_key", "minio_app_secret_key"),
    "external": ("storage_s3_access_key", "storage_s3_secret_key"),
}
APP_KEYS = {
    "seaweedfs": ("seaweedfs_app_access_key", "seaweedfs_app_secret_key"),
    "minio": ("minio_app_access_key", "minio_app_secret_key"),
    "external": ("storage_s3_access_key", "storage_s3_secret_key"),
}


class StorageError(ValueError):
    """The inventory cannot give the app a storage configuration."""


def _vars(hostvars, host):
    if host is None:
        return {}
    try:
        hv = hostvars[host]
    except KeyError:
        return {}
    return hv if hasattr(hv, "get") else {}


def _get(hostvars, host, name):
    value = _vars(hostvars, host).get(name)
    if value is None:
        value = DEFAULTS.get(name, STACK_DEFAULTS.get(name))
    return value


def _group(groups, name):
    return list((groups or {}).get(name) or [])


def _default_host(groups, host):
    if host:
        return host
    app = _group(groups, APP_GROUP)
    return app[0] if app else None


def _url_host(address):
    return "[%s]" % address if ":" in address and not address.startswith("[") else address


def _stack_host(groups, host=None):
    """Whose hostvars hold the stack-wide settings: ``host``, else the first
    app host, else the first storage host."""
    if host:
        return host
    for group in (APP_GROUP, STORAGE_GROUP):
        members = _group(groups, group)
        if members:
            return members[0]
    return None


def stack_settings(hostvars, groups, host=None, storage_backend=None, s3_engine=None):
    """``(storage_backend, s3_engine)``: the arguments if given, else the
    stack-wide inventory variables, else ``local`` and ``seaweedfs``."""
    hv = _vars(hostvars, _stack_host(groups, host))
    backend = storage_backend if storage_backend is not None else hv.get("storage_backend", DEFAULT_BACKEND)
    engine = s3_engine if s3_engine is not None else hv.get("s3_engine")
    return backend, engine or DEFAULT_S3_ENGINE


def s3_endpoint(hostvars, groups, s3_engine, host=None):
    """The one S3 endpoint the app uses.

    ``storage_s3_endpoint`` wins for every engine (put a load balancer there);
    otherwise the first storage host's private address on the engine's port.
    Every SeaweedFS and MinIO node serves the whole namespace, so any node
    would do; one endpoint keeps the app's configuration simple.
    """
    host = _default_host(groups, host)
    explicit = _get(hostvars, host, "storage_s3_endpoint")
    if explicit:
        return str(explicit)
    if s3_engine == "external":
        raise StorageError("s3_engine is external: set storage_s3_endpoint")
    storage = _group(groups, STORAGE_GROUP)
    if not storage:
        raise StorageError("s3_engine is %s but group %s is empty" % (s3_engine, STORAGE_GROUP))
    first = storage[0]
    address = _url_host(topology.private_address(hostvars, first))
    if s3_engine == "seaweedfs":
        return "http://%s:%s" % (address, _get(hostvars, first, "seaweedfs_s3_port"))
    scheme = "https" if _get(hostvars, first, "minio_tls_cert") else "http"
    return "%s://%s:%s" % (scheme, address, _get(hostvars, first, "minio_api_port"))


def app_env(hostvars, groups, host=None, storage_backend=None, s3_engine=None):
    """The environment the app reads to find its uploads.

    ``host`` is the app host asking (its hostvars give ``storage_backend``,
    ``s3_engine``, ``nfs_client_mount_point``, ``storage_local_uploads_dir``
    and the ``storage_s3_*`` settings); it defaults to the first host of
    group ``app``. ``storage_backend`` and ``s3_engine`` override the
    inventory's. Engine settings (bucket, port, keys) are read from the first
    ``storage`` host.
    """
    host = _default_host(groups, host)
    storage_backend, s3_engine = stack_settings(hostvars, groups, host, storage_backend, s3_engine)
    if storage_backend not in BACKENDS:
        raise StorageError("storage_backend is %r; choose one of %s" % (storage_backend, ", ".join(BACKENDS)))
    if storage_backend == "nfs":
        return {"STORAGE_BACKEND": "nfs", "UPLOADS_DIR": str(_get(hostvars, host, "nfs_client_mount_point"))}
    if storage_backend == "local":
        return {"STORAGE_BACKEND": "local", "UPLOADS_DIR": str(_get(hostvars, host, "storage_local_uploads_dir"))}

    engine = s3_engine
    if engine not in S3_ENGINES:
        raise StorageError("s3_engine is %r; choose one of %s" % (engine, ", ".join(S3_ENGINES)))
    if engine == "external":
        source = host
        bucket = _get(hostvars, host, "storage_s3_bucket")
    else:
        storage = _group(groups, STORAGE_GROUP)
        if not storage:
            raise StorageError("s3_engine is %s but group %s is empty" % (engine, STORAGE_GROUP))
        source = storage[0]
        bucket = _get(hostvars, source, "%s_bucket" % engine)
    access_name, secret_name = APP_KEYS[engine]
    access_key = _get(hostvars, source, access_name)
    secret_key = _get(hostvars, source, secret_name)
    for name, value in ((access_name, access_key), (secret_name, secret_key)):
        if not value:
            raise StorageError("%s is not set (host %s); secrets have no defaults" % (name, source))
    if not bucket:
        raise StorageError("storage_s3_bucket is not set (host %s)" % source)
    return {
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT": s3_endpoint(hostvars, groups, engine, host),
        "S3_BUCKET": str(bucket),
        "S3_ACCESS_KEY": str(access_key),
        "S3_SECRET_KEY": str(secret_key),
        "S3_REGION": str(_get(hostvars, host, "storage_s3_region")),
        # SeaweedFS and MinIO serve buckets as paths, not subdomains.
        "S3_FORCE_PATH_STYLE": "true" if engine != "external" else str(
            _get(hostvars, host, "storage_s3_force_path_style") or "false").lower(),
    }


def inventory_errors(hostvars, groups, storage_backend=None, s3_engine=None):
    """Everything wrong with the storage part of the inventory, one message each.

    ``storage_backend`` and ``s3_engine`` default to the stack-wide inventory
    variables (read from the first app host).
    """
    errors = []
    storage_backend, s3_engine = stack_settings(hostvars, groups, None, storage_backend, s3_engine)
    if storage_backend not in BACKENDS:
        return ["storage_backend is %r; choose one of %s" % (storage_backend, ", ".join(BACKENDS))]
    app = _group(groups, APP_GROUP)
    storage = _group(groups, STORAGE_GROUP)

    if storage_backend == "local":
        if len(app) > 1:
            errors.append(
                "storage_backend is local but group %s has %d hosts (%s); uploads on one node would be "
                "missing on the others: choose nfs or s3" % (APP_GROUP, len(app), ", ".join(app)))
        return errors

    if storage_backend == "nfs":
        if len(storage) != 1:
            errors.append(
                "storage_backend is nfs: group %s must have exactly one host (the NFS server); it has %d%s"
                % (STORAGE_GROUP, len(storage), " (%s)" % ", ".join(storage) if storage else ""))
        return errors

    engine = s3_engine
    if engine not in S3_ENGINES:
        return ["s3_engine is %r; with storage_backend s3 choose one of %s" % (engine, ", ".join(S3_ENGINES))]

    if engine == "external":
        host = _default_host(groups, None)
        for name in ("storage_s3_endpoint", "storage_s3_bucket"):
            if not _get(hostvars, host, name):
                errors.append("%s is not set%s; s3_engine external needs it"
                              % (name, " (host %s)" % host if host else ""))
        errors.extend(_secret_errors(hostvars, [host] if host else [None], ENGINE_SECRETS[engine]))
        return errors

    if not storage:
        return ["s3_engine is %s but group %s is empty; put the S3 nodes there" % (engine, STORAGE_GROUP)]
    errors.extend(_secret_errors(hostvars, storage, ENGINE_SECRETS[engine]))
    if engine == "minio":
        errors.extend(minio_drive_errors(hostvars, storage))
    return errors


def _secret_errors(hostvars, hosts, names):
    """Check secrets on the first host; every other host must have the same value."""
    errors = []
    first = hosts[0]
    first_vars = _vars(hostvars, first)
    for name in names:
        value = first_vars.get(name)
        error = secrets.secret_error(value, name, first)
        if error:
            errors.append(error)
            continue
        for other in hosts[1:]:
            if _vars(hostvars, other).get(name) != value:
                errors.append("%s (host %s) differs from host %s; every storage node needs the same value"
                              % (name, other, first))
    return errors


def minio_drive_errors(hostvars, hosts):
    """Distributed MinIO: equal drives per node and at least 4 in total."""
    if len(hosts) < 2:
        return []
    counts = {h: len(_get(hostvars, h, "minio_drives") or []) for h in hosts}
    errors = []
    total = sum(counts.values())
    if total < MINIO_MIN_DRIVES:
        errors.append(
            "minio_drives: distributed MinIO on %d hosts (%s) has %d drives in total; erasure coding needs "
            "at least %d (list more paths in minio_drives)" % (len(hosts), ", ".join(hosts), total, MINIO_MIN_DRIVES))
    if len(set(counts.values())) > 1:
        errors.append("minio_drives: every MinIO node needs the same number of drives; have %s"
                      % ", ".join("%s=%d" % (h, counts[h]) for h in hosts))
    return errors


def seaweedfs_masters(hosts, max_masters=3):
    """The hosts that run a SeaweedFS master: 3 (a raft quorum) when there are
    3 or more storage hosts, else 1 (two masters cannot elect after a loss)."""
    hosts = list(hosts or [])
    if len(hosts) >= 3:
        count = max_masters if max_masters % 2 == 1 else max_masters - 1
        return hosts[:max(1, min(count, len(hosts)))]
    return hosts[:1]


def seaweedfs_replication(hosts):
    """Default volume replication: one copy on another server once there are two."""
    return "001" if len(list(hosts or [])) >= 2 else "000"


def _as_sorted(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return sorted(str(v) for v in value)


def _statement_key(statement):
    return (
        str(statement.get("Effect", "")),
        tuple(_as_sorted(statement.get("Action"))),
        tuple(_as_sorted(statement.get("Resource"))),
        repr(sorted((statement.get("Condition") or {}).items())),
    )


def s3_policy_equal(current, desired):
    """Whether two IAM-style policy documents grant the same thing.

    Servers re-serialise policies (MinIO sorts actions, may turn a one-item
    list into a string), so compare statements as sets of (effect, actions,
    resources, condition) with the lists sorted.
    """
    if not isinstance(current, dict) or not isinstance(desired, dict):
        return False
    return (sorted(_statement_key(s) for s in current.get("Statement") or [])
            == sorted(_statement_key(s) for s in desired.get("Statement") or []))
