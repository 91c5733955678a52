"""The live room: one Socket.IO namespace whose handlers validate, call a service, emit."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import socketio

from chat import events
from chat.acks import Ack, acked, error, ok
from chat.batching import RoomBatcher
from chat.config import ChatConfig
from chat.rules import RateLimiter, clean_message
from server.domain.errors import AuthRequired, Conflict, DomainError, Forbidden, ValidationError
from server.domain.ids import check_id
from server.domain.orders import BuyRequest
from server.domain.roles import Principal, can_moderate
from server.domain.streams import StreamStatus, check_language
from server.services import Services
from server.views import message_view, order_view, product_view, stream_view

logger = logging.getLogger(__name__)


@dataclass
class Member:
    """What this node knows about one socket."""

    principal: Principal | None
    stream_id: int | None = None


class StreamNamespace(socketio.AsyncNamespace):
    def __init__(self, services: Services, config: ChatConfig) -> None:
        super().__init__("/")
        self._services = services
        self._config = config
        self._members: dict[str, Member] = {}
        self._rooms: dict[int, set[str]] = defaultdict(set)
        self._chat_limiter = RateLimiter(config.rate_burst, config.rate_refill_s)
        self._buy_limiter = RateLimiter(burst=5, refill_s=1.0)
        self._like_limiter = RateLimiter(config.like_burst, config.like_refill_s)
        self._likes: dict[int, int] = defaultdict(int)  # per stream, added since the last tick
        self._batcher = RoomBatcher(
            lambda event, data, room: self.emit(event, data, room=room), config.batch_window_s
        )

    async def trigger_event(self, event: Any, *args: Any) -> Any:
        """Route to `on_<event>`; an event this room does not know gets an error ack, not `[]`."""
        if not isinstance(event, str) or not hasattr(self, f"on_{event}"):
            return error("unknown_event", f"no such event: {str(event)[:40]!r}")
        return await super().trigger_event(event, *args)

    # -- connection -------------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        principal = None
        if token:
            try:
                principal = self._services.tokens.verify(token)
            except DomainError as exc:
                raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
            await self.enter_room(sid, events.person_room(principal.subject))
        self._members[sid] = Member(principal)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        member = self._members.pop(sid, None)
        if member is not None and member.stream_id is not None:
            self._rooms[member.stream_id].discard(sid)

    # -- events -----------------------------------------------------------------------------

    @acked
    async def on_join(self, sid: str, data: Any) -> Ack:
        stream_id = _int_field(data, "stream_id")
        stream = await self._services.streams.get(stream_id)
        await self._leave(sid)
        member = self._member(sid)
        member.stream_id = stream_id
        self._rooms[stream_id].add(sid)
        await self.enter_room(sid, events.stream_room(stream_id))
        return ok(state=await self._state(stream, member))

    @acked
    async def on_leave(self, sid: str, data: Any) -> Ack:
        await self._leave(sid)
        return ok()

    @acked
    async def on_send_message(self, sid: str, data: Any) -> Ack:
        stream_id, principal = self._joined_as(sid)
        text = clean_message(_field(data, "text"), max_chars=self._config.max_message_chars)
        question = _flag(data, "question")
        stream = await self._services.streams.get(stream_id)
        language = check_language(data.get("language", stream.language))
        if stream.status == StreamStatus.ENDED:
            raise Conflict("the show has ended: chat is closed", code="stream_ended")
        self._chat_limiter.check(principal.subject)
        log = self._services.chat_log
        said = await log.append(stream_id, principal, text, question, language)
        message = message_view(said, stream.started_at)
        await self._to_room(stream_id, events.CHAT_MESSAGE, message)
        return ok(message=message)

    @acked
    async def on_delete_message(self, sid: str, data: Any) -> Ack:
        stream_id, principal = self._joined_as(sid)
        message_id = _int_field(data, "message_id")
        stream = await self._services.streams.get(stream_id)
        if not can_moderate(principal, stream.host_id):
            raise Forbidden("only moderators and the host can delete messages")
        await self._services.chat_log.delete(stream_id, message_id)
        payload = {"message_id": message_id}
        await self._to_room(stream_id, events.MESSAGE_DELETED, payload)
        if stream.pinned_message_id == message_id:
            await self._to_room(stream_id, events.MESSAGE_UNPINNED, payload)
        return ok()

    @acked
    async def on_answer_question(self, sid: str, data: Any) -> Ack:
        """The host takes a question from the queue: it is marked answered and pinned."""
        return await self._pin_message(sid, data, answer=True)

    @acked
    async def on_pin_message(self, sid: str, data: Any) -> Ack:
        return await self._pin_message(sid, data, answer=False)

    @acked
    async def on_unpin_message(self, sid: str, data: Any) -> Ack:
        stream_id, principal = self._joined_as(sid)
        stream = await self._services.streams.get(stream_id)
        if not can_moderate(principal, stream.host_id):
            raise Forbidden("only moderators and the host can unpin messages")
        await self._services.chat_log.pin(stream_id, None, answer=False)
        payload = {"message_id": stream.pinned_message_id}
        await self._to_room(stream_id, events.MESSAGE_UNPINNED, payload)
        return ok()

    @acked
    async def on_pin_product(self, sid: str, data: Any) -> Ack:
        stream_id, principal = self._joined_as(sid)
        product_id = _int_field(data, "product_id")
        stream = await self._services.streams.get(stream_id)
        if stream.status == StreamStatus.ENDED:
            raise Conflict("the show has ended", code="stream_ended")
        await self._services.streams.pin(principal, stream_id, product_id)
        product = product_view(await self._services.catalog.get(product_id))
        await self._to_room(stream_id, events.PRODUCT_PINNED, {"product": product})
        return ok(product=product)

    @acked
    async def on_unpin_product(self, sid: str, data: Any) -> Ack:
        stream_id, principal = self._joined_as(sid)
        before = await self._services.streams.get(stream_id)
        await self._services.streams.pin(principal, stream_id, None)
        payload = {"product_id": before.pinned_product_id}
        await self._to_room(stream_id, events.PRODUCT_UNPINNED, payload)
        return ok()

    @acked
    async def on_buy(self, sid: str, data: Any) -> Ack:
        stream_id, principal = self._joined_as(sid)
        request = BuyRequest.parse(data)
        self._buy_limiter.check(principal.subject)
        purchase = await self._services.orders.buy(principal, stream_id, request)
        order = order_view(purchase.order)
        if purchase.created:
            await self.announce_purchase(stream_id, principal.subject, order, purchase.stock_left)
        return ok(order=order, created=purchase.created)

    @acked
    async def on_like(self, sid: str, data: Any) -> Ack:
        stream_id, principal = self._joined_as(sid)
        count = _like_count(data)
        self._like_limiter.check(principal.subject)
        self._likes[stream_id] += count
        return ok()

    # -- broadcasts other parts of the app call ---------------------------------------------

    async def announce_purchase(
        self, stream_id: int, buyer: str, order: dict, stock_left: int
    ) -> None:
        stock = {"product_id": order["lines"][0]["product_id"], "stock": stock_left}
        await self._to_room(stream_id, events.STOCK_CHANGED, stock)
        await self.emit(events.ORDER_CONFIRMED, {"order": order}, room=events.person_room(buyer))

    async def announce_status(self, stream_id: int, status: str, publisher: str) -> None:
        payload = {"status": status, "publisher": publisher}
        await self._to_room(stream_id, events.STREAM_STATUS, payload)

    async def disconnect_all(self) -> None:
        await self._batcher.flush()
        for sid in list(self._members):
            await self.disconnect(sid)

    async def run_viewer_counts(self) -> None:
        """Each tick, per room: the viewer count if it changed, and the likes added since the
        last tick. Likes are never broadcast one by one: O(rooms) frames, not O(likes)."""
        sent: dict[int, int] = {}
        while True:
            await asyncio.sleep(self._config.counters_period_s)
            try:
                await self._tick(sent)
            except Exception:
                logger.exception("room counters broadcast failed")

    async def _tick(self, sent: dict[int, int]) -> None:
        for stream_id in list(self._rooms):
            count = len(self._rooms[stream_id])
            if count == 0:
                del self._rooms[stream_id]
                sent.pop(stream_id, None)
                self._batcher.forget(events.stream_room(stream_id))
                continue
            if sent.get(stream_id) != count:
                sent[stream_id] = count
                await self._to_room(stream_id, events.VIEWER_COUNT, {"count": count})
        for stream_id, added in list(self._likes.items()):
            del self._likes[stream_id]
            await self._to_room(stream_id, events.LIKES, {"added": added})

    # -- helpers ----------------------------------------------------------------------------

    async def _pin_message(self, sid: str, data: Any, answer: bool) -> Ack:
        stream_id, principal = self._joined_as(sid)
        message_id = _int_field(data, "message_id")
        stream = await self._services.streams.get(stream_id)
        if not can_moderate(principal, stream.host_id):
            raise Forbidden("only moderators and the host can pin messages")
        pinned = await self._services.chat_log.pin(stream_id, message_id, answer=answer)
        message = message_view(pinned, stream.started_at) if pinned else None
        if answer:
            payload = {"message_id": message_id}
            await self._to_room(stream_id, events.QUESTION_ANSWERED, payload)
        await self._to_room(stream_id, events.MESSAGE_PINNED, {"message": message})
        return ok(message=message)

    async def _to_room(self, stream_id: int, event: str, data: Any) -> None:
        await self._batcher.send(events.stream_room(stream_id), event, data)

    async def _state(self, stream: Any, member: Member) -> dict:
        lineup = await self._services.streams.lineup(stream.id)
        pinned = next((p for p in lineup if p.id == stream.pinned_product_id), None)
        log = self._services.chat_log
        recent = await log.recent(stream.id, self._config.recent_messages)
        questions = await log.open_questions(stream.id, self._config.recent_messages)
        pinned_message = await log.pinned(stream.id, stream.pinned_message_id)
        you = member.principal
        return {
            "stream": stream_view(stream, lineup),
            "pinned": product_view(pinned) if pinned else None,
            "viewers": len(self._rooms[stream.id]),
            "messages": [message_view(m, stream.started_at) for m in recent],
            "questions": [message_view(m, stream.started_at) for m in questions],
            "pinned_message": message_view(pinned_message, stream.started_at)
            if pinned_message
            else None,
            "you": {"subject": you.subject, "display_name": you.display_name, "role": you.role}
            if you
            else None,
            "server_time": _now_iso(),
        }

    async def _leave(self, sid: str) -> None:
        member = self._member(sid)
        if member.stream_id is not None:
            self._rooms[member.stream_id].discard(sid)
            await self.leave_room(sid, events.stream_room(member.stream_id))
            member.stream_id = None

    def _member(self, sid: str) -> Member:
        return self._members.setdefault(sid, Member(None))

    def _joined_as(self, sid: str) -> tuple[int, Principal]:
        member = self._member(sid)
        if member.stream_id is None:
            raise Conflict("join a stream first", code="not_joined")
        if member.principal is None:
            raise AuthRequired("sign in or continue as a guest first")
        return member.stream_id, member.principal


def _field(data: Any, name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise ValidationError(f"expected an object with {name}", code="bad_payload")
    return data[name]


def _flag(data: Any, name: str) -> bool:
    """An optional boolean field: absent is False, anything but true/false is refused."""
    value = data.get(name, False) if isinstance(data, dict) else False
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", code="bad_payload")
    return value


def _like_count(data: Any) -> int:
    """`like` takes nothing (one tap) or {count: 1..10} (taps a client gathered)."""
    if data is None or (isinstance(data, dict) and "count" not in data):
        return 1
    count = _field(data, "count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10:
        raise ValidationError("count must be a whole number from 1 to 10", code="bad_payload")
    return count


def _int_field(data: Any, name: str) -> int:
    return check_id(_field(data, name), name)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()
