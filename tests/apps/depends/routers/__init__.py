"""The app's routers: `api` includes `items` and `admin` (three modules)."""

from prebake import APIRouter, Depends

from routers import admin, items

api = APIRouter(tags=["api"])
api.include_router(items.router)
api.include_router(admin.router, prefix="/admin", dependencies=[Depends(admin.require_admin)])
