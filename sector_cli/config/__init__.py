"""Settings, their layering, and every path Sector writes."""
