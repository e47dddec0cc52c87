//===- quant-fuzz.cpp - Structured fuzzing of every pass and pipeline ----===//
//
// Mutates MLIR inputs (the lit tests' inputs, split at `// -----`) with a
// fixed seed and runs each mutant through every QuantOpt pass and pipeline
// (FuzzTarget.h) in a forked child with a time and memory limit. A child
// that dies from a signal or an abort, or runs out of time, is reported with
// its input saved for reproduction and its stack attributed to QuantOpt's
// code or to upstream MLIR. Exits 1 when anything was found in QuantOpt's
// code (or anything at all with --fail-on-upstream), 0 otherwise.
//
//===----------------------------------------------------------------------===//

#include "FuzzTarget.h"

#include "quantopt/InitAll.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <fcntl.h>
#include <random>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QUANTOPT_FUZZ_ASAN 1
#endif
#endif
#ifndef QUANTOPT_FUZZ_ASAN
#define QUANTOPT_FUZZ_ASAN 0
#endif

using namespace llvm;
using namespace quantopt::fuzz;

namespace {

/// Every `// -----` chunk of the .mlir files under `paths`, sorted by path
/// so that a seed always means the same mutants.
std::vector<std::string> collectSeeds(ArrayRef<std::string> paths) {
  std::vector<std::string> files;
  for (const std::string &path : paths) {
    if (!sys::fs::is_directory(path)) {
      files.push_back(path);
      continue;
    }
    std::error_code ec;
    for (sys::fs::recursive_directory_iterator it(path, ec), end;
         it != end && !ec; it.increment(ec))
      if (StringRef(it->path()).ends_with(".mlir"))
        files.push_back(it->path());
  }
  llvm::sort(files);
  std::vector<std::string> seeds;
  for (const std::string &file : files) {
    auto buffer = MemoryBuffer::getFile(file);
    if (!buffer)
      continue;
    SmallVector<StringRef> chunks;
    (*buffer)->getBuffer().split(chunks, "// -----");
    for (StringRef chunk : chunks)
      if (chunk.contains("func.func"))
        seeds.push_back(chunk.str());
  }
  return seeds;
}

/// Text mutations that keep most of a module's structure, biased towards
/// what breaks compilers: edge values of integers (dims, attributes, zero
/// points), of floats (scales), other element types, unknown dims, and
/// deleted, duplicated or swapped lines.
class Mutator {
public:
  explicit Mutator(uint64_t seed) : rng(seed) {}

  std::string mutate(std::string text) {
    unsigned count = 1 + pick(3);
    for (unsigned i = 0; i < count; ++i) {
      switch (pick(7)) {
      case 0:
      case 1:
        text = replaceToken(text, isIntegerAt, kIntegers);
        break;
      case 2:
        text = replaceToken(text, isFloatAt, kFloats);
        break;
      case 3:
        text = replaceWord(text, kTypes);
        break;
      case 4:
        text = replaceDim(text);
        break;
      default:
        text = mutateLines(text);
        break;
      }
    }
    return text;
  }

private:
  static constexpr const char *kIntegers[] = {
      "0", "1", "-1", "2", "3", "7", "16", "127", "128", "-128", "255", "256",
      "65536", "2147483647", "2147483648", "-2147483648", "4294967296",
      "1099511627776", "9223372036854775807", "-9223372036854775808"};
  static constexpr const char *kFloats[] = {
      "0.0",    "-0.0",   "1.0e-45", "1.0e-39",   "3.4e+38",  "1.0e+300",
      "-1.0",   "0.5",    "1.0e-10", "0x7FC00000", "0x7F800000",
      "0xFF800000"};
  static constexpr const char *kTypes[] = {"f32", "f16", "bf16", "f64", "i8",
                                           "i32", "i64", "i1",  "ui8", "i16",
                                           "index"};

  unsigned pick(unsigned n) { return rng() % n; }

