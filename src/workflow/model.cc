#include "workflow/model.h"

namespace lockstep::workflow {

const Action* Workflow::FindAction(std::string_view wanted) const {
  for (const Action& action : actions) {
    if (action.name == wanted) return &action;
  }
  return nullptr;
}

const ActionGroup* Workflow::FindGroup(std::string_view wanted) const {
  for (const ActionGroup& group : groups) {
    if (group.name == wanted) return &group;
  }
  return nullptr;
}

}  // namespace lockstep::workflow
