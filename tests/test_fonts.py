from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from kiosk.fonts import MissingFontError, find_cjk_font
from tests.conftest import shuoshi


def test_system_font_draws_simplified_chinese() -> None:
    font = ImageFont.truetype(str(find_cjk_font()), 32)

    def drawn(text: str) -> bytes:
        image = Image.new("L", (40, 40), 0)
        ImageDraw.Draw(image).text((2, 2), text, font=font, fill=255)
        return image.tobytes()

    # 说 (simplified) and 說 (traditional) are different glyphs, and neither is the
    # missing-glyph box that a private-use character gets.
    assert any(drawn("说"))
    assert drawn("说") != drawn("說")
    assert drawn("说") != drawn("\ue000")


def test_configured_font_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFontError, match="no such file"):
        find_cjk_font(str(tmp_path / "nope.ttf"))


def test_kiosk_refuses_to_start_without_its_font(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[store]\npath = "{tmp_path}/k.db"\n[screen]\nfont = "{tmp_path}/x.ttf"\n',
                      encoding="utf-8")
    result = shuoshi("kiosk", "--config", str(config))
    assert result.returncode == 2
    assert "font error" in result.stderr and "x.ttf" in result.stderr
    assert "apt install fonts-wqy-microhei" in result.stderr
    assert not (tmp_path / "k.db").exists()
