#include <string>
#include <vector>

#include "agent/cli/cli.h"

int main(int argc, char** argv) {
  return latchwatch::agent::run_cli(std::vector<std::string>(argv + 1, argv + argc));
}
