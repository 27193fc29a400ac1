"""One router per resource; each route parses, calls the pipeline, shapes the response."""
