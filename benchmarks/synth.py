"""Synthetic corpus for the nightly-batch benchmark.

Writes ``protocols/*.md`` and ``documents/<department>/*.md`` (the corpus layout the engine and
the web import read) with about ``--statements`` document statements against about
``--protocol-statements`` protocol statements. Sentences are 10-35 words, built from templated
clinical phrasing (drugs, doses and units, durations, conditions, populations, procedures,
departments, phone extensions, observations). Most document statements restate a protocol
statement in other words with the same facts; about 2 % restate it with one fact changed
(planted conflicts, listed in ``planted.jsonl``); the rest are department logistics, some of
which disagree between departments (document-to-document conflicts).

Everything is drawn from ``random.Random(seed)``: the same arguments write the same bytes.

    python -m benchmarks.synth OUT_DIR --statements 3000 [--seed 7]
    python -m benchmarks.synth OUT_DIR --mutate 0.01 [--seed 8]   # change 1 % of documents
"""
from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

DEPARTMENTS = ("cardiology", "surgery", "paediatrics", "maternity", "oncology", "orthopaedics",
               "emergency", "neurology", "renal", "respiratory")

DEPARTMENT_NAMES = {
    "cardiology": "Cardiology", "surgery": "General Surgery", "paediatrics": "Paediatrics",
    "maternity": "Maternity", "oncology": "Oncology", "orthopaedics": "Orthopaedics",
    "emergency": "Emergency Department", "neurology": "Neurology", "renal": "Renal Unit",
    "respiratory": "Respiratory Medicine",
}

WARDS = ("Ward 3A", "Ward 4B", "Ward 7", "the day unit", "the short-stay unit", "Ward 12",
         "the admissions lounge", "Ward 9C", "the recovery area", "the discharge lounge",
         "Ward 2", "Ward 5D", "the assessment unit", "Ward 11", "the treatment room")

DRUGS = (
    ("paracetamol", "mg", (500, 1000), (4, 6)), ("ibuprofen", "mg", (200, 400), (6, 8)),
    ("morphine sulfate", "mg", (5, 10), (4,)), ("oxycodone", "mg", (5, 10), (4, 6)),
    ("codeine phosphate", "mg", (30, 60), (4, 6)), ("tramadol", "mg", (50, 100), (6,)),
    ("amoxicillin", "mg", (250, 500), (8,)), ("co-amoxiclav", "mg", (625,), (8,)),
    ("cefuroxime", "mg", (750, 1500), (8,)), ("metronidazole", "mg", (400, 500), (8,)),
    ("gentamicin", "mg per kg", (5, 7), (24,)), ("vancomycin", "mg", (1000, 1500), (12,)),
    ("enoxaparin", "mg", (20, 40), (24,)), ("heparin", "units", (5000,), (12,)),
    ("warfarin", "mg", (3, 5), (24,)), ("apixaban", "mg", (2.5, 5), (12,)),
    ("furosemide", "mg", (20, 40), (24,)), ("bisoprolol", "mg", (1.25, 2.5), (24,)),
    ("ramipril", "mg", (2.5, 5), (24,)), ("amlodipine", "mg", (5, 10), (24,)),
    ("metformin", "mg", (500, 1000), (12,)), ("insulin glargine", "units", (10, 20), (24,)),
    ("ondansetron", "mg", (4, 8), (8,)), ("cyclizine", "mg", (50,), (8,)),
    ("omeprazole", "mg", (20, 40), (24,)), ("lansoprazole", "mg", (15, 30), (24,)),
    ("prednisolone", "mg", (30, 40), (24,)), ("dexamethasone", "mg", (4, 8), (12,)),
    ("salbutamol", "micrograms", (100, 200), (4,)), ("ipratropium", "micrograms", (250, 500), (6,)),
    ("magnesium sulfate", "g", (2,), (24,)), ("potassium chloride", "mmol", (20, 40), (12,)),
    ("levetiracetam", "mg", (500, 1000), (12,)), ("phenytoin", "mg per kg", (15, 20), (24,)),
    ("aspirin", "mg", (75, 300), (24,)), ("clopidogrel", "mg", (75, 300), (24,)),
    ("atorvastatin", "mg", (20, 80), (24,)), ("lactulose", "mL", (10, 15), (12,)),
    ("senna", "mg", (7.5, 15), (24,)), ("chlorphenamine", "mg", (4, 10), (6,)),
    ("oral morphine solution", "mg", (2.5, 5), (4,)), ("iron sucrose", "mg", (100, 200), (48,)),
)

