"""The room's moderation events: mute, ban, modes, word lists, the review queue, the audit log.

Each handler checks the payload, runs a rule of chat/moderation.py on the state in the store
(chat/moderation_store.py), keeps the audit entry and tells whom it concerns. docs/moderation.md
has the rules; docs/protocol.md the events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from chat import events
from chat.acks import Ack, acked, ok
from chat.moderation import (
    DEFAULT_MUTE_S,
    AuditEntry,
    Decision,
    HeldMessage,
    Person,
    PlatformModeration,
    StreamModeration,
    add_word,
    remove_word,
)
from chat.moderation_bus import EVICT, STANDING, Signal
from chat.moderation_store import StreamChange, T
from chat.permissions import (
    STREAM_STAFF,
    Action,
    ModerationForbidden,
    may_attempt,
    require,
    standing,
)
from chat.room_base import Member, RoomBase, iso_time, stream_ref
from chat.word_filter import ALL_LANGUAGES
from server.contract.moderation import (
    AuditQuery,
    HeldRef,
    ModeChange,
    Mute,
    NewWord,
    NoFields,
    PlatformBan,
    Sanction,
    Target,
    WordEdit,
    WordList,
)
from server.contract.serializers import audit_view, message_view
from server.core.domain.roles import Principal, Role
from server.core.store.rows import Stream

# A word-list edit: (actor, the stream's or the platform's state, now) -> its audit entry.
WordChange = Callable[[Principal, StreamModeration | PlatformModeration, float], AuditEntry]
S = TypeVar("S", bound=Target)


class ModerationEvents(RoomBase):
    """The moderation half of the room's events (StreamNamespace adds the rest)."""

    @acked
    async def on_delete_user_messages(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        target, _ = await self._target(stream, actor, Action.DELETE_MESSAGE, data, Target)
        entry = await self._change(
            stream, lambda room, _, now: room.delete_user_messages(actor, target.principal, now)
        )
        author = target.principal.subject
        ids, unpinned = await self._services.chat_log.delete_by_author(stream.id, author)
        view = await self._audited(replace(entry, detail={**entry.detail, "count": len(ids)}))
        if ids:
            deleted = {"author": author, "message_ids": ids}
            await self._to_room(stream.id, events.USER_MESSAGES_DELETED, deleted)
        if unpinned:
            pinned = {"message_id": stream.pinned_message_id}
            await self._to_room(stream.id, events.MESSAGE_UNPINNED, pinned)
        return ok(message_ids=ids, entry=view)

    @acked
    async def on_mute(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        target, sent = await self._target(stream, actor, Action.MUTE, data, Mute)
        duration, reason = sent.given("duration_s", DEFAULT_MUTE_S), sent.reason
        entry = await self._change(
            stream, lambda room, _, now: room.mute(actor, target, now, duration, reason)
        )
        view = await self._audited(entry)
        muted = {"stream_id": stream.id} | _sanction_view(entry)
        await self.emit(events.MUTED, muted, room=events.person_room(target.principal.subject))
        return ok(entry=view)

    @acked
    async def on_unmute(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        target, _ = await self._target(stream, actor, Action.UNMUTE, data, Target)
        entry = await self._change(stream, lambda room, _, now: room.unmute(actor, target, now))
        return ok(entry=await self._audited(entry))

    @acked
    async def on_ban(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        target, sent = await self._target(stream, actor, Action.BAN, data, Sanction)
        reason = sent.reason
        entry = await self._change(
            stream, lambda room, _, now: room.ban(actor, target, now, reason)
        )
        view = await self._audited(entry)
        await self._evict(stream.id, target, entry)
        return ok(entry=view)

    @acked
    async def on_unban(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        target, _ = await self._target(stream, actor, Action.UNBAN, data, Target)
        entry = await self._change(stream, lambda room, _, now: room.unban(actor, target, now))
        return ok(entry=await self._audited(entry))

    @acked
    async def on_shadow_ban(self, sid: str, data: Any) -> Ack:
        """Nothing tells the target: their messages go on reaching them, and nobody else."""
        stream, actor = await self._stream_of(sid)
        target, sent = await self._target(stream, actor, Action.SHADOW_BAN, data, Sanction)
        reason = sent.reason
        entry = await self._change(
            stream, lambda room, _, now: room.shadow_ban(actor, target, now, reason)
        )
        return ok(entry=await self._audited(entry))

    @acked
    async def on_unshadow_ban(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        target, _ = await self._target(stream, actor, Action.UNSHADOW_BAN, data, Target)
        entry = await self._change(
            stream, lambda room, _, now: room.unshadow_ban(actor, target, now)
        )
        return ok(entry=await self._audited(entry))

    @acked
    async def on_platform_ban(self, sid: str, data: Any) -> Ack:
        """Platform staff ban someone from every stream, for good or for `duration_s`."""
        actor = self._signed_in(sid)
        target, sent = await self._target(None, actor, Action.PLATFORM_BAN, data, PlatformBan)
        duration, reason = sent.duration_s, sent.reason
        entry = await self._store.change_platform(
            lambda platform, now: platform.ban(actor, target, now, duration, reason)
        )
        view = await self._audited(entry)
        await self._evict(None, target, entry)
        return ok(entry=view)

    @acked
    async def on_platform_unban(self, sid: str, data: Any) -> Ack:
        actor = self._signed_in(sid)
        target, _ = await self._target(None, actor, Action.PLATFORM_UNBAN, data, Target)
        entry = await self._store.change_platform(
            lambda platform, now: platform.unban(actor, target, now)
        )
        return ok(entry=await self._audited(entry))

    @acked
    async def on_set_modes(self, sid: str, data: Any) -> Ack:
        """Switch slow mode, registered-only and established-user mode; the next message sees
        them, and the room is told."""
        stream, actor = await self._stream_of(sid)
        await self._may(stream, actor, Action.SET_MODES)
        changes = ModeChange.parse(data).changes
        entry = await self._change(
            stream, lambda room, _, now: room.set_modes(actor, replace(room.modes, **changes), now)
        )
        view = await self._audited(entry)
        modes = dict(entry.detail)
        await self._to_room(stream.id, events.MODES_CHANGED, {"modes": modes})
        return ok(modes=modes, entry=view)

    @acked
    async def on_add_word(self, sid: str, data: Any) -> Ack:
        """Add a term to this stream's word list, or to the platform's (`platform: true`)."""
        sent = NewWord.parse(data)
        term, action = sent.term, sent.action
        language = sent.given("language", ALL_LANGUAGES)
        entry = await self._edit_words(
            sid,
            sent.platform,
            lambda actor, scope, now: add_word(actor, scope, term, language, action, now),
        )
        return ok(entry=await self._audited(entry))

    @acked
    async def on_remove_word(self, sid: str, data: Any) -> Ack:
        sent = WordEdit.parse(data)
        term, language = sent.term, sent.given("language", ALL_LANGUAGES)
        entry = await self._edit_words(
            sid,
            sent.platform,
            lambda actor, scope, now: remove_word(actor, scope, term, language, now),
        )
        return ok(entry=await self._audited(entry))

    @acked
    async def on_word_list(self, sid: str, data: Any) -> Ack:
        """The terms of this stream's list, or of the platform's (`platform: true`)."""
        if WordList.parse(data).platform:
            require(self._signed_in(sid), Action.EDIT_PLATFORM_WORDS, None)
            words = (await self._store.read_platform()).words
        else:
            stream, actor = await self._stream_of(sid)
            room = await self._may(stream, actor, Action.EDIT_WORDS)
            words = room.words
        return ok(terms=words.to_dict()["terms"])

    @acked
    async def on_held_messages(self, sid: str, data: Any) -> Ack:
        """The review queue, oldest first."""
        NoFields.parse(data)
        stream, actor = await self._stream_of(sid)
        room = await self._may(stream, actor, Action.REVIEW)
        return ok(held=[_held_view(h) for h in room.pending(time.time())])

    @acked
    async def on_approve_held(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        held_id = HeldRef.parse(data).held_id
        await self._may(stream, actor, Action.REVIEW)
        held, entry = await self._change(
            stream, lambda room, platform, now: room.approve(actor, held_id, now, platform)
        )
        view = await self._audited(entry)
        message = await self._deliver_held(stream, held)
        resolved = {"held_id": held_id, "verdict": "approved"}
        await self._to_staff(stream.id, events.HELD_RESOLVED, resolved)
        return ok(message=message, entry=view)

    @acked
    async def on_reject_held(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        held_id = HeldRef.parse(data).held_id
        await self._may(stream, actor, Action.REVIEW)
        _, entry = await self._change(stream, lambda room, _, now: room.reject(actor, held_id, now))
        view = await self._audited(entry)
        resolved = {"held_id": held_id, "verdict": "rejected"}
        await self._to_staff(stream.id, events.HELD_RESOLVED, resolved)
        return ok(entry=view)

    @acked
    async def on_appoint_moderator(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        await self._may(stream, actor, Action.APPOINT_MODERATOR)
        target = (await self._people.target(Target.parse(data).target)).principal
        entry = await self._change(stream, lambda room, _, now: room.appoint(actor, target, now))
        view = await self._audited(entry)
        await self._bus.publish(Signal(STANDING, stream.id, (target.subject,)))
        return ok(entry=view)

    @acked
    async def on_dismiss_moderator(self, sid: str, data: Any) -> Ack:
        stream, actor = await self._stream_of(sid)
        await self._may(stream, actor, Action.REMOVE_MODERATOR)
        target = (await self._people.target(Target.parse(data).target)).principal
        entry = await self._change(stream, lambda room, _, now: room.dismiss(actor, target, now))
        view = await self._audited(entry)
        await self._bus.publish(Signal(STANDING, stream.id, (target.subject,)))
        return ok(entry=view)

    @acked
    async def on_audit_log(self, sid: str, data: Any) -> Ack:
        """The newest audit entries: this stream's, or the platform's (`platform: true`)."""
        query = AuditQuery.parse(data)
        limit = query.limit
        stream_id: int | None = None
        if query.platform:
            require(self._signed_in(sid), Action.READ_PLATFORM_AUDIT, None)
        else:
            stream, actor = await self._stream_of(sid)
            await self._may(stream, actor, Action.READ_AUDIT)
            stream_id = stream.id
        entries = await self._services.moderation_audit.recent(stream_id, limit)
        return ok(entries=[audit_view(e) for e in entries])

    async def run_moderation_signals(self) -> None:
        """Act on the bans and appointments other nodes decide (chat/moderation_bus.py)."""
        await self._bus.run()

    async def close(self) -> None:
        await self._bus.close()
        await self._store.close()
        await self._counters.close()

    async def _on_signal(self, signal: Signal) -> None:
        """A ban or a change of standing decided on some node: act on our sockets of that
        person (in that stream, or in any for a platform ban)."""
        for sid, member in list(self._members.items()):
            if not member.is_one_of(signal.keys):
                continue
            if signal.stream_id is not None and member.stream_id != signal.stream_id:
                continue
            if signal.kind == EVICT:
                # Straight to the socket (it is ours), so the event leaves before the disconnect.
                await self.emit(str(signal.event), signal.payload, to=sid, ignore_queue=True)
                await self._leave(sid)
                await self.server.disconnect(sid, namespace=self.namespace, ignore_queue=True)
            elif signal.kind == STANDING and member.stream_id is not None:
                stream = await self._services.streams.get(member.stream_id)
                room, _ = await self._store.read(stream_ref(stream))
                await self._sort_staff(sid, member, room)
                if member.principal is not None:  # always: is_one_of matched it
                    current = standing(member.principal, room).value
                    changed = {"stream_id": stream.id, "standing": current}
                    await self.emit(events.STANDING_CHANGED, changed, to=sid, ignore_queue=True)

    async def _evict(self, stream_id: int | None, target: Person, entry: AuditEntry) -> None:
        """Tell the banned person's sockets (on every node) why, then disconnect them."""
        banned = {"stream_id": stream_id} | _sanction_view(entry)
        await self._bus.publish(Signal(EVICT, stream_id, target.keys, events.BANNED, banned))

    async def _sort_staff(self, sid: str, member: Member, room: StreamModeration) -> None:
        """Put the socket in its stream's staff room, or out of it, as its standing says."""
        principal = member.principal
        staff = principal is not None and standing(principal, room) in STREAM_STAFF
        if staff == member.staff or member.stream_id is None:
            return
        member.staff = staff
        if staff:
            await self.enter_room(sid, events.staff_room(member.stream_id))
        else:
            await self.leave_room(sid, events.staff_room(member.stream_id))

    async def _may(self, stream: Stream, actor: Principal, action: Action) -> StreamModeration:
        """Refuse `forbidden` early when the actor's standing does not allow `action` at all;
        the rules check the target again when they run. The room's state, to read."""
        room, _ = await self._store.read(stream_ref(stream))
        if not may_attempt(actor, action, room):
            who = standing(actor, room).value
            raise ModerationForbidden(f"a {who} may not {action.value.replace('_', ' ')} here")
        return room

    async def _target(
        self, stream: Stream | None, actor: Principal, action: Action, data: Any, kind: type[S]
    ) -> tuple[Person, S]:
        """The person an action on a person names, and the payload (as `kind`), once the actor
        may take such actions."""
        if stream is None:
            if not may_attempt(actor, action, None):
                raise ModerationForbidden("only platform staff can do this")
        else:
            await self._may(stream, actor, action)
        sent = kind.parse(data)
        return await self._people.target(sent.target), sent

    async def _change(self, stream: Stream, change: StreamChange[T], words: bool = False) -> T:
        return await self._store.change_stream(stream_ref(stream), change, words=words)

    async def _edit_words(self, sid: str, platform: bool, edit: WordChange) -> AuditEntry:
        """Run a word-list edit on the platform's list (`platform: true`) or the stream's."""
        if platform:
            actor = self._signed_in(sid)
            return await self._store.change_platform(
                lambda platform, now: edit(actor, platform, now), words=True
            )
        stream, actor = await self._stream_of(sid)
        await self._may(stream, actor, Action.EDIT_WORDS)
        return await self._change(stream, lambda room, _, now: edit(actor, room, now), words=True)

    async def _audited(self, entry: AuditEntry) -> dict[str, Any]:
        """Keep an audit entry and show it to the staff who can read it."""
        row = await self._services.moderation_audit.record(**entry.to_dict())
        view = audit_view(row)
        if entry.stream_id is None:
            await self._batcher.send(
                events.PLATFORM_STAFF_ROOM, events.AUDIT_ENTRY, {"entry": view}
            )
        else:
            await self._to_staff(entry.stream_id, events.AUDIT_ENTRY, {"entry": view})
        return view

    async def _hold(self, stream_id: int, decision: Decision) -> Ack:
        held = decision.held
        if held is None:  # never: a hold carries its message
            raise RuntimeError("a hold without its message")
        await self._to_staff(stream_id, events.MESSAGE_HELD, {"held": _held_view(held)})
        if decision.audit is not None:
            await self._audited(decision.audit)
        return ok(held=True, held_id=held.id)

    async def _deliver_held(self, stream: Stream, held: HeldMessage) -> dict[str, Any]:
        """An approved message joins the chat as its sender said it."""
        meta = held.meta
        kind, _, ident = held.sender.partition(":")
        author = Principal(
            held.sender,
            held.display_name,
            Role(str(meta.get("role", Role.VIEWER))),
            int(ident) if kind == "u" else None,
        )
        language = str(meta.get("language", stream.language))
        question = meta.get("question") is True
        said = await self._services.chat_log.append(
            stream.id, author, held.text, question, language
        )
        message = message_view(said, stream.started_at)
        await self._to_room(stream.id, events.CHAT_MESSAGE, message)
        return message


def _held_view(held: HeldMessage) -> dict[str, Any]:
    return {
        "id": held.id,
        "sender": held.sender,
        "display_name": held.display_name,
        "text": held.text,
        "terms": list(held.terms),
        "question": held.meta.get("question") is True,
        "language": held.meta.get("language"),
        "at": iso_time(held.at),
    }


def _sanction_view(entry: AuditEntry) -> dict[str, Any]:
    until = entry.detail.get("until")
    return {
        "until": iso_time(until) if isinstance(until, int | float) else None,
        "reason": entry.detail.get("reason", ""),
    }
