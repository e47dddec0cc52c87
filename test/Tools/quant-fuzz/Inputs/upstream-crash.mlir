// MLIR 22's parser segfaults on a dense array of index elements
// (Parser::parseDenseArrayAttr -> FloatType::getWidth): an upstream bug the
// 100,000-mutant campaign hit 270 times.
func.func @f() attributes {a = array<index: 1>} {
  return
}
