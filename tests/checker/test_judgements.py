"""The judgement cache: an unchanged pair is never judged twice, in one process or across re-scans."""
from __future__ import annotations

from checker.corpus import list_files, load_corpus
from checker.engine import Engine
from checker.judge import Judge
from checker.judgements import JudgementCache, pair_key, rules_fingerprint


def test_a_rescan_by_a_new_engine_judges_no_pair_again_and_finds_the_same(settings, examples_corpus, tmp_path):
    fresh = settings.replace(cache_dir=str(tmp_path / "cache"))
    first_engine = Engine(fresh)
    loaded = load_corpus(first_engine, list_files(examples_corpus))
    first = first_engine.check(loaded.protocols, loaded.documents)
    again = Engine(fresh).check(loaded.protocols, loaded.documents)  # a new process, as a CLI re-scan is
    assert first.judgements_computed > 0 and first.pairs_judged > 0
    assert again.judgements_computed == 0 and again.judgements_reused >= again.pairs_judged
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in first.findings]


def test_a_cached_verdict_is_the_verdict(tmp_path):
    doc, src = "Do not eat for 4 hours before surgery.", "Do not eat for 6 hours before surgery."
    uncached = Judge()._judge(doc, src, 0.83, False)
    judge = Judge(cache=JudgementCache(tmp_path))
    assert judge.verdict(doc, src, 0.83) == uncached
    judge.cache.flush()
    reread = Judge(cache=JudgementCache(tmp_path))
    assert reread.verdict(doc, src, 0.83) == uncached and reread.cache.judged == 0
    assert reread.verdict(doc, src, 0.84) is not None and reread.cache.judged == 1  # another similarity


def test_no_clash_is_remembered_too():
    judge = Judge()
    assert judge.verdict("Bring your medicines.", "Bring a list of your medicines.", 0.9) is None
    assert judge.verdict("Bring your medicines.", "Bring a list of your medicines.", 0.9) is None
    assert (judge.cache.judged, judge.cache.reused) == (1, 1)


def test_the_key_tells_the_pair_apart():
    base = pair_key("a", "b", 0.5, False)
    assert len({base, pair_key("b", "a", 0.5, False), pair_key("a", "b", 0.51, False),
                pair_key("a", "b", 0.5, True)}) == 4


def test_judgements_of_other_rules_are_not_reused(tmp_path):
    cache = JudgementCache(tmp_path)
    cache.judged_or("k", lambda: None)
    cache.flush()
    stale = JudgementCache(tmp_path)
    stale.version = "rules-of-another-release"
    assert stale.judged_or("k", lambda: None) is None and stale.judged == 1
    assert len(rules_fingerprint()) == 24
