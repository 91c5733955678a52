"""The live room: one Socket.IO namespace whose handlers validate, call a service, emit.

The moderation events live in chat/moderation_events.py, the shared plumbing in
chat/room_base.py; the chat line itself goes through the moderation rules here, on send.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

import socketio

from chat import events
from chat.acks import Ack, acked, ok, refused
from chat.auctions_room import AuctionsRoom
from chat.domain_events import DomainEventsRoom
from chat.fingerprint import client_address, fingerprint
from chat.following_room import FollowingRoom
from chat.giveaways_room import GiveawaysRoom
from chat.moderation import (
    Decision,
    Outcome,
    Person,
    PlatformModeration,
    StreamModeration,
    admission,
    decide,
)
from chat.moderation_events import ModerationEvents
from chat.moderation_store import StreamChange
from chat.permissions import Action, may_attempt, standing
from chat.polls_room import PollsRoom
from chat.room_base import Member, stream_ref
from chat.rules import clean_message
from server.contract.deals import NewDeal
from server.contract.orders import Buy, Checkout
from server.contract.payloads import (
    EndDeal,
    Join,
    Like,
    MessageRef,
    PinProduct,
    ProductSeen,
    SendMessage,
    UnpinProduct,
)
from server.contract.serializers import (
    deal_view,
    message_view,
    order_view,
    product_view,
    stream_view,
)
from server.core.auth import session_cookie
from server.core.domain.error_codes import DealCode, RoomCode, StreamCode
from server.core.domain.errors import Conflict, DomainError, NotFound
from server.core.domain.payments import PaymentMethodRequired
from server.core.domain.roles import Principal
from server.core.domain.streams import StreamStatus, check_language
from server.core.services.checkout import check_out
from server.core.services.orders import Purchase
from server.core.store.rows import ChatMessage, Stream, utcnow

logger = logging.getLogger(__name__)


class StreamNamespace(
    FollowingRoom, AuctionsRoom, GiveawaysRoom, PollsRoom, ModerationEvents, DomainEventsRoom
):
    """The room's events: connect, join, chat, pins, purchases, likes (and moderation's);
    what the services change reaches the room as domain events (chat/domain_events.py)."""

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        """The token is `auth.token` (API clients, OBS), else the pages' session cookie; it is
        checked as HTTP checks it, its account's standing too (a ban, a role change)."""
        auth = auth if isinstance(auth, dict) else {}
        token = auth.get("token") or session_cookie(environ.get("HTTP_COOKIE"))
        member = Member(None)
        if token:
            try:
                member.principal = await self._services.accounts.authenticate(token)
            except DomainError as exc:
                raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
            await self._enter_personal_rooms(sid, member, environ, auth)
        self._members[sid] = member

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        member = self._members.pop(sid, None)
        self._forget_follows(sid)
        if member is not None and member.stream_id is not None:
            self._rooms[member.stream_id].discard(sid)
            self._show_metrics.left(member.stream_id, sid, member.principal)

    @acked
    async def on_join(self, sid: str, data: Any) -> Ack:
        stream_id = Join.parse(data).stream_id
        stream = await self._services.streams.get(stream_id)
        member = self._member(sid)
        room, platform = await self._store.read(stream_ref(stream))
        if member.principal is not None:
            person = Person(member.principal, member.fingerprint)
            refusal = admission(person, time.time(), room, platform)
            if refusal is not None:
                refusal.raise_if_refused()
        await self._leave(sid)
        member.stream_id = stream_id
        self._rooms[stream_id].add(sid)
        self._show_metrics.joined(stream_id, sid, member.principal)
        await self.enter_room(sid, events.stream_room(stream_id))
        await self._sort_staff(sid, member, room)
        return ok(state=await self._state(stream, member, room))

    @acked
    async def on_leave(self, sid: str, data: Any) -> Ack:
        await self._leave(sid)
        return ok()

    @acked
    async def on_send_message(self, sid: str, data: Any) -> Ack:
        stream_id, principal = self._joined_as(sid)
        sent = SendMessage.parse(data)
        text = clean_message(sent.text, max_chars=self._config.max_message_chars)
        question = sent.question
        stream = await self._services.streams.recent(stream_id)
        asked = sent.language if "language" in sent.model_fields_set else stream.language
        language = check_language(asked)
        if stream.status == StreamStatus.ENDED:
            raise Conflict("the show has ended: chat is closed", code=StreamCode.STREAM_ENDED)
        self._chat_limiter.check(principal.subject)
        sender = await self._people.sender(principal, self._member(sid).fingerprint)
        sender = replace(sender, follows_host=self._follows_host(sid, stream.host_id))
        meta = {"question": question, "language": language, "role": str(principal.role)}
        decision = await self._store.change_stream(
            stream_ref(stream), _deciding(sender, text, meta), fallback=True
        )
        decision.raise_if_refused()
        if decision.outcome == Outcome.HOLD:
            return await self._hold(stream_id, decision)
        said = await self._services.chat_log.append(
            stream_id,
            principal,
            decision.text,
            question,
            language,
            shadowed=decision.outcome == Outcome.SENDER_ONLY,
        )
        await self.enter_by_keyword(sid, stream, principal, decision.text)  # giveaways
        return ok(message=await self._deliver(sid, stream, said))

    @acked
    async def on_delete_message(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        message_id = MessageRef.parse(data).message_id
        await self._may(stream, actor, Action.DELETE_MESSAGE)
        said = await self._services.chat_log.get(stream.id, message_id)
        author = (await self._people.target(said.author)).principal
        entry = await self._change(
            stream, lambda room, _, now: room.delete_message(actor, author, message_id, now)
        )
        await self._services.chat_log.delete(stream.id, message_id)
        await self._audited(entry)
        payload = {"message_id": message_id}
        await self._to_room(stream.id, events.MESSAGE_DELETED, payload)
        if stream.pinned_message_id == message_id:
            await self._to_room(stream.id, events.MESSAGE_UNPINNED, payload)
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
        stream, principal = await self._stream_of(sid)
        await self._may(stream, principal, Action.PIN)
        await self._services.chat_log.pin(stream.id, None, answer=False)
        payload = {"message_id": stream.pinned_message_id}
        await self._to_room(stream.id, events.MESSAGE_UNPINNED, payload)
        return ok()

    @acked
    async def on_pin_product(self, sid: str, data: Any) -> Ack:
        """Pin a line-up product; up to MAX_PINS at once, the oldest pin gives way."""
        stream, principal = await self._stream_of(sid)
        product_id = PinProduct.parse(data).product_id
        await self._may(stream, principal, Action.PIN)  # the host and the stream's staff
        if stream.status == StreamStatus.ENDED:
            raise Conflict("the show has ended", code=StreamCode.STREAM_ENDED)
        await self._services.streams.pin(None, stream.id, product_id)  # the room hears it
        product = product_view(await self._services.catalog.get(product_id))
        pins = await self._services.streams.pinned(stream.id)
        return ok(product=product, pins=pins)

    @acked
    async def on_unpin_product(self, sid: str, data: Any) -> Ack:
        """Unpin `product_id`, or every pinned product when it is left out."""
        stream, principal = await self._stream_of(sid)
        await self._may(stream, principal, Action.PIN)
        product_id = UnpinProduct.parse(data).product_id
        streams = self._services.streams
        if product_id is None:
            gone = await streams.pin(None, stream.id, None)
        else:
            gone = [product_id] if await streams.unpin(None, stream.id, product_id) else []
        return ok(unpinned=gone)

    @acked
    async def on_buy(self, sid: str, data: Any) -> Ack:
        """Buy now from the show: the same rules and answer as POST /api/streams/{id}/orders."""
        stream_id, principal = self._joined_as(sid)
        body = Buy.parse(data)
        request = body.request()
        self._buy_limiter.check(principal.subject)
        services = self._services
        purchase = await services.orders.place(
            principal,
            stream_id,
            request.items,
            request.idempotency_key,
            request.coupon,
            body.address_id,
        )
        return await self._placed(principal, purchase, request.pay)

    def buy_refused_inline(self, sid: str, data: Any) -> Ack | None:
        """A `buy` this node can refuse from memory (sold out, the deal sold out), answered
        before Socket.IO's dispatch (chat/inline_acks.py) with `on_buy`'s very ack; None: let
        `on_buy` decide. A refusal still counts against the buyer's rate limit."""
        member = self._members.get(sid)
        if member is None or member.stream_id is None or member.principal is None:
            return None
        try:
            request = Buy.parse(data).request()
        except DomainError:
            return None  # on_buy answers it
        refusal = self._services.orders.refusal_from_memory(
            member.principal, member.stream_id, request.items, request.idempotency_key
        )
        if refusal is None:
            return None
        try:
            self._buy_limiter.check(member.principal.subject)
        except DomainError as limited:
            return refused(limited)
        return refused(refusal)

    @acked
    async def on_checkout(self, sid: str, data: Any) -> Ack:
        """Check out the buyer's cart in this show: the same rules and answer as
        POST /api/streams/{id}/cart/checkout, over the connection the buyer already has."""
        stream_id, principal = self._joined_as(sid)
        body = Checkout.parse(data)
        request = body.request()
        self._buy_limiter.check(principal.subject)
        services = self._services
        purchase = await check_out(
            services.carts,
            services.orders,
            principal,
            stream_id,
            request.idempotency_key,
            request.coupon,
            body.address_id,
        )
        return await self._placed(principal, purchase, request.pay)

    async def _placed(self, principal: Principal, purchase: Purchase, pay: bool) -> Ack:
        """The order as placed, paid when asked; with the provider's `next_action` when the
        buyer has a step to do (3-D Secure), as the HTTP door answers 202."""
        answer = ok(order=order_view(purchase.order), created=purchase.created)
        if not pay:
            return answer
        try:
            paid = await self._services.lifecycle.pay_with(principal, purchase.order.id)
        except PaymentMethodRequired:  # the page pays it with the card (docs/protocol.md)
            return answer
        if paid.action is not None:
            action = paid.action.to_payload()
            return ok(order=order_view(paid.order), created=purchase.created, next_action=action)
        return ok(order=order_view(paid.order), created=purchase.created)

    @acked
    async def on_start_deal(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        await self._may(stream, principal, Action.PIN)  # the host and the stream's staff
        terms = NewDeal.parse(data).terms()
        now = utcnow()
        deal = await self._services.deals.start(None, stream.id, terms, now)
        return ok(deal=deal_view(deal, now))

    @acked
    async def on_end_deal(self, sid: str, data: Any) -> Ack:
        stream, principal = await self._stream_of(sid)
        deal_id = EndDeal.parse(data).deal_id
        await self._may(stream, principal, Action.PIN)
        found = await self._services.deals.get(deal_id)
        if found.stream_id != stream.id:
            raise NotFound("no such deal in this show", code=DealCode.DEAL_NOT_FOUND)
        now = utcnow()
        deal = await self._services.deals.end(None, deal_id, now)
        return ok(deal=deal_view(deal, now))

    @acked
    async def on_like(self, sid: str, data: Any) -> Ack:
        stream_id, principal = self._joined_as(sid)
        count = Like.parse(data).taps
        self._like_limiter.check(principal.subject)
        self._likes[stream_id] += count
        self._show_metrics.liked(stream_id, count)
        return ok()

    @acked
    async def on_product_seen(self, sid: str, data: Any) -> Ack:
        """The page shows a product's card: a card view in the show report (no database
        round trip: chat/show_metrics.py)."""
        member = self._member(sid)
        product_id = ProductSeen.parse(data).product_id
        if member.stream_id is None:
            raise Conflict("join a stream first", code=RoomCode.NOT_JOINED)
        counted = self._show_metrics.seen(member.stream_id, product_id, sid, member.principal)
        return ok(counted=counted)

    async def disconnect_all(self) -> None:
        await self._batcher.flush()
        for sid in list(self._members):
            await self.disconnect(sid)
        await self._show_metrics.flush(force=True)

    async def run_viewer_counts(self) -> None:
        """Each tick, per room: the viewer count if it changed, and the likes added since the
        last tick. Likes are never broadcast one by one: O(rooms) frames, not O(likes). Both
        are totals over every node (chat/room_counters.py)."""
        sent: dict[int, int] = {}
        while True:
            await asyncio.sleep(self._config.counters_period_s)
            try:
                await self._tick(sent)
            except Exception:
                logger.exception("room counters broadcast failed")

    async def _tick(self, sent: dict[int, int]) -> None:
        await self._show_metrics.flush()  # the show report's events of this tick, one insert
        for stream_id in list(self._rooms):
            local = len(self._rooms[stream_id])
            added = self._likes.pop(stream_id, 0)
            totals = await self._counters.tick(stream_id, local, added)
            if local == 0:
                del self._rooms[stream_id]
                sent.pop(stream_id, None)
                self._batcher.forget(events.stream_room(stream_id))
                self._batcher.forget(events.staff_room(stream_id))
                continue
            if sent.get(stream_id) != totals.viewers:
                # Every node tells its own sockets the same total: never across nodes.
                sent[stream_id] = totals.viewers
                count = {"count": totals.viewers}
                room = events.stream_room(stream_id)
                await self.emit(events.VIEWER_COUNT, count, room=room, ignore_queue=True)
            if added:  # to every node's sockets: each adds what every node counted
                await self._to_room(
                    stream_id, events.LIKES, {"added": added, "total": totals.likes}
                )

    async def _enter_personal_rooms(
        self, sid: str, member: Member, environ: Mapping[str, Any], auth: dict
    ) -> None:
        principal = member.principal
        if principal is None:
            return
        await self.enter_room(sid, events.person_room(principal.subject))
        await self._enter_follower_rooms(sid, principal)  # host_live toasts (following_room.py)
        if may_attempt(principal, Action.READ_PLATFORM_AUDIT, None):  # platform staff
            await self.enter_room(sid, events.PLATFORM_STAFF_ROOM)
        if principal.is_guest:
            address = client_address(environ, self._config.trusted_proxy_hops)
            member.fingerprint = fingerprint(self._fingerprint_key, address, auth.get("device"))
            await self._store.remember_fingerprint(principal.subject, member.fingerprint)

    async def _deliver(self, sid: str, stream: Stream, said: ChatMessage) -> dict[str, Any]:
        message = message_view(said, stream.started_at)
        if said.shadowed:  # the sender's socket only: nobody else, on any node
            await self.emit(events.CHAT_MESSAGE, message, to=sid, ignore_queue=True)
        else:
            await self._to_room(stream.id, events.CHAT_MESSAGE, message)
        return message

    async def _pin_message(self, sid: str, data: Any, answer: bool) -> Ack:
        stream, principal = await self._stream_of(sid)
        message_id = MessageRef.parse(data).message_id
        await self._may(stream, principal, Action.PIN)
        pinned = await self._services.chat_log.pin(stream.id, message_id, answer=answer)
        message = message_view(pinned, stream.started_at) if pinned else None
        if answer:
            payload = {"message_id": message_id}
            await self._to_room(stream.id, events.QUESTION_ANSWERED, payload)
        await self._to_room(stream.id, events.MESSAGE_PINNED, {"message": message})
        return ok(message=message)

    async def _state(self, stream: Stream, member: Member, room: StreamModeration) -> dict:
        lineup = await self._services.streams.lineup(stream.id)
        totals = await self._counters.totals(stream.id, len(self._rooms[stream.id]))
        pinned = next((p for p in lineup if p.id == stream.pinned_product_id), None)
        pin_ids = await self._services.streams.pinned(stream.id)
        pins = [p for pin_id in pin_ids for p in lineup if p.id == pin_id]
        log = self._services.chat_log
        you = member.principal
        limit = self._config.recent_messages
        recent = await log.recent(stream.id, limit, viewer=you.subject if you else None)
        questions = await log.open_questions(stream.id, limit)
        pinned_message = await log.pinned(stream.id, stream.pinned_message_id)
        now = utcnow()
        deals = await self._services.deals.running(stream.id, now)
        return {
            "stream": stream_view(stream, lineup),
            "pinned": product_view(pinned) if pinned else None,
            "pins": [product_view(p) for p in pins],
            "viewers": totals.viewers,
            "likes": totals.likes,
            "messages": [message_view(m, stream.started_at) for m in recent],
            "questions": [message_view(m, stream.started_at) for m in questions],
            "pinned_message": message_view(pinned_message, stream.started_at)
            if pinned_message
            else None,
            "modes": asdict(room.modes),
            "you": {
                "subject": you.subject,
                "display_name": you.display_name,
                "role": you.role,
                "standing": standing(you, room).value,
            }
            if you
            else None,
            "deals": [deal_view(d, now) for d in deals],
            "server_time": now.isoformat(),
        }


def _deciding(sender: Person, text: str, meta: dict[str, Any]) -> StreamChange[Decision]:
    def run(room: StreamModeration, platform: PlatformModeration, now: float) -> Decision:
        return decide(sender, text, now, room=room, platform=platform, meta=meta)

    return run
