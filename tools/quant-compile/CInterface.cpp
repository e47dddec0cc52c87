//===- CInterface.cpp - The C interface of a compiled module --------------===//

#include "CInterface.h"

#include "quantopt/Support/ElementTypes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <set>

using namespace mlir;
using namespace quantopt;

/// Names the library itself exports beside the functions.
static constexpr llvm::StringLiteral kReservedNames[] = {
    "status_message", "set_num_threads", "get_num_threads", "signature"};

bool quantopt::isCIdentifier(StringRef name) {
  if (name.empty() || llvm::isDigit(name.front()))
    return false;
  return llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

static std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// The exported form of one argument or result, or an error at `func`.
static FailureOr<ExportedTensor> describeTensor(func::FuncOp func, Type type,
                                                StringRef what) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::optional<NpyDType> dtype =
      tensor ? npyDTypeFor(tensor.getElementType()) : std::nullopt;
  if (!dtype)
    return func.emitError() << what << " is " << type
                            << ": the C interface passes ranked tensors of "
                               "float, integer, bool or quantized elements";
  return ExportedTensor{*dtype,
                        {tensor.getShape().begin(), tensor.getShape().end()},
                        typeString(type)};
}

FailureOr<ExportedModule>
quantopt::describeExports(ModuleOp module, StringRef prefix,
                          ArrayRef<std::string> only) {
  ExportedModule exports;
  exports.prefix = prefix.str();
  llvm::StringSet<> cNames;
  for (auto func : module.getOps<func::FuncOp>()) {
    bool named = llvm::is_contained(only, func.getSymName().str());
    if (func.isExternal() || (only.empty() ? !func.isPublic() : !named))
      continue;
    // C names: the MLIR name with every other character as '_'.
    std::string suffix = func.getSymName().str();
    for (char &c : suffix)
      if (!llvm::isAlnum(c) && c != '_')
        c = '_';
    if (llvm::is_contained(kReservedNames, suffix))
      return func.emitError() << SymbolRefAttr::get(func) << " would export "
                              << prefix << "_" << suffix
                              << ", which the library's own API uses";
    ExportedFunction exported;
    exported.mlirName = func.getSymName().str();
    exported.cName = (prefix + "_" + suffix).str();
    exported.implSymbol = (prefix + "__impl_" + suffix).str();
    if (!cNames.insert(exported.cName).second)
      return func.emitError() << SymbolRefAttr::get(func)
                              << " and another function both export "
                              << exported.cName;
    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
      auto tensor = describeTensor(func, type, "argument " + std::to_string(i));
      if (failed(tensor))
        return failure();
      exported.inputs.push_back(*tensor);
    }
    for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
      auto tensor = describeTensor(func, type, "result " + std::to_string(i));
      if (failed(tensor))
        return failure();
      exported.results.push_back(*tensor);
    }
    exports.functions.push_back(std::move(exported));
  }
  for (const std::string &name : only)
    if (!llvm::any_of(exports.functions, [&](const ExportedFunction &f) {
          return f.mlirName == name;
        }))
      return module.emitError() << "no function @" << name
                                << " with a body to export";
  if (exports.functions.empty())
    return module.emitError() << "no public function with a body to export";
  return exports;
}

void quantopt::prepareForExport(ModuleOp module,
                                const ExportedModule &exports) {
  SymbolTable symbols(module);
  for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
    auto exported = llvm::find_if(exports.functions, [&](auto &f) {
      return f.mlirName == func.getSymName();
    });
    if (exported == exports.functions.end()) {
      if (!func.isExternal())
        func.setPrivate();
      continue;
    }
    // The caller's inputs are const: bufferization copies before it writes.
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      func.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                      BoolAttr::get(module.getContext(), false));
    // The C wrapper calls it through MLIR's C interface: a pointer to a
    // memref descriptor per buffer.
    func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(module.getContext()));
    (void)symbols.rename(func,
                         StringAttr::get(module.getContext(),
                                         exported->implSymbol));
  }
}

