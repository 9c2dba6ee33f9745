"""``shuoshi-server`` (also ``shuoshi server``): the central server, provisioning, staff tools."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from server import DEFAULT_WORKERS, cli_fleet, cli_staff
from sync.contract import logs

DEFAULT_DB = "sqlite:///var/server.db"
EXIT_NOT_INSTALLED = 2
OUR_PACKAGES = {"assets", "demo", "device", "kiosk", "server", "shuoshi", "sync"}


def parser(prog: str = "shuoshi-server") -> argparse.ArgumentParser:
    sv = argparse.ArgumentParser(prog=prog, description="the reference central server")
    sv.add_argument("--db", default=DEFAULT_DB)
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8765)
    sv.add_argument("--attachments", type=Path, default=Path("var/attachments"))
    sv.add_argument("--certfile", type=Path, help="serve HTTPS with this certificate (PEM)")
    sv.add_argument("--keyfile", type=Path, help="the certificate's private key (PEM)")
    sv.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                    help="worker processes (default 1, for a Pi-sized box; one per core on a "
                         "larger server)")
    sv.add_argument("--max-concurrency", type=int, metavar="K",
                    help="requests inside each worker at once; more wait briefly or are "
                         "answered 503 with Retry-After (default 4, always below the database "
                         "pool)")
    sv.add_argument("--no-access-log", dest="access_log", action="store_false",
                    help="do not write the shuoshi.access line for each request")
    sv.set_defaults(handler=run_server)
    sv_sub = sv.add_subparsers(dest="server_command")
    cli_staff.add_commands(sv_sub)
    cli_fleet.add_commands(sv_sub)
    return sv


def main(argv: list[str] | None = None, prog: str = "shuoshi-server") -> int:
    args = parser(prog).parse_args(argv)
    logs.configure()
    try:
        return int(args.handler(args))
    except ModuleNotFoundError as exc:
        # A kiosk installed without the server still has this command: say what to install.
        if (exc.name or "").split(".")[0] in OUR_PACKAGES:
            raise
        print(f"{prog}: {exc.name} is not installed here; the central server is installed "
              "with: pip install 'shuoshiting[server]'", file=sys.stderr)
        return EXIT_NOT_INSTALLED


def run_server(args: argparse.Namespace) -> int:
    from server import serve

    if args.db.startswith("sqlite:///"):
        Path(args.db.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    serve(args.db, args.host, args.port, staff_token=os.environ.get("SHUOSHI_STAFF_TOKEN"),
          attachments_dir=args.attachments, certfile=args.certfile, keyfile=args.keyfile,
          workers=max(1, args.workers), max_concurrency=args.max_concurrency,
          access_log=args.access_log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
