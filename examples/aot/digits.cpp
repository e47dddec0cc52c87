// The C++ form of digits.c: the same models through the same C headers.
//   digits-cpp mlp|cnn images.f32
#include "digits_cnn.h"
#include "digits_mlp.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>

int main(int argc, char **argv) {
  std::string model = argc == 3 ? argv[1] : "";
  if (model != "mlp" && model != "cnn") {
    std::cerr << "usage: " << argv[0] << " mlp|cnn images.f32\n";
    return 2;
  }
  using Image = std::array<float, DIGITS_MLP_MAIN_INPUT0_SIZE>;
  using Logits = std::array<float, DIGITS_MLP_MAIN_RESULT0_SIZE>;
  static_assert(DIGITS_CNN_MAIN_INPUT0_SIZE == Image().size() &&
                DIGITS_CNN_MAIN_RESULT0_SIZE == Logits().size());
  std::function<int(const Image &, Logits &)> run = [](const Image &x, Logits &y) {
    return digits_mlp_main(x.data(), y.data());
  };
  if (model == "cnn")
    run = [](const Image &x, Logits &y) { return digits_cnn_main(x.data(), y.data()); };

  std::ifstream file(argv[2], std::ios::binary);
  if (!file) {
    std::cerr << argv[2] << ": cannot open\n";
    return 1;
  }
  Image image;
  Logits logits;
  while (file.read(reinterpret_cast<char *>(image.data()), sizeof(image))) {
    if (int status = run(image, logits)) {
      std::cerr << "digits: " << digits_mlp_status_message(status) << "\n";
      return 1;
    }
    for (size_t i = 0; i < logits.size(); ++i)
      std::printf(i ? " %.9g" : "%.9g", double(logits[i]));
    std::printf("\n");
  }
  return 0;
}
