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
  EXPECT_EQ(SubstituteReferences("${HOME}/${Build.VERSION}/${X:-y}", Table),
            "${HOME}/1.2.3/${X:-y}");
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

namespace lockstep::engine {
namespace {

std::optional<std::string> Variables(std::string_view reference) {
  if (reference == "Build.VERSION") return "LOCKSTEP_REF_1";
  if (reference == "Secrets.TOKEN") return "LOCKSTEP_SECRET_TOKEN";
  return std::nullopt;
}

TEST(SubstituteForShellTest, ReferencesBecomeExpansionsInEveryQuotingContext) {
  EXPECT_EQ(SubstituteForShell("echo ${Build.VERSION}", Variables), "echo ${LOCKSTEP_REF_1}");
  EXPECT_EQ(SubstituteForShell("echo \"v=${Build.VERSION}\"", Variables),
            "echo \"v=${LOCKSTEP_REF_1}\"");
  EXPECT_EQ(SubstituteForShell("curl -H 'Bearer ${Secrets.TOKEN}'", Variables),
            "curl -H 'Bearer '\"${LOCKSTEP_SECRET_TOKEN}\"''");
  EXPECT_EQ(SubstituteForShell("echo \"it's ${Build.VERSION}\"", Variables),
            "echo \"it's ${LOCKSTEP_REF_1}\"");
  EXPECT_EQ(SubstituteForShell("echo \\${Build.VERSION} ${Other.X}", Variables),
            "echo \\${Build.VERSION} ${Other.X}");
}

TEST(SubstituteForShellTest, FindsReferencesInOrder) {
  EXPECT_EQ(FindReferences("a ${Build.V} ${HOME} ${Secrets.T} ${Build.V}"),
            (std::vector<std::string>{"Build.V", "Secrets.T", "Build.V"}));
}

}  // namespace
}  // namespace lockstep::engine
