// lockstep: the command-line entry point. Everything else lives in the library.
#include "cli/app.h"

int main(int argc, char** argv) { return lockstep::cli::Main(argc, argv); }
