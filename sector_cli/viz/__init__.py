"""Learning visualizations: a viz service turns traces, source files and models into view
models; renderers (terminal, SVG, HTML) draw them. No visualization logic in a front end.

One sub-package per family, each exporting its public surface in `__init__` (`__all__`), the
only way other families and front ends reach it: `trace` (execution traces, and Python
Tutor's format the trace-based views read), `calltree`, `structures`, `syntax`, `phases`,
`network`, and `drawing`, the SVG and tree-layout kit they share."""
