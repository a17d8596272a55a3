"""Scale data for the benchmarks of issue 14: a national provider's programmes, in minutes.

At ``scale=1``: 100 organisations (10 providers with 2 programmes each, 90 commissioning trusts),
1,000 cohorts, 30,000 participants, 6,000 modules with attendance, 5,000 surveys with 150,000
responses of 8 answers each, 5,000 action-learning sets with one improvement project each and
50,000 measure data points, and behind the surveys the invitations, their links (one per message
sent) and the mail log. Every size scales with ``scale`` (``0.01`` for CI).

The arithmetic: 150,000 responses to 5,000 surveys from 30,000 people cannot come from one cohort
per person (that needs every participant to answer every survey). Here a fifth of the participants
also take a second cohort (a follow-on programme), so there are 36,000 participant memberships;
closed surveys are answered by about 93% of those invited, open ones by 30% so far. 70% of the
cohorts are finished (six modules delivered, surveys 1-5 closed), 30% are running (modules 1-4
delivered, survey 4 open now, survey 5 a draft). The first running cohort is the big one (120
participants at full scale), which the page benchmark uses.

Rows go in through ``bench.writer`` (COPY on PostgreSQL) with explicit primary keys and satisfy
every constraint the models declare, so the app's pages work on them.
"""

import datetime
import random
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from cohorts.models import Cohort, Membership, ModuleOutline, Organisation, Person, Programme
from common.models import SentEmail
from demo.scenario import OUTLINES  # the six modules of a programme, one source for the demo and the scale data
from evaluation.models import PracticeMoment
from evaluation.scheduling import evaluation_question_sets_ensure
from modules.models import ActItem, Attendance, Module, PDSACycle
from projects.models import (
    PROGRESS_SCORES,
    ActionLearningSet,
    DataPoint,
    DriverNode,
    ImprovementProject,
    Measure,
    Presentation,
    ProgressScore,
    ProjectPDSACycle,
    SetAction,
    SetMeeting,
    SetMembership,
)
from reports.services import key_impact_create
from surveys.demo import closed_survey_create
from surveys.models import Answer, Invitation, InvitationLink, ProgrammeSurveyDefaults, Response, Survey
from surveys.services import question_set_default
from surveys.tokens import pseudonym_for

from .writer import Writer, has_field

SURVEYED_MODULES = (1, 2, 3, 4, 5)
# The default question set's questions answered in every response (``pace_detail`` only shows
# after "Too fast", which these answers never give): 8 answers.
ANSWERED_CODES = ("usefulness", "confidence", "pace", "most_useful", "went_well", "improve", "recommend")
ANSWERED_CODES += ("anything_else",)
ANSWERS_PER_RESPONSE = len(ANSWERED_CODES)
SETS_NAMES = ("Set A", "Set B", "Set C", "Set D", "Set E", "Set F", "Set G", "Set H")
PROFESSIONS = [p.value for p in Person.Profession]
LIKERT = (4, 5, 4, 3, 5, 4, 2, 5, 4, 4, 5, 3)
RECOMMEND = (9, 10, 8, 7, 9, 10, 6, 8, 9, 5, 10, 8)
WENT_WELL = (
    "Time away from the ward to think about how our team works together.",
    "The coaching practice in threes; I used the GROW questions with my band 6 the next day.",
    "Hearing how the crisis team handled the same problem as us.",
    "The action-learning set: we finally agreed what our project is about.",
)
IMPROVE = (
    "The afternoon felt rushed; more time for the set would help.",
    "Send the pre-reading a week earlier please.",
    "The room was too warm and the screen hard to read from the back.",
    "Fewer slides, more practice.",
)
ELSE = ("Thank you to the facilitators.", "Parking was difficult.", "Looking forward to module 6.", "No.")
# A one-page PDF, small enough to write for every presentation of the big cohort.
SLIDES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
AREAS = [a.value for a in ImprovementProject.Area]
STATUSES = [s.value for s in ImprovementProject.Status if s != ImprovementProject.Status.STOPPED]


