#include "cli/cli.h"

int main(int argc, char** argv) { return hasteward::cli::Main(argc, argv); }
