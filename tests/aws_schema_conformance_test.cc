// Conformance with AWS's published workflow JSON Schema (npm @aws/codecatalyst-workflows-sdk,
// installed in tests/schema/ by scripts/bootstrap): every fixture gets the same verdict from
// lockstep and from the schema, unless the fixture names a documented deliberate difference
// in an "# aws-schema: CATEGORY — reason" line (docs/workflows.md lists the categories).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "fixture_util.h"
#include "run_binary.h"
#include "workflow/load.h"

namespace lockstep {
namespace {

using testing::CommentValues;
using testing::ReadText;
using testing::SourceDir;

// The deliberate differences, as documented in docs/workflows.md.
const std::set<std::string> kCategories = {
    "semantic",    // lockstep rejects what a JSON Schema cannot express
    "lenient",     // lockstep accepts, with a warning, what real files do and the schema refuses
    "stricter",    // lockstep rejects what the schema lets through by omission
    "schema-bug",  // the schema refuses valid input by a mistake in it
};

TEST(AwsSchemaConformanceTest, LockstepAndTheSchemaAgreeOnEveryFixture) {
  auto node = testing::RunProgram(
      {"/usr/bin/node", "tests/schema/aws-schema-check.mjs", "--json", "tests/workflows"},
      SourceDir());
  ASSERT_EQ(node.exit_code, 0) << "run scripts/bootstrap test first\n" << node.err;
  auto report = nlohmann::json::parse(node.out);
  size_t fixtures = 0;
  for (const char* folder :
       {"tests/workflows/valid", "tests/workflows/invalid", "tests/workflows/demo"}) {
    fixtures += testing::FixtureFiles(folder).size();
  }
  ASSERT_EQ(report["results"].size(), fixtures) << "the schema check must see every fixture";
  int checked = 0;
  for (const auto& result : report["results"]) {
    std::filesystem::path file = SourceDir() / result["file"].get<std::string>();
    std::string text = ReadText(file);
    bool schema_valid = result["valid"].get<bool>();
    bool lockstep_valid = workflow::LoadWorkflow(text, file.filename().string()).ok();
    auto differences = CommentValues(text, "aws-schema");
    ++checked;
    if (differences.empty()) {
      EXPECT_EQ(lockstep_valid, schema_valid)
          << file.filename() << ": lockstep says " << (lockstep_valid ? "valid" : "invalid")
          << ", AWS's schema says " << (schema_valid ? "valid" : "invalid") << " "
          << result["errors"].dump();
      continue;
    }
    std::string category = differences[0].substr(0, differences[0].find(' '));
    EXPECT_TRUE(kCategories.contains(category))
        << file.filename() << ": unknown difference category '" << category << "'";
    EXPECT_NE(lockstep_valid, schema_valid)
        << file.filename() << " declares a difference (" << differences[0]
        << ") but lockstep and the schema agree";
  }
  EXPECT_EQ(checked, static_cast<int>(report["results"].size()));
}

}  // namespace
}  // namespace lockstep