/// The dimensions of `shape` between separators ("1][64"), '?' where
/// dynamic.
static std::string dimsString(ArrayRef<int64_t> shape, StringRef separator) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      },
      separator);
  return s;
}

static int64_t numElements(const ExportedTensor &t) {
  int64_t n = 1;
  for (int64_t d : t.shape)
    n *= d;
  return n;
}

static std::string upper(StringRef s) { return s.upper(); }

/// The C parameters of `f`: per input its pointer (and its shape if it has
/// dynamic dimensions), per result a pointer to fill (or, for a dynamic
/// shape, where to store the pointer the call allocates, and its shape).
static void writeParameters(llvm::raw_ostream &os, const ExportedFunction &f) {
  bool first = true;
  auto next = [&]() -> llvm::raw_ostream & {
    if (!first)
      os << ", ";
    first = false;
    return os;
  };
  for (auto [i, t] : llvm::enumerate(f.inputs)) {
    next() << "const " << cTypeName(t.dtype) << " *input" << i;
    if (t.isDynamic())
      next() << "const int64_t *input" << i << "_shape";
  }
  for (auto [i, t] : llvm::enumerate(f.results)) {
    if (t.isDynamic())
      next() << cTypeName(t.dtype) << " **result" << i << ", int64_t *result"
             << i << "_shape";
    else
      next() << cTypeName(t.dtype) << " *result" << i;
  }
  if (first)
    os << "void";
}

std::string quantopt::generateHeader(const ExportedModule &exports) {
  std::string out;
  llvm::raw_string_ostream os(out);
  StringRef p = exports.prefix;
  std::string P = upper(p);
  os << "/* " << p << ": generated by quant-compile from " << exports.source
     << ". Do not edit.\n"
     << " *\n"
     << " * Every tensor is a contiguous row-major array of its element type.\n"
     << " * The caller allocates inputs and results of static shape; a result\n"
     << " * of dynamic shape is allocated by the call (free it with " << p
     << "_free).\n"
     << " * Every call returns a status, " << P
     << "_OK (0) on success. Calls may run\n"
     << " * concurrently on different threads. Link with -lm"
     << (exports.parallel ? " and libomp (-lomp)" : "") << ". */\n"
     << "#ifndef " << P << "_H_\n#define " << P << "_H_\n\n"
     << "#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "enum {\n"
     << "  " << P << "_OK = 0,\n"
     << "  " << P << "_ERROR_NULL_POINTER = 1, /* an array pointer is NULL */\n"
     << "  " << P << "_ERROR_THREADS = 2, /* an unusable thread count */\n"
     << "  " << P
     << "_ERROR_SHAPE = 3, /* an input shape the function does not take */\n"
     << "  " << P
     << "_ERROR_OUT_OF_MEMORY = 4 /* no memory for a result */\n"
     << "};\n\n"
     << "/* What a status code means, in a few words. */\n"
     << "const char *" << p << "_status_message(int status);\n\n"
     << "/* Threads the compiled code runs on. "
     << (exports.parallel
             ? "Compiled with --parallel:\n * any count from 1 (default: "
               "OpenMP's, OMP_NUM_THREADS or the cores). */\n"
             : "Compiled without --parallel:\n * 1 only. */\n")
     << "int " << p << "_set_num_threads(int threads);\n"
     << "int " << p << "_get_num_threads(void);\n\n"
     << "/* Frees a result the library allocated (one of dynamic shape). */\n"
     << "void " << p << "_free(void *result);\n\n"
     << "/* The exported functions with their arrays' element types and "
        "shapes,\n * as JSON (what quantopt.runtime reads). */\n"
     << "const char *" << p << "_signature(void);\n";

  for (const ExportedFunction &f : exports.functions) {
    std::string F = upper(f.cName);
    os << "\n/* @" << f.mlirName << "\n";
    auto describe = [&](StringRef kind, unsigned i, const ExportedTensor &t) {
      os << " *   " << kind << i << ": " << cTypeName(t.dtype);
      if (t.shape.empty())
        os << ", a scalar";
      else if (t.isDynamic())
        os << "[" << dimsString(t.shape, "][") << "]";
      else
        os << "[" << dimsString(t.shape, "][") << "], " << numElements(t)
           << " elements";
      os << " (" << t.mlirType << ")";
      if (t.isDynamic())
        os << (kind == "input" ? "; its shape in " : "; allocated by the "
                                                     "call, its shape in ")
           << kind << i << "_shape[" << t.shape.size() << "]";
      os << "\n";
    };
    for (auto [i, t] : llvm::enumerate(f.inputs))
      describe("input", i, t);
    for (auto [i, t] : llvm::enumerate(f.results))
      describe("result", i, t);
    os << " */\n";
    for (auto [i, t] : llvm::enumerate(f.inputs))
      if (!t.isDynamic())
        os << "#define " << F << "_INPUT" << i << "_SIZE " << numElements(t)
           << "\n";
    for (auto [i, t] : llvm::enumerate(f.results))
      if (!t.isDynamic())
        os << "#define " << F << "_RESULT" << i << "_SIZE " << numElements(t)
           << "\n";
    os << "int " << f.cName << "(";
    writeParameters(os, f);
    os << ");\n";
  }
  os << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << P << "_H_ */\n";
  return out;
}

/// `s` as a C string literal.
static std::string cStringLiteral(StringRef s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += {'\\', char(c)};
    else if (c >= 0x20 && c < 0x7f)
      out += char(c);
    else
      out += llvm::formatv("\\{0:o3}", unsigned(c)).str();
  }
  return out + "\"";
}

