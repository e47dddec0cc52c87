//===- NumpyIO.cpp - Read and write .npy / .npz files ---------------------===//

#include "quantopt/Support/NumpyIO.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>
#include <unistd.h>
#include <zlib.h>

using namespace quantopt;

static llvm::Error fail(llvm::StringRef what, const llvm::Twine &message) {
  return llvm::createStringError((what + ": " + message).str());
}

llvm::StringRef quantopt::npyDTypeName(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::F16:
    return "float16";
  case NpyDType::F32:
    return "float32";
  case NpyDType::F64:
    return "float64";
  case NpyDType::I8:
    return "int8";
  case NpyDType::U8:
    return "uint8";
  case NpyDType::I16:
    return "int16";
  case NpyDType::U16:
    return "uint16";
  case NpyDType::I32:
    return "int32";
  case NpyDType::I64:
    return "int64";
  case NpyDType::Bool:
    return "bool";
  }
  llvm_unreachable("unknown dtype");
}

size_t quantopt::npyDTypeSize(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::I8:
  case NpyDType::U8:
  case NpyDType::Bool:
    return 1;
  case NpyDType::F16:
  case NpyDType::I16:
  case NpyDType::U16:
    return 2;
  case NpyDType::F32:
  case NpyDType::I32:
    return 4;
  case NpyDType::F64:
  case NpyDType::I64:
    return 8;
  }
  llvm_unreachable("unknown dtype");
}

static const char *descrOf(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::F16:
    return "<f2";
  case NpyDType::F32:
    return "<f4";
  case NpyDType::F64:
    return "<f8";
  case NpyDType::I8:
    return "|i1";
  case NpyDType::U8:
    return "|u1";
  case NpyDType::I16:
    return "<i2";
  case NpyDType::U16:
    return "<u2";
  case NpyDType::I32:
    return "<i4";
  case NpyDType::I64:
    return "<i8";
  case NpyDType::Bool:
    return "|b1";
  }
  llvm_unreachable("unknown dtype");
}

std::optional<int64_t> quantopt::checkedProduct(llvm::ArrayRef<int64_t> dims,
                                               int64_t factor) {
  int64_t n = factor;
  for (int64_t d : dims)
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return std::nullopt;
  return n;
}

int64_t NpyArray::numElements() const {
  // parseNpy and the callers that build arrays keep the product in range.
  return checkedProduct(shape).value_or(0);
}

std::string NpyArray::shapeString() const {
  std::string s = "(";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + (shape.size() == 1 ? ",)" : ")");
}

llvm::Error quantopt::checkFitsInMemory(uint64_t bytes,
                                        llvm::StringRef what) {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0)
    return llvm::Error::success();
  uint64_t memory = uint64_t(pages) * uint64_t(pageSize);
  if (bytes <= memory)
    return llvm::Error::success();
  return fail(what, llvm::formatv("needs {0} bytes, more than this machine's "
                                  "{1} bytes of memory",
                                  bytes, memory));
}

namespace {
/// Reads the header dict of an .npy file, a Python literal such as
/// "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }". Accepts
/// what NumPy's own reader accepts: exactly the three keys, once each.
class HeaderParser {
public:
  explicit HeaderParser(llvm::StringRef text) : rest(text) {}

  llvm::Error parse(llvm::StringRef what) {
    if (!consume("{"))
      return fail(what, "malformed header: expected '{'");
    while (!consume("}")) {
      std::optional<std::string> key = string();
      if (!key || !consume(":"))
        return fail(what, "malformed header: expected 'key': value");
      std::optional<std::string> v = value();
      if (!v)
        return fail(what, "malformed header: bad value for '" + *key + "'");
      if (!values.try_emplace(*key, *v).second)
        return fail(what, "malformed header: duplicate key '" + *key + "'");
      if (!consume(",") && !peek("}"))
        return fail(what, "malformed header: expected ',' or '}'");
    }
    if (!rest.trim().empty())
      return fail(what, "malformed header: text after the dict");
    for (auto &entry : values)
      if (entry.first() != "descr" && entry.first() != "fortran_order" &&
          entry.first() != "shape")
        return fail(what, "malformed header: unexpected key '" +
                              entry.first() + "'");
    for (llvm::StringRef key : {"descr", "fortran_order", "shape"})
      if (!values.count(key))
        return fail(what, "malformed header: missing key '" + key + "'");
    return llvm::Error::success();
  }

