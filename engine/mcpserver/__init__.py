"""`planact mcp`: planact's tools over the Model Context Protocol (see :mod:`planact.mcpserver.server`)."""