  static bool isWordChar(char c) {
    return isAlnum(c) || c == '_' || c == '%' || c == '#' || c == '!' ||
           c == '.' || c == '@' || c == '^';
  }
  /// Where the digits of a number starting at `i` (optional '-', not
  /// inside a word) end, or 0 when no number starts there.
  static size_t digitsEnd(StringRef s, size_t i) {
    size_t start = i;
    if (s[i] == '-')
      ++i;
    if (i >= s.size() || !isDigit(s[i]) ||
        (start > 0 && isWordChar(s[start - 1])))
      return 0;
    while (i < s.size() && isDigit(s[i]))
      ++i;
    return i;
  }
  /// The length of an integer literal at `i` (the dims of "4x8xf32" too).
  static size_t isIntegerAt(StringRef s, size_t i) {
    size_t end = digitsEnd(s, i);
    if (!end)
      return 0;
    if (end < s.size() && (s[end] == '.' || isAlpha(s[end]) || s[end] == '_'))
      return s[end] == 'x' ? end - i : 0;
    return end - i;
  }
  /// The length of a float literal at `i` ("1.5", "2.0e-3").
  static size_t isFloatAt(StringRef s, size_t i) {
    size_t end = digitsEnd(s, i);
    if (!end || end >= s.size() || s[end] != '.')
      return 0;
    ++end;
    while (end < s.size() && (isAlnum(s[end]) || s[end] == '+' || s[end] == '-'))
      ++end;
    return end - i;
  }

  template <size_t N>
  std::string replaceToken(const std::string &text,
                           size_t (*matchAt)(StringRef, size_t),
                           const char *const (&values)[N]) {
    std::vector<std::pair<size_t, size_t>> spans;
    StringRef s(text);
    for (size_t i = 0; i < s.size(); ++i)
      if (size_t len = matchAt(s, i)) {
        spans.push_back({i, len});
        i += len;
      }
    if (spans.empty())
      return text;
    auto [at, len] = spans[pick(spans.size())];
    return text.substr(0, at) + values[pick(N)] + text.substr(at + len);
  }

  template <size_t N>
  std::string replaceWord(const std::string &text,
                          const char *const (&words)[N]) {
    std::vector<std::pair<size_t, size_t>> spans;
    StringRef s(text);
    for (size_t i = 0; i < s.size(); ++i) {
      if (i > 0 && (isAlnum(s[i - 1]) || s[i - 1] == '_'))
        continue;
      for (const char *w : words) {
        StringRef word(w);
        size_t end = i + word.size();
        if (s.substr(i).starts_with(word) &&
            (end >= s.size() || !(isAlnum(s[end]) || s[end] == '_')))
          spans.push_back({i, word.size()});
      }
    }
    if (spans.empty())
      return text;
    auto [at, len] = spans[pick(spans.size())];
    return text.substr(0, at) + words[pick(N)] + text.substr(at + len);
  }

  /// A dimension of a shaped type: "4x" becomes "?x", "0x", "1x" or huge.
  std::string replaceDim(const std::string &text) {
    static constexpr const char *kDims[] = {"?", "0", "1", "3", "4294967296",
                                            "1099511627776"};
    std::vector<std::pair<size_t, size_t>> spans;
    StringRef s(text);
    for (size_t i = 0; i < s.size(); ++i) {
      if (!isDigit(s[i]) || (i > 0 && (isDigit(s[i - 1]) || isAlpha(s[i - 1]))))
        continue;
      size_t end = i;
      while (end < s.size() && isDigit(s[end]))
        ++end;
      if (end < s.size() && s[end] == 'x')
        spans.push_back({i, end - i});
    }
    if (spans.empty())
      return text;
    auto [at, len] = spans[pick(spans.size())];
    return text.substr(0, at) + kDims[pick(std::size(kDims))] +
           text.substr(at + len);
  }

  std::string mutateLines(const std::string &text) {
    SmallVector<StringRef> lines;
    StringRef(text).split(lines, '\n');
    if (lines.size() < 2)
      return text;
    std::vector<std::string> out(lines.begin(), lines.end());
    size_t a = pick(out.size()), b = pick(out.size());
    switch (pick(3)) {
    case 0:
      out.erase(out.begin() + a);
      break;
    case 1:
      out.insert(out.begin() + a, out[b]);
      break;
    default:
      std::swap(out[a], out[b]);
      break;
    }
    return join(out, "\n");
  }

