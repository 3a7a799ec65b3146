"""Built-in document loaders: plain text, Markdown, reStructuredText, HTML, PDF, DOCX, EPUB and
source code (tree-sitter). Each module imports its parsing library only inside `load()`."""
