/* floe: the command line. One file per command in src/cli/; this one dispatches. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))) {
    printf("floe %s\n", FLOE_VERSION);
    return 0;
  }
  fprintf(stderr, "usage: floe version\n");
  return 2;
}
