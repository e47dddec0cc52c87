//===- quant-stats.cpp - Calibration statistics as data -------------------===//
//
// quant-stats merge a.json b.json ... -o all.json
//   one stats file from several calibration runs of the same instrumented
//   model (calibration data in several files, one run each);
// quant-stats diff a.json b.json [--top N]
//   which observers' ranges moved between two runs, and by how much.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Calibration/Statistics.h"
#include "quantopt/InitAll.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace quantopt;

static llvm::cl::SubCommand mergeCommand("merge",
                                         "Merge the stats files of several "
                                         "runs into one");
static llvm::cl::SubCommand diffCommand("diff",
                                        "Compare the observers of two stats "
                                        "files");
static llvm::cl::list<std::string> mergeInputs(llvm::cl::Positional,
                                               llvm::cl::OneOrMore,
                                               llvm::cl::sub(mergeCommand),
                                               llvm::cl::desc("<stats.json>..."));
static llvm::cl::opt<std::string> mergeOutput("o", llvm::cl::Required,
                                              llvm::cl::sub(mergeCommand),
                                              llvm::cl::desc("Merged file"),
                                              llvm::cl::value_desc("file"));
static llvm::cl::list<std::string> diffInputs(llvm::cl::Positional,
                                              llvm::cl::sub(diffCommand),
                                              llvm::cl::desc("<a.json> <b.json>"));
static llvm::cl::opt<unsigned>
    top("top", llvm::cl::sub(diffCommand), llvm::cl::init(20),
        llvm::cl::desc("Observers to list, the most moved first (0: all)"));

static int error(const llvm::Twine &message) {
  llvm::errs() << "quant-stats: error: " << message << "\n";
  return 1;
}

static int merge() {
  CalibrationStats merged;
  for (const std::string &path : mergeInputs) {
    auto stats = CalibrationStats::readFile(path);
    if (!stats)
      return error(llvm::toString(stats.takeError()));
    if (llvm::Error e = merged.merge(*stats))
      return error("merging '" + path + "': " + llvm::toString(std::move(e)));
  }
  if (llvm::Error e = merged.writeFile(mergeOutput))
    return error(llvm::toString(std::move(e)));
  llvm::outs() << "quant-stats: merged " << mergeInputs.size() << " files ("
               << merged.samples << " samples, " << merged.observers.size()
               << " observers) into " << mergeOutput << "\n";
  return 0;
}

static int diff() {
  if (diffInputs.size() != 2)
    return error("diff takes two stats files, " +
                 std::to_string(diffInputs.size()) + " given");
  auto a = CalibrationStats::readFile(diffInputs[0]);
  if (!a)
    return error(llvm::toString(a.takeError()));
  auto b = CalibrationStats::readFile(diffInputs[1]);
  if (!b)
    return error(llvm::toString(b.takeError()));
  struct Row {
    int64_t id;
    std::string name;
    double minA, maxA, minB, maxB, change;
  };
  std::vector<Row> rows;
  unsigned onlyA = 0, onlyB = 0;
  for (const auto &[id, sa] : a->observers) {
    auto it = b->observers.find(id);
    if (it == b->observers.end()) {
      ++onlyA;
      continue;
    }
    const ObserverStats &sb = it->second;
    if (!sa.hasFiniteValues() || !sb.hasFiniteValues())
      continue;
    // How much the range moved, relative to the first run's range.
    double range = std::max(sa.max - sa.min, 1e-30);
    double change =
        std::max(std::fabs(sb.min - sa.min), std::fabs(sb.max - sa.max)) /
        range;
    rows.push_back({id, sa.name, sa.min, sa.max, sb.min, sb.max, change});
  }
  for (const auto &entry : b->observers)
    if (!a->observers.count(entry.first))
      ++onlyB;
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row &x, const Row &y) { return x.change > y.change; });
  llvm::outs() << llvm::formatv("{0,-6} {1,-40} {2,25} {3,25} {4,9}\n", "id",
                                "observer", "range in " + diffInputs[0],
                                "range in " + diffInputs[1], "moved");
  size_t shown = top == 0 ? rows.size() : std::min<size_t>(top, rows.size());
  for (const Row &r : llvm::ArrayRef(rows).take_front(shown))
    llvm::outs() << llvm::formatv(
        "{0,-6} {1,-40} {2,25} {3,25} {4,8:f1}%\n", r.id, r.name,
        llvm::formatv("[{0:g}, {1:g}]", r.minA, r.maxA).str(),
        llvm::formatv("[{0:g}, {1:g}]", r.minB, r.maxB).str(),
        100 * r.change);
  llvm::outs() << llvm::formatv(
      "{0} observers in both files ({1} shown), {2} only in the first, {3} "
      "only in the second\n",
      rows.size(), shown, onlyA, onlyB);
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::AddExtraVersionPrinter(quantopt::printVersion);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "QuantOpt calibration statistics: merge and diff\n");
  if (mergeCommand)
    return merge();
  if (diffCommand)
    return diff();
  return error("give a command: merge or diff (see --help)");
}