CONDITIONS = ("community-acquired pneumonia", "a urinary tract infection", "cellulitis",
              "acute kidney injury", "heart failure", "atrial fibrillation", "type 2 diabetes",
              "chronic obstructive pulmonary disease", "asthma", "a suspected stroke",
              "a hip fracture", "sepsis", "deep vein thrombosis", "a pulmonary embolism",
              "epilepsy", "chest pain", "post-operative nausea", "moderate pain", "severe pain",
              "a head injury", "pre-eclampsia", "gestational diabetes", "neutropenic fever",
              "hypoglycaemia", "hyperkalaemia", "dehydration", "delirium", "a pressure ulcer",
              "constipation", "an allergic reaction", "anaemia", "bronchiolitis", "croup",
              "a fever", "renal colic", "gastro-oesophageal reflux", "a surgical wound infection")

POPULATIONS = ("adult patients", "children over 12 years", "children under 12 years",
               "patients over 75 years", "pregnant women", "breastfeeding mothers",
               "patients with renal impairment", "patients with liver disease",
               "patients weighing less than 50 kg", "frail older patients", "day-case patients",
               "patients on anticoagulants", "adolescents", "infants", "adults with diabetes",
               "patients receiving chemotherapy", "patients after cardiac surgery",
               "patients in the first trimester", "patients with a pacemaker", "new mothers")

PROCEDURES = ("general anaesthesia", "a colonoscopy", "a cardiac catheterisation", "a hip replacement",
              "a knee replacement", "a caesarean section", "a tonsillectomy", "a laparoscopic cholecystectomy",
              "an endoscopy", "a CT scan with contrast", "an MRI scan", "a bronchoscopy", "a lumbar puncture",
              "a pacemaker insertion", "a cataract operation", "a hernia repair", "a biopsy",
              "a blood transfusion", "a renal biopsy", "an angioplasty", "a spinal anaesthetic",
              "a dental extraction under sedation", "an appendicectomy", "a chest drain insertion")

STAFF = ("doctor", "nurse in charge", "ward pharmacist", "consultant", "specialist nurse", "midwife",
         "anaesthetist", "physiotherapist", "registrar", "on-call surgeon", "dietitian")

OBSERVATIONS = ("blood pressure", "heart rate", "oxygen saturation", "respiratory rate",
                "temperature", "blood glucose", "fluid balance", "pain score", "conscious level",
                "urine output", "capillary refill time", "early warning score")

COMPLICATIONS = ("blood clots", "chest infection", "pressure sores", "muscle weakness", "constipation",
                 "falls", "wound infection", "urinary retention", "confusion", "dehydration")

FLUIDS = ("clear fluids", "water", "a light meal", "sips of water", "a cup of tea", "toast and tea",
          "a full meal", "jelly and ice cream")

TOPICS = ("medication", "wound care", "pain relief", "fasting", "discharge", "test results",
          "appointments", "transport", "dressings", "blood tests", "feeding", "breathing exercises")

VERBS = ("give", "administer", "prescribe", "offer", "start", "continue", "stop", "withhold",
         "review", "record", "check", "measure", "document", "monitor", "reassess", "escalate")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

