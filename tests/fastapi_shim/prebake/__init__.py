"""A stand-in `prebake` that re-exports FastAPI's names, so that one app
source runs under FastAPI too (tests/python/test_fastapi_differential.py)."""

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    File,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    Response,
    Security,
    UploadFile,
)
from fastapi import FastAPI as App
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = [
    "APIRouter",
    "App",
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Depends",
    "File",
    "Form",
    "HTTPException",
    "Header",
    "JSONResponse",
    "Query",
    "Request",
    "RequestValidationError",
    "Response",
    "Security",
    "UploadFile",
]
