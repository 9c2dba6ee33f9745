"""Rebuild medians.json: the stroke medians of the most frequent characters.

    python tests/data/strokes/make_set.py /path/to/hanzi-writer-data/package [count]

Frequencies come from jieba's dict.txt; characters missing from the data are skipped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jieba


def frequent_characters() -> list[str]:
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    singles: list[tuple[int, str]] = []
    with dictionary.open(encoding="utf-8") as lines:
        for line in lines:
            word, freq, *_ = line.split()
            if len(word) == 1 and "\u4e00" <= word <= "\u9fff":
                singles.append((int(freq), word))
    return [char for _, char in sorted(singles, reverse=True)]


def main() -> None:
    package = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    chars: dict[str, list[list[int]]] = {}
    for char in frequent_characters():
        data_file = package / f"{char}.json"
        if not data_file.is_file():
            continue
        medians = json.loads(data_file.read_text(encoding="utf-8"))["medians"]
        chars[char] = [[c for point in median for c in point] for median in medians]
        if len(chars) == count:
            break
    out = Path(__file__).with_name("medians.json")
    text = json.dumps({"format": "x,y pairs flattened per stroke; 1024 box, y up, "
                                 "baseline at y = -124",
                       "chars": chars}, ensure_ascii=False, separators=(",", ":"))
    out.write_text(text + "\n", encoding="utf-8")
    print(f"{len(chars)} characters, {out.stat().st_size} bytes -> {out}")


if __name__ == "__main__":
    main()
