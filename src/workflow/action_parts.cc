#include "workflow/action_parts.h"

#include <fmt/core.h>

#include "base/strings.h"

namespace lockstep::workflow {
namespace {

constexpr size_t kMaxArtifacts = 5;
constexpr size_t kMaxVariables = 256;

bool Matches(std::string_view text, bool (*allowed)(char)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), allowed);
}
bool ArtifactChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool VariableChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '@';
}

void ReadInputVariables(const yaml::Node& node, Action& action, Checker& c) {
  auto add = [&](const yaml::Node& name_node, const yaml::Node& value_node) {
    auto name = c.String(name_node, "Name");
    auto value = c.String(value_node, "Value");
    if (!name || !value) return;
    if (!c.CheckName(*name, "variable name", 60)) return;
    if (value->value.empty() || value->value.size() > 1000) {
      c.Error(value->mark,
              fmt::format("value of variable '{}' must be 1 to 1000 characters long", name->value));
      return;
    }
    action.input_variables.push_back({name->value, value->value, name->mark});
  };
  if (node.IsMap()) {
    c.CheckDuplicateKeys(node, "in 'Variables'");
    for (const yaml::MapEntry& entry : node.entries) add(entry.key, entry.value);
  } else if (node.IsSequence()) {
    for (const yaml::Node& item : node.items) {
      if (!item.IsMap()) {
        c.Error(item.mark, fmt::format("expected a mapping with 'Name' and 'Value', found {}",
                                       DescribeKind(item)));
        continue;
      }
      c.CheckKeys(item, {"in an input variable", "the input variable"}, {"Name", "Value"},
                  {"Name", "Value"});
      const yaml::Node* name = item.Find("Name");
      const yaml::Node* value = item.Find("Value");
      if (name && value) add(*name, *value);
    }
  } else {
    c.Error(node.mark, fmt::format("expected a list or a mapping for 'Variables', found {}",
                                   DescribeKind(node)));
    return;
  }
  if (action.input_variables.size() > kMaxVariables) {
    c.Error(node.mark, fmt::format("action '{}' has {} input variables; the limit is {}",
                                   action.name, action.input_variables.size(), kMaxVariables));
  }
}

void ReadOutputArtifacts(const yaml::Node& node, Action& action, Checker& c) {
  auto add = [&](const yaml::Node& name_node, const yaml::Node* files) {
    auto name = c.String(name_node, "Name");
    if (!name) return;
    if (!Matches(name->value, ArtifactChar) || name->value.size() > 100) {
      c.Error(name->mark, fmt::format("invalid artifact name '{}': use only letters, digits and "
                                      "'_'",
                                      name->value));
      return;
    }
    OutputArtifact artifact{*name, {}};
    if (files != nullptr) {
      for (auto& file : c.StringList(*files, "Files")) artifact.files.push_back(file.value);
      if (files->IsSequence() && files->items.empty()) {
        c.Error(files->mark, fmt::format("'Files' of artifact '{}' is empty", name->value));
      }
    }
    action.output_artifacts.push_back(std::move(artifact));
  };
  if (node.IsSequence()) {
    for (const yaml::Node& item : node.items) {
      if (!item.IsMap()) {
        c.Error(item.mark, fmt::format("expected a mapping with 'Name' and 'Files', found {}",
                                       DescribeKind(item)));
        continue;
      }
      c.CheckKeys(item, {"in an output artifact", "the output artifact"}, {"Name", "Files"},
                  {"Name", "Files"});
      if (const yaml::Node* name = item.Find("Name")) add(*name, item.Find("Files"));
    }
  } else if (node.IsMap()) {
    c.CheckDuplicateKeys(node, "in 'Artifacts'");
    for (const yaml::MapEntry& entry : node.entries) {
      if (c.ExpectMap(entry.value, "Artifacts")) {
        c.CheckKeys(entry.value, {"in an output artifact", "the output artifact"}, {"Files"},
                    {"Files"});
        add(entry.key, entry.value.Find("Files"));
      }
    }
  } else {
    c.Error(node.mark, fmt::format("expected a list or a mapping for 'Artifacts', found {}",
                                   DescribeKind(node)));
    return;
  }
  if (action.output_artifacts.size() > kMaxArtifacts) {
    c.Error(action.output_artifacts[kMaxArtifacts].name.mark,
            fmt::format("action '{}' outputs {} artifacts; an action has at most {}", action.name,
                        action.output_artifacts.size(), kMaxArtifacts));
  }
}

