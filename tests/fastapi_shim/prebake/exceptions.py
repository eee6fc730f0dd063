"""FastAPI's exceptions under prebake's module name."""

from fastapi.exceptions import HTTPException, RequestValidationError

__all__ = ["HTTPException", "RequestValidationError"]
