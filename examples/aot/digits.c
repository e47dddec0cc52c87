/* Runs the digits MLP or CNN, compiled by quant-compile, on 8x8 images read
 * from a file of float32 values (64 per image) and prints the 10 logits of
 * each image on a line.
 *   digits-c mlp|cnn images.f32 */
#include "digits_cnn.h"
#include "digits_mlp.h"

#include <stdio.h>
#include <string.h>

_Static_assert(DIGITS_MLP_MAIN_INPUT0_SIZE == 64 && DIGITS_CNN_MAIN_INPUT0_SIZE == 64,
               "the models take one 8x8 image");
_Static_assert(DIGITS_MLP_MAIN_RESULT0_SIZE == 10 && DIGITS_CNN_MAIN_RESULT0_SIZE == 10,
               "the models give 10 logits");

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "mlp") != 0 && strcmp(argv[1], "cnn") != 0)) {
    fprintf(stderr, "usage: %s mlp|cnn images.f32\n", argv[0]);
    return 2;
  }
  int mlp = strcmp(argv[1], "mlp") == 0;
  FILE *file = fopen(argv[2], "rb");
  if (!file) {
    perror(argv[2]);
    return 1;
  }
  float image[64], logits[10];
  while (fread(image, sizeof(float), 64, file) == 64) {
    int status = mlp ? digits_mlp_main(image, logits) : digits_cnn_main(image, logits);
    if (status != 0) {
      fprintf(stderr, "digits: %s\n",
              mlp ? digits_mlp_status_message(status) : digits_cnn_status_message(status));
      return 1;
    }
    for (int i = 0; i < 10; ++i)
      printf(i ? " %.9g" : "%.9g", logits[i]);
    printf("\n");
  }
  fclose(file);
  return 0;
}
