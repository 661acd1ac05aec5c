#include "engine/substitute.h"

#include <gtest/gtest.h>

namespace lockstep::engine {
namespace {

std::optional<std::string> Table(std::string_view reference) {
  if (reference == "Build.VERSION") return "1.2.3";
  if (reference == "WorkflowSource.CommitId") return "abc";
  return std::nullopt;
}

TEST(SubstituteTest, ReplacesWorkflowReferencesAndKeepsShellSyntax) {
  EXPECT_EQ(SubstituteReferences("v${Build.VERSION} at ${WorkflowSource.CommitId}", Table),
            "v1.2.3 at abc");
  EXPECT_EQ(SubstituteReferences("${HOME}/${Build.VERSION}/${X:-y}", Table), "${HOME}/1.2.3/${X:-y}");
  EXPECT_EQ(SubstituteReferences("${Other.Var} and ${unterminated", Table),
            "${Other.Var} and ${unterminated");
  EXPECT_EQ(SubstituteReferences("${Build.VERSION}${Build.VERSION}", Table), "1.2.31.2.3");
}

TEST(SubstituteTest, SecretNamesAndTheirVariables) {
  EXPECT_EQ(SecretName("Secrets.TOKEN"), "TOKEN");
  EXPECT_EQ(SecretName("secrets.db-pass"), "db-pass");
  EXPECT_EQ(SecretName("Build.TOKEN"), "");
  EXPECT_EQ(SecretVariable("db-pass"), "LOCKSTEP_SECRET_db_pass");
}

}  // namespace
}  // namespace lockstep::engine
