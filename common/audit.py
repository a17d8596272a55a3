"""The audit trail: who changed what and when (django-auditlog), and what its signals cannot see.

Which models and fields auditlog records by itself is declared in one place, the setting
``AUDITLOG_INCLUDE_TRACKING_MODELS`` (config/settings/base.py). This module adds:

- ``AuditActorMiddleware``: the signed-in user and the client's address on every entry;
- ``audit_bulk``: entries for rows written with ``bulk_create``/``bulk_update``, which send no signals;
- ``audit_export(request, what=...)``: who downloaded which named data (one line in an export view);
- ``audit_event``: erasure, subject access, retention and other events of the privacy work;
- ``audit_redact``: takes an erased person's details out of the entries about them.

Every entry written here carries ``additional_data = {"event": ...}``; the admin filters on it.
No entry ever holds survey answers or other free text: callers pass field names, states and counts.
"""

from collections.abc import Iterable
from contextvars import ContextVar

from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from .ratelimit import client_ip

Action = LogEntry.Action


class Event:
    """The ``event`` of the entries this module writes (strings: they are stored)."""

    BULK = "bulk"  # rows written without model signals (bulk_create, bulk_update, queryset update)
    EXPORT = "export"
    SUBJECT_ACCESS = "subject_access"
    ERASURE = "erasure"
    RETENTION = "retention"
    RESPONSE = "response"
    QUOTE_CONSENT = "quote_consent"

    ALL = (BULK, EXPORT, SUBJECT_ACCESS, ERASURE, RETENTION, RESPONSE, QUOTE_CONSENT)


class AuditActorMiddleware(AuditlogMiddleware):
    """auditlog's middleware, with the client's address read as the rate limits read it.

    auditlog's own reading takes the first entry of X-Forwarded-For, which the client writes; ours
    takes the entry our proxies wrote (``common.ratelimit.client_ip``).
    """

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request) or None

    def __call__(self, request):
        # auditlog leaves its context variable set after the request; ours ends with the request,
        # so an entry written later on this thread (a task, a command) never gets a stale actor.
        token = _request_context.set(self.get_extra_data(request))
        try:
            return super().__call__(request)
        finally:
            _request_context.reset(token)


_request_context: ContextVar[dict] = ContextVar("audit_request_context", default={})  # noqa: B039 (never mutated)


def _context() -> dict:
    return _request_context.get()


def _actor(actor):
    actor = actor if actor is not None else _context().get("actor")
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _entry(*, content_type, pk, repr_, action, changes, actor, data) -> LogEntry:
    context = _context()
    return LogEntry(
        content_type=content_type,
        object_pk=str(pk),
        object_id=pk if isinstance(pk, int) else None,
        object_repr=repr_,
        action=action,
        changes=changes,
        actor=actor,
        actor_email=getattr(actor, "email", None) or None,
        remote_addr=context.get("remote_addr"),
        additional_data=data,
    )


def audit_event(
    *,
    obj,
    event: str,
    action: int = Action.UPDATE,
    actor=None,
    changes=None,
    data=None,
    repr_: str | None = None,
    withhold_actor: bool = False,
) -> LogEntry:
    """One explicit entry about ``obj``. ``actor`` defaults to the request's user (the middleware);
    ``withhold_actor`` records neither who nor from where (auditlog's own hook would add them on save)."""
    entry = _entry(
        content_type=ContentType.objects.get_for_model(obj),
        pk=obj.pk,
        repr_=repr_ if repr_ is not None else str(obj),
        action=action,
        changes=changes,
        actor=None if withhold_actor else _actor(actor),
        data={"event": event, **(data or {})},
    )
    if withhold_actor:
        entry.remote_addr = None
        LogEntry.objects.bulk_create([entry])  # no pre_save: the request's actor is not filled in
    else:
        entry.save()
    return entry


def audit_bulk(*, model, rows: Iterable[tuple[int, str, dict]], action: int, actor=None) -> int:
    """Entries for rows written in bulk: ``rows`` are (pk, repr, changes); one INSERT for all of them.

    ``changes`` is auditlog's shape, ``{field: [old, new]}`` (``None`` for "no value").
    """
    content_type = ContentType.objects.get_for_model(model)
    actor = _actor(actor)
    entries = [
        _entry(
            content_type=content_type,
            pk=pk,
            repr_=repr_,
            action=action,
            changes=changes,
            actor=actor,
            data={"event": Event.BULK},
        )
        for pk, repr_, changes in rows
    ]
    LogEntry.objects.bulk_create(entries)
    return len(entries)


def audit_export(request, *, what: str, obj=None, rows: int | None = None) -> LogEntry:
    """Record that ``request.user`` downloaded named data: call it in the export view, e.g.
    ``audit_export(request, what="attendance register", obj=module)``. Without ``obj`` the entry is
    about the user who downloaded."""
    data = {"what": str(what), "path": request.path}
    if rows is not None:
        data["rows"] = rows
    return audit_event(
        obj=obj if obj is not None else request.user,
        event=Event.EXPORT,
        action=Action.ACCESS,
        actor=request.user,
        data=data,
    )


def entries_about(objects: Iterable[tuple[type, Iterable[int]]]):
    """The log entries about the given objects: pairs of (model, primary keys)."""
    condition = Q(pk__in=[])
    for model, pks in objects:
        pks = [str(pk) for pk in pks]
        if pks:
            condition |= Q(content_type=ContentType.objects.get_for_model(model), object_pk__in=pks)
    return LogEntry.objects.filter(condition)


ERASED = "[erased]"


def _scrub(value, secrets: list[str]):
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, ERASED) if secret in value else value
        return value
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    return value


def audit_redact(*, objects: Iterable[tuple[type, Iterable[int]]], secrets: Iterable[str], actor_pk=None) -> int:
    """Take an erased person's details (``secrets``: name, e-mail, ...) out of the audit trail.

    The entries stay (who did what, when, to which row), so the trail still answers "who changed
    this"; what they said about the person becomes "[erased]". Looked at: the entries about
    ``objects`` (their person, memberships, attendance, ...), the entries that mention a secret,
    and the entries the person made (``actor_pk``: their account's e-mail is kept on each).
    Returns how many entries changed.
    """
    secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
    condition = Q(pk__in=entries_about(objects).values("pk"))
    for secret in secrets:
        condition |= Q(object_repr__icontains=secret) | Q(changes_text__icontains=secret)
        condition |= Q(changes__icontains=secret) | Q(additional_data__icontains=secret)
    if actor_pk is not None:
        condition |= Q(actor_id=actor_pk)
    lowered = secrets + [s.lower() for s in secrets if s.lower() != s]
    changed = []
    for entry in LogEntry.objects.filter(condition).iterator():
        before = (entry.object_repr, entry.changes, entry.changes_text, entry.additional_data, entry.actor_email)
        entry.object_repr = _scrub(entry.object_repr, lowered)
        entry.changes = _scrub(entry.changes, lowered)
        entry.changes_text = _scrub(entry.changes_text, lowered)
        entry.additional_data = _scrub(entry.additional_data, lowered)
        # The snapshot of the whole row is not used by this project's entries; never keep it here.
        entry.serialized_data = None
        if actor_pk is not None and entry.actor_id == actor_pk:
            entry.actor_email = None
        if (entry.object_repr, entry.changes, entry.changes_text, entry.additional_data, entry.actor_email) != before:
            changed.append(entry)
    LogEntry.objects.bulk_update(
        changed, ["object_repr", "changes", "changes_text", "additional_data", "actor_email", "serialized_data"]
    )
    return len(changed)