OPENERS = ("", "", "", "Please note that ", "As a reminder, ", "Remember that ", "On {ward}, ",
           "In {dept_name}, ", "For your safety, ", "Our team asks that ", "In line with hospital policy, ",
           "During your stay, ", "Before you leave, ", "To keep you safe, ", "Where possible, ",
           "Your care team will make sure that ", "Staff on {ward} follow the rule that ")

CLOSERS = ("", "", "", " unless your {staff} tells you otherwise", " and this is written on your chart",
           " as set out in the ward guidance", " so please ask if anything is unclear",
           " and the {staff} will explain why", " while you are on {ward}",
           " and your family can ask the {staff} about it", " and we will check this with you each day")


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass
class Fact:
    """One protocol rule: a family of wordings sharing slots; ``changeable`` slots can be altered."""

    family: str
    slots: dict[str, str]
    changeable: tuple[str, ...]


@dataclass
class Corpus:
    protocols: dict[str, list[str]] = field(default_factory=dict)   # path -> statements
    documents: dict[str, list[str]] = field(default_factory=dict)   # path -> statements
    planted: list[dict[str, str]] = field(default_factory=list)


# Protocol wording and document paraphrases, per family. Slots in {braces}.
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "dose": (
        "The recommended dose of {drug} for {population} with {condition} is {dose} {unit} every {freq} hours.",
        ("{population_cap} with {condition} receive {drug} {dose} {unit} every {freq} hours",
         "we {verb} {drug} at {dose} {unit} every {freq} hours for {population} who have {condition}",
         "the usual {drug} dose is {dose} {unit} every {freq} hours if you have {condition}"),
    ),
    "max_daily": (
        "{population_cap} must not receive more than {max} {unit} of {drug} in any 24 hour period.",
        ("no more than {max} {unit} of {drug} may be given to {population} in 24 hours",
         "the maximum daily amount of {drug} for {population} is {max} {unit}",
         "do not take more than {max} {unit} of {drug} in one day if you are among {population}"),
    ),
    "fasting": (
        "{population_cap} must stop eating solid food {hours} hours before {procedure} and may drink {fluid} until {fluid_hours} hours before.",
        ("please stop eating {hours} hours before {procedure} but you can have {fluid} until {fluid_hours} hours before",
         "no solid food for {hours} hours before {procedure}, and {fluid} are allowed until {fluid_hours} hours before",
         "{population} should not eat for {hours} hours before {procedure} and can take {fluid} up to {fluid_hours} hours beforehand"),
    ),
    "observations": (
        "After {procedure}, record {observation} every {minutes} minutes for the first {hours} hours.",
        ("the {staff} will check your {observation} every {minutes} minutes for {hours} hours after {procedure}",
         "{observation} is measured every {minutes} minutes during the first {hours} hours after {procedure}",
         "for {hours} hours after {procedure} we {verb} {observation} every {minutes} minutes"),
    ),
    "review": (
        "Patients admitted with {condition} must be reviewed by a {staff} within {hours} hours of arrival on the ward.",
        ("a {staff} will see you within {hours} hours of arriving on the ward if you come in with {condition}",
         "anyone admitted with {condition} is reviewed by a {staff} within {hours} hours",
         "if you are admitted with {condition}, expect a {staff} review within {hours} hours of arrival"),
    ),
    "course": (
        "Continue {drug} for {days} days after {procedure} for {population} unless a {staff} stops it earlier.",
        ("{population} keep taking {drug} for {days} days after {procedure}",
         "you will need {drug} for {days} days once {procedure} is over",
         "the course of {drug} after {procedure} lasts {days} days for {population}"),
    ),
    "mobilise": (
        "Help patients to sit out of bed within {hours} hours after {procedure} to reduce the risk of {complication}.",
        ("we will help you out of bed within {hours} hours after {procedure} to lower your risk of {complication}",
         "getting up within {hours} hours of {procedure} helps to prevent {complication}",
         "the {staff} aims to get you moving within {hours} hours after {procedure} because this prevents {complication}"),
    ),
    "storage": (
        "Store {drug} between {low} and {high} degrees Celsius and discard opened packs after {days} days.",
        ("keep {drug} at {low} to {high} degrees Celsius and throw away an opened pack after {days} days",
         "opened {drug} must be discarded after {days} days and stored between {low} and {high} degrees Celsius",
         "{drug} is kept between {low} and {high} degrees Celsius and an opened pack lasts {days} days"),
    ),
    "contact": (
        "For urgent questions about {topic}, patients should call the {dept_name} team on extension {ext}.",
        ("if you have an urgent question about {topic}, ring the {dept_name} team on extension {ext}",
         "call extension {ext} to reach the {dept_name} team about {topic} at any time",
         "urgent {topic} questions go to the {dept_name} team on extension {ext}"),
    ),
    "escalate": (
        "Escalate to the {staff} if {observation} stays abnormal for more than {minutes} minutes in {population}.",
        ("the {staff} must be called if {observation} is abnormal for over {minutes} minutes in {population}",
         "tell the {staff} when {observation} has been abnormal for more than {minutes} minutes",
         "for {population}, {observation} that stays abnormal beyond {minutes} minutes is escalated to the {staff}"),
    ),
    "hold": (
        "Withhold {drug} for {days} days before {procedure} in {population} and restart it after {hours} hours if there is no bleeding.",
        ("stop {drug} {days} days before {procedure} and start it again {hours} hours later if there is no bleeding",
         "{population} pause {drug} for {days} days before {procedure} and resume it after {hours} hours",
         "do not take {drug} for {days} days before {procedure}; it restarts {hours} hours afterwards if there is no bleeding"),
    ),
}

