//===- PackedMatmulToVector.cpp - qnn.packed_matmul micro-kernels ---------===//
//
// Bufferized qnn.packed_matmul => loops over register tiles, vector ops and
// (target=vnni) the vpdpbusd / vpdpwssd (depthwise) intrinsics. See
// Passes.td.
//
//===----------------------------------------------------------------------===//

#include "quantopt/Conversion/Passes.h"

#include "qnn/IR/QnnOps.h"
#include "quantopt/Utils/FixedPointIR.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace quantopt {
#define GEN_PASS_DEF_CONVERTQNNPACKEDMATMULTOVECTORPASS
#include "quantopt/Conversion/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {

/// Output columns per vector (16 lanes of i32 or f32) and reduction steps per
/// 32-bit lane of the integer form.
constexpr int64_t kLanes = 16, kGroup = 4;

/// A register tile: `rows` x `vectors` accumulators of 16 lanes each.
struct TileShape {
  int64_t rows, vectors;
};

/// 24 accumulators once there are 6 rows (plus the weight vectors and a
/// broadcast, within the 32 zmm registers); with fewer rows, more vectors so
/// that enough independent dot products are in flight to hide latency.
TileShape chooseTile(int64_t m, int64_t tiles, int64_t rows, int64_t vectors) {
  if (ShapedType::isDynamic(m))
    m = 6; // unknown: tile for many rows (remainders go row by row)
  TileShape shape;
  shape.rows = rows > 0 ? rows : std::clamp<int64_t>(m, 1, 6);
  if (vectors > 0)
    shape.vectors = vectors;
  else
    shape.vectors =
        shape.rows >= 5 ? 4 : std::min<int64_t>(12, 24 / shape.rows);
  shape.rows = std::max<int64_t>(1, std::min(shape.rows, m));
  shape.vectors = std::max<int64_t>(1, std::min(shape.vectors, tiles));
  return shape;
}

/// Emits the loops of one qnn.packed_matmul on memrefs.
class KernelEmitter {
public:
  KernelEmitter(qnn::PackedMatmulOp op, bool vnni, bool amx, int64_t rows,
                int64_t vectors, bool parallel)
      : b(op.getLoc(), op), op(op), vnni(vnni), amx(amx), parallel(parallel) {
    auto lhsType = cast<MemRefType>(op.getLhs().getType());
    auto initType = cast<MemRefType>(op.getInit().getType());
    window = op.getConvWindow();
    if (window) {
      // Rows of a register tile are neighbouring pixels of one output row.
      m = initType.getDimSize(2);
      channels = lhsType.getDimSize(3);
      positions = window->size[0] * window->size[1];
      k = op.getDepthwise() ? positions : positions * channels;
      n = initType.getDimSize(3);
    } else {
      m = lhsType.getDimSize(0);
      k = lhsType.getDimSize(1);
      n = initType.getDimSize(1);
    }
    tiles = llvm::divideCeilSigned(n, kLanes);
    groups = llvm::divideCeilSigned(k, kGroup);
    // Depthwise: 8 pixels x 2 channel blocks (16 accumulators) leave
    // registers for a window row's weights and the input pixels it shares
    // (measured best on 56 x 56 x 128, 3 x 3).
    if (op.getDepthwise()) {
      vectors = vectors > 0 ? vectors : 2;
      rows = rows > 0 ? rows : std::clamp<int64_t>(16 / vectors, 1, 8);
    }
    shape = chooseTile(m, tiles, rows, vectors);
    numRows = ShapedType::isDynamic(m)
                  ? memref::DimOp::create(b, op.getLhs(), 0).getResult()
                  : index(m);
  }

  void emit() {
    if (op.getDepthwise())
      return emitDepthwise();
    if (window)
      return emitConvolution();
    if (amx && op.isInteger() && !ShapedType::isDynamic(m))
      return emitAmx();
    Value lhs = op.isInteger() ? packActivations() : Value();
    // Column blocks outermost: one block of packed weights is reused by
    // every row tile while it is in cache, and threads that share the
    // column blocks write disjoint outputs and read disjoint weights.
    forBlocks(
        tiles, shape.vectors,
        [&](Value tile, int64_t vectors) {
          forRowBlocks([&](Value row, int64_t rows) {
            if (op.isInteger())
              emitIntegerTile(row, rows, tile, vectors,
                              [&](int64_t r, Value, Value group) -> Value {
                                return memref::LoadOp::create(
                                    b, lhs, ValueRange{rowPlus(row, r), group});
                              });
            else
              emitFloatTile(row, rows, tile, vectors,
                            [&](int64_t r, Value, Value kk) -> Value {
                              return memref::LoadOp::create(
                                  b, op.getLhs(),
                                  ValueRange{rowPlus(row, r), kk});
                            });
          });
        },
        parallel);
    if (packedLhs)
      memref::DeallocOp::create(b, packedLhs);
    if (rowSums)
      memref::DeallocOp::create(b, rowSums);
  }

private:
  /// Reads one reduction step of row `r` of a register tile at window
  /// position `position`: 4 packed bytes as an i32 (integer form) or one
  /// f32.
  using ActivationFn =
      function_ref<Value(int64_t r, Value position, Value step)>;

