"""``shuoshi COMMAND …``: ``server`` goes to the central server, ``run`` to the demo launcher,
every other command to the kiosk.

The kiosk and the server install apart (``shuoshiting[kiosk]``, ``shuoshiting[server]``) and
neither imports the other, so the one ``shuoshi`` name is kept here, above both: the module
behind a command is imported only when that command is given. A kiosk installed without the
server (or a server without Kivy) still has a working ``shuoshi``, and says what to install
when asked for the part it lacks.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

EXIT_NOT_INSTALLED = 2


@dataclass(frozen=True)
class Route:
    module: str  # has main(argv, prog) -> int
    extra: str  # what to install when its dependencies are missing


ROUTES = {
    "server": Route("server.cli", "server"),
    "run": Route("demo.cli", "demo"),
}
KIOSK = Route("kiosk.cli", "kiosk")
OUR_PACKAGES = {"assets", "demo", "device", "kiosk", "server", "shuoshi", "sync"}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    command = args[0] if args else ""
    route = ROUTES.get(command)
    try:
        module = importlib.import_module((route or KIOSK).module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in OUR_PACKAGES:
            raise  # a fault of ours, not a missing dependency
        extra = (route or KIOSK).extra
        print(f"shuoshi {command}: {exc.name} is not installed here; this part is installed "
              f"with: pip install 'shuoshiting[{extra}]'", file=sys.stderr)
        return EXIT_NOT_INSTALLED
    if route is None:
        return int(module.main(args))
    return int(module.main(args[1:], prog=f"shuoshi {command}"))


if __name__ == "__main__":
    sys.exit(main())
