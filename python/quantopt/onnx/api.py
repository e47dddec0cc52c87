"""ONNX -> MLIR (linalg on tensors) importer.

    quantopt-import model.onnx -o model.mlir [--batch N] [--dim NAME=N]...
                    [--input-shape NAME=D0xD1x...]... [--expose VALUE]...

Emits one function @main with the graph's inputs and outputs (then any
exposed intermediate values); initializers become dense constants; every op
carries its node's name as location, so calibration observers and error
messages name the node. An operator or attribute outside the supported
subset, or a model the ONNX operator specs reject, is a one-line error
naming the node (exit code 1), never a traceback.
"""
import argparse
import os
import re
import sys

from .core import ImportError_, Importer, load


def import_model(path, batch=1, expose=(), dims=None, shapes=None):
    """MLIR text of the ONNX model at `path`; the values named in `expose`
    become extra results after the graph outputs (for per-layer
    comparisons); `dims` sizes symbolic input dimensions by name (as ONNX
    Runtime's free dimension overrides), `shapes` gives whole input shapes
    by input name. Raises ImportError_ (InternalError for bugs)."""
    model = load(path)
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    unknown = sorted(set(shapes or {}) - set(inputs))
    if unknown:
        raise ImportError_(f"--input-shape names no graph input: {', '.join(unknown)} (inputs: "
                           f"{', '.join(inputs)})")
    return Importer(model, batch, expose, dims, shapes).guarded_run()


def float_values(path):
    """Names of the ONNX values the imported code computes as f32 tensors
    (what can be exposed and compared between FP32 and INT8)."""
    importer = Importer(load(path), 1)
    importer.guarded_run()
    return {name for name in importer.values if importer.elem(name) == "f32"}


def _one_line(message):
    """Control characters (a newline in a name, in an exception's text) as
    \\XX escapes: every error is one line."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\{ord(m.group()):02X}", str(message))


def _error(message):
    print(f"quantopt-import: error: {_one_line(message)}", file=sys.stderr)
    return 1


def write_output(path, text):
    """Writes `text` to the file `path` ("-": stdout); raises OSError. A
    failed write leaves no truncated file behind."""
    if path == "-":
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError:
            try:  # stdout is unusable: keep Python from failing again at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            raise
        return
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError:
        if os.path.isfile(path):
            try:
                os.remove(path)
            except OSError:
                pass
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(prog="quantopt-import", description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("-o", "--output", default="-")
    parser.add_argument("--batch", type=int, default=1, help="size of a symbolic leading dimension")
    parser.add_argument("--dim", action="append", default=[], metavar="NAME=N",
                        help="size of the symbolic input dimension NAME (repeatable; e.g. sequence=128)")
    parser.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0xD1x...",
                        help="the whole shape of graph input NAME (repeatable; e.g. input=1x3x224x224)")
    parser.add_argument("--expose", action="append", default=[], metavar="VALUE",
                        help="also return this intermediate ONNX value (repeatable)")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    dims = {}
    for spec in args.dim:
        name, _, size = spec.partition("=")
        if not name or not size.isdigit() or int(size) < 1:
            parser.error(f"--dim {spec}: expected NAME=N with N at least 1")
        dims[name] = int(size)
    shapes = {}
    for spec in args.input_shape:
        name, _, dims_text = spec.rpartition("=")
        sizes = dims_text.split("x")
        if not name or not all(d.isdigit() and int(d) >= 1 for d in sizes):
            parser.error(f"--input-shape {spec}: expected NAME=D0xD1x... with every dimension at least 1")
        shapes[name] = [int(d) for d in sizes]
    try:
        text = import_model(args.model, args.batch, args.expose, dims, shapes)
    except ImportError_ as e:
        return _error(e)
    except Exception as e:  # outside the importer's own guard: still one line
        return _error(f"internal error: {type(e).__name__}: {e} (a bug of quantopt-import, please report it)")
    try:
        write_output(args.output, text)
    except OSError as e:
        where = "the output" if args.output == "-" else f"'{args.output}'"
        return _error(f"cannot write {where}: {e.strerror or e}")
    return 0