  /// The loops shared by the convolution forms: output rows (n, oy)
  /// outermost (parallel when requested), then column blocks of `vectors`
  /// x 16, then tiles of `rows` neighbouring output pixels from ox.
  void
  forOutputTiles(function_ref<void(Value image, Value oy, Value tile,
                                   int64_t vectors, Value ox, int64_t rows)>
                     body) {
    auto initType = cast<MemRefType>(op.getInit().getType());
    int64_t outHeight = initType.getDimSize(1);
    int64_t outRows = initType.getDimSize(0) * outHeight;
    forBlocks(
        outRows, 1,
        [&](Value outRow, int64_t) {
          Value image = arith::DivUIOp::create(b, outRow, index(outHeight));
          Value oy = arith::RemUIOp::create(b, outRow, index(outHeight));
          outputPrefix = {image, oy};
          forBlocks(tiles, shape.vectors, [&](Value tile, int64_t vectors) {
            forBlocks(m, shape.rows, [&](Value ox, int64_t rows) {
              body(image, oy, tile, vectors, ox, rows);
            });
          });
        },
        parallel);
  }

  /// The convolution form: output rows (n, oy) outermost, shared by the
  /// threads; in each, column blocks, then register tiles of neighbouring
  /// output pixels, reading the input window in place (no im2col, no
  /// packed activations: the input is u8 already, and 4 channels make one
  /// dot-product group).
  void emitConvolution() {
    forOutputTiles([&](Value image, Value oy, Value tile, int64_t vectors,
                       Value ox, int64_t rows) {
      auto read = [&](int64_t r, Value position, Value channel,
                      Type type) -> Value {
        SmallVector<Value> at =
            inputIndices(image, oy, ox, r, position, channel);
        return vector::LoadOp::create(b, type, op.getLhs(), at);
      };
      if (op.isInteger())
        emitIntegerTile(
            ox, rows, tile, vectors,
            [&](int64_t r, Value position, Value group) -> Value {
              Value channel = arith::MulIOp::create(b, group, index(kGroup));
              Value quad =
                  read(r, position, channel, vec(kGroup, b.getI8Type()));
              return vector::ExtractOp::create(
                  b, vector::BitCastOp::create(b, vec(1, b.getI32Type()), quad),
                  ArrayRef<int64_t>{0});
            });
      else
        emitFloatTile(
            ox, rows, tile, vectors,
            [&](int64_t r, Value position, Value channel) -> Value {
              Value one = read(r, position, channel, vec(1, b.getF32Type()));
              return vector::ExtractOp::create(b, one, ArrayRef<int64_t>{0});
            });
    });
  }

