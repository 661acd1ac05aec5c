// `integration_tests:`: HTTP checks through the gateway (lockstep/verify@v1's keys in lower
// case) or workflows of the workspace's repositories, run once everything is deployed.
#include <fmt/core.h>

#include <algorithm>
#include <charconv>

#include "base/strings.h"
#include "coord/workspace_reader.h"
#include "yaml/scalar_json.h"

namespace lockstep::coord {
namespace {

class TestReader {
 public:
  TestReader(FieldReader& reader, Workspace& workspace) : r_(reader), workspace_(workspace) {}

  void Read(const yaml::Node& item) {
    if (!item.IsMap()) {
      r_.Error(item.mark, fmt::format("expected an integration test (a mapping with 'path' or "
                                      "'workflow'), found {}",
                                      DescribeKind(item)));
      return;
    }
    r_.CheckKeys(item, "in an integration test",
                 {"name", "workflow", "method", "path", "body", "headers", "expect_status",
                  "expect_body", "expect_json", "capture"});
    IntegrationTest test;
    test.location = r_.Location(item.mark);
    if (const yaml::Node* name = item.Find("name")) test.name = r_.Text(*name, "name").value_or("");
    const yaml::MapEntry* workflow = item.FindEntry("workflow");
    bool check = std::ranges::any_of(item.entries, [](const yaml::MapEntry& entry) {
      return entry.key.value != "name" && entry.key.value != "workflow";
    });
    if (workflow != nullptr && check) {
      r_.Error(workflow->key.mark,
               "an integration test is an HTTP check (method, path, …) or a workflow, not both");
      return;
    }
    if (workflow != nullptr) {
      if (ReadWorkflow(workflow->value, test)) workspace_.integration_tests.push_back(test);
      return;
    }
    if (item.Find("path") == nullptr) {
      r_.Error(item.mark,
               "an integration test needs 'path' (an HTTP check through the gateway) or "
               "'workflow' (REPOSITORY:WORKFLOW)");
      return;
    }
    std::optional<engine::HttpCheck> read = ReadCheck(item);
    if (!read) return;
    read->name = test.name;
    // The checks file's own rules (a variable used before a check captures it, say), applied
    // to the checks so far: the first suite that fails does so because of this check.
    checks_.push_back(*read);
    engine::CheckSuite suite;
    suite.checks = checks_;
    if (Result<engine::CheckSuite> parsed =
            engine::ParseCheckSuite(engine::CheckSuiteToJson(suite));
        !parsed) {
      std::string message = parsed.error().message();
      size_t colon = message.find(": ");  // "check N (LABEL): why" -> why
      r_.Error(item.mark,
               fmt::format("integration test '{}': {}", read->Label(),
                           colon == std::string::npos ? message : message.substr(colon + 2)));
      checks_.pop_back();
      return;
    }
    test.check = std::move(*read);
    workspace_.integration_tests.push_back(std::move(test));
  }

 private:
  bool ReadWorkflow(const yaml::Node& node, IntegrationTest& test) {
    std::optional<std::string> text = r_.Text(node, "workflow");
    if (!text) return false;
    size_t colon = text->find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text->size()) {
      r_.Error(node.mark, fmt::format("expected REPOSITORY:WORKFLOW for 'workflow' (e.g. "
                                      "registry-frontend:e2e), found '{}'",
                                      SanitizedName(*text)));
      return false;
    }
    test.workflow_repository = text->substr(0, colon);
    test.workflow = text->substr(colon + 1);
    if (workspace_.FindRepository(test.workflow_repository) == nullptr) {
      std::vector<std::string> names;
      for (const RepositorySpec& repository : workspace_.repositories) {
        names.push_back(repository.name);
      }
      std::string message = fmt::format("'workflow' names unknown repository '{}'",
                                        SanitizedName(test.workflow_repository));
      if (auto close = ClosestMatch(test.workflow_repository, names)) {
        message += fmt::format("; did you mean '{}'?", *close);
      }
      r_.Error(node.mark, std::move(message));
      return false;
    }
    return true;
  }