void ReadReports(const yaml::Node& node, const Context& context, Checker& c) {
  if (!c.ExpectMap(node, "Reports")) return;
  c.CheckDuplicateKeys(node, "in 'Reports'");
  static const std::vector<std::string_view> kFormats = {
      "JUNITXML",     "CUCUMBERJSON", "NUNITXML",  "NUNIT3XML", "TESTNGXML", "VISUALSTUDIOTRX",
      "COBERTURAXML", "CLOVERXML",    "SIMPLECOV", "JACOCOXML", "LCOV",      "SARIFSCA",
      "SARIFSA",      "ESLINTJSON",   "PYLINTJSON"};
  for (const yaml::MapEntry& entry : node.entries) {
    if (!c.ExpectMap(entry.value, entry.key.value)) continue;
    c.CheckKeys(entry.value,
                {fmt::format("in report '{}' {}", entry.key.value, context.in),
                 fmt::format("report '{}'", entry.key.value)},
                {"Format", "IncludePaths", "ExcludePaths", "SuccessCriteria"},
                {"Format", "IncludePaths"});
    if (const yaml::Node* format = entry.value.Find("Format")) {
      if (auto value = c.String(*format, "Format")) {
        if (std::find(kFormats.begin(), kFormats.end(), AsciiUpper(value->value)) ==
            kFormats.end()) {
          std::string message = fmt::format("unknown report format '{}'", value->value);
          if (auto suggestion = ClosestMatch(AsciiUpper(value->value), kFormats)) {
            message += fmt::format("; did you mean '{}'?", *suggestion);
          } else {
            std::vector<std::string> names(kFormats.begin(), kFormats.end());
            message += fmt::format(" (expected one of {})", Join(names, ", "));
          }
          c.Error(value->mark, std::move(message));
        }
      }
    }
    if (const yaml::Node* include = entry.value.Find("IncludePaths")) {
      c.StringList(*include, "IncludePaths");
    }
    if (const yaml::Node* exclude = entry.value.Find("ExcludePaths")) {
      c.StringList(*exclude, "ExcludePaths");
    }
  }
}

}  // namespace

void ReadInputs(const yaml::Node& node, Action& action, const Context& context, Checker& c) {
  if (!c.ExpectMap(node, "Inputs")) return;
  if (node.entries.empty()) {
    c.Error(node.mark, fmt::format("'Inputs' of action '{}' is empty", action.name));
    return;
  }
  c.CheckKeys(node, {"in 'Inputs' of " + context.subject, "'Inputs' of " + context.subject},
              {"Sources", "Artifacts", "Variables"});
  if (const yaml::Node* sources = node.Find("Sources")) {
    action.input_sources = c.StringList(*sources, "Sources");
    if (action.input_sources.size() > 1) {
      c.Error(action.input_sources[1].mark,
              fmt::format("action '{}' lists {} sources; an action takes at most one", action.name,
                          action.input_sources.size()));
    }
    for (const auto& source : action.input_sources) {
      if (!Matches(source.value, VariableChar)) {
        c.Error(source.mark, fmt::format("invalid source name '{}': use only letters, digits, "
                                         "'@', '-' and '_'",
                                         source.value));
      }
    }
  }
  if (const yaml::Node* artifacts = node.Find("Artifacts")) {
    action.input_artifacts = c.StringList(*artifacts, "Artifacts");
    if (action.input_artifacts.size() > kMaxArtifacts) {
      c.Error(action.input_artifacts[kMaxArtifacts].mark,
              fmt::format("action '{}' lists {} input artifacts; an action takes at most {}",
                          action.name, action.input_artifacts.size(), kMaxArtifacts));
    }
    for (const auto& artifact : action.input_artifacts) {
      if (!Matches(artifact.value, ArtifactChar)) {
        c.Error(artifact.mark, fmt::format("invalid artifact name '{}': use only letters, "
                                           "digits and '_'",
                                           artifact.value));
      }
    }
  }
  if (const yaml::Node* variables = node.Find("Variables"))
    ReadInputVariables(*variables, action, c);
}

