"""公示栏, 便民服务 and 说事日程 on the kiosk, from the last pulled catalog."""

from __future__ import annotations


class BoardFlow:
    """KioskApp's part for the hall's information screens."""

    def show_notices(self) -> None:
        raise NotImplementedError

    def show_services(self) -> None:
        raise NotImplementedError

    def show_schedule(self) -> None:
        raise NotImplementedError