/// A C fallback for the one MLIR runtime function the lowering may call (a
/// copy between strided buffers), so that a library needs no MLIR runtime.
/// Weak: a program that links several libraries gets one.
static constexpr llvm::StringLiteral kMemrefCopy = R"C(
/* memref.copy between non-contiguous buffers (MLIR's runtime signature). */
typedef struct { int64_t rank; void *descriptor; } quantopt_unranked_memref;
__attribute__((weak, visibility("hidden"))) void
memrefCopy(int64_t elementSize, quantopt_unranked_memref *src,
           quantopt_unranked_memref *dst) {
  int64_t rank = src->rank;
  char *srcData = ((char **)src->descriptor)[1];
  char *dstData = ((char **)dst->descriptor)[1];
  const int64_t *s = (const int64_t *)((char **)src->descriptor + 2);
  const int64_t *d = (const int64_t *)((char **)dst->descriptor + 2);
  const int64_t *sizes = s + 1, *srcStrides = s + 1 + rank;
  const int64_t *dstStrides = d + 1 + rank;
  int64_t index[rank + 1];
  int64_t srcOffset = s[0], dstOffset = d[0], total = 1;
  for (int64_t r = 0; r < rank; ++r) {
    index[r] = 0;
    total *= sizes[r];
  }
  for (int64_t n = 0; n < total; ++n) {
    memcpy(dstData + dstOffset * elementSize,
           srcData + srcOffset * elementSize, (size_t)elementSize);
    for (int64_t r = rank - 1; r >= 0; --r) {
      srcOffset += srcStrides[r];
      dstOffset += dstStrides[r];
      if (++index[r] < sizes[r])
        break;
      srcOffset -= srcStrides[r] * sizes[r];
      dstOffset -= dstStrides[r] * sizes[r];
      index[r] = 0;
    }
  }
}
)C";

/// The wrapper's helpers, with PREFIX for the library's name: describing a
/// caller's array as a memref descriptor, and taking a buffer the compiled
/// code returned.
static constexpr llvm::StringLiteral kHelpers = R"C(
/* A memref descriptor: pointers and offset, then sizes and strides. */
typedef struct {
  void *allocated, *aligned;
  int64_t offset, sizesAndStrides[];
} PREFIX__memref;

