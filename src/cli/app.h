// The lockstep command line: parses arguments, sets up logging and runs one subcommand.
#pragma once

namespace lockstep::cli {

// Runs the command line and returns the process exit code (see command.h). Never exits the
// process itself.
int Main(int argc, char** argv);

}  // namespace lockstep::cli
