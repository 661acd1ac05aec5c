// The order between a workspace's repositories as a graph over their indexes in
// Workspace::repositories: an edge p -> s when s is `after` p or receives a sync from p.
// Internal to coord/ (workspace stages, plan stages). Pure; thread-safe.
#pragma once

#include <cstddef>
#include <vector>

#include "coord/workspace.h"

namespace lockstep::coord {

// For each repository, the indexes of its direct predecessors (each once, ascending). Names
// that are not repositories of the workspace (a file with errors) are left out.
std::vector<std::vector<size_t>> Predecessors(const Workspace& workspace);

// Longest-path layers: layer 0 holds the nodes without predecessors, layer k those whose
// predecessors all sit in earlier layers with one in layer k-1; ascending within a layer.
// `nodes` are the nodes to place (ascending); predecessors outside it are ignored. Nodes on
// a cycle (which LoadWorkspace refuses) go into one last layer rather than being lost.
std::vector<std::vector<size_t>> Layers(const std::vector<size_t>& nodes,
                                        const std::vector<std::vector<size_t>>& predecessors);

}  // namespace lockstep::coord
