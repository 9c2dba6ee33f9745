"""``shuoshi kiosk``, ``speak``, ``doctor``; the config is checked before any data."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import load_config
from kiosk.wiring import LaterParts, build_speech, mute_switch, prompt_renderer

if TYPE_CHECKING:
    from device.speech import SpeechService
    from kiosk.walkthrough import Walkthrough


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    k = sub.add_parser("kiosk", help="the touchscreen app")
    k.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    k.add_argument("--fullscreen", action="store_true")
    k.add_argument("--walkthrough", choices=["resident", "lookup"],
                   help="run a scripted resident instead of waiting for touches")
    k.add_argument("--shots", type=Path, default=Path("var/demo"),
                   help="where the walk-through saves screenshots")
    k.add_argument("--category", default="房屋设施与管网")
    k.add_argument("--phrase", default="下水道堵塞")
    k.add_argument("--ticket", default="", help="ticket typed in the lookup walk-through")
    k.add_argument("--ui-report", type=Path, metavar="FILE",
                   help="keep FILE up to date with what the screen shows (JSON: texts, buttons,"
                        " their boxes and the panel's pixels per mm)")
    k.set_defaults(handler=run_kiosk)

    sp = sub.add_parser("speak", help="say something with the configured voice")
    sp.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    sp.add_argument("text", nargs="?", help="what to say (not needed with the options below)")
    sp.add_argument("--out", type=Path, help="write a WAV file instead of playing")
    sp.add_argument("--prepare", action="store_true",
                    help="render every fixed prompt into the prompt cache now")
    mute = sp.add_mutually_exclusive_group()
    mute.add_argument("--mute", action="store_true", help="staff: silence the kiosk")
    mute.add_argument("--unmute", action="store_true", help="staff: let the kiosk speak again")
    sp.set_defaults(handler=run_speak)

    d = sub.add_parser("doctor", help="check font, speech, store and server")
    d.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    d.set_defaults(handler=run_doctor)


def run_kiosk(args: argparse.Namespace) -> int:
    """The first frame waits only for the config, the font, the window and the home screen;
    the store, the printer worker and the lookup are made after it (kiosk.wiring.LaterParts),
    the other screens and the prompt cache after it too (KioskApp.on_start). Prints
    FIRST_FRAME_MARKER when it is shown."""
    from kiosk.fonts import find_cjk_font
    from kiosk.kivy_setup import prepare_kivy, register_font

    cfg = load_config(args.config)
    font = find_cjk_font(cfg.screen.font)
    prepare_kivy(cfg.store.path.parent / "kivy", width=cfg.screen.width,
                 height=cfg.screen.height, fullscreen=args.fullscreen or cfg.screen.fullscreen)
    register_font(font)
    from device.speech import read_pinyin_in_a_helper

    read_pinyin_in_a_helper()  # pypinyin's 55 MB of tables live in a helper that comes and goes
    speech = build_speech(cfg)
    parts = LaterParts(cfg, font, speech)

    from kivy.clock import Clock

    from kiosk.app import KioskApp
    from kiosk.kivy_setup import FIRST_FRAME_MARKER, after_first_frame
    from kiosk.services import KioskServices

    services = KioskServices.made_later(cfg, speech, parts.intake.get, parts.lookup.get)
    services.render_prompts_apart = prompt_renderer(args.config)
    from kiosk.queue_flow import QueueDesk

    queue = QueueDesk(cfg, parts.store.get)  # 叫号: its link with the console is a thread
    starters: list[Callable[[KioskApp], None]] = [queue.start]
    if args.ui_report:
        from kiosk.ui_report import UiReport

        starters.append(UiReport(args.ui_report).start)
    if args.walkthrough:
        starters.append(lambda app: _walkthrough(args, parts, speech).start(app))

    def started(app: KioskApp) -> None:  # called after the first frame
        for start in starters:
            start(app)

    def failed(error: BaseException) -> None:
        def fail(_dt: float) -> None:  # on the UI thread: stops the app as a start-up error
            raise error

        Clock.schedule_once(fail)

    def first_frame() -> None:
        from sync.contract import sd_notify

        print(FIRST_FRAME_MARKER, flush=True)  # make bench times this
        sd_notify.ready("first frame")
        every = sd_notify.ping_interval()
        if every is not None:  # a frozen UI loop stops these, and systemd restarts the kiosk
            Clock.schedule_interval(lambda _dt: sd_notify.watchdog(), every)
        parts.start(on_error=failed)

    after_first_frame(first_frame)
    try:
        KioskApp(services, on_started=started).run()
    finally:
        queue.stop()
        parts.close(print_timeout=10.0)
        speech.close()
    return 0


def _walkthrough(args: argparse.Namespace, parts: LaterParts, speech: SpeechService
                 ) -> Walkthrough:
    from kiosk.scripts import lookup_path, resident_path
    from kiosk.walkthrough import Walkthrough
    from sync.contract.ticket import normalize

    if args.walkthrough == "resident":
        return Walkthrough(resident_path(args.shots, args.category, args.phrase,
                                         parts.intake.get(), speech))
    return Walkthrough(lookup_path(args.shots, normalize(args.ticket), speech))


def run_speak(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    switch = mute_switch(cfg.speech)
    if args.mute or args.unmute:
        switch.set(args.mute)
    if args.mute or args.unmute or switch.is_muted():
        why = "in the config" if switch.always else f"while {switch.flag_file} exists"
        print(f"speech is muted ({why})" if switch.is_muted() else "speech is on")
    if args.text is None and not args.prepare:
        return 0 if args.mute or args.unmute else _usage("speak: give TEXT, --prepare, "
                                                         "--mute or --unmute")
    speech = build_speech(cfg)
    try:
        if args.prepare:
            from kiosk.session import kiosk_prompts

            prompts = kiosk_prompts([(c.name, c.phrases) for c in cfg.categories],
                                    cfg.places.names)
            speech.prepare(prompts, prune=True)
            if not speech.wait_prepared(600):
                print("speech: the prompt cache was not ready within 600 s")
                return 1
            cache = speech.cache
            ready = 0 if cache is None else sum(cache.get(text) is not None for text in prompts)
            where = cache.folder if cache else "(no cache)"
            if cfg.speech.backend == "silent":
                print('speech is switched off (backend = "silent"): no prompts to cache')
            elif ready == 0:
                print(f"speech: no prompt could be cached in {where}: the {cfg.speech.backend} "
                      "engine failed on every one (see the warnings above; shuoshi doctor "
                      "checks the engine and voice)")
                return 1
            elif ready < len(prompts):
                print(f"speech: only {ready} of {len(prompts)} prompts cached in {where}: the "
                      "engine failed on the others (see the warnings above)")
                return 1
            else:
                print(f"{len(prompts)} prompts cached in {where}")
        if args.text is not None and args.out:
            speech.backend.synthesize(args.text, args.out)
            print(args.out)
        elif args.text is not None:
            speech.say(args.text)
            speech.wait_idle(120)
    finally:
        speech.close()
    return 0


def _usage(message: str) -> int:
    print(message)
    return 2


def run_doctor(args: argparse.Namespace) -> int:
    from kiosk.doctor import report

    return report(load_config(args.config))