FAMILY_CHANGEABLE = {
    "dose": ("dose", "freq"), "max_daily": ("max",), "fasting": ("hours", "fluid_hours"),
    "observations": ("minutes", "hours"), "review": ("hours",), "course": ("days",),
    "mobilise": ("hours",), "storage": ("low", "high", "days"), "contact": ("ext",),
    "escalate": ("minutes",), "hold": ("days", "hours"),
}

LOGISTICS = (
    "Visiting hours on {ward} are from {open_hour} to {close_hour} every day, with a quiet period after lunch for rest.",
    "Each patient on {ward} may have {visitors} visitors at the bedside at any one time, and children must be supervised.",
    "The {dept_name} reception desk is open from {open_hour} on {weekday} and can be reached on extension {ext}.",
    "Patients should bring a list of their current medicines and any {fluid} they need to their {weekday} appointment.",
    "Hospital transport for {dept_name} outpatients must be booked at least {days} days before the appointment on extension {ext}.",
    "Car parking for {dept_name} visitors costs {price} pounds for up to {hours} hours, and blue badge holders park free.",
    "Results of {topic} tests are usually ready within {days} working days and the {staff} will phone you with them.",
    "Please arrive {minutes} minutes before your appointment on {ward} so the {staff} has time to complete your checks.",
    "The {dept_name} day unit closes at {close_hour} and patients not collected by then may need to stay overnight.",
    "Interpreters can be booked for {dept_name} appointments by calling extension {ext} at least {days} days in advance.",
    "Meals on {ward} are served at {open_hour} and {close_hour}, and snacks are available from the {staff} between meals.",
    "Your discharge letter from {dept_name} will be sent to your GP within {days} days and a copy will be given to you.",
    "Mobile phones may be used on {ward} except near monitoring equipment and after {close_hour} at night.",
    "Spiritual care for {dept_name} patients is available every {weekday} and can be arranged on extension {ext}.",
    "The {dept_name} pharmacy dispenses discharge medicines within {hours} hours of the prescription being written.",
)

LOGISTICS_CHANGEABLE = ("open_hour", "close_hour", "visitors", "ext", "days", "hours", "minutes", "price")

