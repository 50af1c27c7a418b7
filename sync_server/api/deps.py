"""The dependencies routes declare with ``Annotated``: the context, a database session, the caller's
address, mail sent after the response, and the signed-in account."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sync_server.context import ServerContext
from sync_server.core.background import AFTER_ANSWER
from sync_server.core.mail import send_quietly
from sync_server.errors import unauthorised
from sync_server.services.common import Later, PostMail
from sync_server.services.sessions import SignedInDevice, authenticate


def get_context(request: Request) -> ServerContext:
    """The process's ServerContext (set by ``create_app``)."""
    context: ServerContext = request.app.state.context
    return context


ContextDep = Annotated[ServerContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    """A session committed when the route returns (before the response is sent) and rolled back on error."""
    with context.database.sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_client_address(request: Request) -> str:
    """The client's address (uvicorn sets it from ``X-Forwarded-For`` only for trusted proxies)."""
    return request.client.host if request.client else "unknown"


AddressDep = Annotated[str, Depends(get_client_address)]


def get_post_mail(context: ContextDep, background: BackgroundTasks) -> PostMail:
    """Queues mail to send after the response, so answers never wait on (or reveal) the mail server."""
    def post(message: EmailMessage) -> None:
        background.add_task(send_quietly, context.mailer, message)
    return post


PostMailDep = Annotated[PostMail, Depends(get_post_mail)]


def get_later(request: Request, context: ContextDep) -> Later:
    """Queues work to run once the answer has been sent (so its cost never shows in the answer's timing), also
    when the route answers with an error."""
    pending: list[Callable[[], None]] | None = request.scope.get(AFTER_ANSWER)
    return pending.append if pending is not None else context.background.submit


LaterDep = Annotated[Later, Depends(get_later)]

bearer = HTTPBearer(auto_error=False, description="The access token from sign-in or refresh.")


def get_signed_in(context: ContextDep, session: SessionDep,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> SignedInDevice:
    """The account and device of a valid access token; 401 otherwise."""
    if credentials is None:
        raise unauthorised()
    return authenticate(context, session, credentials.credentials)


SignedInDep = Annotated[SignedInDevice, Depends(get_signed_in)]
