"""Demo PDSA records for the running demo cohort: cycles for modules 1-3 and the plan of module 4.

The story follows the demo surveys (surveys/demo.py): module 1's participants asked for more
group work, so module 2 doubled the small-group time and its scores rose; module 2's theory on
wicked problems felt abstract, so module 3 worked on the participants' own cases; module 3's
coaching practice lacked an observer, so module 4 practises in triads.

Idempotent: a cycle that already exists keeps what facilitators wrote in it; act items are
looked up by their text and are only ticked off when first created.
"""

from django.db import transaction

from .models import ActItem, Module, PDSACycle

CYCLES = {
    1: {
        "plan_intent": (
            "Bring the thirty participants together as one inter-disciplinary cohort. Introduce collective "
            "leadership and why it matters for safety and experience of care; stages of team development and "
            "psychological safety. Form the five action-learning sets."
        ),
        "plan_prediction": (
            "Most participants will find the day useful (mean 4 or more). The morning carries a lot of input, "
            "so we expect some to find the pace fast, especially after lunch."
        ),
        "do_notes": (
            "Delivered as planned. Forming the sets ran over, so the afternoon small-group exercise on team roles "
            "was cut from 50 to 25 minutes. The energy in the small groups was high; the whole-group plenary at "
            "the end was quiet."
        ),
        "study_reading": (
            "Usefulness was good, but the comments ask again and again for more time for group work – the "
            "exercise was cut short just as it got going. About four in ten found the pace too fast, mostly "
            "after lunch. Meeting colleagues from other services is what people valued most."
        ),
        "act": [
            ("More small-group time in module 2: cut the taught input to 40 minutes, give the exercise an hour", True),
            ("Move the action-learning set time before lunch so that it is not squeezed", True),
            ("Send the pre-reading a week ahead rather than three days", True),
        ],
    },
    2: {
        "plan_intent": (
            "Participants can tell tame, complex and wicked problems apart and choose a way of leading for each; "
            "they practise sense-making and stakeholder mapping."
        ),
        "plan_prediction": (
            "With the extra group time from module 1's changes, usefulness should rise and fewer should find the "
            "pace too fast. Risk: complexity theory may feel abstract to people who came for practical tools."
        ),
        "do_notes": (
            "Small-group time doubled as planned and the pre-reading went out a week before. The prepared case "
            "(bed flow in an acute hospital) did not land – several said it was not their world. The groups that "
            "swapped in a problem from their own service became far more animated."
        ),
        "study_reading": (
            "Fewer found the pace too fast and more would recommend the programme: the extra group time helped. "
            "But the comments say the wicked-problems theory felt abstract and ask for a simple handout; people "
            "from community and crisis teams want examples from their settings."
        ),
        "act": [
            ("Use participants' own cases: each set brings one live problem from its service to module 3", True),
            ("One-page handout on tame, complex and wicked problems, sent with the module 3 pre-reading", True),
            ("Include an example from a community or crisis team in every module", False),
        ],
    },
    3: {
        "plan_intent": (
            "Participants learn the Appreciative Inquiry 4-D cycle (Discover, Dream, Design, Deliver) and "
            "practise strengths-based questions on their sets' own problems."
        ),
        "plan_prediction": (
            "Working on their own cases will make the day feel practical: we expect the highest usefulness so "
            "far. AI can feel odd at first, so confidence to apply it may lag behind usefulness."
        ),
        "do_notes": (
            "The sets worked on their own live problems all day. The AI practice was done in pairs; several pairs "
            "ran out of questions and nobody was watching the conversation to give feedback. The day finished "
            "twenty minutes late."
        ),
        "study_reading": (
            "Highest scores so far – own cases made it practical, as predicted. Confidence lags usefulness: people "
            "want more practice with feedback. Those who happened to work in threes rated the practice highest. "
            "Finishing late was raised by several people with caring responsibilities."
        ),
        "act": [
            ("AI and GROW practice in triads in module 4: coach, coachee and an observer with a checklist", False),
            ("Hard stop at 16:30 – a timekeeper in each set", False),
            ("Offer an optional 30-minute practice call between modules 4 and 5", False),
        ],
    },
    4: {
        "plan_intent": (
            "Participants structure a coaching conversation with GROW (Goal, Reality, Options, Will) and practise "
            "it in triads on a real conversation they need to have with a team member."
        ),
        "plan_prediction": (
            "Practising in triads with an observer should lift confidence to apply what was learnt closer to "
            "usefulness. Finishing on time should remove the complaints about the day running over."
        ),
    },
}


@transaction.atomic
def populate(*, demo, stdout=None) -> list[PDSACycle]:
    """Create the demo PDSA cycles of ``demo.cohort``; the modules must exist (demo/scenario.py)."""
    modules = {m.number: m for m in Module.objects.filter(cohort=demo.cohort)}
    facilitator = demo.facilitators[0].person.user if demo.facilitators else None
    cycles = []
    for number, record in CYCLES.items():
        module = modules.get(number)
        if module is None:
            continue
        fields = {key: value for key, value in record.items() if key != "act"}
        cycle, created = PDSACycle.objects.get_or_create(module=module, defaults={**fields, "updated_by": facilitator})
        cycles.append(cycle)
        following = modules.get(number + 1)
        for text, done in record.get("act", []):
            # Ticked off on the day of the next module, by the lead facilitator, if that module has happened.
            done = done and following is not None and following.is_delivered
            ActItem.objects.get_or_create(
                cycle=cycle,
                text=text,
                defaults={
                    "done": done,
                    "done_at": following.starts_at if done else None,
                    "done_by": facilitator if done else None,
                },
            )
        if stdout is not None:
            stdout.write(f"{'Created' if created else 'Found'} the PDSA cycle of module {number}.")
    return cycles