HOURS_OF_DAY = ("8am", "9am", "10am", "11am", "noon", "2pm", "3pm", "4pm", "6pm", "7pm", "8pm")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _choose_slots(rng: random.Random, department: str) -> dict[str, str]:
    drug, unit, doses, freqs = rng.choice(DRUGS)
    dose = rng.choice(doses)
    hours = rng.choice((2, 4, 6, 8, 12, 24, 48))
    population = rng.choice(POPULATIONS)
    low = rng.choice((2, 4, 8, 15))
    return {
        "drug": drug, "unit": unit, "dose": _number(dose), "freq": str(rng.choice(freqs)),
        "max": _number(dose * rng.choice((3, 4))), "population": population,
        "population_cap": _cap(population), "condition": rng.choice(CONDITIONS),
        "procedure": rng.choice(PROCEDURES), "fluid": rng.choice(FLUIDS),
        "hours": str(hours), "fluid_hours": str(rng.choice((1, 2, 3))),
        "minutes": str(rng.choice((5, 10, 15, 30, 60))), "days": str(rng.choice((2, 3, 5, 7, 10, 14, 28))),
        "observation": rng.choice(OBSERVATIONS), "staff": rng.choice(STAFF),
        "complication": rng.choice(COMPLICATIONS), "low": str(low), "high": str(low + rng.choice((4, 6, 10))),
        "topic": rng.choice(TOPICS), "dept_name": DEPARTMENT_NAMES[department],
        "ext": str(rng.randint(2000, 7999)), "verb": rng.choice(VERBS),
    }


def _changed(rng: random.Random, name: str, value: str) -> str:
    """A different value for one slot: the planted contradiction."""
    if name in HOURS_OF_DAY or value in HOURS_OF_DAY:
        return rng.choice([hour for hour in HOURS_OF_DAY if hour != value])
    if name == "ext":
        return str(int(value) + rng.choice((1, 10, 100, 1000)) * rng.choice((1, -1)))
    number = float(value)
    factor = rng.choice((2, 3, 0.5))
    new = number * factor if number * factor != number else number + 1
    return _number(round(new, 2))


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format(**slots)


IMPERATIVE_STARTS = ("please", "stop", "keep", "do", "call", "tell", "if", "for", "urgent", "getting",
                     "no", "opened", "store", "withhold", "continue", "escalate", "help", "after")


def _sentence(core: str, rng: random.Random, slots: dict[str, str], ward: str, department: str) -> str:
    """Wrap a core clause in an opener and closer, keeping it 10-35 words."""
    extra = dict(slots, ward=ward, dept_name=DEPARTMENT_NAMES[department])
    imperative = core.split(" ", 1)[0].lower().strip(",;") in IMPERATIVE_STARTS
    openers = [o for o in OPENERS if not (imperative and o.rstrip().endswith("that"))]
    core = core.rstrip(".")
    for _ in range(6):
        opener = _fill(rng.choice(openers), extra)
        closer = _fill(rng.choice(CLOSERS), extra)
        body = core if opener == "" else core[:1].lower() + core[1:] if not core[:2].isupper() else core
        text = _cap(opener + body + closer).rstrip(".") + "."
        if 10 <= len(text.split()) <= 35:
            return text
    return _cap(core).rstrip(".") + "."


def _protocol_facts(rng: random.Random, count: int) -> list[tuple[str, Fact]]:
    """``count`` protocol facts, grouped by family (one protocol file per family and part)."""
    families = list(FAMILIES)
    facts: list[tuple[str, Fact]] = []
    seen: set[str] = set()
    while len(facts) < count:
        family = families[len(facts) % len(families)]
        slots = _choose_slots(rng, rng.choice(DEPARTMENTS))
        text = _fill(FAMILIES[family][0], slots)
        if text in seen:
            continue
        seen.add(text)
        facts.append((text, Fact(family, slots, FAMILY_CHANGEABLE[family])))
    return facts


