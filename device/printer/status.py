"""Printer state from the ESC/POS real-time status command (DLE EOT n)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

DLE_EOT = b"\x10\x04"
PRINTER_STATUS = 1  # n = 1: bit 3 = offline
OFFLINE_CAUSE = 2  # n = 2: bit 2 = cover open, bit 5 = stopped by paper end, bit 6 = error
PAPER_SENSOR = 4  # n = 4: bits 2-3 = roll near end, bits 5-6 = roll out
REPLY_MASK = 0x93  # bits 0, 1, 4 and 7 are fixed in every reply
REPLY_FIXED = 0x12  # ...as 0, 1, 1 and 0


class PrinterState(StrEnum):
    """What the kiosk knows about its printer; the order is how bad it is."""

    ONLINE = "online"  # ready to print
    PAPER_NEAR_END = "paper_near_end"  # prints, but staff should change the roll soon
    UNKNOWN = "unknown"  # no status reply (or a connection that cannot read back)
    COVER_OPEN = "cover_open"  # will not print until the cover is closed
    PAPER_OUT = "paper_out"  # will not print until paper is loaded
    ERROR = "error"  # cutter jam, overheating or another printer error
    OFFLINE = "offline"  # connected, but the printer reports itself offline
    UNREACHABLE = "unreachable"  # no connection: unplugged, switched off, wrong address

    @property
    def can_print(self) -> bool:
        """Worth sending a job: ready, or no way to know (never assume "paper OK")."""
        return self in (PrinterState.ONLINE, PrinterState.PAPER_NEAR_END, PrinterState.UNKNOWN)

    @property
    def confirms_a_job(self) -> bool:
        """Asked after a job: the printer is still ready, so the job went onto paper."""
        return self in (PrinterState.ONLINE, PrinterState.PAPER_NEAR_END)

    @property
    def label(self) -> str:
        """Plain Chinese for the screen and for staff."""
        return STATE_LABELS[self]


STATE_LABELS = {
    PrinterState.ONLINE: "正常",
    PrinterState.PAPER_NEAR_END: "纸将用完",
    PrinterState.UNKNOWN: "状态未知",
    PrinterState.COVER_OPEN: "纸仓盖未关",
    PrinterState.PAPER_OUT: "缺纸",
    PrinterState.ERROR: "打印机故障",
    PrinterState.OFFLINE: "打印机离线",
    PrinterState.UNREACHABLE: "打印机未连接",
}


def is_status_reply(byte: int) -> bool:
    return byte & REPLY_MASK == REPLY_FIXED


def request(n: int) -> bytes:
    return DLE_EOT + bytes((n,))


def state_from_replies(replies: dict[int, int]) -> PrinterState:
    """Combine the replies to DLE EOT 1, 2 and 4; a missing or malformed reply is unknown."""
    if any(not is_status_reply(byte) for byte in replies.values()):
        return PrinterState.UNKNOWN
    if PRINTER_STATUS not in replies:
        return PrinterState.UNKNOWN
    cause = replies.get(OFFLINE_CAUSE, REPLY_FIXED)
    paper = replies.get(PAPER_SENSOR, REPLY_FIXED)
    if paper & 0x60 or cause & 0x20:
        return PrinterState.PAPER_OUT
    if cause & 0x04:
        return PrinterState.COVER_OPEN
    if cause & 0x40:
        return PrinterState.ERROR
    if replies[PRINTER_STATUS] & 0x08:
        return PrinterState.OFFLINE
    if paper & 0x0C:
        return PrinterState.PAPER_NEAR_END
    return PrinterState.ONLINE


def replies_for(state: PrinterState) -> dict[int, int] | None:
    """What a printer in ``state`` answers (the virtual printer); None = no answer."""
    if state in (PrinterState.UNKNOWN, PrinterState.UNREACHABLE):
        return None
    offline = 0x08 if state not in (PrinterState.ONLINE, PrinterState.PAPER_NEAR_END) else 0
    cause = {PrinterState.COVER_OPEN: 0x04, PrinterState.PAPER_OUT: 0x20,
             PrinterState.ERROR: 0x40}.get(state, 0)
    paper = {PrinterState.PAPER_OUT: 0x6C, PrinterState.PAPER_NEAR_END: 0x0C}.get(state, 0)
    return {PRINTER_STATUS: REPLY_FIXED | offline, OFFLINE_CAUSE: REPLY_FIXED | cause,
            PAPER_SENSOR: REPLY_FIXED | paper}


def query_state(write: Callable[[bytes], object], read_one: Callable[[], bytes]) -> PrinterState:
    """Ask DLE EOT 1, 2 and 4 in turn; ``read_one`` returns b"" when the printer is silent."""
    replies: dict[int, int] = {}
    for n in (PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR):
        write(request(n))
        reply = read_one()
        if not reply:
            return PrinterState.UNKNOWN
        replies[n] = reply[-1]
    return state_from_replies(replies)
