# lit configuration of QuantOpt's regression tests.
import os

import lit.formats
import lit.util
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QuantOpt"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quantopt_obj_root, "test")
# Inputs/ hold helper files of tests; Unit/ is run through its own config.
config.excludes = ["Inputs", "CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", config.shlibext))
# Debian's NumPy belongs to /usr/bin/python3, not the python3 first on PATH.
config.substitutions.append(("%python", config.quantopt_python))
config.substitutions.append(("%quantopt_src_root", config.quantopt_src_root))
config.substitutions.append(("%quantopt_tools_dir", config.quantopt_tools_dir))
config.substitutions.append(
    ("%mlir_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_runner_utils" + config.shlibext)))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_c_runner_utils" + config.shlibext)))
# A plain reference lowering to LLVM for execution tests of single passes;
# the optimized CPU pipeline has its own tests.
config.substitutions.append(
    ("%lower-to-llvm",
     "--one-shot-bufferize=bufferize-function-boundaries "
     "--convert-linalg-to-loops --convert-vector-to-scf --convert-scf-to-cf "
     "--expand-strided-metadata --lower-affine --convert-vector-to-llvm "
     "--finalize-memref-to-llvm --convert-math-to-llvm "
     "--convert-arith-to-llvm --convert-func-to-llvm --convert-cf-to-llvm "
     "--reconcile-unrealized-casts"))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.use_default_substitutions()

tool_dirs = [config.quantopt_tools_dir, config.llvm_tools_dir]
tools = ["quant-opt", "quant-run", "quant-compile", "quant-stats", "quant-fuzz", "mlir-opt", "mlir-runner", "QuantOptUnitTests",
         ToolSubst("%quant-opt", "quant-opt", unresolved="fatal")]
llvm_config.add_tool_substitutions(tools, tool_dirs)

def amx_granted():
    """Whether Linux hands this process the AMX tile state (what quant-run
    --target=amx asks for): arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.syscall(158, 0x1023, 18) == 0
    except (OSError, AttributeError):
        return False


# The VNNI micro-kernels run only where the CPU has AVX512-VNNI (the AMX ones
# where it has AMX and Linux grants it); the generic kernels are tested
# everywhere.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = cpuinfo.read().split()
        if "avx512_vnni" in flags:
            config.available_features.add("avx512vnni")
        if "amx_int8" in flags and "amx_tile" in flags and amx_granted():
            config.available_features.add("amx")
except OSError:
    pass
