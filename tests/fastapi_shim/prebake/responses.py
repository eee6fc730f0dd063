"""FastAPI's responses under prebake's module name."""

from fastapi.responses import JSONResponse, Response

__all__ = ["JSONResponse", "Response"]
