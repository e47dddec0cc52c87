//===- NumpyIO.cpp - Read and write .npy / .npz files ---------------------===//

#include "quantopt/Support/NumpyIO.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
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

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string NpyArray::shapeString() const {
  std::string s = "(";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// The value text of `key` in the header dict: "'<f4'", "False", "(2, 3)".
static std::optional<llvm::StringRef> headerValue(llvm::StringRef header,
                                                  llvm::StringRef key) {
  std::string quoted = ("'" + key + "'").str();
  size_t at = header.find(quoted);
  if (at == llvm::StringRef::npos)
    return std::nullopt;
  llvm::StringRef rest = header.drop_front(at + quoted.size()).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  size_t end = rest.starts_with("(")   ? rest.find(')') + 1
               : rest.starts_with("'") ? rest.find('\'', 1) + 1
                                       : rest.find_first_of(",}");
  if (end == llvm::StringRef::npos || end == 0)
    return std::nullopt;
  return rest.take_front(end).trim();
}

llvm::Expected<NpyArray> quantopt::parseNpy(llvm::StringRef bytes,
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
  if (headerStart + headerLen > bytes.size())
    return fail(what, "truncated header");
  llvm::StringRef header = bytes.substr(headerStart, headerLen);

  auto descr = headerValue(header, "descr");
  auto order = headerValue(header, "fortran_order");
  auto shapeText = headerValue(header, "shape");
  if (!descr || !order || !shapeText)
    return fail(what, "malformed header '" + header.trim() + "'");
  std::optional<NpyDType> dtype =
      llvm::StringSwitch<std::optional<NpyDType>>(descr->trim('\''))
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
    return fail(what, "unsupported dtype " + *descr +
                          " (little-endian numeric types only)");
  if (*order != "False")
    return fail(what, "Fortran-ordered arrays are not supported");

  NpyArray array;
  array.dtype = *dtype;
  llvm::SmallVector<llvm::StringRef> dims;
  shapeText->trim("()").split(dims, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef dim : dims) {
    int64_t d;
    if (dim.trim().getAsInteger(10, d) || d < 0)
      return fail(what, "malformed shape " + *shapeText);
    array.shape.push_back(d);
  }
  size_t payload = size_t(array.numElements()) * npyDTypeSize(*dtype);
  llvm::StringRef data = bytes.drop_front(headerStart + headerLen);
  if (data.size() < payload)
    return fail(what, llvm::formatv("truncated data: {0} bytes for shape {1} "
                                    "of {2}, need {3}",
                                    data.size(), array.shapeString(),
                                    npyDTypeName(*dtype), payload));
  array.data.assign(data.begin(), data.begin() + payload);
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

/// Inflates raw deflate data (zip method 8).
static llvm::Expected<std::string>
inflateRaw(llvm::StringRef in, size_t expected, llvm::StringRef what) {
  std::string out(expected, '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
    return fail(what, "cannot initialize zlib");
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  stream.avail_in = in.size();
  stream.next_out = reinterpret_cast<Bytef *>(out.data());
  stream.avail_out = out.size();
  int status = inflate(&stream, Z_FINISH);
  inflateEnd(&stream);
  if (status != Z_STREAM_END || stream.total_out != expected)
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
      auto out = inflateRaw(raw, size, what);
      if (!out)
        return out.takeError();
      inflated = std::move(*out);
      raw = inflated;
    } else if (method != 0) {
      return fail(what,
                  llvm::formatv("unsupported zip compression {0}", method));
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
