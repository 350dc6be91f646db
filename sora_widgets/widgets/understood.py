"""What the engine made of a prompt, in a line a user can act on (issue 14 item 5).

The sim engine reports, in a clip's ``meta``, the scene it drew (``scene.objects``),
the words it could not place (``unparsed``), what it drew instead of what was asked
(``substitutions``: "horse drawn as a dog", issue 18 item 6), what a negative prompt
left out (``left_out``) and its notes (caps, long prompts). Silently simplifying a prompt
surprises people ("backflip" and "paddleboard" vanish without a word); this line
says so and suggests rephrasing. Engines that draw from the whole prompt (the
diffusers models) report none of these, and the line stays empty.
"""

from __future__ import annotations

from typing import Any

from ._messages import html_escape

__all__ = ["understood_html"]


def _drawn(scene: dict) -> list[str]:
    out = []
    for g in scene.get("objects", []) or []:
        thing = str(g.get("thing") or "").replace("_", " ")  # a catalogue thing's key reads as its name
        if g.get("cut_out"):  # the start picture's thing (engines/sim/picture.py): its own pixels, no colour
            label = f"the {thing or g.get('kind', '?')} cut out of your picture"
        else:
            name = f"@{g['cameo']}" if g.get("cameo") else (thing or str(g.get("kind", "?")))
            colour = g.get("color")
            label = f"{colour} {name}" if colour and not g.get("cameo") else name
        count = int(g.get("count") or 1)
        out.append(f"{count} × {label}" if count > 1 else label)
    return out


def understood_html(meta: dict[str, Any]) -> str:
    """An HTML line (every value escaped) saying what was drawn, left out and not placed; "" if nothing to say.

    Args:
        meta: a clip's ``meta`` as the engine returned it.
    """
    scene = meta.get("scene")
    if not isinstance(scene, dict):
        return ""
    parts = []
    drawn = _drawn(scene)
    parts.append("drew " + (", ".join(drawn) if drawn else "nothing"))
    if meta.get("left_out"):
        parts.append("left out (negative prompt): " + ", ".join(map(str, meta["left_out"])))
    for note in meta.get("notes") or []:
        parts.append(str(note))
    unparsed = [str(w) for w in meta.get("unparsed") or []]
    substituted = [str(w) for w in meta.get("substitutions") or []]
    text = " · ".join(html_escape(p) for p in parts)
    if substituted:
        text += (" · <span class='sw-substituted'>drawn instead: <b>" + html_escape("; ".join(substituted))
                 + "</b></span>")
    if unparsed:
        text += (" · <span class='sw-unparsed'>not placed: <b>" + html_escape(", ".join(unparsed))
                 + "</b> — this engine does not know these words yet; rephrase with things it can draw"
                 + " (see docs/sim.md)</span>")
    return f"<small class='sw-understood'>{text}</small>"
