"""Compatibility module: the ONNX importer is the package quantopt.onnx
(core, checks, registry and one module per op family). This keeps
`from quantopt import onnx_import` working for driver.py, the tests and
outside scripts."""
import sys

import onnx  # noqa: F401  (the ONNX package: driver.py takes it from here)

from .onnx import ImportError_, InternalError, float_values, import_model, main, supported_ops  # noqa: F401

__all__ = ["ImportError_", "InternalError", "float_values", "import_model", "main", "onnx", "supported_ops"]

if __name__ == "__main__":
    sys.exit(main())
