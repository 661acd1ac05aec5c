// `lockstep validate [FILES…]`: checks workflow files and lockstep.yaml workspace files and
// prints compiler-style diagnostics.
#include <fmt/core.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "base/file.h"
#include "base/state_directory.h"
#include "cli/command.h"
#include "coord/workspace.h"
#include "workflow/discovery.h"
#include "workflow/load.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

struct ValidateOptions {
  std::vector<std::string> paths;
  bool json = false;
  bool no_source = false;
};

struct FileReport {
  std::string file;
  std::string source;
  DiagnosticList diagnostics;
};

std::string Plural(int count, std::string_view word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

constexpr std::string_view kWorkspaceFileName = "lockstep.yaml";

// The files to check: the arguments (directories searched for YAML), or the current
// repository's workflow folders and the nearest lockstep.yaml when there are none.
Result<std::vector<fs::path>> CollectFiles(const ValidateOptions& options) {
  std::vector<fs::path> files;
  if (options.paths.empty()) {
    fs::path root = workflow::FindRepositoryRoot(fs::current_path());
    auto found = workflow::FindWorkflowFiles(root);
    if (!found) return found;
    std::optional<fs::path> workspace = FindWorkspaceFile(fs::current_path());
    if (found->empty() && !workspace) {
      return Fail(
          ErrorCode::kNotFound,
          fmt::format("no workflow files under {}/.codecatalyst/workflows/", root.string()));
    }
    if (workspace) files.push_back(*workspace);
    files.insert(files.end(), found->begin(), found->end());
    return files;
  }
  for (const std::string& path : options.paths) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      auto found = workflow::FindYamlFiles(path);
      if (!found) return found;
      files.insert(files.end(), found->begin(), found->end());
    } else {
      files.emplace_back(path);
    }
  }
  return files;
}

FileReport Check(const fs::path& path) {
  FileReport report{path.string(), "", DiagnosticList(path.string())};
  auto text = ReadFile(path);
  if (!text) {
    report.diagnostics.AddError(0, 0, text.error().message());
    return report;
  }
  report.source = std::move(*text);
  if (path.filename() == kWorkspaceFileName) {
    report.diagnostics = coord::LoadWorkspace(report.source, path).diagnostics;
  } else {
    report.diagnostics = workflow::LoadWorkflow(report.source, report.file).diagnostics;
  }
  return report;
}

nlohmann::ordered_json ToJson(const std::vector<FileReport>& reports, int errors, int warnings) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const FileReport& report : reports) {
    nlohmann::ordered_json diagnostics = nlohmann::ordered_json::array();
    for (const Diagnostic& diagnostic : report.diagnostics.items()) {
      diagnostics.push_back({{"severity", SeverityName(diagnostic.severity)},
                             {"line", diagnostic.location.line},
                             {"column", diagnostic.location.column},
                             {"message", diagnostic.message}});
    }
    files.push_back({{"file", report.file},
                     {"valid", report.diagnostics.error_count() == 0},
                     {"errors", report.diagnostics.error_count()},
                     {"warnings", report.diagnostics.warning_count()},
                     {"diagnostics", std::move(diagnostics)}});
  }
  return {{"files", std::move(files)}, {"errors", errors}, {"warnings", warnings}};
}

int Run(const ValidateOptions& options, const GlobalOptions& global) {
  auto files = CollectFiles(options);
  if (!files) {
    fmt::print(stderr, "lockstep: error: {}\n", files.error().message());
    return kExitFailure;
  }
  std::vector<FileReport> reports;
  int errors = 0;
  int warnings = 0;
  for (const fs::path& path : *files) {
    reports.push_back(Check(path));
    errors += reports.back().diagnostics.error_count();
    warnings += reports.back().diagnostics.warning_count();
  }
  if (options.json) {
    fmt::print("{}\n", ToJson(reports, errors, warnings).dump(2));
    return errors > 0 ? kExitFailure : kExitSuccess;
  }
  RenderOptions render{UseColor(global, STDOUT_FILENO), !options.no_source};
  std::string out;
  for (const FileReport& report : reports) {
    for (const Diagnostic& diagnostic : report.diagnostics.items()) {
      out += RenderDiagnostic(diagnostic, report.source, render);
    }
  }
  out += fmt::format("{} checked: {}, {}\n", Plural(static_cast<int>(reports.size()), "file"),
                     Plural(errors, "error"), Plural(warnings, "warning"));
  fmt::print("{}", out);
  return errors > 0 ? kExitFailure : kExitSuccess;
}

}  // namespace

CommandSpec ValidateCommand() {
  return {"validate", "Check workflow files and lockstep.yaml; errors as file:line:col: error: …",
          [](CLI::App& app, const GlobalOptions& global) -> std::function<int()> {
            auto options = std::make_shared<ValidateOptions>();
            app.add_option("files", options->paths,
                           "Workflow files, lockstep.yaml files or folders (default: this "
                           "repository's workflow folders and the nearest lockstep.yaml)");
            app.add_flag("--json", options->json, "Print the diagnostics as JSON");
            app.add_flag("--no-source", options->no_source,
                         "Print only the diagnostic lines, without source and caret");
            return [options, &global] { return Run(*options, global); };
          }};
}

}  // namespace lockstep::cli
