# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Checks that a secret is set and is not a placeholder.

Secrets in this collection never have defaults; preflight runs these checks
for every secret a host needs before anything changes.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

MIN_SECRET_LENGTH = 16

# Values that appear in examples and tutorials; never acceptable.
PLACEHOLDERS = frozenset((
    "", "changeme", "change-me", "change_me", "password", "secret", "passw0rd",
    "admin", "default", "example", "todo", "fixme", "xxx", "replace-me",
    "replaceme", "placeholder",
))


def secret_error(value, name, host=None, min_length=MIN_SECRET_LENGTH):
    """Return a message saying what is wrong with a secret, or None if it is fine.

    ``name`` is the variable name and ``host`` the inventory host it is read
    for; both appear in the message so the user knows what to fix.
    """
    where = "%s (host %s)" % (name, host) if host else name
    if value is None:
        return "%s is not set; secrets have no defaults" % where
    if not isinstance(value, str):
        return "%s must be a string" % where
    lowered = value.strip().lower()
    if lowered in PLACEHOLDERS or lowered.startswith(("vault_", "<", "{{")) or "changeme" in lowered:
        return "%s is a placeholder; set a real secret" % where
    if len(value) < min_length:
        return "%s is %d characters; it needs at least %d" % (where, len(value), min_length)
    return None


def secret_errors(secrets, host=None, min_length=MIN_SECRET_LENGTH):
    """Check several secrets given as a mapping of variable name to value."""
    errors = []
    for name in sorted(secrets):
        error = secret_error(secrets[name], name, host, min_length)
        if error:
            errors.append(error)
    return errors
