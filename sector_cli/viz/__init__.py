"""Learning visualizations: a viz service turns traces, source files and models into view
models; renderers (terminal, SVG, HTML) draw them. No visualization logic in a front end."""
