"""The floor to compare against: validate a small pydantic body, one `insert_one`, answer 201.

Served by uvicorn exactly like the service (one process, factory, `LOG_LEVEL` info with the
access log), against the same FerretDB, so the ratio measures what the real endpoint adds:
catalog rules, capacity counters, idempotency, the outbox document and its relay.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, status
from pydantic import BaseModel, EmailStr, Field
from pymongo import AsyncMongoClient


class ContactIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    email: EmailStr


class SubmissionIn(BaseModel):
    offer: str = Field(max_length=32)
    edition_id: str = Field(max_length=64)
    contact: ContactIn
    data_consent: bool


class SubmissionOut(BaseModel):
    id: str


def create_app() -> FastAPI:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27027/")
    )
    collection = client["bench_baseline"]["submissions"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.close()

    app = FastAPI(title="baseline", lifespan=lifespan)

    @app.post("/api/registrations", status_code=status.HTTP_201_CREATED)
    async def submit(body: SubmissionIn) -> SubmissionOut:
        doc = {"_id": str(uuid.uuid4()), **body.model_dump()}
        await collection.insert_one(doc)
        return SubmissionOut(id=doc["_id"])

    return app