void ReadOutputs(const yaml::Node& node, Action& action, const Context& context, Checker& c) {
  if (!c.ExpectMap(node, "Outputs")) return;
  if (node.entries.empty()) {
    c.Error(node.mark, fmt::format("'Outputs' of action '{}' is empty", action.name));
    return;
  }
  Context outputs{"in 'Outputs' of " + context.subject, "'Outputs' of " + context.subject};
  c.CheckKeys(node, outputs, {"Artifacts", "Variables", "Reports", "AutoDiscoverReports"});
  if (const yaml::Node* artifacts = node.Find("Artifacts"))
    ReadOutputArtifacts(*artifacts, action, c);
  if (const yaml::Node* variables = node.Find("Variables")) {
    action.output_variables = c.StringList(*variables, "Variables");
    for (const auto& variable : action.output_variables) {
      if (!Matches(variable.value, VariableChar) || variable.value.size() > 255) {
        c.Error(variable.mark, fmt::format("invalid output variable name '{}': use only "
                                           "letters, digits, '@', '-' and '_'",
                                           variable.value));
      }
    }
    if (action.output_variables.size() > kMaxVariables) {
      c.Error(variables->mark,
              fmt::format("action '{}' declares {} output variables; the "
                          "limit is {}",
                          action.name, action.output_variables.size(), kMaxVariables));
    }
  }
  if (const yaml::Node* reports = node.Find("Reports")) {
    ReadReports(*reports, outputs, c);
    action.reports = *reports;
  }
  if (const yaml::Node* discover = node.Find("AutoDiscoverReports")) {
    action.auto_discover_reports = *discover;
    if (c.ExpectMap(*discover, "AutoDiscoverReports")) {
      c.CheckKeys(
          *discover, {"in 'AutoDiscoverReports'", "'AutoDiscoverReports'"},
          {"Enabled", "ReportNamePrefix", "IncludePaths", "ExcludePaths", "SuccessCriteria"});
      if (const yaml::Node* enabled = discover->Find("Enabled")) c.Boolean(*enabled, "Enabled");
      if (const yaml::Node* include = discover->Find("IncludePaths")) {
        c.StringList(*include, "IncludePaths");
      }
      if (const yaml::Node* exclude = discover->Find("ExcludePaths")) {
        c.StringList(*exclude, "ExcludePaths");
      }
    }
  }
}

void ReadEnvironment(const yaml::Node& node, Action& action, const Context& context, Checker& c) {
  if (!c.ExpectMap(node, "Environment")) return;
  c.CheckKeys(node,
              {"in 'Environment' of " + context.subject, "'Environment' of " + context.subject},
              {"Name", "Connections"}, {"Name"});
  Environment environment;
  if (const yaml::Node* name = node.Find("Name")) {
    if (auto value = c.String(*name, "Name")) environment.name = value->value;
  }
  if (const yaml::Node* connections = node.Find("Connections")) {
    if (c.ExpectList(*connections, "Connections")) {
      if (connections->items.size() > 1) {
        c.Error(connections->items[1].mark,
                fmt::format("action '{}' lists {} connections; an environment takes at most one",
                            action.name, connections->items.size()));
      }
      for (const yaml::Node& connection : connections->items) {
        if (!c.ExpectMap(connection, "Connections")) continue;
        c.CheckKeys(connection, {"in a connection", "the connection"}, {"Name", "Role"},
                    {"Name", "Role"});
        if (const yaml::Node* name = connection.Find("Name")) {
          if (name->IsScalar()) environment.connection_name = name->value;
        }
        if (const yaml::Node* role = connection.Find("Role")) {
          if (auto value = c.String(*role, "Role")) environment.connection_role = value->value;
        }
      }
    }
  }
  action.environment = std::move(environment);
}

