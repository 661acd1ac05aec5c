#include "coord/workspace.h"

#include <fmt/core.h>

#include "base/file.h"
#include "coord/workspace_reader.h"
#include "yaml/yaml_tree.h"

namespace lockstep::coord {
namespace {

namespace fs = std::filesystem;

template <class T>
const T* FindByName(const std::vector<T>& items, std::string_view name) {
  for (const T& item : items) {
    if (item.name == name) return &item;
  }
  return nullptr;
}

void ReadVersion(const yaml::Node& node, FieldReader& reader) {
  if (node.IsScalar() && node.value == "1") return;
  std::string found = node.IsScalar() ? fmt::format("'{}'", SanitizedName(node.value))
                                      : std::string(DescribeKind(node));
  reader.Error(node.mark, fmt::format("unsupported version {}; the only version is 1", found));
}

}  // namespace

const RepositorySpec* Workspace::FindRepository(std::string_view wanted) const {
  return FindByName(repositories, wanted);
}

const EnvironmentSpec* Workspace::FindEnvironment(std::string_view wanted) const {
  return FindByName(environments, wanted);
}

const runtime::ServiceSpec* Workspace::FindService(std::string_view wanted) const {
  return FindByName(services, wanted);
}

WorkspaceLoad LoadWorkspace(std::string_view text, const fs::path& file) {
  WorkspaceLoad load{std::nullopt, DiagnosticList(file.string())};
  Result<yaml::Node> root = yaml::ParseYaml(text, file.string());
  if (!root) {
    const std::optional<SourceLocation>& at = root.error().location();
    load.diagnostics.AddError(at ? at->line : 0, at ? at->column : 0, root.error().message());
    return load;
  }
  Workspace workspace;
  std::error_code error;
  workspace.file = fs::absolute(file, error).lexically_normal();
  workspace.root = workspace.file.parent_path();
  workspace.name = workspace.root.filename().string();
  FieldReader reader(load.diagnostics);
  if (!root->IsNull() && !root->IsMap()) {
    reader.Error(root->mark, fmt::format("expected a mapping at the top of lockstep.yaml "
                                         "(repositories, sync, services, …), found {}",
                                         DescribeKind(*root)));
    return load;
  }
  if (root->IsMap()) {
    reader.CheckKeys(*root, "at the top level",
                     {"version", "name", "repositories", "sync", "services", "environments",
                      "integration_tests"});
    if (const yaml::Node* version = root->Find("version")) ReadVersion(*version, reader);
    if (const yaml::Node* name = root->Find("name")) {
      if (std::optional<std::string> value = reader.Text(*name, "name")) workspace.name = *value;
    }
    // Repositories first: the other sections name them.
    if (const yaml::Node* node = root->Find("repositories")) {
      ReadRepositories(*node, reader, workspace);
    }
    if (const yaml::Node* node = root->Find("sync")) ReadSyncRules(*node, reader, workspace);
    if (const yaml::Node* node = root->Find("services")) ReadServices(*node, reader, workspace);
    if (const yaml::Node* node = root->Find("environments")) {
      ReadEnvironments(*node, reader, workspace);
    }
    if (const yaml::Node* node = root->Find("integration_tests")) {
      ReadIntegrationTests(*node, reader, workspace);
    }
    CheckRepositoryOrder(reader, workspace);
  }
  if (workspace.environments.empty()) {
    EnvironmentSpec fallback;
    fallback.name = "default";
    fallback.location = {file.string(), 0, 0};
    workspace.environments.push_back(std::move(fallback));
  }
  load.diagnostics.SortByPosition();
  if (load.diagnostics.error_count() == 0) load.workspace = std::move(workspace);
  return load;
}

Result<Workspace> ReadWorkspaceFile(const fs::path& file) {
  Result<std::string> text = ReadFile(file);
  if (!text) return std::unexpected(text.error());
  WorkspaceLoad load = LoadWorkspace(*text, file);
  if (load.workspace) return std::move(*load.workspace);
  std::string message;
  for (const Diagnostic& diagnostic : load.diagnostics.items()) {
    if (diagnostic.severity != Severity::kError) continue;
    if (!message.empty()) message += '\n';
    message += diagnostic.ToString();
  }
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

Result<std::optional<runtime::ServiceSpec>> ReadDeclaredService(const fs::path& file,
                                                                std::string_view name) {
  Result<std::string> text = ReadFile(file);
  if (!text) return std::unexpected(text.error());
  std::string shown = file.string();
  Result<yaml::Node> root = yaml::ParseYaml(*text, shown);
  if (!root) return std::unexpected(root.error());
  const yaml::Node* services = root->IsMap() ? root->Find("services") : nullptr;
  const yaml::Node* node =
      services != nullptr && services->IsMap() ? services->Find(name) : nullptr;
  if (node == nullptr) return std::optional<runtime::ServiceSpec>();
  Result<runtime::ServiceSpec> spec = runtime::ReadServiceSpec(name, *node, shown);
  if (!spec) return std::unexpected(spec.error());
  return std::optional<runtime::ServiceSpec>(std::move(*spec));
}

}  // namespace lockstep::coord