@dataclass(frozen=True)
class Plan:
    """How many of each thing to make; ``Plan.at(scale)`` multiplies the full-size counts."""

    organisations: int = 100
    cohorts: int = 1000
    participants: int = 30_000
    memberships: int = 36_000
    responses: int = 150_000
    sets_per_cohort: int = 5
    data_points: int = 50_000
    running_share: float = 0.3
    open_response_rate: float = 0.3
    big_cohort: int = 120

    @classmethod
    def at(cls, scale: float) -> "Plan":
        full = cls()
        cohorts = max(2, round(full.cohorts * scale))
        participants = max(cohorts * 4, round(full.participants * scale))
        memberships = max(participants, round(full.memberships * scale))
        return cls(
            organisations=max(4, round(full.organisations * scale)),
            cohorts=cohorts,
            participants=participants,
            memberships=memberships,
            responses=round(full.responses * scale),
            data_points=round(full.data_points * scale),
            big_cohort=min(full.big_cohort, memberships // 3),
        )

    @property
    def running(self) -> int:
        return max(1, round(self.cohorts * self.running_share))

    @property
    def finished(self) -> int:
        return self.cohorts - self.running

    @property
    def surveys(self) -> int:
        return self.cohorts * len(SURVEYED_MODULES)

    @property
    def projects(self) -> int:
        return self.cohorts * self.sets_per_cohort


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` shared in proportion to ``weights``, in whole numbers that add up exactly."""
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    whole = [int(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: whole[i] - shares[i])
    for i in order[: total - sum(whole)]:
        whole[i] += 1
    return whole


@dataclass
class CohortRow:
    id: int
    index: int
    programme_id: int
    commissioner_id: int
    start: datetime.date
    running: bool
    size: int
    privacy: str
    facilitator_ids: tuple = ()  # membership ids
    participant_ids: tuple = ()  # membership ids, in order
    person_ids: tuple = ()  # person id of each participant membership
    module_ids: dict | None = None  # number -> id
    survey_ids: dict | None = None  # number -> id
    set_ids: list | None = None  # action-learning set ids

    @property
    def delivered(self) -> tuple:
        return (1, 2, 3, 4) if self.running else (1, 2, 3, 4, 5, 6)


class Loader:
    def __init__(self, plan: Plan, *, seed: int = 14, stdout=None):
        self.plan = plan
        self.rng = random.Random(seed)
        self.w = Writer(stdout=stdout)
        self.stdout = stdout
        self.now = self.w.now
        self.today = timezone.localdate(self.now)
        self.summary: dict[str, int] = {}

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout(message)

    # Organisations, programmes, people ---------------------------------------------------------

    def organisations(self):
        plan, w = self.plan, self.w
        providers = max(1, plan.organisations // 10)
        ids = w.next_ids(Organisation, plan.organisations)
        rows = []
        for n, pk in enumerate(ids):
            kind = Organisation.Kind.PROVIDER if n < providers else Organisation.Kind.COMMISSIONER
            name = f"Bench Leadership Academy {n:03d}" if n < providers else f"Bench NHS Trust {n:03d}"
            rows.append((pk, name, kind.value))
        w.write(Organisation, ["id", "name", "kind"], rows)
        self.providers = list(ids[:providers])
        self.commissioners = list(ids[providers:])
        programme_ids = w.next_ids(Programme, providers * 2)
        names = ("Collective Leadership Programme", "Leading Change Across Systems")
        w.write(
            Programme,
            ["id", "name", "provider_id", "description"],
            [
                (pk, names[i % 2], self.providers[i // 2], "Six face-to-face modules, a survey after modules 1-5.")
                for i, pk in enumerate(programme_ids)
            ],
        )
        self.programmes = list(programme_ids)
        outline_ids = iter(w.next_ids(ModuleOutline, len(self.programmes) * 6))
        w.write(
            ModuleOutline,
            [
                "id",
                "programme_id",
                "number",
                "title",
                "topics",
                "duration_hours",
                "weeks_after_start",
                "is_celebration",
            ],
            [
                (next(outline_ids), programme, number, title, topics, hours, weeks, celebration)
                for programme in self.programmes
                for number, title, topics, hours, weeks, celebration in OUTLINES
            ],
        )
        self.outlines = {
            number: (title, topics, hours, weeks, celebration)
            for number, title, topics, hours, weeks, celebration in OUTLINES
        }
        self.question_set = question_set_default()
        w.write(
            ProgrammeSurveyDefaults,
            ["id", "programme_id", "question_set_id", "privacy"],
            [
                (pk, programme, self.question_set.pk, Survey.Privacy.PSEUDONYMOUS.value)
                for pk, programme in zip(
                    w.next_ids(ProgrammeSurveyDefaults, len(self.programmes)), self.programmes, strict=True
                )
            ],
        )

    def cohorts(self):
        plan, w, rng = self.plan, self.w, self.rng
        ids = w.next_ids(Cohort, plan.cohorts)
        # Finished cohorts started 6 months to 3 years ago; running ones held module 4 (week 14)
        # one to five days ago, so that its survey is open now.
        weights = [rng.uniform(0.7, 1.3) for _ in range(plan.cohorts - 1)]
        sizes = _split(plan.memberships - plan.big_cohort, weights)
        big_index = plan.finished
        sizes.insert(big_index, plan.big_cohort)
        self.cohort_rows = []
        for index, pk in enumerate(ids):
            running = index >= plan.finished
            if running:
                start = self.today - datetime.timedelta(weeks=14, days=1 + index % 5)
            else:
                start = self.today - datetime.timedelta(weeks=26, days=(index * 977) % 900)
            privacy = {7: Survey.Privacy.ANONYMOUS, 8: Survey.Privacy.NAMED}.get(
                index % 10, Survey.Privacy.PSEUDONYMOUS
            )
            if index == big_index:
                privacy = Survey.Privacy.PSEUDONYMOUS
            self.cohort_rows.append(
                CohortRow(
                    id=pk,
                    index=index,
                    programme_id=self.programmes[index % len(self.programmes)],
                    commissioner_id=self.commissioners[index % len(self.commissioners)],
                    start=start,
                    running=running,
                    size=sizes[index],
                    privacy=privacy.value,
                )
            )
        self.big = self.cohort_rows[big_index]
        w.write(
            Cohort,
            ["id", "programme_id", "commissioner_id", "name", "start_date", "end_date", "status", "survey_audience"],
            [
                (
                    c.id,
                    c.programme_id,
                    c.commissioner_id,
                    f"Bench Cohort {c.index:04d}" + (" (big)" if c is self.big else ""),
                    c.start,
                    c.start + datetime.timedelta(weeks=self.outlines[6][3]),
                    (Cohort.Status.RUNNING if c.running else Cohort.Status.FINISHED).value,
                    Cohort.SurveyAudience.ALL_ACTIVE.value,
                )
                for c in self.cohort_rows
            ],
        )

    def people(self):
        plan, w = self.plan, self.w
        User = get_user_model()
        facilitators = max(4, plan.cohorts // 5)
        person_ids = w.next_ids(Person, plan.participants + facilitators)
        participant_person_ids = list(person_ids[: plan.participants])
        facilitator_person_ids = list(person_ids[plan.participants :])
        # Memberships: cohorts in start order take people in turn; once everyone has a cohort,
        # the first people come back for a second one (a follow-on programme).
        membership_ids = iter(w.next_ids(Membership, plan.memberships + 2 * plan.cohorts))
        memberships, k = [], 0
        home_org, users_for = {}, set()
        for c in self.cohort_rows:
            if c.size > plan.participants:
                raise ValueError("a cohort cannot be larger than the number of participants")
            ids, people = [], []
            for _ in range(c.size):
                person = participant_person_ids[k % plan.participants]
                k += 1
                ids.append(next(membership_ids))
                people.append(person)
                home_org.setdefault(person, c.commissioner_id)
                if c.running:
                    users_for.add(person)
            c.participant_ids, c.person_ids = tuple(ids), tuple(people)
            fac_people = (
                facilitator_person_ids[(2 * c.index) % facilitators],
                facilitator_person_ids[(2 * c.index + 1) % facilitators],
            )
            c.facilitator_ids = (next(membership_ids), next(membership_ids))
            memberships += [
                (mid, c.id, person, Membership.Role.PARTICIPANT.value, Membership.Status.ACTIVE.value)
                for mid, person in zip(ids, people, strict=True)
            ]
            memberships += [
                (mid, c.id, person, Membership.Role.FACILITATOR.value, Membership.Status.ACTIVE.value)
                for mid, person in zip(c.facilitator_ids, fac_people, strict=True)
            ]
        # Users: every facilitator, and the participants of running cohorts (they sign in for
        # "my programme"); unusable passwords, as for people who only ever use e-mailed links.
        users_for |= set(facilitator_person_ids)
        user_ids = iter(w.next_ids(User, len(users_for)))
        user_of = {person: next(user_ids) for person in sorted(users_for)}
        w.write(
            User,
            [
                "id",
                "username",
                "password",
                "email",
                "first_name",
                "last_name",
                "is_staff",
                "is_active",
                "is_superuser",
                "date_joined",
            ],
            [
                (
                    uid,
                    f"bench{person:07d}",
                    "!" + secrets.token_hex(20),
                    f"bench{person:07d}@bench.example",
                    "Bench",
                    f"Person {person}",
                    False,
                    True,
                    False,
                    self.now,
                )
                for person, uid in user_of.items()
            ],
        )
        provider = self.providers[0]
        w.write(
            Person,
            ["id", "full_name", "email", "job_title", "profession", "team", "organisation_id", "user_id"],
            [
                (
                    pk,
                    f"Participant {pk:06d}" if pk in home_org else f"Facilitator {pk:06d}",
                    f"person{pk:07d}@bench.example",
                    "Ward manager" if pk in home_org else "Leadership facilitator",
                    PROFESSIONS[pk % len(PROFESSIONS)] if pk in home_org else Person.Profession.MANAGEMENT.value,
                    f"Team {pk % 40}",
                    home_org.get(pk, provider),
                    user_of.get(pk),
                )
                for pk in person_ids
            ],
        )
        w.write(Membership, ["id", "cohort_id", "person_id", "role", "status"], memberships)
        self.user_of = user_of

    # Modules, attendance, PDSA ------------------------------------------------------------------

    def modules(self):
        w = self.w
        module_ids = iter(w.next_ids(Module, len(self.cohort_rows) * 6))
        modules, attendance = [], []
        attendance_ids = iter(w.next_ids(Attendance, sum(c.size * len(c.delivered) for c in self.cohort_rows)))
        statuses = [Attendance.Status.PRESENT.value] * 17 + [Attendance.Status.APOLOGIES.value] * 2
        statuses += [Attendance.Status.ABSENT.value]
        for c in self.cohort_rows:
            c.module_ids = {}
            for number in range(1, 7):
                title, topics, hours, weeks, celebration = self.outlines[number]
                starts = _at(c.start + datetime.timedelta(weeks=weeks), 9, 30)
                ends = starts + datetime.timedelta(hours=float(hours))
                delivered = number in c.delivered
                pk = next(module_ids)
                c.module_ids[number] = pk
                modules.append(
                    (
                        pk,
                        c.id,
                        number,
                        title,
                        topics,
                        starts,
                        ends,
                        f"Venue {c.index % 17}",
                        (Module.State.DELIVERED if delivered else Module.State.PLANNED).value,
                        ends if delivered else None,
                        celebration,
                    )
                )
                if delivered:
                    attendance += [
                        (next(attendance_ids), pk, m, statuses[(m * 7 + number) % len(statuses)])
                        for m in c.participant_ids
                    ]
        w.write(
            Module,
            [
                "id",
                "cohort_id",
                "number",
                "title",
                "topics",
                "starts_at",
                "ends_at",
                "venue",
                "state",
                "delivered_at",
                "is_celebration",
            ],
            modules,
        )
        w.write(Attendance, ["id", "module_id", "membership_id", "status"], attendance)
        cycles, items = [], []
        for c in self.cohort_rows:
            for number in SURVEYED_MODULES:
                if number in c.delivered:
                    cycles.append((c, number))
        cycle_ids = w.next_ids(PDSACycle, len(cycles))
        item_ids = iter(w.next_ids(ActItem, 2 * len(cycles)))
        rows = []
        for pk, (c, number) in zip(cycle_ids, cycles, strict=True):
            rows.append(
                (
                    pk,
                    c.module_ids[number],
                    "Participants can name their team's stage of development.",
                    "Most will rate the module useful; the afternoon may feel rushed.",
                    "Delivered as planned; the set time ran 20 minutes short.",
                    "Useful overall; pace and pre-reading came up again.",
                )
            )
            done = number < max(n for n in c.delivered if n <= 5)
            for text in ("Send the pre-reading a week earlier.", "Give the sets 30 more minutes."):
                items.append((next(item_ids), pk, text, done, self.now if done else None))
        w.write(PDSACycle, ["id", "module_id", "plan_intent", "plan_prediction", "do_notes", "study_reading"], rows)
        w.write(ActItem, ["id", "cycle_id", "text", "done", "done_at"], items)

    # Surveys, invitations, links, mail log, responses -----------------------------------------------

    def surveys(self):
        plan, w = self.plan, self.w
        survey_ids = iter(w.next_ids(Survey, plan.surveys))
        surveys, delivered = [], []  # delivered: (cohort, number, survey id, open)
        for c in self.cohort_rows:
            c.survey_ids = {}
            for number in SURVEYED_MODULES:
                pk = next(survey_ids)
                c.survey_ids[number] = pk
                if number not in c.delivered:
                    surveys.append(
                        (pk, c.module_ids[number], c.privacy, Survey.Status.DRAFT.value, None, None, None, None)
                    )
                    continue
                opens = self._module_end(c, number)
                closes = opens + datetime.timedelta(days=Survey.DEFAULT_OPEN_DAYS)
                is_open = closes > self.now
                status = Survey.Status.OPEN if is_open else Survey.Status.CLOSED
                closed = None if is_open else closes
                surveys.append((pk, c.module_ids[number], c.privacy, status.value, opens, closes, closed, closed))
                delivered.append((c, number, pk, is_open))
        columns = ["id", "module_id", "question_set_id", "privacy", "status", "opens_at", "closes_at", "closed_at"]
        columns.append("summary_sent_at")
        rows = [
            (pk, module, self.question_set.pk, privacy, status, opens, closes, closed, summary)
            for pk, module, privacy, status, opens, closes, closed, summary in surveys
        ]
        # Surveys are getting their cohort stored beside the module's (issue 12): fill it where it exists.
        if has_field(Survey, "cohort_id"):
            cohort_of = {m: c.id for c in self.cohort_rows for m in c.module_ids.values()}
            columns.append("cohort_id")
            rows = [(*row, cohort_of[row[1]]) for row in rows]
        w.write(Survey, columns, rows)
        # How many answer each delivered survey: open ones at the open rate, closed ones sharing
        # the rest of the planned responses in proportion to their size.
        open_quota = {pk: round(c.size * plan.open_response_rate) for c, _n, pk, is_open in delivered if is_open}
        closed = [(c, pk) for c, _n, pk, is_open in delivered if not is_open]
        closed_total = max(0, plan.responses - sum(open_quota.values()))
        capacity = sum(c.size for c, _pk in closed)
        if closed_total > capacity:
            self.say(f"note: only {capacity} closed-survey invitations; responses capped")
            closed_total = capacity
        quotas = dict(open_quota)
        quotas.update(zip((pk for _c, pk in closed), _split(closed_total, [c.size for c, _pk in closed]), strict=True))
        self.delivered, self.quotas = delivered, quotas

    def _module_end(self, c: CohortRow, number: int) -> datetime.datetime:
        _title, _topics, hours, weeks, _celebration = self.outlines[number]
        return _at(c.start + datetime.timedelta(weeks=weeks), 9, 30) + datetime.timedelta(hours=float(hours))

    def invitations(self):
        w = self.w
        invitation_ct = ContentType.objects.get_for_model(Invitation).pk
        total = sum(c.size for c, *_rest in self.delivered)
        invitation_ids = iter(w.next_ids(Invitation, total))
        invitations, links, mails = [], [], []
        self.answered = []  # (cohort, survey id, membership id, person id, stamp)
        for c, number, survey_pk, is_open in self.delivered:
            opens = self._module_end(c, number)
            quota = self.quotas[survey_pk]
            offset = (survey_pk * 13) % c.size
            answered = {(offset + j) % c.size for j in range(quota)}
            title = self.outlines[number][0]
            for j, (membership, person) in enumerate(zip(c.participant_ids, c.person_ids, strict=True)):
                pk = next(invitation_ids)
                sent = opens + datetime.timedelta(seconds=30 + j)
                responded = None
                reminders = 0
                failed = j not in answered and not is_open and (pk % 200 == 0)
                if j in answered:
                    moment = sent + datetime.timedelta(hours=1 + (j * 37) % 60)
                    stamp = moment
                    if c.privacy == Survey.Privacy.ANONYMOUS:
                        stamp = timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)
                    responded = stamp
                    self.answered.append((c, survey_pk, membership, person, stamp))
                elif not is_open and not failed:
                    reminders = 2
                status = Invitation.Status.FAILED if failed else Invitation.Status.SENT
                last_reminder = opens + datetime.timedelta(days=6) if reminders else None
                invitations.append(
                    (
                        pk,
                        survey_pk,
                        membership,
                        status.value,
                        1,
                        "550 5.1.1 Mailbox unavailable" if failed else "",
                        opens,
                        opens,
                        None if failed else sent,
                        responded,
                        reminders,
                        last_reminder,
                    )
                )
                to = f"person{person:07d}@bench.example"
                if failed:
                    mails.append(
                        (
                            "surveys.invitation",
                            to,
                            title,
                            SentEmail.Status.FAILED.value,
                            "550 5.1.1 Mailbox unavailable",
                            invitation_ct,
                            pk,
                            sent,
                        )
                    )
                    continue
                links.append((pk, sent))
                mails.append(
                    ("surveys.invitation", to, title, SentEmail.Status.SENT.value, "", invitation_ct, pk, sent)
                )
                for r in range(reminders):
                    at = opens + datetime.timedelta(days=3 + 3 * r)
                    links.append((pk, at))
                    mails.append(
                        ("surveys.reminder", to, title, SentEmail.Status.SENT.value, "", invitation_ct, pk, at)
                    )
        w.write(
            Invitation,
            [
                "id",
                "survey_id",
                "membership_id",
                "status",
                "attempts",
                "last_error",
                "queued_at",
                "sending_started_at",
                "sent_at",
                "responded_at",
                "reminders_sent",
                "last_reminder_at",
            ],
            invitations,
        )
        link_ids = w.next_ids(InvitationLink, len(links))
        # Only sha256(token) is stored; the tokens of these old links were never known to anyone.
        w.write(
            InvitationLink,
            ["id", "invitation_id", "token_hash", "issued_at"],
            ((pk, invitation, secrets.token_hex(32), at) for pk, (invitation, at) in zip(link_ids, links, strict=True)),
        )
        summaries = []
        for c, number, _survey_pk, is_open in self.delivered:
            if not is_open:
                at = self._module_end(c, number) + datetime.timedelta(days=Survey.DEFAULT_OPEN_DAYS, minutes=1)
                for fac in c.facilitator_ids:
                    summaries.append(
                        (
                            "surveys.summary",
                            f"facilitator-of-{fac}@bench.example",
                            self.outlines[number][0],
                            SentEmail.Status.SENT.value,
                            "",
                            None,
                            None,
                            at,
                        )
                    )
        mails += summaries
        mail_ids = w.next_ids(SentEmail, len(mails))
        w.write(
            SentEmail,
            [
                "id",
                "kind",
                "to",
                "subject",
                "body",
                "redacted",
                "status",
                "error",
                "message_id",
                "content_type_id",
                "object_id",
                "created_at",
                "updated_at",
            ],
            (
                (
                    pk,
                    kind,
                    to,
                    f"Your feedback on {subject}",
                    _mail_body(subject),
                    kind != "surveys.summary",
                    status,
                    error,
                    f"<{pk}.bench@leadership-cohorts.example>",
                    ct,
                    obj,
                    at,
                    at,
                )
                for pk, (kind, to, subject, status, error, ct, obj, at) in zip(mail_ids, mails, strict=True)
            ),
        )

    def responses(self):
        w = self.w
        questions = {q.code: q for q in self.question_set.questions.prefetch_related("choices")}
        missing = set(ANSWERED_CODES) - set(questions)
        if missing:
            raise ValueError(f"the default question set has no {sorted(missing)}")
        q = {code: questions[code].pk for code in ANSWERED_CODES}
        pace = {c.label: c.pk for c in questions["pace"].choices.all()}
        useful = [c.pk for c in questions["most_useful"].choices.all()]
        pace_choices = [pace["About right"], pace["About right"], pace["Too slow"]]
        response_ids = w.next_ids(Response, len(self.answered))
        answer_ids = iter(w.next_ids(Answer, len(self.answered) * ANSWERS_PER_RESPONSE))
        through = Answer.choices.through
        responses, answers, links = [], [], []
        professions = {}
        for pk, (c, survey_pk, membership, person, stamp) in zip(response_ids, self.answered, strict=True):
            if c.privacy == Survey.Privacy.NAMED:
                key = (membership, "", None)
            elif c.privacy == Survey.Privacy.PSEUDONYMOUS:
                key = (None, pseudonym_for(membership), None)
            else:
                key = (None, "", secrets.token_hex(32))
            profession = (
                ""
                if c.privacy == Survey.Privacy.ANONYMOUS
                else professions.setdefault(person, PROFESSIONS[person % len(PROFESSIONS)])
            )
            responses.append((pk, survey_pk, *key, profession, stamp, stamp))
            i = pk
            ids = [next(answer_ids) for _ in range(ANSWERS_PER_RESPONSE)]
            answers += [
                (ids[0], pk, q["usefulness"], LIKERT[i % 12], ""),
                (ids[1], pk, q["confidence"], LIKERT[(i * 5) % 12], ""),
                (ids[2], pk, q["pace"], None, ""),
                (ids[3], pk, q["most_useful"], None, ""),
                (ids[4], pk, q["went_well"], None, WENT_WELL[i % 4]),
                (ids[5], pk, q["improve"], None, IMPROVE[(i // 4) % 4]),
                (ids[6], pk, q["recommend"], RECOMMEND[(i * 7) % 12], ""),
                (ids[7], pk, q["anything_else"], None, ELSE[(i // 16) % 4]),
            ]
            links.append((ids[2], pace_choices[i % 3]))
            links.append((ids[3], useful[i % 5]))
            if i % 2:
                links.append((ids[3], useful[(i + 2) % 5]))
        w.write(
            Response,
            ["id", "survey_id", "membership_id", "pseudonym", "edit_key", "profession", "submitted_at", "updated_at"],
            responses,
        )
        w.write(Answer, ["id", "response_id", "question_id", "number", "text"], answers)
        through_ids = w.next_ids(through, len(links))
        w.write(
            through,
            ["id", "answer_id", "choice_id"],
            ((pk, answer, choice) for pk, (answer, choice) in zip(through_ids, links, strict=True)),
        )

    # Action-learning sets, projects, measures -------------------------------------------------------

    def projects(self):
        plan, w = self.plan, self.w
        per = plan.sets_per_cohort
        set_ids = iter(w.next_ids(ActionLearningSet, plan.cohorts * per))
        sets, set_members, set_of = [], [], {}
        for c in self.cohort_rows:
            ids = [next(set_ids) for _ in range(per)]
            for k, pk in enumerate(ids):
                sets.append(
                    (
                        pk,
                        c.id,
                        SETS_NAMES[k % len(SETS_NAMES)] + ("" if k < len(SETS_NAMES) else f" {k}"),
                        c.facilitator_ids[k % 2],
                        "We learnt to test small changes before arguing about big ones.",
                    )
                )
            for j, membership in enumerate(c.participant_ids):
                set_of[membership] = ids[j % per]
                set_members.append((ids[j % per], c.id, membership))
            c.set_ids = ids
        w.write(ActionLearningSet, ["id", "cohort_id", "name", "set_facilitator_id", "reflections"], sets)
        w.write(
            SetMembership,
            ["id", "action_learning_set_id", "cohort_id", "membership_id"],
            ((pk, *row) for pk, row in zip(w.next_ids(SetMembership, len(set_members)), set_members, strict=True)),
        )
        members_of = {}
        for set_pk, _cohort, membership in set_members:
            members_of.setdefault(set_pk, []).append(membership)
        # Two meetings and two actions per set.
        meetings, attendees, actions = [], [], []
        meeting_ids = iter(w.next_ids(SetMeeting, len(sets) * 2))
        action_ids = iter(w.next_ids(SetAction, len(sets) * 2))
        for c in self.cohort_rows:
            for set_pk in c.set_ids:
                members = members_of.get(set_pk, [])
                for m in range(2):
                    meeting = next(meeting_ids)
                    meetings.append(
                        (
                            meeting,
                            set_pk,
                            c.start + datetime.timedelta(weeks=2 + 5 * m),
                            "Agreed the project's aim; next: baseline data.",
                        )
                    )
                    attendees += [(meeting, member) for member in members[: max(0, len(members) - m)]]
                    actions.append(
                        (
                            next(action_ids),
                            set_pk,
                            meeting,
                            "Ask the ward for last year's figures",
                            members[m % len(members)] if members else None,
                            c.start + datetime.timedelta(weeks=4 + 5 * m),
                            m == 0,
                        )
                    )
        w.write(SetMeeting, ["id", "action_learning_set_id", "date", "notes"], meetings)
        through = SetMeeting.attendees.through
        w.write(
            through,
            ["id", "setmeeting_id", "membership_id"],
            ((pk, *row) for pk, row in zip(w.next_ids(through, len(attendees)), attendees, strict=True)),
        )
        w.write(
            SetAction,
            ["id", "action_learning_set_id", "meeting_id", "description", "owner_id", "due_date", "done"],
            actions,
        )
        self._improvement(members_of)

    def _improvement(self, members_of):
        plan, w = self.plan, self.w
        cohort_sets = [(c, set_pk) for c in self.cohort_rows for set_pk in c.set_ids]
        project_ids = w.next_ids(ImprovementProject, len(cohort_sets))
        points_per_project = _split(plan.data_points, [1.0] * len(cohort_sets))
        projects, scores, nodes, measures, points, cycles, cycle_measures, presentations = ([] for _ in range(8))
        score_ids = iter(w.next_ids(ProgressScore, 2 * len(cohort_sets)))
        node_ids = iter(w.next_ids(DriverNode, 5 * len(cohort_sets)))
        measure_ids = iter(w.next_ids(Measure, 2 * len(cohort_sets)))
        point_ids = iter(w.next_ids(DataPoint, plan.data_points))
        cycle_ids = iter(w.next_ids(ProjectPDSACycle, len(cohort_sets)))
        presentation_ids = iter(w.next_ids(Presentation, len(cohort_sets)))
        for n, (pk, (c, set_pk)) in enumerate(zip(project_ids, cohort_sets, strict=True)):
            score = PROGRESS_SCORES[min(len(PROGRESS_SCORES) - 1, 2 + n % 6)]
            title = f"Fewer missed handovers on ward {n % 40} ({n})"
            projects.append(
                (
                    pk,
                    set_pk,
                    title,
                    AREAS[n % len(AREAS)],
                    "Handovers are missed at shift change and patients wait for decisions.",
                    "Reduce missed handovers from 12 to 4 a week by March.",
                    "Ward staff, patients, pharmacy.",
                    STATUSES[n % len(STATUSES)],
                    score,
                )
            )
            members = members_of.get(set_pk, [])
            for k, s in enumerate((PROGRESS_SCORES[1], score)):
                scores.append(
                    (
                        next(score_ids),
                        pk,
                        s,
                        _at(c.start + datetime.timedelta(weeks=6 + 8 * k), 12),
                        members[0] if members else None,
                        "Agreed at the set meeting.",
                    )
                )
            primary, second_a, second_b, idea_a, idea_b = (next(node_ids) for _ in range(5))
            nodes += [
                (primary, pk, None, DriverNode.Kind.PRIMARY.value, "Reliable handover", 0),
                (second_a, pk, primary, DriverNode.Kind.SECONDARY.value, "A shared checklist", 0),
                (second_b, pk, primary, DriverNode.Kind.SECONDARY.value, "Protected time", 1),
                (idea_a, pk, second_a, DriverNode.Kind.CHANGE_IDEA.value, "Checklist on the whiteboard", 0),
                (idea_b, pk, second_b, DriverNode.Kind.CHANGE_IDEA.value, "Ten quiet minutes at 7:30", 0),
            ]
            outcome, process = next(measure_ids), next(measure_ids)
            measures += [
                (
                    outcome,
                    pk,
                    "Missed handovers per week",
                    Measure.Kind.OUTCOME.value,
                    "Counted from the log.",
                    "per week",
                    Measure.Direction.DOWN.value,
                    4,
                    0,
                ),
                (
                    process,
                    pk,
                    "Checklist used (%)",
                    Measure.Kind.PROCESS.value,
                    "Audit of 10 handovers.",
                    "%",
                    Measure.Direction.UP.value,
                    None,
                    1,
                ),
            ]
            count = points_per_project[n]
            first = (count + 1) // 2
            for k in range(count):
                measure, week = (outcome, k) if k < first else (process, k - first)
                value = Decimal(12 - min(8, week)) if measure == outcome else Decimal(40 + 5 * week)
                points.append(
                    (
                        next(point_ids),
                        measure,
                        c.start + datetime.timedelta(weeks=week),
                        value,
                        "Checklist started" if week == 4 else "",
                    )
                )
            cycle = next(cycle_ids)
            cycles.append(
                (
                    cycle,
                    pk,
                    "Checklist on one ward",
                    idea_a,
                    "Try the checklist for two weeks on one ward.",
                    "Fewer missed handovers.",
                    "Used on 9 of 10 shifts.",
                    "Missed handovers halved.",
                    ProjectPDSACycle.Act.ADOPT.value,
                    "Spread to the second ward.",
                    c.start + datetime.timedelta(weeks=6),
                    c.start + datetime.timedelta(weeks=8),
                )
            )
            cycle_measures.append((cycle, outcome))
            order = c.set_ids.index(set_pk) + 1
            presentations.append(
                (next(presentation_ids), c.id, set_pk, pk, order, _slot(order, 0), _slot(order, 1), title)
            )
        w.write(
            ImprovementProject,
            [
                "id",
                "action_learning_set_id",
                "title",
                "area",
                "problem",
                "aim",
                "stakeholders",
                "status",
                "progress_score",
            ],
            projects,
        )
        w.write(ProgressScore, ["id", "project_id", "score", "recorded_at", "recorded_by_id", "note"], scores)
        w.write(DriverNode, ["id", "project_id", "parent_id", "kind", "text", "order"], nodes)
        w.write(
            Measure,
            ["id", "project_id", "name", "kind", "definition", "unit", "better", "baseline_points", "order"],
            measures,
        )
        w.write(DataPoint, ["id", "measure_id", "date", "value", "note"], points)
        w.write(
            ProjectPDSACycle,
            [
                "id",
                "project_id",
                "title",
                "change_idea_id",
                "plan",
                "prediction",
                "do",
                "study",
                "act",
                "act_notes",
                "start_date",
                "end_date",
            ],
            cycles,
        )
        through = ProjectPDSACycle.measures.through
        w.write(
            through,
            ["id", "projectpdsacycle_id", "measure_id"],
            ((pk, *row) for pk, row in zip(w.next_ids(through, len(cycle_measures)), cycle_measures, strict=True)),
        )
        presentations = [self._with_slides(row) for row in presentations]
        w.write(
            Presentation,
            [
                "id",
                "cohort_id",
                "action_learning_set_id",
                "project_id",
                "order",
                "starts_at",
                "ends_at",
                "title",
                "slides",
                "slides_name",
                "slides_uploaded_at",
            ],
            presentations,
        )

    def _with_slides(self, row: tuple) -> tuple:
        """The big cohort's presentations have their slides uploaded (the download page needs a file)."""
        pk, cohort, *_rest = row
        if cohort != self.big.id:
            return (*row, "", "", None)
        name = default_storage.save(f"slides/cohort-{cohort}/presentation-{pk}.pdf", ContentFile(SLIDES))
        return (*row, name, "handover-project.pdf", self.now)

    def practice(self):
        """Two practice moments per participant of a running cohort (the practice log's pages)."""
        w = self.w
        methods = [m.value for m in PracticeMoment.Method]
        whom = [m.value for m in PracticeMoment.WithWhom]
        rows = []
        for c in self.cohort_rows:
            if not c.running:
                continue
            for membership in c.participant_ids:
                for k in range(2):
                    day = min(self.today, c.start + datetime.timedelta(days=10 + (membership * 3 + k * 29) % 90))
                    rows.append(
                        (
                            membership,
                            day,
                            methods[(membership + k) % len(methods)],
                            whom[(membership + k) % len(whom)],
                            "Tried it with the team huddle; it helped.",
                            (membership + k) % 3 == 0,
                        )
                    )
        ids = w.next_ids(PracticeMoment, len(rows))
        w.write(
            PracticeMoment,
            ["id", "membership_id", "date", "method", "with_whom", "reflection", "shared_with_set"],
            ((pk, *row) for pk, row in zip(ids, rows, strict=True)),
        )

    def run(self) -> dict:
        steps = [
            self.organisations,
            self.cohorts,
            self.people,
            self.modules,
            self.surveys,
            self.invitations,
            self.responses,
            self.projects,
            self.practice,
        ]
        for step in steps:
            started = time.perf_counter()
            step()
            self.say(f"  {step.__name__:<14} {time.perf_counter() - started:6.1f} s")
        self.w.reset_sequences()
        started = time.perf_counter()
        self.evaluation_and_report()
        self.say(f"  {'evaluation':<14} {time.perf_counter() - started:6.1f} s")
        return dict(self.w.counts)

    def evaluation_and_report(self):
        """The big cohort's self-assessment before the programme (closed) and a draft impact report with
        one key impact, through the ORM after the bulk rows (the evaluation's and the report's pages
        need them; one cohort's worth, so no bulk writer)."""
        cohort = Cohort.objects.get(pk=self.big.id)
        question_set = evaluation_question_sets_ensure()[Survey.Kind.SELF_PRE]
        opens_at = _at(self.big.start, 9)
        closed_survey_create(
            cohort=cohort, kind=Survey.Kind.SELF_PRE, question_set=question_set, opens_at=opens_at, days=7
        )
        key_impact_create(cohort=cohort, text="Managers now use coaching conversations with their own staff.")
        self.w.counts["surveys.Survey"] = self.w.counts.get("surveys.Survey", 0) + 1
        self.w.counts["reports.KeyImpact"] = self.w.counts.get("reports.KeyImpact", 0) + 1


def _slot(order: int, end: int) -> datetime.time:
    minutes = 10 * 60 + 20 * (order - 1) + 15 * end
    return datetime.time(minutes // 60 % 24, minutes % 60)


def _mail_body(subject: str) -> str:
    return (
        "Dear participant,\n\nThank you for taking part in “" + subject + "”. Please tell us how the day went: "
        "it takes about three minutes and helps us shape the next module.\n\n[link removed]\n\n"
        "The survey closes in seven days. Your answers are handled as the survey page describes.\n\n"
        "With best wishes,\nThe programme team\n"
    )


def load(*, scale: float = 1.0, plan: Plan | None = None, seed: int = 14, stdout=None, analyze: bool = True) -> dict:
    """Fill the database with scale data (in one transaction), ANALYZE it, and return rows written per model.
    ``plan`` gives every count itself (tests/test_query_counts.py sizes one cohort); else ``Plan.at(scale)``."""
    plan = plan or Plan.at(scale)
    loader = Loader(plan, seed=seed, stdout=stdout)
    with transaction.atomic():
        counts = loader.run()
        committing = time.perf_counter()
    # The foreign keys are checked at COMMIT (Django declares them DEFERRABLE INITIALLY DEFERRED).
    loader.say(f"  {'COMMIT':<14} {time.perf_counter() - committing:6.1f} s")
    if analyze:
        started = time.perf_counter()
        loader.w.analyze()
        loader.say(f"  {'ANALYZE':<14} {time.perf_counter() - started:6.1f} s")
    return counts
