"""The ONNX importer (quantopt-import): ONNX models to MLIR, linalg on
tensors plus qnn / quant ops for quantized operators.

core.py      the Importer: value, type and shape bookkeeping, emission
             helpers, the driver loop
errors.py    ImportError_, InternalError, mlir_string() (name escaping)
checks.py    validation against the ONNX operator specs (attributes,
             operands, constant tensors, scales, window geometry)
registry.py  ONNX op type -> handler; supported_ops()
quantized.py, math.py, nn.py, tensor.py, logic.py, resize.py
             the operators, one module per family
api.py       import_model(), float_values(), main()
"""
from . import logic, math, nn, quantized, resize, tensor  # noqa: F401  (they register their operators)
from .api import float_values, import_model, main
from .core import ImportError_, Importer, InternalError, mlir_string
from .registry import supported_ops

__all__ = ["ImportError_", "Importer", "InternalError", "float_values", "import_model", "main", "mlir_string",
           "supported_ops"]
