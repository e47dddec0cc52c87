"""The operator registry of the ONNX importer: ONNX op type -> handler.

Each op family module (quantized.py, math.py, nn.py, tensor.py) registers
its handlers with @register("OpType"); the importer dispatches on the node's
op type, and supported_ops() is the list tests enumerate.
"""
import collections

# handler(importer, node) -> (ssa, shape) of node.output[0], or None when
# the node only defines constants or records its results itself.
# float_only: every input that is a computed value must be an f32 tensor.
# argument_types(importer, node) -> {graph input name: element type}: the
# quantized types of graph inputs this op reads (decided before any code
# is emitted, as they are the function's argument types).
Op = collections.namedtuple("Op", "op_type handler float_only argument_types")

_OPS = {}


def register(op_type, *, float_only=False, argument_types=None):
    """Decorator registering the handler of the ONNX operator `op_type`
    (default domain)."""
    def wrap(handler):
        if op_type in _OPS:
            raise ValueError(f"ONNX operator {op_type} is registered twice")
        _OPS[op_type] = Op(op_type, handler, float_only, argument_types)
        return handler
    return wrap


def lookup(op_type):
    """The registered Op of `op_type`, or None."""
    return _OPS.get(op_type)


def supported_ops():
    """ONNX op types the importer translates, sorted."""
    return sorted(_OPS)