PROTOCOL_TITLES = {
    "dose": "Medicine doses", "max_daily": "Maximum daily doses", "fasting": "Fasting before procedures",
    "observations": "Observations after procedures", "review": "Senior review on admission",
    "course": "Courses of treatment", "mobilise": "Early mobilisation", "storage": "Medicine storage",
    "contact": "Contact numbers", "escalate": "Escalation of abnormal observations",
    "hold": "Stopping medicines before procedures",
}


def _markdown(title: str, statements: list[str], rng: random.Random) -> str:
    """Headings, paragraphs of 1-4 sentences and bullet lists, as a real leaflet would have."""
    lines = [f"# {title}", ""]
    index = 0
    section = 0
    while index < len(statements):
        section += 1
        lines += [f"## Part {section}: {rng.choice(TOPICS).capitalize()}", ""]
        for _ in range(rng.randint(2, 4)):
            if index >= len(statements):
                break
            take = rng.randint(1, 4)
            chunk = statements[index:index + take]
            index += len(chunk)
            if rng.random() < 0.3:
                lines += [f"- {sentence}" for sentence in chunk]
            else:
                lines.append(" ".join(chunk))
            lines.append("")
    return "\n".join(lines)


def generate(statements: int, protocol_statements: int = 1000, seed: int = 7,
             conflict_rate: float = 0.02) -> Corpus:
    """The corpus as text, before writing: about ``statements`` document statements."""
    rng = random.Random(seed)
    corpus = Corpus()
    facts = _protocol_facts(rng, protocol_statements)
    by_family: dict[str, list[tuple[str, Fact]]] = {}
    for text, fact in facts:
        by_family.setdefault(fact.family, []).append((text, fact))
    for family, items in by_family.items():
        for part in range(0, len(items), 40):
            chunk = items[part:part + 40]
            slug = family.replace("_", "-")
            path = f"protocols/{slug}-{part // 40 + 1:02d}.md"
            corpus.protocols[path] = [_cap(text) for text, _ in chunk]

    # Department-wide logistics values: the same in most of a department's documents.
    logistics_values: dict[str, dict[str, str]] = {}
    for department in DEPARTMENTS:
        slots = _choose_slots(rng, department)
        slots.update(open_hour=rng.choice(HOURS_OF_DAY[:4]), close_hour=rng.choice(HOURS_OF_DAY[6:]),
                     visitors=str(rng.choice((2, 3, 4))), price=str(rng.choice((3, 4, 5, 6))),
                     weekday=rng.choice(WEEKDAYS))
        logistics_values[department] = slots

    written = 0
    number = 0
    while written < statements:
        number += 1
        department = DEPARTMENTS[number % len(DEPARTMENTS)]
        size = min(rng.randint(30, 80), max(statements - written, 1))
        ward = rng.choice(WARDS)
        topic_families = rng.sample(list(FAMILIES), k=rng.randint(2, 4))
        family_facts = [fact for family in topic_families for fact in by_family[family]]
        path = f"documents/{department}/{department}-leaflet-{number:05d}.md"
        sentences: list[str] = []
        for _ in range(size):
            roll = rng.random()
            if roll < conflict_rate:
                protocol_text, fact = rng.choice(family_facts)
                slot = rng.choice(fact.changeable)
                slots = dict(fact.slots, dept_name=DEPARTMENT_NAMES[department])
                slots[slot] = _changed(rng, slot, slots[slot])
                if slot == "low" and float(slots["low"]) >= float(slots["high"]):
                    slots["high"] = _number(float(slots["low"]) + 4)
                core = _fill(rng.choice(FAMILIES[fact.family][1]), dict(slots, verb=rng.choice(VERBS)))
                sentence = _sentence(core, rng, slots, ward, department)
                corpus.planted.append({"document": path, "statement": sentence, "source": _cap(protocol_text),
                                       "slot": slot, "kind": "protocol"})
            elif roll < 0.60:
                protocol_text, fact = rng.choice(family_facts)
                slots = dict(fact.slots, verb=rng.choice(VERBS))
                core = _fill(rng.choice(FAMILIES[fact.family][1]), slots)
                sentence = _sentence(core, rng, slots, ward, department)
            else:
                slots = dict(logistics_values[department], ward=ward, staff=rng.choice(STAFF),
                             topic=rng.choice(TOPICS), fluid=rng.choice(FLUIDS),
                             minutes=str(rng.choice((10, 15, 20, 30))))
                template = rng.choice(LOGISTICS)
                planted = None
                if rng.random() < conflict_rate:
                    names = [name for name in LOGISTICS_CHANGEABLE if "{" + name + "}" in template]
                    if names:
                        slot = rng.choice(names)
                        planted = {"source": _fill(template, slots), "slot": slot, "kind": "document"}
                        slots[slot] = _changed(rng, slot, slots[slot])
                sentence = _sentence(_fill(template, slots), rng, slots, rng.choice(WARDS), department)
                if planted:
                    corpus.planted.append({"document": path, "statement": sentence, **planted})
            sentences.append(sentence)
        corpus.documents[path] = sentences
        written += len(sentences)
    return corpus


