"""A PostgreSQL for the Odoo lane: the one named by SFAI_PG_* variables, or a throwaway cluster."""
import glob
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

from .lanes import log

ROLE = "sfai_test"  # Odoo refuses to run as the `postgres` role


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return found[0] if found else shutil.which(name)


class PostgresCluster:
    def __init__(self, host, port, user, password=None, data_dir=None, owner=None):
        self.host, self.port, self.user, self.password = host, port, user, password
        self.data_dir, self.owner = data_dir, owner

    @classmethod
    def from_env_or_new(cls, workdir):
        if os.environ.get("SFAI_PG_HOST"):
            user = os.environ.get("SFAI_PG_USER", "odoo")
            if user == "postgres":
                raise SystemExit("SFAI_PG_USER=postgres: Odoo refuses the postgres role; use another role")
            return cls(os.environ["SFAI_PG_HOST"], int(os.environ.get("SFAI_PG_PORT", 5432)), user,
                       os.environ.get("SFAI_PG_PASSWORD"))
        return cls._start_throwaway(Path(workdir))

    @classmethod
    def _start_throwaway(cls, workdir):
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise SystemExit("odoo lane: no PostgreSQL server binaries (initdb/pg_ctl) found; "
                             "install PostgreSQL or set SFAI_PG_HOST")
        owner = None
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: hand the cluster to an unprivileged OS user.
            for candidate in ("postgres", "nobody"):
                try:
                    pwd.getpwnam(candidate)
                    owner = candidate
                    break
                except KeyError:
                    continue
        workdir.mkdir(parents=True, exist_ok=True)
        data = workdir / "data"
        if owner:
            os.chmod(workdir.parent, 0o755)
            shutil.chown(workdir, owner)
        port = _free_port()
        cluster = cls("127.0.0.1", port, ROLE, data_dir=data, owner=owner)
        cluster._as_owner([initdb, "-D", str(data), "-U", ROLE, "--auth=trust", "-E", "UTF8",
                           "--locale=C.UTF-8"], workdir / "initdb.log")
        opts = (f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        cluster._as_owner([pg_ctl, "-D", str(data), "-o", opts, "-l", str(workdir / "server.log"), "-w",
                           "start"], workdir / "pg_ctl.log")
        log(f"odoo lane: throwaway PostgreSQL cluster on 127.0.0.1:{port} (OS user {owner or 'current'})")
        return cluster

    def _as_owner(self, cmd, log_path):
        if self.owner:
            cmd = ["runuser", "-u", self.owner, "--"] + cmd
        with open(log_path, "w") as out:
            result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd="/")
        if result.returncode:
            raise SystemExit(f"odoo lane: {' '.join(cmd)} failed:\n{Path(log_path).read_text()}")

    def psql(self, db, sql):
        env = {**os.environ, "PGPASSWORD": self.password or ""}
        return subprocess.run([_pg_bin("psql") or "psql", "-h", self.host, "-p", str(self.port), "-U", self.user,
                               "-d", db, "-tAc", sql], capture_output=True, text=True, env=env)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.data_dir is not None:
            self._as_owner([_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"],
                           self.data_dir.parent / "pg_stop.log")
        return False
