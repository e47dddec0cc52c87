//===- BufferizableOpInterfaceImpl.h - qnn bufferization --------*- C++ -*-===//
//
// One-shot bufferization of the destination-style qnn ops.
//
//===----------------------------------------------------------------------===//

#ifndef QNN_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define QNN_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
namespace qnn {
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace qnn
} // namespace mlir

#endif // QNN_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
