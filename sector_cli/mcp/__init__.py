"""`sector mcp`: the local context index served over the Model Context Protocol.

`server` builds the MCP server (tools, document resources, a prompt) over the context
service; `stdio` keeps the protocol stream clean of anything else written to stdout.
"""
