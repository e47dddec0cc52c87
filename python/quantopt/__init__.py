"""QuantOpt's Python side: NumPy reference numerics, importer and driver."""