  /// The text of a value: a string without quotes, "True", "(2, 3)".
  llvm::StringRef get(llvm::StringRef key) const {
    auto it = values.find(key);
    return it == values.end() ? llvm::StringRef() : llvm::StringRef(it->second);
  }

private:
  bool peek(llvm::StringRef token) {
    rest = rest.ltrim();
    return rest.starts_with(token);
  }
  bool consume(llvm::StringRef token) {
    rest = rest.ltrim();
    return rest.consume_front(token);
  }
  std::optional<std::string> string() {
    rest = rest.ltrim();
    if (rest.empty() || (rest[0] != '\'' && rest[0] != '"'))
      return std::nullopt;
    size_t end = rest.find(rest[0], 1);
    if (end == llvm::StringRef::npos)
      return std::nullopt;
    std::string s = rest.slice(1, end).str();
    rest = rest.drop_front(end + 1);
    return s;
  }
  /// A string, True/False, or a tuple of integers.
  std::optional<std::string> value() {
    if (std::optional<std::string> s = string())
      return s;
    for (llvm::StringRef word : {"True", "False"})
      if (consume(word))
        return word.str();
    if (!peek("("))
      return std::nullopt;
    size_t end = rest.find(')');
    if (end == llvm::StringRef::npos)
      return std::nullopt;
    std::string tuple = rest.take_front(end + 1).str();
    rest = rest.drop_front(end + 1);
    return tuple;
  }

  llvm::StringRef rest;
  llvm::StringMap<std::string> values;
};
} // namespace

llvm::Expected<NpyHeader> quantopt::parseNpyHeader(llvm::StringRef bytes,
                                                   llvm::StringRef what) {
  if (!bytes.starts_with("\x93NUMPY") || bytes.size() < 10)
    return fail(what, "not an .npy file (bad magic)");
  auto major = uint8_t(bytes[6]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail(what, "truncated header");
    headerLen = uint32_t(uint8_t(bytes[8])) | uint32_t(uint8_t(bytes[9])) << 8 |
                uint32_t(uint8_t(bytes[10])) << 16 |
                uint32_t(uint8_t(bytes[11])) << 24;
    headerStart = 12;
  } else {
    return fail(what, llvm::formatv("unsupported .npy version {0}", major));
  }
  if (headerLen > bytes.size() - headerStart)
    return fail(what, "truncated header");
  llvm::StringRef header = bytes.substr(headerStart, headerLen);

  HeaderParser parser(header);
  if (llvm::Error e = parser.parse(what))
    return std::move(e);
  llvm::StringRef descr = parser.get("descr");
  std::optional<NpyDType> dtype =
      llvm::StringSwitch<std::optional<NpyDType>>(descr)
          .Cases({"<f2", "|f2"}, NpyDType::F16)
          .Cases({"<f4", "|f4"}, NpyDType::F32)
          .Cases({"<f8", "|f8"}, NpyDType::F64)
          .Cases({"|i1", "<i1"}, NpyDType::I8)
          .Cases({"|u1", "<u1"}, NpyDType::U8)
          .Case("<i2", NpyDType::I16)
          .Case("<u2", NpyDType::U16)
          .Case("<i4", NpyDType::I32)
          .Case("<i8", NpyDType::I64)
          .Cases({"|b1", "<b1"}, NpyDType::Bool)
          .Default(std::nullopt);
  if (!dtype)
    return fail(what, "unsupported dtype '" + descr +
                          "' (little-endian numeric types only)");
  if (parser.get("fortran_order") != "False")
    return fail(what, "Fortran-ordered arrays are not supported");

  NpyHeader result;
  result.dtype = *dtype;
  llvm::StringRef shapeText = parser.get("shape");
  llvm::SmallVector<llvm::StringRef> dims;
  shapeText.drop_front().drop_back().split(dims, ',');
  // "(3,)" splits into "3" and a trailing empty piece; "()" into one empty.
  if (!dims.empty() && dims.back().trim().empty() &&
      (dims.size() > 1 || shapeText == "()"))
    dims.pop_back();
  for (llvm::StringRef dim : dims) {
    int64_t d;
    if (dim.trim().getAsInteger(10, d) || d < 0)
      return fail(what, "malformed shape " + shapeText);
    result.shape.push_back(d);
  }
  std::optional<int64_t> payload =
      checkedProduct(result.shape, npyDTypeSize(*dtype));
  if (!payload)
    return fail(what, "shape " + shapeText + " has more elements than fit in "
                      "memory");
  result.dataOffset = headerStart + headerLen;
  result.payloadBytes = *payload;
  return result;
}