  std::mt19937_64 rng;
};

/// Whose code a crash log's stack points at: the innermost frame that is
/// neither signal or error handling (libc, libLLVM's support code, the
/// sanitizers' runtime, llvm:: and std:: helpers such as SmallVector's
/// growth) decides. QuantOpt's
/// passes and dialect are linked into this binary, upstream MLIR lives in
/// libMLIR.so.
std::string attribute(StringRef log, StringRef self) {
  SmallVector<StringRef> lines;
  log.split(lines, '\n');
  for (StringRef line : lines) {
    StringRef frame = line.ltrim();
    if (!frame.starts_with("#"))
      continue;
    if (frame.contains("libc.so") || frame.contains("libLLVM") ||
        frame.contains(" llvm::") || frame.contains(" std::") ||
        frame.contains("SignalHandler") || frame.contains("__libc") ||
        frame.contains("interceptor") || frame.contains("__asan") ||
        frame.contains("__sanitizer") || frame.contains("__ubsan") ||
        frame.contains("quantopt::fuzz::") || frame.contains("(anonymous namespace)::Mutator"))
      continue;
    if (frame.contains("libMLIR"))
      return "upstream";
    // Symbolized frames name the binary, or under ASan the source file.
    if (frame.contains(self) || frame.contains(QUANTOPT_SOURCE_DIR))
      return "quantopt";
  }
  return "unknown";
}

struct Child {
  pid_t pid = 0;
  uint64_t index = 0;
  std::chrono::steady_clock::time_point deadline;
  std::string input, log;
};

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::OptionCategory category("quant-fuzz options");
  cl::list<std::string> inputs(cl::Positional, cl::OneOrMore,
                               cl::desc("<.mlir files or directories>"),
                               cl::cat(category));
  cl::opt<uint64_t> mutants("mutants", cl::desc("Mutants to run"),
                            cl::init(3000), cl::cat(category));
  cl::opt<uint64_t> seed("seed", cl::desc("Random seed"), cl::init(1),
                         cl::cat(category));
  cl::opt<uint64_t> first("first", cl::desc("Index of the first mutant"),
                          cl::init(0), cl::cat(category));
  cl::opt<unsigned> jobs("jobs", cl::desc("Children run at once"),
                         cl::init(2), cl::cat(category));
  cl::opt<unsigned> timeout("timeout",
                            cl::desc("Seconds a mutant may take in all"),
                            cl::init(30), cl::cat(category));
  cl::opt<unsigned> memoryMb("memory-limit-mb",
                             cl::desc("Address-space limit of each child"),
                             cl::init(4096), cl::cat(category));
  cl::opt<std::string> stats(
      "stats-file", cl::desc("Stats file for quant-apply-calibration"),
      cl::cat(category));
  cl::opt<std::string> crashDir("crash-dir",
                                cl::desc("Where failing mutants are saved"),
                                cl::init("quant-fuzz-out"), cl::cat(category));
  cl::opt<bool> replay(
      "replay",
      cl::desc("Run each input chunk once, unmutated (to reproduce a saved "
               "mutant)"),
      cl::cat(category));
  cl::opt<bool> failOnUpstream(
      "fail-on-upstream",
      cl::desc("Exit 1 on crashes attributed to upstream MLIR too"),
      cl::cat(category));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "QuantOpt structured fuzzer: mutants of MLIR "
                              "inputs through every pass and pipeline\n");
  if (jobs < 1)
    jobs = 1;

  std::vector<std::string> seeds = collectSeeds(inputs);
  if (seeds.empty()) {
    errs() << "quant-fuzz: error: no inputs with a func.func found\n";
    return 1;
  }
  if (std::error_code ec = sys::fs::create_directories(crashDir)) {
    errs() << "quant-fuzz: error: cannot create " << crashDir << ": "
           << ec.message() << "\n";
    return 1;
  }
  // Registered once before forking; each child makes its own context.
  quantopt::registerQuantOptPasses();
  std::vector<std::string> pipelines = pipelinesToFuzz(stats);
  std::string self = sys::path::filename(argv[0]).str();
  setenv("LLVM_SYMBOLIZER_PATH", "/usr/lib/llvm-22/bin/llvm-symbolizer", 0);

  uint64_t done = 0, parsed = 0, runs = 0, ours = 0, upstream = 0, hangs = 0;
  std::vector<Child> running;
  std::string resultsDir = crashDir + "/results";
  (void)sys::fs::create_directories(resultsDir);

  auto finish = [&](Child &c, int status, bool timedOut) {
    ++done;
    std::string tag = formatv("{0}", c.index).str();
    auto logBuffer = MemoryBuffer::getFile(c.log);
    std::string log = logBuffer ? (*logBuffer)->getBuffer().str() : "";
    // The child writes "ran P R" as its last line when it finishes.
    StringRef last = StringRef(log).rtrim().rsplit('\n').second;
    if (last.empty())
      last = StringRef(log).rtrim();
    bool clean = !timedOut && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (clean) {
      unsigned p = 0, r = 0;
      if (sscanf(last.str().c_str(), "ran %u %u", &p, &r) == 2) {
        parsed += p;
        runs += r;
      }
      sys::fs::remove(c.input);
      sys::fs::remove(c.log);
      return;
    }
    std::string pipeline = "(parsing)";
    for (StringRef line : split(log, '\n'))
      if (line.consume_front("pipeline: "))
        pipeline = line.str();
    std::string kind, owner;
    if (timedOut) {
      kind = "hang";
      owner = "unknown";
      ++hangs;
    } else {
      kind = WIFSIGNALED(status)
                 ? formatv("signal {0}", WTERMSIG(status)).str()
                 : formatv("exit {0}", WEXITSTATUS(status)).str();
      owner = attribute(log, self);
      (owner == "upstream" ? upstream : ours) += 1;
    }
    std::string saved = crashDir + "/" + owner + "-" + tag;
    sys::fs::rename(c.input, saved + ".mlir");
    sys::fs::rename(c.log, saved + ".log");
    outs() << formatv("quant-fuzz: mutant {0}: {1} in {2} ({3}); input "
                      "{4}.mlir, log {4}.log\n",
                      c.index, kind, pipeline, owner, saved);
    outs().flush();
  };

  auto reapOne = [&](bool block) {
    while (true) {
      auto now = std::chrono::steady_clock::now();
      for (size_t i = 0; i < running.size(); ++i) {
        int status = 0;
        pid_t r = waitpid(running[i].pid, &status, WNOHANG);
        bool late = r == 0 && now > running[i].deadline;
        if (late) {
          kill(running[i].pid, SIGKILL);
          waitpid(running[i].pid, &status, 0);
        }
        if (r == running[i].pid || late) {
          finish(running[i], status, late);
          running.erase(running.begin() + i);
          return;
        }
      }
      if (!block)
        return;
      usleep(2000);
    }
  };

  auto start = std::chrono::steady_clock::now();
  if (replay) {
    first = 0;
    mutants = seeds.size();
  }
  for (uint64_t index = first; index < first + mutants; ++index) {
    while (running.size() >= jobs)
      reapOne(/*block=*/true);
    Mutator mutator(seed * 0x9E3779B97F4A7C15ULL + index);
    const std::string &base = seeds[index % seeds.size()];
    std::string text = replay ? base : mutator.mutate(base);
    Child c;
    c.index = index;
    c.input = formatv("{0}/mutant-{1}.mlir", resultsDir, index).str();
    c.log = formatv("{0}/mutant-{1}.log", resultsDir, index).str();
    {
      std::error_code ec;
      raw_fd_ostream os(c.input, ec);
      os << text;
    }
    c.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
    outs().flush();
    errs().flush();
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open(c.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 2);
      dup2(fd, 1);
#if !QUANTOPT_FUZZ_ASAN // ASan reserves terabytes of shadow address space
      rlimit limit{rlim_t(memoryMb) << 20, rlim_t(memoryMb) << 20};
      setrlimit(RLIMIT_AS, &limit);
#endif
      auto context = makeFuzzContext();
      unsigned ran = runOneInput(*context, text, pipelines, [](StringRef p) {
        errs() << "pipeline: " << p << "\n";
        errs().flush();
      });
      errs() << "ran " << (ran > 0) << " " << ran << "\n";
      errs().flush();
      _exit(0);
    }
    c.pid = pid;
    running.push_back(std::move(c));
  }
  while (!running.empty())
    reapOne(/*block=*/true);
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  sys::fs::remove(resultsDir);
  outs() << formatv("quant-fuzz: {0} mutants of {1} inputs in {2:f1} s: {3} "
                    "parsed and verified, {4} pipeline runs; {5} crashes in "
                    "QuantOpt's code, {6} upstream, {7} hangs\n",
                    done, seeds.size(), seconds, parsed, runs, ours, upstream,
                    hangs);
  bool failed = ours > 0 || hangs > 0 || (failOnUpstream && upstream > 0);
  return failed ? 1 : 0;
}
