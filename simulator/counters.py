"""Canon billing counters of one simulated device.

The device keeps a few primitive tallies (impressions by function, colour and size; two-sided
impressions; scans by colour and size) and derives every Canon counter ID from them, so the
invariants from research/canon-device-protocols.md §7.1 hold by construction:
101 = 103 + 104, 102 = 101 + 103, 108 = 112 + 113, 109 = 108 + 112, 112 + 113 + 122 + 123 = 101,
124 = (122 + 123) + 122, 125 = 122 + 123, 501 = 503 + 504, 201 + 301 <= 101.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Tuple

# Sizes Canon counts as "large" (media >= 364 mm long; B4 and smaller count as small at shipment).
LARGE_SIZES = frozenset({"A3", "SRA3", "11X17", "TABLOID", "LEDGER", "12X18", "13X19"})
FUNCTIONS = ("copy", "print", "other")   # "other" = reports, received faxes printed, lists
COLOURS = ("bw", "color")
SIZES = ("large", "small")


def size_class(size: str) -> str:
    return "large" if size.upper().replace(" ", "") in LARGE_SIZES else "small"


@dataclass
class Tallies:
    impressions: Dict[Tuple[str, str, str], int] = field(default_factory=dict)  # (function, colour, size)
    two_sided: int = 0                                                        # impressions on 2-sided sheets
    scans: Dict[Tuple[str, str], int] = field(default_factory=dict)           # (colour, size)

    def imp(self, function: str = None, colour: str = None, size: str = None) -> int:
        return sum(v for (f, c, s), v in self.impressions.items()
                   if (function is None or f == function) and (colour is None or c == colour)
                   and (size is None or s == size))

    def scan(self, colour: str = None, size: str = None) -> int:
        return sum(v for (c, s), v in self.scans.items()
                   if (colour is None or c == colour) and (size is None or s == size))


# Canon counter ID -> (device label, formula over the tallies). Labels are what the device
# shows on its Counter Check screen (IDs and labels as in docs/counters.md: 229/230/321/322 are the
# copy/print colour-by-size counters real iR-ADV devices number so); 105/106/114 labels are inferred.
COUNTER_DEFINITIONS: Dict[int, Tuple[str, Callable[[Tallies], int]]] = {
    101: ("Total 1", lambda t: t.imp()),
    102: ("Total 2", lambda t: t.imp() + t.imp(size="large")),
    103: ("Total (Large)", lambda t: t.imp(size="large")),
    104: ("Total (Small)", lambda t: t.imp(size="small")),
    105: ("Total (Full Color 1)", lambda t: t.imp(colour="color")),
    106: ("Total (Full Color 2)", lambda t: t.imp(colour="color") + t.imp(colour="color", size="large")),
    108: ("Total (Black 1)", lambda t: t.imp(colour="bw")),
    109: ("Total (Black 2)", lambda t: t.imp(colour="bw") + t.imp(colour="bw", size="large")),
    112: ("Total (Black/Large)", lambda t: t.imp(colour="bw", size="large")),
    113: ("Total (Black/Small)", lambda t: t.imp(colour="bw", size="small")),
    114: ("Total 1 (2-Sided)", lambda t: t.two_sided),
    122: ("Total (Full Color + Single Color/Large)", lambda t: t.imp(colour="color", size="large")),
    123: ("Total (Full Color + Single Color/Small)", lambda t: t.imp(colour="color", size="small")),
    124: ("Total (Full Color + Single Color 2)",
          lambda t: t.imp(colour="color") + t.imp(colour="color", size="large")),
    125: ("Total (Full Color + Single Color 1)", lambda t: t.imp(colour="color")),
    201: ("Copy (Total 1)", lambda t: t.imp(function="copy")),
    202: ("Copy (Total 2)", lambda t: t.imp(function="copy") + t.imp(function="copy", size="large")),
    203: ("Copy (Large)", lambda t: t.imp(function="copy", size="large")),
    204: ("Copy (Small)", lambda t: t.imp(function="copy", size="small")),
    221: ("Copy (Black 1)", lambda t: t.imp(function="copy", colour="bw")),
    222: ("Copy (Black 2)", lambda t: t.imp(function="copy", colour="bw") + t.imp(function="copy", colour="bw",
                                                                                  size="large")),
    227: ("Copy (Black/Large)", lambda t: t.imp(function="copy", colour="bw", size="large")),
    228: ("Copy (Black/Small)", lambda t: t.imp(function="copy", colour="bw", size="small")),
    229: ("Copy (Full Color + Single Color/Large)", lambda t: t.imp(function="copy", colour="color", size="large")),
    230: ("Copy (Full Color + Single Color/Small)", lambda t: t.imp(function="copy", colour="color", size="small")),
    301: ("Print (Total 1)", lambda t: t.imp(function="print")),
    302: ("Print (Total 2)", lambda t: t.imp(function="print") + t.imp(function="print", size="large")),
    303: ("Print (Large)", lambda t: t.imp(function="print", size="large")),
    304: ("Print (Small)", lambda t: t.imp(function="print", size="small")),
    313: ("Print (Black 1)", lambda t: t.imp(function="print", colour="bw")),
    319: ("Print (Black/Large)", lambda t: t.imp(function="print", colour="bw", size="large")),
    320: ("Print (Black/Small)", lambda t: t.imp(function="print", colour="bw", size="small")),
    321: ("Print (Full Color + Single Color/Large)",
          lambda t: t.imp(function="print", colour="color", size="large")),
    322: ("Print (Full Color + Single Color/Small)",
          lambda t: t.imp(function="print", colour="color", size="small")),
    501: ("Scan (Total 1)", lambda t: t.scan()),
    503: ("Scan (Large)", lambda t: t.scan(size="large")),
    504: ("Scan (Small)", lambda t: t.scan(size="small")),
    507: ("Black Scan (Large)", lambda t: t.scan(colour="bw", size="large")),
    508: ("Black Scan (Small)", lambda t: t.scan(colour="bw", size="small")),
}


class CounterModel:
    """Tallies plus the operations that move them (print, copy, scan)."""

    def __init__(self, color_capable: bool, large_capable: bool) -> None:
        self.tallies = Tallies()
        self.color_capable = color_capable
        self.large_capable = large_capable
        self.life_count_offset = 0

    def seed(self, rng: random.Random, total_range: List[int], mix: Dict[str, float]) -> None:
        """Give a used device a plausible history (deterministic for a given rng)."""
        if not total_range:
            return
        total = rng.randint(int(total_range[0]), int(total_range[1]))
        colour_share = mix.get("color", 0.0) if self.color_capable else 0.0
        large_share = mix.get("large", 0.0) if self.large_capable else 0.0
        copy_share, other_share = mix.get("copy", 0.0), mix.get("other", 0.0)
        cells = [(f, c, s) for f in FUNCTIONS for c in COLOURS for s in SIZES]
        shares = {cell: ((copy_share if cell[0] == "copy" else other_share if cell[0] == "other"
                          else 1.0 - copy_share - other_share)
                         * (colour_share if cell[1] == "color" else 1.0 - colour_share)
                         * (large_share if cell[2] == "large" else 1.0 - large_share)) for cell in cells}
        remaining = total
        for cell in cells:
            n = max(0, min(int(total * shares[cell] * rng.uniform(0.9, 1.1)), remaining))
            remaining -= n
            if n:
                self.tallies.impressions[cell] = n
        # the rounding rest goes to the commonest kind of page, never to one the device cannot make
        biggest = max(cells, key=lambda cell: shares[cell])
        if remaining:
            self.tallies.impressions[biggest] = self.tallies.impressions.get(biggest, 0) + remaining
        self.tallies.two_sided = int(total * mix.get("duplex", 0.0)) // 2 * 2
        scans = int(total * mix.get("scans", 0.0))
        if scans:
            large_scans = int(scans * large_share)
            colour_scans = int(scans * 0.3)
            self.tallies.scans = {
                ("color", "large"): colour_scans * large_scans // max(scans, 1),
                ("bw", "large"): large_scans - colour_scans * large_scans // max(scans, 1),
            }
            small = scans - large_scans
            self.tallies.scans[("color", "small")] = colour_scans - self.tallies.scans[("color", "large")]
            self.tallies.scans[("bw", "small")] = small - self.tallies.scans[("color", "small")]

    def output(self, pages: int, size: str = "A4", color: bool = False, sides: int = 1,
               function: str = "print") -> Dict[str, int]:
        """Print or copy ``pages`` impressions; returns the impressions actually counted."""
        if function not in ("print", "copy", "other"):
            raise ValueError("function must be print, copy or other")
        if pages < 0:
            raise ValueError("pages must be >= 0")
        if color and not self.color_capable:
            raise ValueError("this model cannot print in colour")
        cls = size_class(size)
        if cls == "large" and not self.large_capable:
            raise ValueError("this model cannot print %s" % size)
        key = (function, "color" if color else "bw", cls)
        self.tallies.impressions[key] = self.tallies.impressions.get(key, 0) + pages
        if sides == 2:
            # every impression of a 2-sided job lands on a 2-sided sheet except a trailing odd page
            self.tallies.two_sided += pages - (pages % 2)
        return {"impressions": pages}

    def scan(self, pages: int, size: str = "A4", color: bool = False) -> Dict[str, int]:
        if pages < 0:
            raise ValueError("pages must be >= 0")
        key = ("color" if color else "bw", size_class(size))
        self.tallies.scans[key] = self.tallies.scans.get(key, 0) + pages
        return {"scans": pages}

    def value(self, counter_id: int) -> int:
        return COUNTER_DEFINITIONS[counter_id][1](self.tallies) & 0xFFFFFFFF

    def values(self) -> Dict[int, int]:
        return {cid: self.value(cid) for cid in COUNTER_DEFINITIONS}

    @property
    def life_count(self) -> int:
        return max(0, self.tallies.imp() + self.life_count_offset)


def label(counter_id: int) -> str:
    return COUNTER_DEFINITIONS[counter_id][0]
