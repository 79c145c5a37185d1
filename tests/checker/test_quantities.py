"""Quantities, clock times, opening hours and phone numbers read out of one statement.

Every amount is normalised to one unit per dimension, so equal amounts in different units
compare equal; the judge-level consequences are in test_detectors.py.
"""
from __future__ import annotations

import pytest

from checker.quantities import Quantity, clock_times, opening_hours, phones, quantities


def only(text: str) -> Quantity:
    found = quantities(text)
    assert len(found) == 1, f"{text!r} gave {found}"
    return found[0]


def canonical(text: str) -> tuple[float, float, str, str]:
    quantity = only(text)
    return round(quantity.low, 6), round(quantity.high, 6), quantity.dimension, quantity.bound


@pytest.mark.parametrize("first, second", [
    ("Keep it dry for 48 hours.", "Keep it dry for 2 days."),
    ("Call if your temperature is above 38 °C.", "Call if your temperature is above 100.4 °F."),
    ("Take 1 g at a time.", "Take 1,000 mg at a time."),
    ("Wear them for one week.", "Wear them for 7 days."),
    ("Drink 2 liters of water.", "Drink 2,000 mL of water."),
    ("Wait six hours.", "Wait 6 hours."),
    ("Wait half an hour.", "Wait 30 minutes."),
])
def test_the_same_amount_in_other_units_or_words_normalises_to_the_same_value(first, second):
    assert canonical(first) == canonical(second)


def test_durations_are_normalised_to_hours():
    quantity = only("Do not drive for 2 weeks.")
    assert (quantity.low, quantity.dimension, quantity.unit) == (336.0, "time", "hour")


def test_pounds_convert_to_the_same_mass_as_kilograms():
    assert only("Lift no more than 10 lb.").low == pytest.approx(only("Lift no more than 4.536 kg.").low, rel=1e-3)


def test_a_range_keeps_both_ends():
    quantity = only("Fast for 6 to 8 hours.")
    assert (quantity.low, quantity.high, quantity.bound) == (6.0, 8.0, "exact")


@pytest.mark.parametrize("text, bound", [
    ("Take no more than 3 g a day.", "max"),
    ("Take up to 3 g a day.", "max"),
    ("Wait at least 2 hours.", "min"),
    ("Call if it is above 38 °C.", "min"),
    ("Take 3 g a day.", "exact"),
])
def test_bound_words_set_the_bound(text, bound):
    assert only(text).bound == bound


def test_every_n_hours_is_an_interval_and_n_times_a_day_a_count_per_day():
    interval, count = only("Take it every 6 hours."), only("Take it 4 times a day.")
    assert interval.interval and interval.low == 6.0
    assert (count.dimension, count.unit, count.per, count.low) == ("count", "time", "day", 4.0)


def test_a_daily_amount_records_its_period():
    assert only("Do not take more than 4 g of acetaminophen in 24 hours.").per == "day"


def test_a_quantity_span_indexes_the_text():
    text = "Do not drive for 48 hours after sedation."
    quantity = only(text)
    assert text[quantity.start:quantity.end] == quantity.text == "48 hours"


def test_a_sentence_without_numbers_has_no_quantities():
    assert quantities("Keep the wound clean and dry.") == []


def test_clock_times_read_am_pm_24_hour_and_noon():
    assert [c.minutes for c in clock_times("Arrive at 7:30 a.m., 14:00 or noon.")] == [450, 840, 720]


def test_opening_hours_cover_a_weekday_range_and_a_closed_day():
    weekdays, sunday = opening_hours("Open Monday to Friday, 9 a.m. to 5 p.m., and closed on Sundays.")
    assert (weekdays.days, weekdays.opens, weekdays.closes) == (frozenset(range(5)), 540, 1020)
    assert (sunday.days, sunday.opens, sunday.closes) == (frozenset({6}), 0, 0)


def test_a_phone_number_carries_the_service_named_before_it():
    (phone,) = phones("Call the Outpatient Pharmacy at 555-0247.")
    assert (phone.digits, phone.service, phone.text) == ("5550247", "outpatient pharmacy", "555-0247")


def test_phone_numbers_in_different_formats_reduce_to_digits():
    assert [p.digits for p in phones("Ring (555) 123-4567 or +1 555 123 4567.")] == ["5551234567", "5551234567"]


def test_a_strict_bound_in_days_equals_the_same_bound_in_hours():
    assert canonical("Call if the fever lasts more than 3 days.") == canonical(
        "Call if the fever lasts more than 72 hours.")