/* Describes a row-major array of `shape` at `data` in `m`. */
__attribute__((unused)) static void PREFIX__describe(void *m, void *data, int rank,
                             const int64_t *shape) {
  PREFIX__memref *d = (PREFIX__memref *)m;
  d->allocated = d->aligned = data;
  d->offset = 0;
  int64_t stride = 1;
  for (int i = rank - 1; i >= 0; --i) {
    d->sizesAndStrides[i] = shape[i];
    d->sizesAndStrides[rank + i] = stride;
    stride *= shape[i];
  }
}

/* The contents of a returned buffer, row-major: copied into `into`, or into
 * new memory the caller owns (the buffer itself when it is that already).
 * Frees what the compiled code allocated. NULL when out of memory. */
__attribute__((unused)) static void *PREFIX__take(void *m, int rank, size_t elementSize, void *into,
                          int64_t *shape) {
  PREFIX__memref *d = (PREFIX__memref *)m;
  const int64_t *sizes = d->sizesAndStrides;
  const int64_t *strides = d->sizesAndStrides + rank;
  int64_t count = 1, expected = 1;
  int contiguous = d->offset == 0 && d->aligned == d->allocated;
  for (int i = rank - 1; i >= 0; --i) {
    if (shape)
      shape[i] = sizes[i];
    contiguous &= sizes[i] == 1 || strides[i] == expected;
    expected *= sizes[i];
    count *= sizes[i];
  }
  if (!into && contiguous)
    return d->allocated;
  void *out = into ? into : malloc(count ? (size_t)count * elementSize : 1);
  if (out) {
    int64_t index[rank + 1];
    for (int i = 0; i < rank; ++i)
      index[i] = 0;
    for (int64_t n = 0; n < count; ++n) {
      int64_t at = d->offset;
      for (int i = 0; i < rank; ++i)
        at += index[i] * strides[i];
      memcpy((char *)out + n * elementSize,
             (char *)d->aligned + at * elementSize, elementSize);
      for (int i = rank - 1; i >= 0; --i) {
        if (++index[i] < sizes[i])
          break;
        index[i] = 0;
      }
    }
  }
  free(d->allocated);
  return out;
}
)C";

/// The C type of a descriptor of `rank` dimensions.
static std::string descriptorType(StringRef p, size_t rank) {
  return (p + "__memref" + std::to_string(rank)).str();
}

static size_t elementBytes(NpyDType dtype) { return npyDTypeSize(dtype); }

