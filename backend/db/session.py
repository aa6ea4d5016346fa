"""The request's database session: opened per request, committed or rolled back here only.

Services ``flush()``; they never commit. The session ends before the response is sent
(``scope="function"``), so a 2xx means the transaction is committed and durable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from backend.db.engine import Database

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def session(request: Request) -> Iterator[Session]:
    db = database(request)
    factory = db.reader if request.method in READ_METHODS else db.writer
    with factory() as db_session:
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise


DbSession = Annotated[Session, Depends(session, scope="function")]