void ReadCaching(const yaml::Node& node, const Context& context, Checker& c) {
  if (!c.ExpectMap(node, "Caching")) return;
  c.CheckKeys(node, {"in 'Caching' of " + context.subject, "'Caching' of " + context.subject},
              {"FileCaching"}, {"FileCaching"});
  const yaml::Node* file_caching = node.Find("FileCaching");
  if (file_caching == nullptr || !c.ExpectMap(*file_caching, "FileCaching")) return;
  c.CheckDuplicateKeys(*file_caching, "in 'FileCaching'");
  if (file_caching->entries.size() > 5) {
    c.Error(file_caching->entries[5].key.mark,
            fmt::format("{} has {} caches; the limit is 5", context.subject,
                        file_caching->entries.size()));
  }
  for (const yaml::MapEntry& entry : file_caching->entries) {
    Located<std::string> name{entry.key.value, entry.key.mark};
    c.CheckName(name, "cache name", 180);
    if (!c.ExpectMap(entry.value, entry.key.value)) continue;
    c.CheckKeys(
        entry.value,
        {fmt::format("in cache '{}'", entry.key.value), fmt::format("cache '{}'", entry.key.value)},
        {"Path", "RestoreKeys"}, {"Path"});
    if (const yaml::Node* path = entry.value.Find("Path")) {
      if (auto value = c.String(*path, "Path")) {
        if (value->value.find('*') != std::string::npos) {
          c.Error(value->mark, fmt::format("cache path '{}' has a '*'; cache paths are plain "
                                           "paths, not globs",
                                           value->value));
        }
      }
    }
    if (const yaml::Node* keys = entry.value.Find("RestoreKeys")) {
      auto values = c.StringList(*keys, "RestoreKeys");
      if (values.size() > 5) {
        c.Error(values[5].mark, fmt::format("cache '{}' has {} restore keys; the limit is 5",
                                            entry.key.value, values.size()));
      }
    }
  }
}

void ReadPackages(const yaml::Node& node, const Context& context, Checker& c) {
  if (!c.ExpectMap(node, "Packages")) return;
  c.CheckKeys(node, {"in 'Packages' of " + context.subject, "'Packages' of " + context.subject},
              {"NpmConfiguration"});
  const yaml::Node* npm = node.Find("NpmConfiguration");
  if (npm == nullptr || !c.ExpectMap(*npm, "NpmConfiguration")) return;
  c.CheckKeys(*npm, {"in 'NpmConfiguration'", "'NpmConfiguration'"}, {"PackageRegistries"});
  const yaml::Node* registries = npm->Find("PackageRegistries");
  if (registries == nullptr || !c.ExpectList(*registries, "PackageRegistries")) return;
  for (const yaml::Node& registry : registries->items) {
    if (!c.ExpectMap(registry, "PackageRegistries")) continue;
    c.CheckKeys(registry, {"in a package registry", "the package registry"},
                {"PackagesRepository", "Scopes"}, {"PackagesRepository"});
    if (const yaml::Node* repository = registry.Find("PackagesRepository")) {
      c.String(*repository, "PackagesRepository");
    }
    if (const yaml::Node* scopes = registry.Find("Scopes")) {
      for (const auto& scope : c.StringList(*scopes, "Scopes")) {
        if (!scope.value.starts_with('@') || scope.value.size() < 2) {
          c.Error(scope.mark, fmt::format("npm scope '{}' must start with '@'", scope.value));
        }
      }
    }
  }
}

}  // namespace lockstep::workflow
