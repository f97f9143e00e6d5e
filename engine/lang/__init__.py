"""What the plan language means, shared by the linter, the graph, the browser and the executor: types,
dependencies, origins, modules, input patterns, expression evaluation and the text → value conversion."""
