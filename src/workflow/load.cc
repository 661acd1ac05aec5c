#include "workflow/load.h"

#include "workflow/checker.h"
#include "workflow/graph_check.h"
#include "workflow/reader.h"
#include "yaml/yaml_tree.h"

namespace lockstep::workflow {

LoadResult LoadWorkflow(std::string_view text, std::string_view file_name) {
  LoadResult result{std::nullopt, DiagnosticList(std::string(file_name))};
  auto root = yaml::ParseYaml(text, file_name);
  if (!root) {
    const auto& location = root.error().location();
    result.diagnostics.AddError(location ? location->line : 0, location ? location->column : 0,
                                root.error().message());
    return result;
  }
  Checker checker(result.diagnostics, text);
  result.workflow = ReadWorkflow(*root, checker);
  if (result.workflow) CheckWorkflowGraph(*result.workflow, checker);
  result.diagnostics.SortByPosition();
  return result;
}

}  // namespace lockstep::workflow