/// The body of the wrapper of `f`: checks, descriptors, the call through
/// the C interface, and the results taken out of returned buffers.
static void writeWrapper(llvm::raw_ostream &os, StringRef p,
                         const ExportedFunction &f) {
  std::string P = upper(p);
  bool returns = f.returnsBuffers();
  std::string results = f.implSymbol + "_results";
  if (returns && f.results.size() > 1) {
    os << "\ntypedef struct {\n";
    for (auto [i, t] : llvm::enumerate(f.results))
      os << "  " << descriptorType(p, t.shape.size()) << " r" << i << ";\n";
    os << "} " << results << ";\n";
  }
  // The compiled function's C interface: a pointer to where its results
  // go (when it returns buffers), then one descriptor per buffer argument.
  os << "\nextern void _mlir_ciface_" << f.implSymbol << "(";
  bool first = true;
  auto param = [&](const std::string &type) {
    os << (first ? "" : ", ") << type << " *";
    first = false;
  };
  if (returns)
    param(f.results.size() == 1 ? descriptorType(p, f.results[0].shape.size())
                                : results);
  for (const ExportedTensor &t : f.inputs)
    param(descriptorType(p, t.shape.size()));
  if (!returns)
    for (const ExportedTensor &t : f.results)
      param(descriptorType(p, t.shape.size()));
  os << (first ? "void" : "") << ");\n";

  os << "int " << f.cName << "(";
  writeParameters(os, f);
  os << ") {\n";
  auto check = [&](const std::string &pointer) {
    os << "  if (!" << pointer << ")\n    return " << P
       << "_ERROR_NULL_POINTER;\n";
  };
  for (auto [i, t] : llvm::enumerate(f.inputs)) {
    std::string name = "input" + std::to_string(i);
    check(name);
    if (t.isDynamic()) {
      check(name + "_shape");
      for (auto [d, size] : llvm::enumerate(t.shape))
        os << "  if (" << name << "_shape[" << d << "] "
           << (ShapedType::isDynamic(size) ? "< 0"
                                           : "!= " + std::to_string(size))
           << ")\n    return " << P << "_ERROR_SHAPE;\n";
    }
  }
  for (auto [i, t] : llvm::enumerate(f.results)) {
    std::string name = "result" + std::to_string(i);
    check(name);
    if (t.isDynamic())
      check(name + "_shape");
  }
  // Descriptors of the caller's arrays.
  auto describe = [&](const std::string &name, const ExportedTensor &t,
                      bool pointerGiven) {
    std::string shape = name + "_shape";
    if (!pointerGiven) {
      os << "  static const int64_t " << shape << "[" << t.shape.size() + 1
         << "] = {";
      if (t.shape.empty())
        os << "0";
      llvm::interleaveComma(t.shape, os);
      os << "};\n";
    }
    os << "  " << descriptorType(p, t.shape.size()) << " " << name
       << "_memref;\n"
       << "  " << p << "__describe(&" << name << "_memref, (void *)" << name
       << ", " << t.shape.size() << ", " << shape << ");\n";
  };
  for (auto [i, t] : llvm::enumerate(f.inputs))
    describe("input" + std::to_string(i), t, t.isDynamic());
  if (!returns)
    for (auto [i, t] : llvm::enumerate(f.results))
      describe("result" + std::to_string(i), t, false);

  os << "  ";
  if (returns)
    os << (f.results.size() == 1
               ? descriptorType(p, f.results[0].shape.size())
               : results)
       << " returned;\n  ";
  os << "_mlir_ciface_" << f.implSymbol << "(";
  first = true;
  auto arg = [&](const std::string &a) {
    os << (first ? "" : ", ") << a;
    first = false;
  };
  if (returns)
    arg("&returned");
  for (size_t i = 0; i < f.inputs.size(); ++i)
    arg("&input" + std::to_string(i) + "_memref");
  if (!returns)
    for (size_t i = 0; i < f.results.size(); ++i)
      arg("&result" + std::to_string(i) + "_memref");
  os << ");\n";

  if (returns) {
    // Every returned buffer is taken (and freed) before any error returns.
    os << "  int status = " << P << "_OK;\n";
    for (auto [i, t] : llvm::enumerate(f.results)) {
      std::string name = "result" + std::to_string(i);
      std::string m = f.results.size() == 1
                          ? "&returned"
                          : "&returned.r" + std::to_string(i);
      std::string rank = std::to_string(t.shape.size());
      std::string bytes = std::to_string(elementBytes(t.dtype));
      if (t.isDynamic())
        os << "  *" << name << " = (" << cTypeName(t.dtype) << " *)" << p
           << "__take(" << m << ", " << rank << ", " << bytes << ", NULL, "
           << name << "_shape);\n"
           << "  if (!*" << name << ")\n    status = " << P
           << "_ERROR_OUT_OF_MEMORY;\n";
      else
        os << "  " << p << "__take(" << m << ", " << rank << ", " << bytes
           << ", " << name << ", NULL);\n";
    }
    os << "  return status;\n}\n";
  } else {
    os << "  return " << P << "_OK;\n}\n";
  }
}