llvm::Expected<NpyArray> quantopt::parseNpy(llvm::StringRef bytes,
                                            llvm::StringRef what) {
  auto header = parseNpyHeader(bytes, what);
  if (!header)
    return header.takeError();
  NpyArray array;
  array.dtype = header->dtype;
  array.shape = header->shape;
  llvm::StringRef data = bytes.drop_front(header->dataOffset);
  if (data.size() < header->payloadBytes)
    return fail(what, llvm::formatv("truncated data: {0} bytes for shape {1} "
                                    "of {2}, need {3}",
                                    data.size(), array.shapeString(),
                                    npyDTypeName(array.dtype),
                                    header->payloadBytes));
  if (llvm::Error e = checkFitsInMemory(header->payloadBytes, what))
    return std::move(e);
  array.data.assign(data.begin(), data.begin() + header->payloadBytes);
  return array;
}

static llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail(path, "cannot read: " + buffer.getError().message());
  return std::move(*buffer);
}

llvm::Expected<NpyArray> quantopt::readNpy(llvm::StringRef path) {
  auto buffer = readFile(path);
  if (!buffer)
    return buffer.takeError();
  auto array = parseNpy((*buffer)->getBuffer(), path);
  if (array)
    array->name = llvm::sys::path::stem(path).str();
  return array;
}

static uint32_t le32(llvm::StringRef bytes, size_t at) {
  return uint32_t(uint8_t(bytes[at])) | uint32_t(uint8_t(bytes[at + 1])) << 8 |
         uint32_t(uint8_t(bytes[at + 2])) << 16 |
         uint32_t(uint8_t(bytes[at + 3])) << 24;
}
static uint16_t le16(llvm::StringRef bytes, size_t at) {
  return uint16_t(uint8_t(bytes[at]) | uint8_t(bytes[at + 1]) << 8);
}

/// Inflates the raw deflate data (zip method 8) of a member that claims
/// `size` bytes, checking the claim before allocating it: deflate expands
/// at most 1032:1, and the .npy header, inflated first, must describe
/// exactly `size` bytes.
static llvm::Expected<std::string>
inflateMember(llvm::StringRef in, uint64_t size, llvm::StringRef what) {
  constexpr uint64_t kMaxDeflateRatio = 1032, kHeaderProbe = 1 << 20;
  if (size / kMaxDeflateRatio > in.size())
    return fail(what, llvm::formatv("corrupt zip member: {0} compressed bytes "
                                    "cannot inflate to the {1} it claims",
                                    in.size(), size));
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
    return fail(what, "cannot initialize zlib");
  llvm::scope_exit end([&] { inflateEnd(&stream); });
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  stream.avail_in = in.size();
  std::string out;
  auto inflateUpTo = [&](uint64_t bytes) {
    out.resize(bytes);
    stream.next_out = reinterpret_cast<Bytef *>(out.data()) + stream.total_out;
    stream.avail_out = bytes - stream.total_out;
    return inflate(&stream, Z_FINISH);
  };
  int status = inflateUpTo(std::min(size, kHeaderProbe));
  if (status != Z_STREAM_END && status != Z_BUF_ERROR && status != Z_OK)
    return fail(what, "corrupt deflate data");
  auto header =
      parseNpyHeader(llvm::StringRef(out.data(), stream.total_out), what);
  if (!header)
    return header.takeError();
  if (header->dataOffset + header->payloadBytes != size)
    return fail(what, llvm::formatv("corrupt zip member: its .npy header "
                                    "describes {0} bytes, the zip entry {1}",
                                    header->dataOffset + header->payloadBytes,
                                    size));
  if (llvm::Error e = checkFitsInMemory(size, what))
    return std::move(e);
  if (status != Z_STREAM_END)
    status = inflateUpTo(size);
  if (status != Z_STREAM_END || stream.total_out != size)
    return fail(what, "corrupt deflate data");
  return out;
}