@pytest.mark.parametrize("text, hours", [
    ("Wait one and a half hours.", 1.5),
    pytest.param("Wait 1 and a half hours.", 1.5),
    pytest.param("Wait an hour and a half.", 1.5),
    pytest.param("Keep it on for a day and a half.", 36.0),
    pytest.param("Keep it on for two and a half days.", 60.0),
    pytest.param("Keep it on for a week and a half.", 252.0),
])
def test_and_a_half_adds_half_the_unit(text, hours):
    assert only(text).low == pytest.approx(hours)


def test_a_period_named_before_the_amount_is_its_per_period():
    from checker.quantities import quantities

    (amount,) = [q for q in quantities("The most ibuprofen you should take in one day is 1,200 mg.") if q.unit == "milligram"]
    assert (amount.per, amount.bound, amount.role) == ("day", "max", "stated_limit")


def test_at_most_after_the_period_bounds_the_amount():
    from checker.quantities import quantities

    (amount,) = quantities("Coffee: two cups a day at most.")
    assert (amount.per, amount.bound) == ("day", "max")


def test_a_stated_maximum_contradicts_another_maximum_but_advice_inside_it_does_not(engine):
    stated = engine.judge.verdict("The most ibuprofen you should take in one day is 1,200 mg.",
                                  "Do not take more than 2,400 mg of ibuprofen in 24 hours.", 0.8)
    assert stated and stated[0].kind == "numeric"
    assert engine.judge.verdict("Take no more than 1,200 mg of ibuprofen a day.",
                                "Do not take more than 2,400 mg of ibuprofen in 24 hours.", 0.8) is None


@pytest.mark.parametrize("text, minutes", [
    ("Come in at eight in the morning.", [480]),
    ("The desk is staffed from seven in the morning until nine at night.", [420, 1260]),
    ("Call before 6 in the evening.", [1080]),
])
def test_clock_times_in_words_are_read(text, minutes):
    from checker.quantities import clock_times

    assert [c.minutes for c in clock_times(text)] == minutes


def test_at_least_every_bounds_the_gap_from_above():
    (quantity,) = quantities("Change the dressing at least every 3 days.")
    assert quantity.role == "interval" and quantity.bound == "max"


def test_a_second_bound_listed_after_a_negated_one_is_negated_too():
    found = quantities("Don't take more than 1,000 mg in one dose or more than four doses in 24 hours.")
    assert [(q.bound, q.low, q.high) for q in found] == [("max", 1000.0, 1000.0), ("max", 4.0, 4.0)]


@pytest.mark.parametrize("text, milligrams", [
    ("Take two 500 mg tablets.", 1000.0),
    ("Take 2 x 200 mg capsules.", 400.0),
    ("Take one 250 mg capsule.", 250.0),
    ("Each tablet contains 500 mg.", 500.0),
])
def test_a_count_of_tablets_of_one_strength_is_read_as_the_whole_dose(text, milligrams):
    quantity = only(text)
    assert quantity.dimension == "mass" and quantity.low == quantity.high == milligrams


def test_between_x_and_y_is_a_range_and_a_plain_and_is_not():
    (level,) = quantities("Keep your level between 0.6 and 0.8 mmol/L.")
    assert (level.low, level.high, level.unit) == (0.6, 0.8, "mmol/l")
    assert [q.low for q in quantities("Take 2 tablets and 3 capsules.")] == [2.0, 3.0]


def test_a_spaced_dose_with_a_daily_cap_is_read_as_a_daily_total():
    from checker.facts import facts_of

    facts = facts_of("Take two 500 mg tablets every 6 hours, up to 4 times a day.")
    assert any(q.per == "day" and q.high == 4000.0 and q.bound == "max" for q in facts.quantities)


def test_a_unit_or_two_is_a_range_of_one_to_two():
    (span,) = quantities("Most people feel better after a day or two.")
    assert (span.low, span.high) == (24.0, 48.0)


@pytest.mark.parametrize("text, digits", [
    ("Medicines helpline: 01632 960285, Monday to Friday", ["01632960285"]),
    ("Call 0300 123 4567 or 020 7946 0018.", ["03001234567", "02079460018"]),
    ("From abroad, ring +44 1632 960 285.", ["01632960285"]),
    ("Call the ward on 555-0123.", ["5550123"]),
    ("Take 0.5 mg twice a day for 10 days; your INR should be 2.0 to 3.0.", []),
])
def test_phone_numbers_are_read_in_british_international_and_north_american_forms(text, digits):
    assert [phone.digits for phone in phones(text)] == digits


def test_a_label_ending_in_on_or_at_keeps_its_last_letters():
    (phone,) = phones("Reception: 01632 960300")
    assert phone.service == "reception"


def test_a_period_after_a_bracketed_aside_still_belongs_to_the_amount():
    (amount, _) = quantities("Drink 2 litres (about 70 fl oz) of water every day.")
    assert amount.per == "day"