def write(corpus: Corpus, out: Path, seed: int = 7) -> None:
    rng = random.Random(seed + 1)
    for path, statements in corpus.protocols.items():
        family = Path(path).stem.rsplit("-", 1)[0].replace("-", "_")
        title = f"{PROTOCOL_TITLES.get(family, family)} ({Path(path).stem.rsplit('-', 1)[1]})"
        _write(out / path, _markdown(title, statements, rng))
    for path, statements in corpus.documents.items():
        department = Path(path).parent.name
        title = f"{DEPARTMENT_NAMES[department]} patient information {Path(path).stem.rsplit('-', 1)[1]}"
        _write(out / path, _markdown(title, statements, rng))
    with open(out / "planted.jsonl", "w", encoding="utf-8") as handle:
        for row in corpus.planted:
            handle.write(json.dumps(row) + "\n")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def mutate(out: Path, fraction: float = 0.01, seed: int = 8) -> list[str]:
    """Change ``fraction`` of the documents under ``out``: in each, reword a few statements
    (one with a changed number). Returns the changed paths, relative to ``out``."""
    rng = random.Random(seed)
    paths = sorted((out / "documents").rglob("*.md"))
    chosen = rng.sample(paths, k=max(1, round(len(paths) * fraction)))
    for path in chosen:
        lines = path.read_text(encoding="utf-8").splitlines()
        body = [index for index, line in enumerate(lines) if line and not line.startswith("#")]
        for index in rng.sample(body, k=min(3, len(body))):
            line = lines[index]
            numbers = list(re.finditer(r"\b\d+\b", line))
            if numbers:
                match = rng.choice(numbers)
                line = line[:match.start()] + str(int(match.group()) + rng.randint(1, 9)) + line[match.end():]
            lines[index] = line.replace(" every ", " once every ", 1) if " every " in line else line
        lines.append("")
        lines.append(f"This leaflet was reviewed on {rng.choice(WEEKDAYS)} and the changes were approved "
                     f"by the {rng.choice(STAFF)} of the department.")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [str(path.relative_to(out)) for path in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--statements", type=int, default=3000)
    parser.add_argument("--protocol-statements", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mutate", type=float, default=None,
                        help="instead of generating, change this fraction of the documents in OUT")
    args = parser.parse_args(argv)
    if args.mutate is not None:
        changed = mutate(args.out, args.mutate, args.seed)
        print(f"changed {len(changed)} documents")
        return 0
    corpus = generate(args.statements, args.protocol_statements, args.seed)
    write(corpus, args.out, args.seed)
    total = sum(len(s) for s in corpus.documents.values())
    unique = len({s for statements in corpus.documents.values() for s in statements})
    print(f"wrote {len(corpus.protocols)} protocols ({sum(len(s) for s in corpus.protocols.values())} statements), "
          f"{len(corpus.documents)} documents ({total} statements, {unique} distinct), "
          f"{len(corpus.planted)} planted conflicts to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
