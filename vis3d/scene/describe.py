"""Nodes in words: a node's name (layer, channel, row and column, or output label) and its
one-line description (its value and its strongest incoming contributions)."""

from __future__ import annotations


def node_name(session, node: int) -> str:
    slab, local = session.layout.locate(node)
    if slab.kind == "output":
        labels = session.labels
        return f"output {'digit ' if session.digit_input else ''}" \
            f"{labels[local] if local < len(labels) else local}"
    if slab.is_map:
        c, r, col = slab.unravel(local)
        chan = "" if slab.kind == "input" else f" ch {c}"
        return f"{slab.name}{chan} ({r},{col})"
    return f"{slab.name} unit {local}"


def describe(session, node: int, inc, top: int = 5) -> str:
    """``inc``: the node's incoming edges (or None)."""
    slab, _ = session.layout.locate(node)
    raw = float(session.normaliser.raw[node])
    what = "p" if slab.kind == "output" else "act"
    text = f"{node_name(session, node)}  {what}={raw:.3f}"
    if inc is not None and len(inc.sources):
        parts = [f"{node_name(session, int(inc.sources[i]))} {inc.contributions[i]:+.2f}"
                 for i in inc.top(top)]
        text += f"  | {len(inc.sources) + inc.left_out} inputs, top: " + ", ".join(parts)
        if inc.left_out:
            text += f"  ({inc.left_out:,} weaker inputs not drawn)"
    elif inc is not None and inc.note:
        text += f"  | {inc.note}"
    return text
