"""Where the forecast job's Dask shards run: the "Forecast cluster" setting, checked.

An address is what ``distributed.Client`` accepts for a scheduler, narrowed to the two protocols an
installation next to Odoo needs: ``tcp://host:port`` or ``tls://host:port``, host a DNS name, an IPv4
address or a bracketed IPv6 address, port 1-65535. Empty means a ``LocalCluster`` on the machine that
runs the job. The check lives here, not in the Odoo layer, so that the settings form, the run writing
its job input and the job input itself all refuse the same values: the stored parameter is never
trusted (it can be edited in System Parameters without any check).
"""
from __future__ import annotations

import ipaddress
import re

SCHEMES = ("tcp", "tls")
DEFAULT_PORT = 8786
# A cluster larger than this is certainly a typo, and LocalCluster would try to start them all.
MAX_WORKERS = 256

_ADDRESS = re.compile(r"(?P<scheme>[a-z]+)://(?P<host>\[[^\]/]*\]|[^:/\[\]]*):(?P<port>[0-9]{1,5})")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _valid_host(host: str) -> bool:
    if host.startswith("["):
        if "%" in host:  # a zone (fe80::1%eth0) only means something on one machine
            return False
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    if not host or len(host) > 253:
        return False
    labels = host.rstrip(".").split(".") if host != "." else []
    if not labels or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    if labels[-1].isdigit():  # looks like an IPv4 address: it must be one (no 999.1.1.1)
        try:
            ipaddress.IPv4Address(host.rstrip("."))
        except ValueError:
            return False
    return True


def parse_scheduler_address(address) -> str:
    """The address without surrounding blanks ("" for a local cluster); ValueError saying why not."""
    if address in (None, False):
        return ""
    if not isinstance(address, str):
        raise ValueError(f"a scheduler address is text, not {type(address).__name__}")
    text = address.strip()
    if not text:
        return ""
    match = _ADDRESS.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not of the form tcp://host:port or tls://host:port")
    if match["scheme"] not in SCHEMES:
        raise ValueError(f"{text!r}: the protocol must be tcp or tls, not {match['scheme']}")
    if not _valid_host(match["host"]):
        raise ValueError(f"{text!r}: {match['host']!r} is not a host name or IP address")
    if not 1 <= int(match["port"]) <= 65535:
        raise ValueError(f"{text!r}: the port must be between 1 and 65535")
    return text


def parse_workers(workers) -> int:
    """Worker processes of a local cluster (0: one per CPU); ValueError when not 0..MAX_WORKERS."""
    if workers in (None, False, ""):
        return 0
    if isinstance(workers, bool) or (isinstance(workers, float) and not workers.is_integer()):
        raise ValueError(f"the number of workers is a whole number, got {workers!r}")
    try:
        value = int(str(workers).strip()) if isinstance(workers, str) else int(workers)
    except (TypeError, ValueError):
        raise ValueError(f"the number of workers is a whole number, got {workers!r}") from None
    if not 0 <= value <= MAX_WORKERS:
        raise ValueError(f"the number of workers must be between 0 and {MAX_WORKERS}, got {value}")
    return value


def cluster_params(address=None, workers=None) -> dict:
    """The job input's ``"cluster"`` entry, both values checked: ``{"address": str, "workers": int}``."""
    return {"address": parse_scheduler_address(address), "workers": parse_workers(workers)}