  std::optional<engine::HttpCheck> ReadCheck(const yaml::Node& item) {
    engine::HttpCheck check;
    bool fine = true;
    for (auto [key, field] : {std::pair{"method", &check.method}, std::pair{"path", &check.path},
                              std::pair{"body", &check.body}}) {
      if (const yaml::Node* node = item.Find(key)) {
        // A body may be empty; the rest may not.
        if (std::string_view(key) == "body" && node->IsScalar()) {
          *field = node->value;
        } else if (std::optional<std::string> text = r_.Text(*node, key)) {
          *field = *text;
        } else {
          fine = false;
        }
      }
    }
    if (const yaml::Node* path = item.Find("path"); path != nullptr && fine) {
      if (!check.path.starts_with('/')) {
        r_.Error(path->mark,
                 fmt::format("'path' must start with '/', found '{}'", SanitizedName(check.path)));
        fine = false;
      }
    }
    if (const yaml::Node* status = item.Find("expect_status")) {
      int value = 0;
      bool number = status->IsScalar() && status->scalar_type() == yaml::ScalarType::kInteger;
      if (number) {
        const char* end = status->value.data() + status->value.size();
        auto [stop, error] = std::from_chars(status->value.data(), end, value);
        number = error == std::errc() && stop == end;
      }
      if (!number || value < 100 || value > 599) {
        r_.Error(status->mark, "'expect_status' must be a whole number from 100 to 599");
        fine = false;
      }
      check.expect_status = value;
    }
    if (const yaml::Node* expect = item.Find("expect_body")) {
      if (expect->IsScalar()) {
        check.expect_body = expect->value;
      } else {
        r_.Error(expect->mark, fmt::format("expected a string for 'expect_body', found {}",
                                           DescribeKind(*expect)));
        fine = false;
      }
    }
    fine = Pairs(item, "headers", check.headers, false) && fine;
    fine = Pairs(item, "capture", check.captures, false) && fine;
    fine = Pairs(item, "expect_json", check.expect_json, true) && fine;
    if (!fine) return std::nullopt;
    return check;
  }

  // A mapping of scalars into `out`; with `as_json`, values as JSON text (yaml::ScalarAsJson).
  bool Pairs(const yaml::Node& item, std::string_view key, std::vector<engine::NameValue>& out,
             bool as_json) {
    const yaml::Node* node = item.Find(key);
    if (node == nullptr || node->IsNull()) return true;
    if (!r_.ExpectMap(*node, key)) return false;
    bool fine = r_.CheckDuplicates(*node, "key").empty();
    for (const yaml::MapEntry& entry : node->entries) {
      if (!entry.value.IsScalar() && !(as_json && entry.value.IsNull())) {
        r_.Error(entry.value.mark, fmt::format("the values of '{}' must be scalars, found {}", key,
                                               DescribeKind(entry.value)));
        fine = false;
        continue;
      }
      out.emplace_back(entry.key.value,
                       as_json ? yaml::ScalarAsJson(entry.value) : entry.value.value);
    }
    return fine;
  }

  FieldReader& r_;
  Workspace& workspace_;
  std::vector<engine::HttpCheck> checks_;  // read so far, in order
};

}  // namespace

void ReadIntegrationTests(const yaml::Node& node, FieldReader& reader, Workspace& workspace) {
  if (node.IsNull()) return;
  const yaml::Node* tests = &node;
  if (node.IsMap()) {
    reader.CheckKeys(node, "in 'integration_tests'", {"deadline", "tests"});
    if (const yaml::Node* deadline = node.Find("deadline")) {
      if (auto value = reader.Duration(*deadline, "deadline")) {
        workspace.integration_deadline = *value;
      }
    }
    tests = node.Find("tests");
    if (tests == nullptr || tests->IsNull()) return;
  }
  if (!tests->IsSequence()) {
    reader.Error(tests->mark,
                 fmt::format("expected a list of tests for 'integration_tests' (or a mapping "
                             "{{deadline, tests}}), found {}",
                             DescribeKind(*tests)));
    return;
  }
  TestReader read(reader, workspace);
  for (const yaml::Node& item : tests->items) read.Read(item);
}

}  // namespace lockstep::coord
