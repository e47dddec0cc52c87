// quant-rewrite-int8's record of what it did: report=FILE lists every matmul
// and convolution that reads a quantized value, with the decision and the
// reason; strict=true makes those left in float errors (except the ones the
// user excluded); a report that cannot be written is an error.
// RUN: quant-opt %s --quant-rewrite-int8="report=%t.json exclude=fc3" -o /dev/null 2>/dev/null
// RUN: FileCheck %s --check-prefix=REPORT < %t.json
// RUN: not quant-opt %s --quant-rewrite-int8="strict=true exclude=fc3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=STRICT
// RUN: not quant-opt %s --quant-rewrite-int8="report=%t.missing/dir/r.json exclude=fc3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=UNWRITABLE

// REPORT:      "pass": "quant-rewrite-int8",
// REPORT-NEXT: "quantized": 1,
// REPORT-NEXT: "kept_float": 2,
// REPORT:      "op": "linalg.matmul",
// REPORT-NEXT: "name": "fc1",
// REPORT-NEXT: "location": "loc(\"fc1\")",
// REPORT-NEXT: "decision": "int8"
// REPORT:      "name": "fc2",
// REPORT:      "decision": "float",
// REPORT-NEXT: "reason": "weights are not constant"
// REPORT:      "name": "fc3",
// REPORT:      "decision": "float",
// REPORT-NEXT: "reason": "excluded by the user"

// STRICT-NOT: fc1
// STRICT-DAG: error: loc("fc2"): kept in float: weights are not constant (strict=true: every quantizable op must become integer code)
// STRICT-DAG: remark: loc("fc3"): kept in float: excluded by the user

// UNWRITABLE: error: quant-rewrite-int8: cannot write report '{{.*}}r.json'

!qa = !quant.uniform<i8:f32, 0.5:1>
!qy = !quant.uniform<i8:f32, 0.25:-3>
func.func @f(%a: tensor<2x3x!qa>, %w2: tensor<3x2xf32>) -> (tensor<2x2x!qy>, tensor<2x2x!qy>, tensor<2x2x!qy>) {
  %w = arith.constant dense<1.0> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %x = qnn.dequantize %a : tensor<2x3x!qa> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc("fc1")
  %q = qnn.quantize %mm : tensor<2x2xf32> -> tensor<2x2x!qy>
  %mm2 = linalg.matmul ins(%x, %w2 : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc("fc2")
  %q2 = qnn.quantize %mm2 : tensor<2x2xf32> -> tensor<2x2x!qy>
  %mm3 = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32> loc("fc3")
  %q3 = qnn.quantize %mm3 : tensor<2x2xf32> -> tensor<2x2x!qy>
  return %q, %q2, %q3 : tensor<2x2x!qy>, tensor<2x2x!qy>, tensor<2x2x!qy>
}