std::string quantopt::generateWrapper(const ExportedModule &exports,
                                      bool defineMemrefCopy) {
  std::string out = generateHeader(exports);
  llvm::raw_string_ostream os(out);
  StringRef p = exports.prefix;
  std::string P = upper(p);
  os << "\n/* The definitions behind the header. */\n"
     << "#include <stdlib.h>\n#include <string.h>\n";
  if (defineMemrefCopy)
    os << kMemrefCopy;
  os << llvm::join(llvm::split(kHelpers, "PREFIX"), p);
  // One descriptor type per rank the functions use.
  std::set<size_t> ranks;
  for (const ExportedFunction &f : exports.functions) {
    for (const ExportedTensor &t : f.inputs)
      ranks.insert(t.shape.size());
    for (const ExportedTensor &t : f.results)
      ranks.insert(t.shape.size());
  }
  for (size_t rank : ranks) {
    os << "typedef struct {\n  void *allocated, *aligned;\n  int64_t offset";
    if (rank)
      os << ", sizes[" << rank << "], strides[" << rank << "]";
    os << ";\n} " << descriptorType(p, rank) << ";\n";
  }

  os << "\nconst char *" << p << "_status_message(int status) {\n"
     << "  switch (status) {\n"
     << "  case " << P << "_OK: return \"success\";\n"
     << "  case " << P
     << "_ERROR_NULL_POINTER: return \"an input or result pointer is "
        "NULL\";\n"
     << "  case " << P << "_ERROR_THREADS: return \""
     << (exports.parallel ? "the thread count must be at least 1"
                          : "compiled without --parallel: 1 thread only")
     << "\";\n"
     << "  case " << P
     << "_ERROR_SHAPE: return \"an input shape the function does not "
        "take\";\n"
     << "  case " << P
     << "_ERROR_OUT_OF_MEMORY: return \"out of memory for a result\";\n"
     << "  default: return \"unknown status\";\n  }\n}\n\n"
     << "void " << p << "_free(void *result) { free(result); }\n\n";
  if (exports.parallel)
    os << "extern void omp_set_num_threads(int);\n"
       << "extern int omp_get_max_threads(void);\n"
       << "int " << p << "_set_num_threads(int threads) {\n"
       << "  if (threads < 1)\n    return " << P << "_ERROR_THREADS;\n"
       << "  omp_set_num_threads(threads);\n  return " << P << "_OK;\n}\n"
       << "int " << p
       << "_get_num_threads(void) { return omp_get_max_threads(); }\n";
  else
    os << "int " << p << "_set_num_threads(int threads) {\n"
       << "  return threads == 1 ? " << P << "_OK : " << P
       << "_ERROR_THREADS;\n}\n"
       << "int " << p << "_get_num_threads(void) { return 1; }\n";
  os << "\nconst char *" << p << "_signature(void) {\n  return "
     << cStringLiteral(signatureJson(exports)) << ";\n}\n";

  for (const ExportedFunction &f : exports.functions)
    writeWrapper(os, p, f);
  return out;
}

std::string quantopt::signatureJson(const ExportedModule &exports) {
  auto tensors = [](const std::vector<ExportedTensor> &list) {
    llvm::json::Array array;
    for (const ExportedTensor &t : list) {
      llvm::json::Array shape;
      for (int64_t d : t.shape)
        shape.push_back(ShapedType::isDynamic(d) ? int64_t(-1) : d);
      array.push_back(llvm::json::Object{{"dtype", npyDTypeName(t.dtype)},
                                         {"shape", std::move(shape)},
                                         {"type", t.mlirType}});
    }
    return array;
  };
  llvm::json::Array functions;
  for (const ExportedFunction &f : exports.functions)
    functions.push_back(llvm::json::Object{{"name", f.mlirName},
                                           {"symbol", f.cName},
                                           {"inputs", tensors(f.inputs)},
                                           {"results", tensors(f.results)}});
  llvm::json::Object root{{"name", exports.prefix},
                          {"parallel", exports.parallel},
                          {"functions", std::move(functions)}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::json::Value(std::move(root));
  return out;
}