  /// The depthwise form: output rows (n, oy) outermost, shared by the
  /// threads; in each, channel blocks, then tiles of neighbouring output
  /// pixels. Channels are the vector lanes: each window position adds 16
  /// input channels of a pixel times their 16 weights, with no broadcast.
  void emitDepthwise() {
    bool integer = op.isInteger();
    Type element = integer ? Type(b.getI32Type()) : Type(b.getF32Type());
    VectorType accType = vec(kLanes, element);
    VectorType storedType =
        vec(kLanes, integer ? Type(b.getI8Type()) : Type(b.getF32Type()));
    forOutputTiles([&](Value image, Value oy, Value tile, int64_t vectors,
                       Value ox, int64_t rows) {
      SmallVector<Value> init;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t v = 0; v < vectors; ++v)
          init.push_back(
              integer ? arith::ConstantOp::create(
                            b, DenseElementsAttr::get(accType, APInt(32, 0)))
                            .getResult()
                      : load(accType, rowPlus(ox, r), columnOf(tile, v)));
      // A loop over the window rows; the window columns unrolled,
      // so that each input pixel a tile reads in one window row is
      // loaded once for all the (pixel, kx) pairs that use it.
      int64_t windowWidth = window->size[1];
      auto loop = scf::ForOp::create(b, index(0), index(window->size[0]),
                                     index(1), init);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value ky = loop.getInductionVar();
        Value inputRow = arith::AddIOp::create(
            b, arith::MulIOp::create(b, oy, index(window->strides[0])),
            arith::MulIOp::create(b, ky, index(window->dilations[0])));
        Value firstColumn =
            arith::MulIOp::create(b, ox, index(window->strides[1]));
        Value firstPosition = arith::MulIOp::create(b, ky, index(windowWidth));
        SmallVector<Value> accs(loop.getRegionIterArgs());
        for (int64_t v = 0; v < vectors; ++v) {
          Value channel = columnOf(tile, v);
          Value panel = arith::AddIOp::create(b, tile, index(v));
          llvm::SmallDenseMap<int64_t, Value> inputs;
          for (int64_t kx = 0; kx < windowWidth; ++kx) {
            Value w = vector::LoadOp::create(
                b, storedType, op.getPackedRhs(),
                ValueRange{panel, rowPlus(firstPosition, kx), index(0)});
            if (integer)
              w = arith::ExtSIOp::create(b, accType, w);
            for (int64_t r = 0; r < rows; ++r) {
              int64_t offset =
                  r * window->strides[1] + kx * window->dilations[1];
              Value &x = inputs[offset];
              if (!x) {
                x = vector::LoadOp::create(
                    b, storedType, op.getLhs(),
                    ValueRange{image, inputRow, rowPlus(firstColumn, offset),
                               channel});
                if (integer)
                  x = arith::ExtUIOp::create(b, accType, x);
              }
              Value &acc = accs[r * vectors + v];
              acc = integer ? multiplyAdd16(acc, x, w)
                            : vector::FMAOp::create(b, x, w, acc).getResult();
            }
          }
        }
        scf::YieldOp::create(b, accs);
      }
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t v = 0; v < vectors; ++v) {
          Value acc = loop.getResult(r * vectors + v);
          if (integer)
            emitRequantizeAndStore(acc, rowPlus(ox, r), columnOf(tile, v));
          else
            store(acc, rowPlus(ox, r), columnOf(tile, v));
        }
    });
  }

  /// acc + a * w lane by lane, for i32 lanes holding a u8 `a` and an s8
  /// `w`: with VNNI one vpdpwssd, which multiplies the 16-bit halves
  /// pairwise; the high half of `a` is 0, so the sum is the one product.
  Value multiplyAdd16(Value acc, Value a, Value w) {
    if (!vnni)
      return arith::AddIOp::create(b, acc, arith::MulIOp::create(b, a, w));
    VectorType halves = vec(2 * kLanes, b.getI16Type());
    return LLVM::CallIntrinsicOp::create(
               b, acc.getType(),
               b.getStringAttr("llvm.x86.avx512.vpdpwssd.512"),
               ValueRange{acc, vector::BitCastOp::create(b, halves, a),
                          vector::BitCastOp::create(b, halves, w)})
        .getResult(0);
  }

  /// lhs indices of input channel `channel` at window position `position`
  /// for output pixel (image, oy, ox + r).
  SmallVector<Value> inputIndices(Value image, Value oy, Value ox, int64_t r,
                                  Value position, Value channel) {
    Value ky = arith::DivUIOp::create(b, position, index(window->size[1]));
    Value kx = arith::RemUIOp::create(b, position, index(window->size[1]));
    auto axis = [&](Value out, Value offset, int i) -> Value {
      return arith::AddIOp::create(
          b, arith::MulIOp::create(b, out, index(window->strides[i])),
          arith::MulIOp::create(b, offset, index(window->dilations[i])));
    };
    return {image, axis(oy, ky, 0), axis(rowPlus(ox, r), kx, 1), channel};
  }

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value rowPlus(Value row, int64_t r) {
    return r == 0 ? row : arith::AddIOp::create(b, row, index(r)).getResult();
  }
  Value i32(int64_t v) {
    return arith::ConstantOp::create(b, b.getI32IntegerAttr(int32_t(v)));
  }
  VectorType vec(int64_t size, Type element) {
    return VectorType::get({size}, element);
  }

  /// Calls `body(start, size)` for blocks of `step` over [0, total): a loop
  /// over the full blocks (scf.parallel if `isParallel`), then the remainder
  /// block with its static size.
  void forBlocks(int64_t total, int64_t step,
                 function_ref<void(Value, int64_t)> body,
                 bool isParallel = false) {
    int64_t full = total / step * step;
    if (full > 0 && isParallel) {
      auto loop = scf::ParallelOp::create(b, ValueRange{index(0)},
                                          ValueRange{index(full)},
                                          ValueRange{index(step)});
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      body(loop.getInductionVars()[0], step);
    } else if (full > 0) {
      auto loop = scf::ForOp::create(b, index(0), index(full), index(step));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      body(loop.getInductionVar(), step);
    }
    if (full < total)
      body(index(full), total - full);
  }

  /// forBlocks over the rows; with a dynamic M, the remainder rows are done
  /// one at a time.
  void forRowBlocks(function_ref<void(Value, int64_t)> body) {
    if (!ShapedType::isDynamic(m))
      return forBlocks(m, shape.rows, body);
    Value step = index(shape.rows);
    Value full = arith::MulIOp::create(
        b, arith::DivUIOp::create(b, numRows, step), step);
    auto blocks = scf::ForOp::create(b, index(0), full, step);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(blocks.getBody());
      body(blocks.getInductionVar(), shape.rows);
    }
    auto rest = scf::ForOp::create(b, full, numRows, index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rest.getBody());
    body(rest.getInductionVar(), 1);
  }

  /// Copies the activations into an M x KG i32 buffer of u8 quadruples
  /// (zero-padded beyond K, sign bit flipped for s8), and sums each row
  /// when the weights have zero points.
  /// With `asBytes`, returns an M x 4KG i8 view of that buffer (what AMX
  /// tile loads read) instead.
  Value packActivations(bool asBytes = false) {
    Type i8 = b.getI8Type(), i32Type = b.getI32Type();
    constexpr int64_t chunk = 64; // bytes per step, 16 quadruples
    bool flip = op.getLhsSignFlip();
    SmallVector<Value> dynamicRows;
    if (ShapedType::isDynamic(m))
      dynamicRows.push_back(numRows);
    Value packedBytes;
    int64_t width = groups; // quadruples per packed row
    if (asBytes) {
      // One byte buffer, two views: i32 quadruples to fill, bytes to read;
      // rows padded to a multiple of 16, K to a multiple of 64 (zeros).
      width = llvm::alignTo(groups, 16);
      int64_t paddedRows = llvm::alignTo(m, 16);
      packedLhs = memref::AllocOp::create(
          b, MemRefType::get({paddedRows * width * kGroup}, i8), ValueRange{},
          b.getI64IntegerAttr(64));
      Value zero = index(0);
      packedBytes = memref::ViewOp::create(
          b, MemRefType::get({paddedRows, width * kGroup}, i8), packedLhs, zero,
          ValueRange{});
      lhsQuads = memref::ViewOp::create(b, MemRefType::get({m, width}, i32Type),
                                        packedLhs, zero, ValueRange{});
    } else {
      packedLhs =
          memref::AllocOp::create(b, MemRefType::get({m, groups}, i32Type),
                                  dynamicRows, b.getI64IntegerAttr(64));
      lhsQuads = packedLhs;
    }
    if (op.getRowSumFactors())
      rowSums = memref::AllocOp::create(b, MemRefType::get({m}, i32Type),
                                        dynamicRows, b.getI64IntegerAttr(64));
    // Padding reads as 0 after the flip.
    Value padding =
        arith::ConstantOp::create(b, b.getIntegerAttr(i8, flip ? -128 : 0));
    Value signBits = arith::ConstantOp::create(
        b, DenseElementsAttr::get(vec(chunk, i8), APInt(8, 0x80)));
    Value lhs = op.getLhs();
    auto rowLoop = scf::ForOp::create(b, index(0), numRows, index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rowLoop.getBody());
    Value row = rowLoop.getInductionVar();
    auto chunkLoop = scf::ForOp::create(
        b, index(0), index(groups), index(chunk / kGroup), ValueRange{i32(0)});
    b.setInsertionPointToStart(chunkLoop.getBody());
    Value group = chunkLoop.getInductionVar();
    Value column = arith::MulIOp::create(b, group, index(kGroup));
    Value bytes = vector::TransferReadOp::create(
        b, vec(chunk, i8), lhs, ValueRange{row, column}, padding,
        ArrayRef<bool>{false});
    if (flip)
      bytes = arith::XOrIOp::create(b, bytes, signBits);
    Value sum = chunkLoop.getRegionIterArgs()[0];
    if (rowSums) {
      Value widened = arith::ExtUIOp::create(b, vec(chunk, i32Type), bytes);
      Value partial =
          vector::ReductionOp::create(b, vector::CombiningKind::ADD, widened);
      sum = arith::AddIOp::create(b, sum, partial);
    }
    Value quads =
        vector::BitCastOp::create(b, vec(chunk / kGroup, i32Type), bytes);
    vector::TransferWriteOp::create(b, quads, lhsQuads, ValueRange{row, group},
                                    ArrayRef<bool>{false});
    scf::YieldOp::create(b, sum);
    b.setInsertionPointAfter(chunkLoop);
    if (rowSums)
      memref::StoreOp::create(b, chunkLoop.getResult(0), rowSums, row);
    return asBytes ? packedBytes : packedLhs;
  }

  /// The plain integer matmul on AMX tiles (tdpbusd): blocks of up to 32
  /// rows x 2 column tiles, four 16 x 16 i32 accumulator tiles that stay in
  /// tile registers across the reduction (64 bytes of K per step), then the
  /// same epilogue as the vector kernels, read back row by row from a
  /// 32 x 32 scratch buffer. The packed weights are already in tdpbusd's B
  /// layout: 16 consecutive groups of packed_rhs[t] are one 16 x 64-byte
  /// tile. Every tile has one shape (LLVM gives each of the 8 tile
  /// registers one shape per function): the activations are packed (u8)
  /// into a byte view with rows padded to a multiple of 16 (rows past M are
  /// computed, never stored) and K zero-padded to a multiple of 64; the
  /// weights of a K tail are copied into a zero-padded 16 x 64 stage.
  void emitAmx() {
    constexpr int64_t kTileRows = 16, kStepGroups = 16, kBlockRows = 32,
                      kBlockTiles = 2;
    Type i8 = b.getI8Type(), i32Type = b.getI32Type();
    Value packed = packActivations(/*asBytes=*/true);
    int64_t fullSteps = groups / kStepGroups, tailGroups = groups % kStepGroups;
    amx::TileType bytesTile = amx::TileType::get({kTileRows, 64}, i8);
    amx::TileType accTile = amx::TileType::get({kTileRows, kLanes}, i32Type);
    forBlocks(
        tiles, kBlockTiles,
        [&](Value tile, int64_t vectors) {
          // On the heap, per column block: a stack buffer in a loop (the
          // threads' blocks, or a caller's loop) would grow the stack.
          Value scratch = memref::AllocOp::create(
              b, MemRefType::get({kBlockRows, kBlockTiles * kLanes}, i32Type),
              b.getI64IntegerAttr(64));
          Value stage;
          if (tailGroups > 0) {
            stage = memref::AllocOp::create(
                b, MemRefType::get({kBlockTiles, kStepGroups, 64}, i8),
                b.getI64IntegerAttr(64));
            Value zeros = arith::ConstantOp::create(
                b, DenseElementsAttr::get(vec(64, i8), APInt(8, 0)));
            for (int64_t v = 0; v < vectors; ++v)
              for (int64_t g = 0; g < kStepGroups; ++g)
                vector::StoreOp::create(
                    b,
                    g < tailGroups
                        ? vector::LoadOp::create(
                              b, vec(64, i8), op.getPackedRhs(),
                              ValueRange{
                                  arith::AddIOp::create(b, tile, index(v)),
                                  index(fullSteps * kStepGroups + g), index(0)})
                              .getResult()
                        : zeros,
                    stage, ValueRange{index(v), index(g), index(0)});
          }
          forBlocks(m, kBlockRows, [&](Value row, int64_t rows) {
            int64_t lhsTiles = llvm::divideCeilSigned(rows, kTileRows);
            SmallVector<Value> accs;
            for (int64_t i = 0; i < lhsTiles * vectors; ++i)
              accs.push_back(amx::TileZeroOp::create(b, accTile));
            // One reduction step: 16 groups from group `g`, the weights
            // from `rhs` at (tile + v, rhsGroup).
            auto step = [&](Value g, Value rhs,
                            function_ref<Value(int64_t)> rhsTile,
                            Value rhsGroup, ValueRange in) {
              Value byte = arith::MulIOp::create(b, g, index(kGroup));
              SmallVector<Value> lhs, weights, out;
              for (int64_t i = 0; i < lhsTiles; ++i)
                lhs.push_back(amx::TileLoadOp::create(
                    b, bytesTile, packed,
                    ValueRange{rowPlus(row, i * kTileRows), byte}));
              for (int64_t v = 0; v < vectors; ++v)
                weights.push_back(amx::TileLoadOp::create(
                    b, bytesTile, rhs,
                    ValueRange{rhsTile(v), rhsGroup, index(0)}));
              for (int64_t i = 0; i < lhsTiles; ++i)
                for (int64_t v = 0; v < vectors; ++v)
                  out.push_back(amx::TileMulIOp::create(
                      b, accTile, lhs[i], weights[v], in[i * vectors + v],
                      /*isZextLhs=*/true, /*isZextRhs=*/false));
              return out;
            };
            auto packedTile = [&](int64_t v) -> Value {
              return arith::AddIOp::create(b, tile, index(v));
            };
            if (fullSteps > 0) {
              auto loop = scf::ForOp::create(b, index(0),
                                             index(fullSteps * kStepGroups),
                                             index(kStepGroups), accs);
              OpBuilder::InsertionGuard loopGuard(b);
              b.setInsertionPointToStart(loop.getBody());
              Value g = loop.getInductionVar();
              scf::YieldOp::create(b, step(g, op.getPackedRhs(), packedTile, g,
                                           loop.getRegionIterArgs()));
              b.setInsertionPointAfter(loop);
              accs.assign(loop.getResults().begin(), loop.getResults().end());
            }
            if (tailGroups > 0)
              accs = step(
                  index(fullSteps * kStepGroups), stage,
                  [&](int64_t v) { return index(v); }, index(0), accs);
            for (int64_t i = 0; i < lhsTiles; ++i)
              for (int64_t v = 0; v < vectors; ++v)
                amx::TileStoreOp::create(
                    b, scratch,
                    ValueRange{index(i * kTileRows), index(v * kLanes)},
                    accs[i * vectors + v]);
            auto rowLoop =
                scf::ForOp::create(b, index(0), index(rows), index(1));
            OpBuilder::InsertionGuard rowGuard(b);
            b.setInsertionPointToStart(rowLoop.getBody());
            Value r = rowLoop.getInductionVar();
            for (int64_t v = 0; v < vectors; ++v)
              emitRequantizeAndStore(
                  vector::LoadOp::create(b, vec(kLanes, i32Type), scratch,
                                         ValueRange{r, index(v * kLanes)}),
                  arith::AddIOp::create(b, row, r), columnOf(tile, v));
          });
          memref::DeallocOp::create(b, scratch);
          if (stage)
            memref::DeallocOp::create(b, stage);
        },
        parallel);
    memref::DeallocOp::create(b, packedLhs);
    if (rowSums)
      memref::DeallocOp::create(b, rowSums);
  }

  /// acc + sum over 4-byte groups of u8(a) * s8(w), lane by lane.
  Value dot4(Value acc, Value a, Value w) {
    VectorType accType = vec(kLanes, b.getI32Type());
    if (vnni)
      return LLVM::CallIntrinsicOp::create(
                 b, accType, b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                 ValueRange{acc, a, w})
          .getResult(0);
    // Portable form: widen, multiply, and add the 4 products of each lane.
    VectorType wide = vec(kLanes * kGroup, b.getI32Type());
    Value products =
        arith::MulIOp::create(b, arith::ExtUIOp::create(b, wide, a),
                              arith::ExtSIOp::create(b, wide, w));
    for (int64_t i = 0; i < kGroup; ++i) {
      SmallVector<int64_t> lanes;
      for (int64_t lane = 0; lane < kLanes; ++lane)
        lanes.push_back(lane * kGroup + i);
      acc = arith::AddIOp::create(
          b, acc, vector::ShuffleOp::create(b, products, products, lanes));
    }
    return acc;
  }

  /// The first column of vector `v` of the tile starting at column tile
  /// `tile`.
  Value columnOf(Value tile, int64_t v) {
    return arith::MulIOp::create(b, arith::AddIOp::create(b, tile, index(v)),
                                 index(kLanes));
  }

  /// The reduction loop of a rows x vectors register tile, shared by both
  /// forms: the accumulators (row-major, `init`) stay in registers across
  /// `steps` iterations; each loads one packed weight vector per column
  /// vector, gets one broadcast activation per row from `activation(row,
  /// step)`, and combines them with `accumulate(acc, a, w)`.
  ///
  /// The convolution form has an outer loop over the window positions,
  /// with `steps` reduction steps (channel groups) at each.
  SmallVector<Value>
  emitReduction(int64_t rows, Value tile, int64_t vectors, int64_t steps,
                VectorType weightType, ValueRange init, ActivationFn activation,
                function_ref<Value(Value, Value, Value)> accumulate) {
    auto body = [&](Value position, ValueRange accsIn) -> SmallVector<Value> {
      auto loop =
          scf::ForOp::create(b, index(0), index(steps), index(1), accsIn);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value step = loop.getInductionVar();
      Value weightStep =
          position
              ? arith::AddIOp::create(
                    b, arith::MulIOp::create(b, position, index(steps)), step)
                    .getResult()
              : step;
      SmallVector<Value> weights;
      for (int64_t v = 0; v < vectors; ++v)
        weights.push_back(vector::LoadOp::create(
            b, weightType, op.getPackedRhs(),
            ValueRange{arith::AddIOp::create(b, tile, index(v)), weightStep,
                       index(0)}));
      SmallVector<Value> accs(loop.getRegionIterArgs());
      for (int64_t r = 0; r < rows; ++r) {
        Value a = activation(r, position, step);
        for (int64_t v = 0; v < vectors; ++v)
          accs[r * vectors + v] =
              accumulate(accs[r * vectors + v], a, weights[v]);
      }
      scf::YieldOp::create(b, accs);
      return loop.getResults();
    };
    if (!window)
      return body(Value(), init);
    auto outer =
        scf::ForOp::create(b, index(0), index(positions), index(1), init);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(outer.getBody());
    scf::YieldOp::create(
        b, body(outer.getInductionVar(), outer.getRegionIterArgs()));
    return outer.getResults();
  }

  /// The rows x vectors tile at (row, tile) of the integer form; `quad`
  /// reads 4 activation bytes as an i32.
  void emitIntegerTile(Value row, int64_t rows, Value tile, int64_t vectors,
                       ActivationFn quad) {
    VectorType accType = vec(kLanes, b.getI32Type());
    VectorType bytesType = vec(kLanes * kGroup, b.getI8Type());
    Value zero = arith::ConstantOp::create(
        b, DenseElementsAttr::get(accType, APInt(32, 0)));
    SmallVector<Value> init(rows * vectors, zero);
    SmallVector<Value> accs = emitReduction(
        rows, tile, vectors, window ? channels / kGroup : groups, bytesType,
        init,
        [&](int64_t r, Value position, Value group) -> Value {
          // 4 activation bytes, repeated in every lane.
          return vector::BitCastOp::create(
              b, bytesType,
              vector::BroadcastOp::create(b, accType,
                                          quad(r, position, group)));
        },
        [&](Value acc, Value a, Value w) { return dot4(acc, a, w); });
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vectors; ++v)
        emitRequantizeAndStore(accs[r * vectors + v], rowPlus(row, r),
                               columnOf(tile, v));
  }

  /// y = clamp(round_half_to_even(f64(acc + offsets + R * factors) * mult)
  ///           + zp), stored as 16 bytes of row `row` from column `column`.
  void emitRequantizeAndStore(Value acc, Value row, Value column) {
    Type i32Type = b.getI32Type(), f64 = b.getF64Type();
    VectorType accType = vec(kLanes, i32Type);
    acc = arith::AddIOp::create(
        b, acc, vector::LoadOp::create(b, accType, op.getColOffsets(), column));
    if (rowSums) {
      Value sum = vector::BroadcastOp::create(
          b, accType, memref::LoadOp::create(b, rowSums, row));
      Value factors =
          vector::LoadOp::create(b, accType, op.getRowSumFactors(), column);
      acc =
          arith::AddIOp::create(b, acc, arith::MulIOp::create(b, sum, factors));
    }
    // The accumulator form stores the sums.
    if (getElementTypeOrSelf(op.getInit().getType()).isInteger(32))
      return store(acc, row, column);
    if (op.getShifts())
      return store(requantizeFixedPoint(acc, column), row, column);
    VectorType wideType = vec(kLanes, f64);
    Value scaled = arith::MulFOp::create(
        b, arith::SIToFPOp::create(b, wideType, acc),
        vector::LoadOp::create(b, wideType, op.getMultipliers(), column));
    Value rounded = math::RoundEvenOp::create(b, scaled);
    // Clamping before adding the zero point keeps the conversion in range;
    // both bounds are small integers, exact in f64.
    // (The I64Attr getters return uint64_t.)
    int64_t zp = int64_t(*op.getOutputZeroPoint());
    int64_t lo = int64_t(*op.getOutputMin()), hi = int64_t(*op.getOutputMax());
    auto splat = [&](double v) {
      return arith::ConstantOp::create(
          b, DenseElementsAttr::get(wideType, b.getF64FloatAttr(v)));
    };
    rounded = arith::MaximumFOp::create(b, rounded, splat(double(lo - zp)));
    rounded = arith::MinimumFOp::create(b, rounded, splat(double(hi - zp)));
    Value result = arith::AddIOp::create(
        b, arith::FPToSIOp::create(b, accType, rounded),
        arith::ConstantOp::create(
            b, DenseElementsAttr::get(accType, APInt(32, zp, true))));
    result = arith::TruncIOp::create(b, vec(kLanes, b.getI8Type()), result);
    store(result, row, column);
  }

  /// The fixed-point requantize of 16 accumulators to 8-bit results, in i64
  /// lanes with the generic lowering's ops (quantopt::
  /// emitMultiplyByFixedPoint), so the bits are the same.
  Value requantizeFixedPoint(Value acc, Value column) {
    Location loc = b.getLoc();
    VectorType i32Type = vec(kLanes, b.getI32Type());
    VectorType wide = vec(kLanes, b.getI64Type());
    auto load = [&](Value from) -> Value {
      return arith::ExtSIOp::create(
          b, wide, vector::LoadOp::create(b, i32Type, from, column));
    };
    auto splat = [&](int64_t v) {
      return quantopt::constantLike(b, loc, wide, v);
    };
    Value shift = load(op.getShifts());
    Value right = arith::MaxSIOp::create(
        b, arith::SubIOp::create(b, splat(0), shift), splat(0));
    Value leftMul = arith::ShLIOp::create(
        b, splat(1), arith::MaxSIOp::create(b, shift, splat(0)));
    Value mask = arith::SubIOp::create(
        b, arith::ShLIOp::create(b, splat(1), right), splat(1));
    Value y = quantopt::emitMultiplyByFixedPoint(
        b, loc, arith::ExtSIOp::create(b, wide, acc), load(op.getMultipliers()),
        leftMul, right, mask);
    // (The I64Attr getters return uint64_t.)
    y = arith::AddIOp::create(b, y, splat(int64_t(*op.getOutputZeroPoint())));
    y = quantopt::clampSigned(b, loc, y, int64_t(*op.getOutputMin()),
                              int64_t(*op.getOutputMax()));
    return arith::TruncIOp::create(b, vec(kLanes, b.getI8Type()), y);
  }

  /// Stores 16 results at (row, column); masked when N is not a multiple of
  /// 16 (the last column tile is partial).
  void store(Value values, Value row, Value column) {
    SmallVector<Value> at = outputIndices(row, column);
    if (n % kLanes == 0) {
      vector::StoreOp::create(b, values, op.getInit(), at);
      return;
    }
    vector::TransferWriteOp::create(b, values, op.getInit(), at,
                                    ArrayRef<bool>{false});
  }

  Value load(VectorType type, Value row, Value column) {
    SmallVector<Value> at = outputIndices(row, column);
    if (n % kLanes == 0)
      return vector::LoadOp::create(b, type, op.getInit(), at);
    Value padding = arith::ConstantOp::create(
        b, b.getFloatAttr(type.getElementType(), 0.0));
    return vector::TransferReadOp::create(b, type, op.getInit(), at, padding,
                                          ArrayRef<bool>{false});
  }

  /// init indices of (row, column): the convolution form's rows are pixels
  /// of the output row `outputPrefix` = (n, oy).
  SmallVector<Value> outputIndices(Value row, Value column) {
    SmallVector<Value> at(outputPrefix.begin(), outputPrefix.end());
    at.append({row, column});
    return at;
  }

  /// The rows x vectors tile at (row, tile) of the f32 form: init + lhs * W;
  /// `element` reads one lhs value.
  void emitFloatTile(Value row, int64_t rows, Value tile, int64_t vectors,
                     ActivationFn element) {
    VectorType accType = vec(kLanes, b.getF32Type());
    SmallVector<Value> init;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vectors; ++v)
        init.push_back(load(accType, rowPlus(row, r), columnOf(tile, v)));
    SmallVector<Value> accs = emitReduction(
        rows, tile, vectors, window ? channels : k, accType, init,
        [&](int64_t r, Value position, Value kk) -> Value {
          return vector::BroadcastOp::create(b, accType,
                                             element(r, position, kk));
        },
        [&](Value acc, Value a, Value w) -> Value {
          return vector::FMAOp::create(b, a, w, acc);
        });
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vectors; ++v)
        store(accs[r * vectors + v], rowPlus(row, r), columnOf(tile, v));
  }

  ImplicitLocOpBuilder b;
  qnn::PackedMatmulOp op;
  bool vnni, amx, parallel;
  int64_t m, k, n, tiles, groups;
  // The convolution form's window, and the input's channels per pixel and
  // window positions (KH * KW).
  std::optional<qnn::PackedMatmulOp::Window> window;
  int64_t channels = 0, positions = 1;
  SmallVector<Value, 2> outputPrefix;
  TileShape shape;
  Value numRows; // M as an index value (dynamic or constant)
  Value packedLhs, lhsQuads, rowSums;
};

