"""Errors of the ONNX importer, and the escaping that keeps a model's
names from changing the MLIR text or splitting an error message."""


class ImportError_(Exception):
    """An error in the model, with the node it concerns."""


class InternalError(ImportError_):
    """An unexpected exception met while importing a model (a bug of the
    importer, or a check it lacks), reported as one line like model errors."""


def mlir_string(text):
    """`text` escaped for the inside of an MLIR string literal, as MLIR
    prints strings: a backslash doubled, every byte outside printable ASCII
    (and the quote) as a two-hex-digit escape (\\22, \\0A, ...). A model's
    names never reach the MLIR text unescaped: a quote would end the
    literal and let the rest of the name become IR."""
    out = []
    for b in str(text).encode("utf-8", "backslashreplace"):
        if b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F and b != 0x22:
            out.append(chr(b))
        else:
            out.append(f"\\{b:02X}")
    return "".join(out)
