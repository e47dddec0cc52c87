"""Runs a library quant-compile wrote, on NumPy arrays, with ctypes.

    from quantopt import runtime
    lib = runtime.load("libdigits.so")
    y = lib.main(x)          # the compiled function @main

Every exported function is an attribute of the library, named after the MLIR
function. It takes one array per input, checks its dtype and shape, and
returns the result (a tuple when there are several). Nothing but NumPy and
the library is needed at run time.
"""
import ctypes
import json
import os

import numpy as np


class LibraryError(RuntimeError):
    """A compiled call failed, or the library cannot be used."""


def _name_from_path(path):
    stem = os.path.basename(path).split(".")[0]
    return stem[3:] if stem.startswith("lib") else stem


def _dims(shape):
    return "[" + ", ".join("?" if d < 0 else str(d) for d in shape) + "]"


class Function:
    """One exported function: call it with one array per input. A dimension
    the library declares dynamic (-1 in `inputs` / `results`) takes any size;
    a result of dynamic shape comes back in a new array."""

    def __init__(self, library, spec):
        self.name = spec["name"]
        self.inputs = [(np.dtype(t["dtype"]), tuple(t["shape"])) for t in spec["inputs"]]
        self.results = [(np.dtype(t["dtype"]), tuple(t["shape"])) for t in spec["results"]]
        self._library = library
        self._call = getattr(library._dll, spec["symbol"])
        self._call.restype = ctypes.c_int
        # The C parameters, in order (see the generated header).
        argtypes = []
        for _, shape in self.inputs:
            argtypes.append(ctypes.c_void_p)
            if -1 in shape:
                argtypes.append(ctypes.POINTER(ctypes.c_int64))
        for _, shape in self.results:
            if -1 in shape:
                argtypes += [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_int64)]
            else:
                argtypes.append(ctypes.c_void_p)
        self._call.argtypes = argtypes

    def __repr__(self):
        def sig(ts):
            return ", ".join(f"{d}{_dims(s)}" for d, s in ts)
        return f"<{self._library.name}.{self.name}({sig(self.inputs)}) -> ({sig(self.results)})>"

    def __call__(self, *arrays):
        if len(arrays) != len(self.inputs):
            raise TypeError(f"{self.name}() takes {len(self.inputs)} arrays, {len(arrays)} given")
        args, keep = [], []
        for i, (array, (dtype, shape)) in enumerate(zip(arrays, self.inputs)):
            array = np.asarray(array)
            if array.dtype != dtype:
                raise TypeError(f"{self.name}(): input {i} is {array.dtype}, the library takes {dtype}")
            if len(array.shape) != len(shape) or any(
                    d >= 0 and d != a for a, d in zip(array.shape, shape)):
                raise ValueError(f"{self.name}(): input {i} has shape {array.shape}, "
                                 f"the library takes {_dims(shape)}")
            array = np.ascontiguousarray(array)
            keep.append(array)
            args.append(array.ctypes.data)
            if -1 in shape:
                dims = (ctypes.c_int64 * max(len(shape), 1))(*array.shape)
                keep.append(dims)
                args.append(dims)
        results, returned = [], []
        for dtype, shape in self.results:
            if -1 in shape:
                pointer, dims = ctypes.c_void_p(), (ctypes.c_int64 * max(len(shape), 1))()
                returned.append((len(results), dtype, pointer, dims, len(shape)))
                results.append(None)
                args += [ctypes.byref(pointer), dims]
            else:
                results.append(np.empty(shape, dtype))
                args.append(results[-1].ctypes.data)
        status = self._call(*args)
        # A buffer the library allocated is copied out and freed.
        for i, dtype, pointer, dims, rank in returned:
            if not pointer.value:
                continue
            shape = tuple(dims[:rank])
            size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            data = (ctypes.c_char * size).from_address(pointer.value)
            results[i] = np.frombuffer(data, dtype).reshape(shape).copy()
            self._library._free(pointer)
        if status != 0:
            raise LibraryError(f"{self.name}(): {self._library.status_message(status)} (status {status})")
        return results[0] if len(results) == 1 else tuple(results)


class Library:
    """A library loaded with ctypes; its functions are attributes."""

    def __init__(self, path, name=None):
        self.path = path
        self.name = name or _name_from_path(path)
        try:
            self._dll = ctypes.CDLL(os.path.abspath(path))
        except OSError as e:
            raise LibraryError(f"cannot load '{path}': {e}") from None
        try:
            signature = getattr(self._dll, f"{self.name}_signature")
        except AttributeError:
            raise LibraryError(f"'{path}' has no {self.name}_signature(): not a quant-compile library, "
                        f"or compiled with another --name (pass name=)") from None
        signature.restype = ctypes.c_char_p
        self.signature = json.loads(signature().decode())
        self._message = getattr(self._dll, f"{self.name}_status_message")
        self._message.restype = ctypes.c_char_p
        self._message.argtypes = [ctypes.c_int]
        self._set_threads = getattr(self._dll, f"{self.name}_set_num_threads")
        self._set_threads.argtypes = [ctypes.c_int]
        self._free = getattr(self._dll, f"{self.name}_free")
        self._free.argtypes = [ctypes.c_void_p]
        self._free.restype = None
        self.functions = {}
        for spec in self.signature["functions"]:
            function = Function(self, spec)
            self.functions[function.name] = function
            if not hasattr(self, function.name):
                setattr(self, function.name, function)

    def __getitem__(self, name):
        return self.functions[name]

    def status_message(self, status):
        return self._message(status).decode()

    def set_num_threads(self, threads):
        status = self._set_threads(int(threads))
        if status != 0:
            raise LibraryError(f"set_num_threads({threads}): {self.status_message(status)}")


def load(path, name=None):
    """Loads a quant-compile library; `name` is its --name when it is not
    the file's (libdigits.so -> digits)."""
    return Library(path, name)