/// The vector ops read rows contiguously.
bool hasUnitInnerStride(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.isLastDimUnitStride();
}

struct ConvertQnnPackedMatmulToVectorPass
    : quantopt::impl::ConvertQnnPackedMatmulToVectorPassBase<
          ConvertQnnPackedMatmulToVectorPass> {
  using Base::Base;

  void runOnOperation() override {
    if (target != "vnni" && target != "generic" && target != "amx") {
      getOperation().emitError() << "unknown target '" << target
                                 << "' (expected vnni, amx or generic)";
      return signalPassFailure();
    }
    if (rows < 0 || vectors < 0 || vectors * std::max<int64_t>(rows, 1) > 28) {
      getOperation().emitError()
          << "rows and vectors must be >= 0 with rows * vectors <= 28 "
             "(accumulators must fit the 32 vector registers)";
      return signalPassFailure();
    }
    WalkResult result = getOperation().walk([&](qnn::PackedMatmulOp op) {
      if (op.getResult())
        return op.emitOpError("must be bufferized first (run "
                              "one-shot-bufferize)"),
               WalkResult::interrupt();
      for (Value operand : op->getOperands())
        if (!hasUnitInnerStride(operand))
          return op.emitOpError("needs memrefs whose rows are contiguous"),
                 WalkResult::interrupt();
      // Empty results need no code (and no tile of zero rows).
      auto init = cast<MemRefType>(op.getInit().getType());
      if (!llvm::is_contained(init.getShape(), 0))
        KernelEmitter(op, target != "generic", target == "amx", rows, vectors,
                      parallel)
            .emit();
      op.erase();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
