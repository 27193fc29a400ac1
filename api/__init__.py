"""The HTTP service: FastAPI routes over ``rag.pipeline.Pipeline`` plus the chat widget.

``api.main.create_app`` builds the app; ``rag serve`` runs it with uvicorn.
"""
