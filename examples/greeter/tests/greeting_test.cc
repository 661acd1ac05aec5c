// A dependency-free test runner that writes a JUnit report, as most test runners can.
#include "../src/greeting.h"

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

struct Case {
  std::string name;
  std::string got;
  std::string want;
};

int main(int argc, char** argv) {
  std::vector<Case> cases = {
      {"greets_by_name", Greeting("Ada"), "Hello, Ada!"},
      {"greets_the_world", Greeting(""), "Hello, world!"},
  };
  int failures = 0;
  std::ofstream report(argc > 1 ? argv[1] : "report.xml");
  report << "<testsuite name=\"greeting\" tests=\"" << cases.size() << "\">\n";
  for (const Case& c : cases) {
    report << "  <testcase name=\"" << c.name << "\">";
    if (c.got != c.want) {
      ++failures;
      report << "<failure message=\"got " << c.got << "\"/>";
      std::cerr << c.name << ": got '" << c.got << "', want '" << c.want << "'\n";
    }
    report << "</testcase>\n";
  }
  report << "</testsuite>\n";
  std::cout << cases.size() - failures << " passed, " << failures << " failed\n";
  return failures == 0 ? 0 : 1;
}