llvm::Expected<std::vector<NpyArray>> quantopt::readNpz(llvm::StringRef path) {
  auto buffer = readFile(path);
  if (!buffer)
    return buffer.takeError();
  llvm::StringRef zip = (*buffer)->getBuffer();
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  size_t eocd = llvm::StringRef::npos;
  for (size_t at = zip.size() >= 22 ? zip.size() - 22 : 0;; --at) {
    if (zip.size() >= 22 && le32(zip, at) == 0x06054b50) {
      eocd = at;
      break;
    }
    if (at == 0 || zip.size() - at > 65536 + 22)
      break;
  }
  if (eocd == llvm::StringRef::npos)
    return fail(path, "not an .npz file (no zip directory)");
  uint16_t entries = le16(zip, eocd + 10);
  size_t dir = le32(zip, eocd + 16);
  if (dir == 0xFFFFFFFF || entries == 0xFFFF)
    return fail(path, "zip64 archives are not supported");

  std::vector<NpyArray> arrays;
  for (uint16_t i = 0; i < entries; ++i) {
    if (dir + 46 > zip.size() || le32(zip, dir) != 0x02014b50)
      return fail(path, "corrupt zip directory");
    uint16_t method = le16(zip, dir + 10);
    size_t compressed = le32(zip, dir + 20);
    size_t size = le32(zip, dir + 24);
    uint16_t nameLen = le16(zip, dir + 28), extraLen = le16(zip, dir + 30),
             commentLen = le16(zip, dir + 32);
    size_t local = le32(zip, dir + 42);
    std::string name = zip.substr(dir + 46, nameLen).str();
    dir += 46 + nameLen + extraLen + commentLen;
    if (compressed == 0xFFFFFFFF || size == 0xFFFFFFFF || local == 0xFFFFFFFF)
      return fail(path, "zip64 members are not supported");
    if (local + 30 > zip.size() || le32(zip, local) != 0x04034b50)
      return fail(path, "corrupt zip member '" + name + "'");
    size_t start = local + 30 + le16(zip, local + 26) + le16(zip, local + 28);
    if (start + compressed > zip.size())
      return fail(path, "truncated zip member '" + name + "'");
    llvm::StringRef raw = zip.substr(start, compressed);
    std::string what = (path + ":" + name).str();
    std::string inflated;
    if (method == 8) {
      auto out = inflateMember(raw, size, what);
      if (!out)
        return out.takeError();
      inflated = std::move(*out);
      raw = inflated;
    } else if (method != 0) {
      return fail(what,
                  llvm::formatv("unsupported zip compression {0}", method));
    } else if (size != compressed) {
      return fail(what, "corrupt zip member: stored with two sizes");
    }
    auto array = parseNpy(raw, what);
    if (!array)
      return array.takeError();
    llvm::StringRef stem(name);
    stem.consume_back(".npy");
    array->name = stem.str();
    arrays.push_back(std::move(*array));
  }
  return arrays;
}

llvm::Expected<std::vector<NpyArray>>
quantopt::readArrays(llvm::StringRef path) {
  if (path.ends_with(".npz"))
    return readNpz(path);
  auto array = readNpy(path);
  if (!array)
    return array.takeError();
  std::vector<NpyArray> arrays;
  arrays.push_back(std::move(*array));
  return arrays;
}

std::string quantopt::serializeNpy(const NpyArray &array) {
  std::string header =
      llvm::formatv("{{'descr': '{0}', 'fortran_order': False, "
                    "'shape': {1}, }",
                    descrOf(array.dtype), array.shapeString());
  // Pad with spaces so that the data starts on a 64-byte boundary.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(array.data.begin(), array.data.end());
  return out;
}

llvm::Error quantopt::writeNpy(llvm::StringRef path, const NpyArray &array) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return fail(path, "cannot write: " + ec.message());
  os << serializeNpy(array);
  return llvm::Error::success();
}
