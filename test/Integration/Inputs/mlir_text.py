"""MLIR text for the execution tests' generated models."""


def qtype(storage, scale, zp, axis=None):
    """!quant.uniform per tensor (scalar scale/zp) or per axis (lists)."""
    if axis is None:
        return f"!quant.uniform<{storage}:f32, {scale!r}:{zp}>"
    pairs = ", ".join(f"{s!r}:{z}" for s, z in zip(scale, zp))
    return f"!quant.uniform<{storage}:f32:{axis}, {{{pairs}}}>"


def dense(values):
    """A nested-list literal for dense<...> from a NumPy array (or nested
    lists); floats print with repr, which round-trips."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, list):
        return "[" + ", ".join(dense(v) for v in values) + "]"
    return repr(values)
